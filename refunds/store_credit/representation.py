"""A store credit as storefronts (the API) and retailers' systems (webhooks) see it
(SPEC §10). Add fields freely; never rename or remove one (docs/webhooks.md)."""

from rest_framework import serializers

from kernel.serializers import MoneyField, Representation, iso_datetime, money
from refunds.models import StoreCredit
from refunds.sources import store_credit_source_kind


def _source_id(credit):
    for field in ("cancellation_id", "return_request_id"):
        value = getattr(credit, field, None)
        if value is not None:
            return value
    return None


def store_credit_data(credit: StoreCredit) -> dict:
    return {
        "id": credit.pk,
        "code": credit.code or None,
        "amount": money(credit.amount, credit.currency),
        "currency": credit.currency,
        "customer": credit.customer.external_id,
        "source": {"kind": store_credit_source_kind(credit) or None, "id": _source_id(credit)},
        "status": credit.status,
        "created_at": iso_datetime(credit.created_at),
    }


class StoreCreditSourceOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cancellation", "return", "dispute"])
    id = serializers.IntegerField()


class StoreCreditOutput(Representation):
    """A store credit (SPEC §10)."""

    represent = staticmethod(store_credit_data)

    id = serializers.IntegerField()
    code = serializers.CharField(allow_null=True, help_text="The issuer's code once issued.")
    amount = MoneyField()
    currency = serializers.CharField()
    customer = serializers.CharField(help_text="The customer's external id.")
    source = StoreCreditSourceOutput()
    status = serializers.ChoiceField(choices=StoreCredit.Status.choices)
    created_at = serializers.DateTimeField()
