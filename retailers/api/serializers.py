from rest_framework import serializers

from kernel.serializers import (
    AmountField,
    MoneyField,
    StrictIntegerField,
    StrictSerializer,
    check_precision,
)
from retailers.models import Policy

_defaults = {f.name: f.default for f in Policy._meta.fields if f.name in Policy.EDITABLE_FIELDS}


class PolicyInput(StrictSerializer):
    """A whole policy: absent fields take their defaults (PUT replaces)."""

    cancellation_window_hours = StrictIntegerField(
        min_value=0, max_value=24 * 365, default=_defaults["cancellation_window_hours"]
    )
    return_window_days = StrictIntegerField(
        min_value=0, max_value=3650, default=_defaults["return_window_days"]
    )
    abuse_threshold = StrictIntegerField(
        min_value=1, max_value=10_000, default=_defaults["abuse_threshold"]
    )
    auto_approve_limit = MoneyField(default=_defaults["auto_approve_limit"])
    agent_approval_limit = MoneyField(default=_defaults["agent_approval_limit"])
    require_customer_confirmation = serializers.BooleanField(
        default=_defaults["require_customer_confirmation"]
    )
    refund_shipping_on_full_cancel = serializers.BooleanField(
        default=_defaults["refund_shipping_on_full_cancel"]
    )
    customer_confirmation_hours = StrictIntegerField(
        min_value=1, max_value=24 * 60, default=_defaults["customer_confirmation_hours"]
    )
    refund_timeline_text = serializers.CharField(
        max_length=200, default=_defaults["refund_timeline_text"]
    )
    sla_hours = StrictIntegerField(min_value=1, max_value=24 * 30, default=_defaults["sla_hours"])
    version = serializers.IntegerField(
        required=False, help_text="Ignored on input: every PUT makes the next version."
    )

    def validate(self, attrs):
        """Limits are amounts of the retailer's currency, with its digits: "1.001" USD is
        refused rather than stored as 1.00 (the column keeps three places)."""
        currency = self.context["currency"]
        errors: dict[str, list] = {}
        for field in ("auto_approve_limit", "agent_approval_limit"):
            check_precision(errors, field, attrs[field], currency)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class PolicyOutput(serializers.Serializer):
    version = serializers.IntegerField()
    cancellation_window_hours = serializers.IntegerField()
    return_window_days = serializers.IntegerField()
    abuse_threshold = serializers.IntegerField()
    auto_approve_limit = AmountField(currency="retailer.currency")
    agent_approval_limit = AmountField(currency="retailer.currency")
    require_customer_confirmation = serializers.BooleanField()
    refund_shipping_on_full_cancel = serializers.BooleanField()
    customer_confirmation_hours = serializers.IntegerField()
    refund_timeline_text = serializers.CharField()
    sla_hours = serializers.IntegerField()
    created_at = serializers.DateTimeField()
