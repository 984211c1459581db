"""Reading one line of an order import: its JSON, its retailer, the API's validation.

A line becomes an `Item` (whose order it is and the validated body, with its total) or
a `Rejection` (why not, in the shape of an API problem), never an exception, so one bad
line never stops a batch.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

from rest_framework import serializers

from kernel.errors import ErrorCode
from kernel.money import ZERO, format_amount
from orders.api.serializers import OrderInput
from orders.import_validation import compile_validator
from orders.models import Order
from orders.services import _line_total
from retailers.models import Retailer


@dataclass(frozen=True)
class Rejection:
    """A line that was not imported, with why, in the shape of an API problem."""

    line: int
    code: str
    detail: str
    errors: dict | None = None

    def __str__(self):
        text = f"line {self.line}: [{self.code}] {self.detail}"
        if self.errors:
            text += " " + json.dumps(self.errors, default=str, ensure_ascii=False)
        return text


@dataclass
class Item:
    """One valid line: whose order it is and the validated body."""

    line: int
    retailer: Retailer
    external_id: str
    data: dict
    total: Decimal

    @property
    def status(self) -> str:
        return self.data["fulfillment_status"] or Order.Fulfillment.UNFULFILLED


class LineReader:
    """Reads lines for one import (one process): retailers are looked up once each."""

    def __init__(self, *, retailer_slug=None):
        self.retailer_slug = retailer_slug
        self._retailers: dict[str, Retailer | None] = {}
        # Building a serializer deep-copies all its fields, which costs more than
        # validating an order; the fields hold no state between validations, so one
        # instance validates every line.
        self._validator = OrderInput()
        # The same validation without DRF's per-field machinery (2.5 times cheaper); it
        # answers None for any body it is not sure of, which the serializer then checks.
        self._validate_fast = compile_validator(self._validator)

    def read(self, number: int, text: str) -> Item | Rejection:
        """Line `number` of the file, its `text`, as an Item or a Rejection."""
        try:
            body = json.loads(text, parse_float=Decimal)
        except ValueError as error:
            return Rejection(number, ErrorCode.INVALID.value, f"Malformed JSON: {error}")
        if not isinstance(body, dict):
            return Rejection(number, ErrorCode.INVALID.value, "A line must be a JSON object.")
        errors = {}
        external_id = body.pop("external_id", None)
        if not isinstance(external_id, str) or not external_id.strip():
            errors["external_id"] = ["This field is required: the order's id in the storefront."]
        elif len(external_id) > 100:
            errors["external_id"] = ["Ensure this field has no more than 100 characters."]
        retailer = self._retailer_for(body.pop("retailer", None), errors)
        data = self._validate_fast(body)
        if data is None:
            try:
                data = self._validator.run_validation(body)
            except serializers.ValidationError as error:
                errors.update(serializers.as_serializer_error(error))
        if errors:
            return Rejection(
                number,
                ErrorCode.INVALID.value,
                f"Some fields are not valid: {', '.join(errors)}.",
                plain(errors),
            )
        # The same check as order_upsert, made here so a whole batch is never rolled
        # back for one order.
        total = sum((_line_total(line) for line in data["lines"]), start=data["shipping"])
        paid = sum((payment["amount"] for payment in data["payments"]), start=ZERO)
        if paid != total:
            currency = data["currency"]
            return Rejection(
                number,
                ErrorCode.PAYMENTS_MISMATCH.value,
                f"Payments add up to {format_amount(paid, currency)} but the order total is "
                f"{format_amount(total, currency)}.",
                {"payments": ["Payments must add up to the order total."]},
            )
        return Item(number, retailer, external_id, data, total)

    def _retailer_for(self, slug, errors) -> Retailer | None:
        if slug is not None and not isinstance(slug, str):
            errors["retailer"] = ["Give the retailer's slug."]
            return None
        if slug and self.retailer_slug and slug != self.retailer_slug:
            errors["retailer"] = [
                f"This line is for {slug!r} but the import is for {self.retailer_slug!r}."
            ]
            return None
        slug = slug or self.retailer_slug
        if not slug:
            errors["retailer"] = ["No retailer: give one per line or for the whole import."]
            return None
        if slug not in self._retailers:
            self._retailers[slug] = Retailer.objects.filter(slug=slug).first()
        if self._retailers[slug] is None:
            errors["retailer"] = [f"No retailer {slug!r}."]
        return self._retailers[slug]


def plain(errors):
    """DRF error details as plain JSON values (lists, dicts and strings)."""
    if errors is None:
        return None
    return json.loads(json.dumps(errors, default=str))
