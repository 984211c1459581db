"""A cancellation request as storefronts (the API) and retailers' systems (webhooks)
see it: one shape, written once.

Add fields freely; never rename or remove one (docs/webhooks.md).
"""

from rest_framework import serializers

from cancellations.models import CancellationRequest, RefundMethod, Status
from kernel.serializers import MoneyField, Representation, iso_datetime, money
from returns.models import Return


def _lines(cancellation):
    # A request being submitted carries the lines its transaction just wrote; read them
    # (with their order lines) only when they are not in hand.
    if "lines" in getattr(cancellation, "_prefetched_objects_cache", {}):
        return cancellation.lines.all()
    return cancellation.lines.select_related("line")


def _refunds(cancellation):
    # Likewise: a change that created (or just read) the refunds carries them. An
    # undecided request has none yet.
    if "refunds" in getattr(cancellation, "_prefetched_objects_cache", {}):
        return cancellation.refunds.all()
    if cancellation.is_undecided:
        return []
    return cancellation.refunds.select_related("payment")


def _return_id(cancellation):
    # Only a request that required a return has one; it is read only then.
    if cancellation.status != Status.RETURN_REQUIRED:
        return None
    cached = cancellation._state.fields_cache.get("return_request")
    if cached is not None:
        return cached.pk
    return (
        Return.objects.filter(cancellation_id=cancellation.pk).values_list("pk", flat=True).first()
    )


def cancellation_data(cancellation: CancellationRequest) -> dict:
    currency = cancellation.order.currency
    policy = cancellation.policy
    return {
        "id": cancellation.pk,
        "order": cancellation.order.external_id,
        "status": cancellation.status,
        "reason": cancellation.reason,
        "channel": cancellation.channel,
        "note": cancellation.note,
        "refund_method": cancellation.refund_method,
        "lines": [
            {
                "line": line.line.external_id,
                "sku": line.line.sku,
                "quantity": line.quantity,
                "refund_amount": money(line.refund_amount, currency),
            }
            for line in _lines(cancellation)
        ],
        "refund_total": money(cancellation.refund_total, currency),
        "shipping_refund": money(cancellation.shipping_refund, currency),
        "currency": currency,
        "decision": {
            "outcome": cancellation.decision_outcome or None,
            "rule": cancellation.decision_rule or None,
            "explanation": cancellation.decision_explanation or None,
            "policy_version": policy.version if policy else None,
        },
        "refunds": [
            {
                "id": refund.pk,
                "payment": refund.payment.external_id,
                "amount": money(refund.amount, currency),
                "status": refund.status,
            }
            for refund in _refunds(cancellation)
        ],
        "needs_attention": cancellation.needs_attention,
        "return": _return_id(cancellation),
        "confirmation_expires_at": iso_datetime(cancellation.confirmation_expires_at),
        "warehouse_respond_by": iso_datetime(cancellation.warehouse_due_at),
        "created_at": iso_datetime(cancellation.created_at),
        "updated_at": iso_datetime(cancellation.updated_at),
    }


class DecisionOutput(serializers.Serializer):
    outcome = serializers.CharField(allow_null=True)
    rule = serializers.CharField(allow_null=True)
    explanation = serializers.CharField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)


class CancellationLineOutput(serializers.Serializer):
    line = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    refund_amount = MoneyField()


class RefundSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    payment = serializers.CharField(help_text="The payment's external id.")
    amount = MoneyField()
    status = serializers.CharField()


class CancellationOutput(Representation):
    """A cancellation request (SPEC §4, §5)."""

    represent = staticmethod(cancellation_data)

    id = serializers.IntegerField()
    order = serializers.CharField(help_text="The order's external id.")
    status = serializers.CharField()
    reason = serializers.CharField()
    channel = serializers.CharField()
    note = serializers.CharField()
    refund_method = serializers.ChoiceField(choices=RefundMethod.choices)
    lines = CancellationLineOutput(many=True)
    refund_total = MoneyField()
    shipping_refund = MoneyField()
    currency = serializers.CharField()
    decision = DecisionOutput(help_text="Members are null until a rule or a person decided.")
    refunds = RefundSummaryOutput(many=True)
    needs_attention = serializers.BooleanField()
    confirmation_expires_at = serializers.DateTimeField(allow_null=True)
    warehouse_respond_by = serializers.DateTimeField(
        allow_null=True, help_text="Awaiting the warehouse: when its answer is due (SPEC §12)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


CancellationOutput._declared_fields["return"] = serializers.IntegerField(
    allow_null=True, help_text="The return a `return_required` request handed over to."
)
