"""The queue's filters, kept in the URL so any view of the queue can be bookmarked.

One filter set narrows the cases of one kind; the queue applies it to every kind it
shows (`desk.queue`), so a filter means the same on each: `reason`, `channel` and
`rule` through the kind's own fields, and a kind without such a field has no case that
matches when the filter is set.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from desk.access import retailer_choices, retailers_for
from desk.forms import SCREEN_RENDERER
from desk.kinds import case_kinds
from orders.models import Customer, Order
from retailers.models import Retailer

AGE_CHOICES = [
    ("1h", "Under an hour"),
    ("24h", "Under a day"),
    ("3d", "1 to 3 days"),
    ("older", "Over 3 days"),
]
SEARCH_LIMIT = 200
ASSIGNED_CHOICES = [("me", "Assigned to me"), ("unassigned", "Unassigned"), ("others", "Others")]


def state_choices() -> list[tuple[str, str]]:
    """The queue's tabs: every case that needs a person, each kind's own, and history."""
    return [
        ("open", "Needs a person"),
        *((tab.value, tab.label) for kind in case_kinds() for tab in kind.tabs),
        ("all", "All cases"),
    ]


def _labels(attribute: str) -> list[tuple[str, str]]:
    merged = {}
    for kind in case_kinds():
        merged.update(getattr(kind, attribute))
    return list(merged.items())


class QueueFilterForm(forms.Form):
    default_renderer = SCREEN_RENDERER


def _retailers(request):
    return retailers_for(request.viewer)


class QueueFilter(django_filters.FilterSet):
    """`state` picks the tab; the rest narrow it. `filter_queryset(skip=("state",))`
    gives the base the tab counts are taken from."""

    state = django_filters.ChoiceFilter(
        choices=state_choices, method="filter_state", empty_label=None
    )
    kind = django_filters.ChoiceFilter(
        choices=lambda: [(kind.name, kind.label) for kind in case_kinds()],
        method="filter_kind",
        empty_label="Every kind",
    )
    retailer = django_filters.ModelChoiceFilter(queryset=_retailers, empty_label="All retailers")
    reason = django_filters.ChoiceFilter(
        choices=lambda: _labels("reason_labels"), method="filter_field", empty_label="Any reason"
    )
    channel = django_filters.ChoiceFilter(
        choices=lambda: _labels("channel_labels"), method="filter_field", empty_label="Any channel"
    )
    rule = django_filters.ChoiceFilter(
        choices=lambda: _labels("rule_labels"), method="filter_field", empty_label="Any rule"
    )
    age = django_filters.ChoiceFilter(
        choices=AGE_CHOICES, method="filter_age", empty_label="Any age"
    )
    assigned = django_filters.ChoiceFilter(
        choices=ASSIGNED_CHOICES, method="filter_assigned", empty_label="Anyone"
    )
    q = django_filters.CharFilter(
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": "Order, e-mail or case #", "type": "search"}),
    )

    class Meta:
        fields = []
        form = QueueFilterForm

    def __init__(self, data=None, *args, kind, now=None, search_cache=None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("state"):
            data["state"] = "open"
        self.kind = kind
        self.now = now or timezone.now()
        # Shared by the filter sets of one queue view: a search is resolved once.
        self._search_cache = {} if search_cache is None else search_cache
        super().__init__(data, *args, **kwargs)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            # The retailer menu shows a list read with the viewer, not the field's
            # queryset, which Django iterates through a server-side cursor (three round
            # trips on PostgreSQL); the queryset still validates a retailer picked.
            super().form.fields["retailer"].widget.choices = [
                ("", "All retailers"),
                *retailer_choices(self.request.viewer),
            ]
        return self._form

    @property
    def tab(self) -> str:
        if self.is_valid():
            return self.form.cleaned_data.get("state") or "open"
        return "open"

    def filter_queryset(self, queryset, *, skip=()):
        # Validated here too: with more than one kind, only the first kind's filter set
        # is asked for its tab (which validates it); the others come straight here.
        self.is_valid()
        for name, value in self.form.cleaned_data.items():
            if name in skip:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_state(self, queryset, name, value):
        viewer = self.request.viewer
        if value == "all":
            return queryset
        if value == "open" or not value:
            return queryset.filter(self.kind.open(viewer, self.now))
        for tab in self.kind.tabs:
            if tab.value == value:
                return queryset.filter(tab.condition(viewer, self.now))
        return queryset.none()  # another kind's tab

    def filter_kind(self, queryset, name, value):
        return queryset if value == self.kind.name else queryset.none()

    def filter_field(self, queryset, name, value):
        field = self.kind.filter_fields.get(name)
        if field is None:
            return queryset.none()
        return queryset.filter(**{field: value})

    def filter_age(self, queryset, name, value):
        now = self.now
        if value == "1h":
            return queryset.filter(created_at__gte=now - timedelta(hours=1))
        if value == "24h":
            return queryset.filter(created_at__gte=now - timedelta(hours=24))
        if value == "3d":
            return queryset.filter(
                created_at__lt=now - timedelta(hours=24), created_at__gte=now - timedelta(days=3)
            )
        return queryset.filter(created_at__lt=now - timedelta(days=3))

    def filter_assigned(self, queryset, name, value):
        user = self.request.user
        if value == "me":
            return queryset.filter(assigned_to=user)
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to__isnull=False).exclude(assigned_to=user)

    def filter_search(self, queryset, name, value):
        value = value.strip().lstrip("#")
        if not value:
            return queryset
        condition = Q(order_id__in=self._orders_matching(value))
        if value.isascii() and value.isdigit():
            condition |= Q(pk=int(value))
        return queryset.filter(condition)

    def _orders_matching(self, value: str) -> list[int]:
        """Orders whose number is `value`, or whose customer has that e-mail or a name
        containing it, among the viewer's retailers.

        Resolved to ids first (each lookup on its own index), so a search never joins
        and scans every case; remembered, as the tab counts filter a second time.
        """
        if value not in self._search_cache:
            viewer = self.request.viewer
            retailer_ids = viewer.retailer_ids
            if retailer_ids is None:
                retailer_ids = list(Retailer.objects.values_list("pk", flat=True))
            orders = Order.objects.filter(retailer_id__in=retailer_ids)
            found = set(
                orders.filter(external_id=value).values_list("pk", flat=True)[:SEARCH_LIMIT]
            )
            customers = Customer.objects.filter(retailer_id__in=retailer_ids)
            if "@" in value:
                customers = customers.filter(email__iexact=value)
            else:
                customers = customers.filter(name__icontains=value)
            found.update(
                orders.filter(customer__in=customers[:SEARCH_LIMIT]).values_list("pk", flat=True)[
                    :SEARCH_LIMIT
                ]
            )
            self._search_cache[value] = sorted(found)
        return self._search_cache[value]
