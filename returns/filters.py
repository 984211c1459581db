import django_filters

from returns.models import Reason, Resolution, Return, Status


class ReturnFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    order = django_filters.CharFilter(field_name="order__external_id")
    reason = django_filters.MultipleChoiceFilter(choices=Reason.choices)
    resolution = django_filters.MultipleChoiceFilter(choices=Resolution.choices)
    needs_attention = django_filters.BooleanFilter()

    class Meta:
        model = Return
        fields = ["status", "order", "reason", "resolution", "needs_attention"]
