import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from refunds.models import Refund


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class RefundFilter(django_filters.FilterSet):
    # By id, without a lookup of the request: the queryset is already this retailer's.
    cancellation = IdFilter(field_name="cancellation_id")
    status = django_filters.MultipleChoiceFilter(choices=Refund.Status.choices)

    class Meta:
        model = Refund
        fields = ["cancellation", "status"]
