from rest_framework import serializers

from kernel.serializers import StrictIntegerField, StrictSerializer
from returns.models import Reason, Resolution
from returns.representation import ReturnOutput


def _each_line_once(items, what="line"):
    ids = [item["line"] for item in items]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise serializers.ValidationError(f"Each {what} once: {', '.join(repeated)} repeated.")
    return items


class ReturnLineInput(StrictSerializer):
    line = serializers.CharField(max_length=100, help_text="The order line's external id.")
    quantity = StrictIntegerField(
        min_value=1, required=False, help_text="Absent: every unit left to return."
    )


class ExchangeLineInput(StrictSerializer):
    line = serializers.CharField(max_length=100, help_text="The returned line it replaces.")
    sku = serializers.CharField(max_length=100, help_text="What the customer gets instead.")
    quantity = StrictIntegerField(min_value=1)


class ReturnInput(StrictSerializer):
    order = serializers.CharField(max_length=100, help_text="The order's external id.")
    reason = serializers.ChoiceField(choices=Reason.choices)
    lines = ReturnLineInput(
        many=True,
        required=False,
        allow_empty=False,
        help_text="Absent: every shipped unit not yet returned or cancelled.",
    )
    resolution = serializers.ChoiceField(choices=Resolution.choices, default=Resolution.REFUND)
    exchange_lines = ExchangeLineInput(many=True, required=False, allow_empty=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_lines(self, lines):
        return _each_line_once(lines)

    def validate(self, data):
        if data.get("exchange_lines") and data["resolution"] != Resolution.EXCHANGE:
            raise serializers.ValidationError(
                {"exchange_lines": ["Only for the `exchange` resolution."]}
            )
        if data["resolution"] == Resolution.EXCHANGE and not data.get("exchange_lines"):
            raise serializers.ValidationError({"exchange_lines": ["Required for an exchange."]})
        return data


class DeclineInput(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class ShippedInput(StrictSerializer):
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)


class ReceiveLineInput(StrictSerializer):
    line = serializers.CharField(max_length=100)
    quantity = StrictIntegerField(min_value=0)


class ReceiveInput(StrictSerializer):
    lines = ReceiveLineInput(many=True, allow_empty=False)
    warehouse = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate_lines(self, lines):
        return _each_line_once(lines)


class InspectLineInput(StrictSerializer):
    line = serializers.CharField(max_length=100)
    resellable = StrictIntegerField(min_value=0, required=False, default=0)
    damaged = StrictIntegerField(min_value=0, required=False, default=0)
    wrong_item = StrictIntegerField(min_value=0, required=False, default=0)


class InspectInput(StrictSerializer):
    lines = InspectLineInput(many=True, allow_empty=True)

    def validate_lines(self, lines):
        return _each_line_once(lines)


class CarrierEventInput(StrictSerializer):
    """A carrier's tracking event, reduced to what Rescind needs."""

    id = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(
        choices=["tracking.in_transit", "tracking.delivered", "tracking.exception"]
    )
    tracking_number = serializers.CharField(max_length=64)
    occurred_at = serializers.DateTimeField(required=False)


__all__ = ["ReturnInput", "ReturnOutput"]
