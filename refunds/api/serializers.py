from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.serializers import money
from refunds.models import Refund


class RefundOutput(serializers.Serializer):
    """A refund as storefronts and webhooks see it (SPEC §5)."""

    id = serializers.IntegerField()
    cancellation = serializers.IntegerField(source="cancellation_id", allow_null=True)
    payment = serializers.CharField(
        source="payment.external_id", help_text="The payment's external id."
    )
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    attempts = serializers.IntegerField(help_text="Gateway calls made.")
    gateway_reference = serializers.CharField()
    failure_code = serializers.CharField(
        help_text="Why it failed for good: `declined`, `gateway_unavailable`, ..."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "format": "decimal", "example": "19.99"})
    def get_amount(self, refund) -> str:
        return money(refund.amount, refund.currency)


def refund_data(refund: Refund) -> dict:
    """The public representation, for webhook and event payloads."""
    return dict(RefundOutput(refund).data)
