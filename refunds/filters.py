import django_filters

from refunds.models import Refund


class RefundFilter(django_filters.FilterSet):
    # By id, without a lookup of the request: the queryset is already this retailer's.
    cancellation = django_filters.NumberFilter(field_name="cancellation_id")
    status = django_filters.MultipleChoiceFilter(choices=Refund.Status.choices)

    class Meta:
        model = Refund
        fields = ["cancellation", "status"]
