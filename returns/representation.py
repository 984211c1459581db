"""A return as storefronts (the API) and retailers' systems (webhooks) see it (SPEC §8).

Add fields freely; never rename or remove one (docs/webhooks.md).
"""

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from kernel.serializers import MoneyField, Representation, iso_datetime, money
from refunds.store_credit.representation import StoreCreditOutput, store_credit_data
from returns.models import Reason, Resolution, Return, Status


def _lines(return_request):
    if "lines" in getattr(return_request, "_prefetched_objects_cache", {}):
        return return_request.lines.all()
    return return_request.lines.select_related("line")


def _store_credit(return_request):
    if "store_credits" in getattr(return_request, "_prefetched_objects_cache", {}):
        credits = list(return_request.store_credits.all())
    else:
        credits = list(return_request.store_credits.select_related("customer"))
    return store_credit_data(credits[-1]) if credits else None


def label_api_url(return_request) -> str:
    path = reverse("return-label", kwargs={"pk": return_request.pk})
    return f"{settings.SITE_URL}{path}"


def return_data(return_request: Return) -> dict:
    currency = return_request.order.currency
    inspected = return_request.inspected_at is not None
    label = None
    if return_request.tracking_number:
        label = {
            "carrier": return_request.carrier,
            "tracking_number": return_request.tracking_number,
            "label_url": label_api_url(return_request),
        }
    return {
        "id": return_request.pk,
        "order": return_request.order.external_id,
        "status": return_request.status,
        "reason": return_request.reason,
        "resolution": return_request.resolution,
        "lines": [
            {
                "line": row.line.external_id,
                "sku": row.line.sku,
                "quantity": row.quantity,
                "received_quantity": row.received_quantity,
                "grades": {
                    "resellable": row.resellable,
                    "damaged": row.damaged,
                    "missing": (row.quantity - row.graded) if inspected else 0,
                    "wrong_item": row.wrong_item,
                },
                "refund_amount": money(row.refund_amount, currency),
            }
            for row in _lines(return_request)
        ],
        "label": label,
        "ship_by": iso_datetime(return_request.ship_by),
        "restocking_fee": money(return_request.restocking_fee, currency),
        "label_fee": money(return_request.label_fee, currency),
        "refund_total": money(return_request.refund_total, currency),
        "currency": currency,
        "store_credit": _store_credit(return_request),
        "exchange_order": (
            return_request.exchange_order.external_id if return_request.exchange_order_id else None
        ),
        "cancellation": return_request.cancellation_id,
        "needs_attention": return_request.needs_attention,
        "note": return_request.note,
        "created_at": iso_datetime(return_request.created_at),
        "updated_at": iso_datetime(return_request.updated_at),
    }


class GradesOutput(serializers.Serializer):
    resellable = serializers.IntegerField()
    damaged = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="Not received, or received and not graded.")
    wrong_item = serializers.IntegerField()


class ReturnLineOutput(serializers.Serializer):
    line = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField()
    grades = GradesOutput()
    refund_amount = MoneyField(help_text="Before fees: an estimate until inspected.")


class LabelOutput(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    label_url = serializers.URLField(help_text="GET it with the API key: application/pdf.")


class ReturnOutput(Representation):
    """A return (SPEC §8)."""

    represent = staticmethod(return_data)

    id = serializers.IntegerField()
    order = serializers.CharField(help_text="The order's external id.")
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    lines = ReturnLineOutput(many=True)
    label = LabelOutput(allow_null=True, help_text="Null until authorised.")
    ship_by = serializers.DateTimeField(allow_null=True)
    restocking_fee = MoneyField()
    label_fee = MoneyField()
    refund_total = MoneyField(
        help_text="Before inspection the estimate if every unit came back resellable, net "
        "of fees; after it what is owed."
    )
    currency = serializers.CharField()
    store_credit = StoreCreditOutput(allow_null=True)
    exchange_order = serializers.CharField(allow_null=True)
    cancellation = serializers.IntegerField(allow_null=True)
    needs_attention = serializers.BooleanField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
