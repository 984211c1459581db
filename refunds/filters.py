import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from refunds.models import Refund, StoreCredit


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class RefundFilter(django_filters.FilterSet):
    # By id, without a lookup of the request: the queryset is already this retailer's.
    cancellation = IdFilter(field_name="cancellation_id")
    # `?return=`: a Python keyword, so the filter is declared by name below.
    status = django_filters.MultipleChoiceFilter(choices=Refund.Status.choices)

    class Meta:
        model = Refund
        fields = ["cancellation", "status"]


# `?return=` names a Python keyword, so it cannot be a class attribute.
RefundFilter.base_filters["return"] = RefundFilter.declared_filters["return"] = IdFilter(
    field_name="return_request_id"
)


class StoreCreditFilter(django_filters.FilterSet):
    cancellation = IdFilter(field_name="cancellation_id")
    status = django_filters.MultipleChoiceFilter(choices=StoreCredit.Status.choices)
    customer = django_filters.CharFilter(field_name="customer__external_id")

    class Meta:
        model = StoreCredit
        fields = ["cancellation", "status", "customer"]


StoreCreditFilter.base_filters["return"] = StoreCreditFilter.declared_filters["return"] = IdFilter(
    field_name="return_request_id"
)
