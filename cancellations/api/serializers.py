from rest_framework import serializers

from cancellations.models import Channel, Reason, RefundMethod
from cancellations.representation import (
    CancellationLineOutput,
    CancellationOutput,
    DecisionOutput,
)
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
    refund_method = serializers.ChoiceField(
        choices=RefundMethod.choices, default=RefundMethod.ORIGINAL_PAYMENT
    )

    def validate_lines(self, lines):
        ids = [item["line"] for item in lines]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each line once: {', '.join(duplicates)} repeated.")
        return lines


class WarehouseAnswerInput(StrictSerializer):
    accepted = serializers.BooleanField(
        help_text="true: the warehouse stopped the order; false: too late (packed or shipped)."
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        # A boolean means JSON true/false: "yes", 1 or "false" are refused, not guessed.
        if isinstance(data, dict) and "accepted" in data and not isinstance(data["accepted"], bool):
            raise serializers.ValidationError({"accepted": ["Must be true or false."]})
        return super().to_internal_value(data)


class PreviewInput(CancellationInput):
    reason = serializers.ChoiceField(choices=Reason.choices, required=False)


class PaymentSplitOutput(serializers.Serializer):
    payment = serializers.CharField()
    method = serializers.CharField()
    amount = serializers.CharField()


__all__ = [
    "CancellationInput",
    "CancellationOutput",
    "PreviewInput",
    "PreviewOutput",
    "WarehouseAnswerInput",
]


class PreviewOutput(serializers.Serializer):
    order = serializers.CharField()
    decision = DecisionOutput()
    lines = CancellationLineOutput(many=True)
    refund_total = serializers.CharField()
    shipping_refund = serializers.CharField()
    currency = serializers.CharField()
    refunds = PaymentSplitOutput(many=True, help_text="Empty for `store_credit`.")
    refund_method = serializers.CharField()


def preview_data(plan, *, store_credit: bool = False) -> dict:
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
            for a in (plan.quote.allocations if not store_credit else [])
        ],
        "refund_method": "store_credit" if store_credit else "original_payment",
    }
