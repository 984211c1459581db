from decimal import Decimal

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


class PercentField(serializers.DecimalField):
    """A percentage from "0.00" to "100.00", given as a string or a JSON number."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=5,
            decimal_places=2,
            min_value=Decimal(0),
            max_value=Decimal(100),
            coerce_to_string=True,
            **kwargs,
        )

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
            self.fail("invalid")
        return super().to_internal_value(data)


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
    return_ship_by_days = StrictIntegerField(
        min_value=1, max_value=365, default=_defaults["return_ship_by_days"]
    )
    auto_authorise_returns = serializers.BooleanField(default=_defaults["auto_authorise_returns"])
    restocking_fee_percent = PercentField(default=_defaults["restocking_fee_percent"])
    return_label_fee = MoneyField(default=_defaults["return_label_fee"])
    store_credit_bonus_percent = PercentField(default=_defaults["store_credit_bonus_percent"])
    exchanges_allowed = serializers.BooleanField(default=_defaults["exchanges_allowed"])
    dispute_response_hours = StrictIntegerField(
        min_value=1, max_value=24 * 60, default=_defaults["dispute_response_hours"]
    )
    warehouse_response_hours = StrictIntegerField(
        min_value=1, max_value=24 * 30, default=_defaults["warehouse_response_hours"]
    )
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
    return_ship_by_days = serializers.IntegerField()
    auto_authorise_returns = serializers.BooleanField()
    restocking_fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    return_label_fee = AmountField(currency="retailer.currency")
    store_credit_bonus_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    exchanges_allowed = serializers.BooleanField()
    dispute_response_hours = serializers.IntegerField()
    warehouse_response_hours = serializers.IntegerField()
    created_at = serializers.DateTimeField()
