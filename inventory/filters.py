import django_filters

from inventory.models import StockMovement


class StockMovementFilter(django_filters.FilterSet):
    """Filters of GET /inventory/{sku}/movements: `kind` and `warehouse` (its code)."""

    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices)
    warehouse = django_filters.CharFilter(field_name="level__warehouse__code")

    class Meta:
        model = StockMovement
        fields = ["kind", "warehouse"]
