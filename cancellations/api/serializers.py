from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cancellations.models import Channel, Reason
from kernel.serializers import StrictIntegerField, StrictSerializer, money


class LineRequestInput(StrictSerializer):
    line = serializers.CharField(max_length=100, help_text="The order line's external id.")
    quantity = StrictIntegerField(
        min_value=1, required=False, help_text="Units to cancel; absent: all still active."
    )


class CancellationInput(StrictSerializer):
    order = serializers.CharField(max_length=100, help_text="The order's external id.")
    reason = serializers.ChoiceField(choices=Reason.choices)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.STOREFRONT)
    lines = LineRequestInput(
        many=True, required=False, allow_empty=False, help_text="Absent: everything still active."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_lines(self, lines):
        ids = [item["line"] for item in lines]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each line once: {', '.join(duplicates)} repeated.")
        return lines


class PreviewInput(CancellationInput):
    reason = serializers.ChoiceField(choices=Reason.choices, required=False)


class DecisionOutput(serializers.Serializer):
    outcome = serializers.CharField()
    rule = serializers.CharField()
    explanation = serializers.CharField()
    policy_version = serializers.IntegerField(allow_null=True)


class CancellationLineOutput(serializers.Serializer):
    line = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    refund_amount = serializers.CharField()


class RefundSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    payment = serializers.CharField(help_text="The payment's external id.")
    amount = serializers.CharField()
    status = serializers.CharField()


class CancellationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.external_id")
    status = serializers.CharField()
    reason = serializers.CharField()
    channel = serializers.CharField()
    note = serializers.CharField()
    lines = serializers.SerializerMethodField()
    refund_total = serializers.SerializerMethodField()
    shipping_refund = serializers.SerializerMethodField()
    currency = serializers.CharField(source="order.currency")
    decision = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()
    needs_attention = serializers.BooleanField()
    confirmation_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CancellationLineOutput(many=True))
    def get_lines(self, obj):
        currency = obj.order.currency
        return [
            {
                "line": cl.line.external_id,
                "sku": cl.line.sku,
                "quantity": cl.quantity,
                "refund_amount": money(cl.refund_amount, currency),
            }
            for cl in obj.lines.all()
        ]

    def get_refund_total(self, obj) -> str:
        return money(obj.refund_total, obj.order.currency)

    def get_shipping_refund(self, obj) -> str:
        return money(obj.shipping_refund, obj.order.currency)

    @extend_schema_field(DecisionOutput(allow_null=True))
    def get_decision(self, obj):
        if not obj.decision_outcome:
            return None
        return {
            "outcome": obj.decision_outcome,
            "rule": obj.decision_rule,
            "explanation": obj.decision_explanation,
            "policy_version": obj.policy.version if obj.policy else None,
        }

    @extend_schema_field(RefundSummaryOutput(many=True))
    def get_refunds(self, obj):
        currency = obj.order.currency
        return [
            {
                "id": refund.pk,
                "payment": refund.payment.external_id,
                "amount": money(refund.amount, currency),
                "status": refund.status,
            }
            for refund in obj.refunds.all()
        ]


class PaymentSplitOutput(serializers.Serializer):
    payment = serializers.CharField()
    method = serializers.CharField()
    amount = serializers.CharField()


class PreviewOutput(serializers.Serializer):
    order = serializers.CharField()
    decision = DecisionOutput()
    lines = CancellationLineOutput(many=True)
    refund_total = serializers.CharField()
    shipping_refund = serializers.CharField()
    currency = serializers.CharField()
    refunds = PaymentSplitOutput(many=True)


def preview_data(plan) -> dict:
    order = plan.quote.order
    currency = order.currency
    return {
        "order": order.external_id,
        "decision": {
            "outcome": plan.decision.outcome,
            "rule": plan.decision.rule,
            "explanation": plan.decision.explanation,
            "policy_version": plan.policy.version,
        },
        "lines": [
            {
                "line": lr.line.external_id,
                "sku": lr.line.sku,
                "quantity": lr.quantity,
                "refund_amount": money(lr.amount, currency),
            }
            for lr in plan.quote.lines
        ],
        "refund_total": money(plan.quote.total, currency),
        "shipping_refund": money(plan.quote.shipping, currency),
        "currency": currency,
        "refunds": [
            {
                "payment": a.payment.external_id,
                "method": a.payment.method,
                "amount": money(a.amount, currency),
            }
            for a in plan.quote.allocations
        ],
    }
