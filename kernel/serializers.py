"""Serializer building blocks every API input uses: strict fields and exact money."""

import re
from decimal import ROUND_DOWN, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.money import (
    DECIMAL_PLACES,
    format_amount,
    has_valid_precision,
    is_currency,
    minor_digits,
)

# Amounts below 10^11 fit the money columns (MAX_DIGITS with DECIMAL_PLACES decimals).
MONEY_LIMIT = Decimal(10) ** 11


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming them, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


# SPEC §3: an amount travels as a decimal string: ASCII digits, at most one point with
# digits on both sides. No sign, exponent, blank, JSON number or other script's digits.
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^[0-9]+(\.[0-9]+)?$", "example": "19.99"}
)
class MoneyField(serializers.Field):
    """A non-negative amount given as a decimal string ("19.99", JPY "1200").

    JSON numbers are refused: a client that sends 10.1 has already been through a
    float. The currency's own precision is checked where the currency is known
    (`check_precision`, or `currency` given here); otherwise at most three decimal
    places are accepted.
    """

    default_error_messages = {
        "invalid": 'Give an amount as a decimal string, such as "19.99".',
        "negative": "Must not be negative.",
        "precision": "Has more decimal places than any currency uses.",
        "too_large": "Is too large.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 40 or not _AMOUNT.fullmatch(data):
            self.fail("invalid")
        amount = Decimal(data)
        if amount < 0:
            self.fail("negative")
        if amount >= MONEY_LIMIT:
            self.fail("too_large")
        if amount != amount.quantize(Decimal(1).scaleb(-DECIMAL_PLACES), rounding=ROUND_DOWN):
            self.fail("precision")
        return amount

    def to_representation(self, value):
        return str(value)


def check_precision(errors: dict, field: str, amount: Decimal, currency: str) -> None:
    if not has_valid_precision(amount, currency):
        errors.setdefault(field, []).append(
            f"{currency} amounts have at most {minor_digits(currency)} decimal place(s)."
        )


@extend_schema_field({"type": "string", "example": "USD"})
class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(min_length=3, max_length=3, **kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        if not is_currency(code):
            raise serializers.ValidationError(f"{code!r} is not an ISO 4217 currency code.")
        return code


@extend_schema_field({"type": "string", "format": "decimal", "example": "19.99"})
class AmountField(serializers.Field):
    """Read-only: the object's amount as a string in its currency's precision.

    `currency` is a dotted path on the same object ("order.currency"); the amount is the
    attribute named like the field, or `attribute`.
    """

    def __init__(self, *, currency: str, attribute: str | None = None, **kwargs):
        self.currency_path = currency.split(".")
        self.attribute = attribute
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        currency = obj
        for name in self.currency_path:
            currency = getattr(currency, name)
        return money(getattr(obj, self.attribute or self.field_name), currency)


def money(amount, currency) -> str:
    """Render an amount for the wire in its currency's precision."""
    return format_amount(amount, currency)


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON integer; "2", 2.0 and 2.5 are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class Representation(serializers.Serializer):
    """An object's one public shape, written once as a function (`represent`) that the
    API and the webhooks both use; the declared fields only describe it for the schema
    (a test per object checks that they name exactly the keys `represent` gives)."""

    represent = None  # staticmethod(obj) -> dict

    def to_representation(self, instance):
        return type(self).represent(instance)


_DATETIME = serializers.DateTimeField()


def iso_datetime(value) -> str | None:
    """A datetime as the API writes it (ISO 8601, UTC as `Z`), or None."""
    return None if value is None else _DATETIME.to_representation(value)


__all__ = [
    "AmountField",
    "CurrencyField",
    "MoneyField",
    "Representation",
    "StrictIntegerField",
    "StrictSerializer",
    "check_precision",
    "iso_datetime",
    "money",
]
