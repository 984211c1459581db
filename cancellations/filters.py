import django_filters

from cancellations.models import CancellationRequest, Channel, Reason, Status


class CancellationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    order = django_filters.CharFilter(field_name="order__external_id")
    reason = django_filters.MultipleChoiceFilter(choices=Reason.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    needs_attention = django_filters.BooleanFilter()

    class Meta:
        model = CancellationRequest
        fields = ["status", "order", "reason", "channel", "needs_attention"]
