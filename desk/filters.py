"""The queue's filters, kept in the URL so any view of the queue can be bookmarked."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from cancellations.models import CancellationRequest, Channel, Reason
from cancellations.rules import RULES
from desk.forms import SCREEN_RENDERER
from desk.selectors import (
    open_condition,
    retailer_choices,
    retailers_for,
    tab_conditions,
)
from orders.models import Customer, Order
from retailers.models import Retailer

STATE_CHOICES = [
    ("open", "Needs a person"),
    ("in_review", "In review"),
    ("escalated", "Escalated"),
    ("awaiting_customer", "Awaiting customer"),
    ("needs_attention", "Needs attention"),
    ("all", "All requests"),
]
RULE_CHOICES = [
    (code, code.replace("_", " ").capitalize())
    for code in [
        *(rule.__name__ for rule in RULES),
        "agent_escalation",
        "agent_decision",
        "supervisor_decision",
    ]
]
AGE_CHOICES = [
    ("1h", "Under an hour"),
    ("24h", "Under a day"),
    ("3d", "1 to 3 days"),
    ("older", "Over 3 days"),
]
SEARCH_LIMIT = 200
ASSIGNED_CHOICES = [("me", "Assigned to me"), ("unassigned", "Unassigned"), ("others", "Others")]


class QueueFilterForm(forms.Form):
    default_renderer = SCREEN_RENDERER


def _retailers(request):
    return retailers_for(request.viewer)


class QueueFilter(django_filters.FilterSet):
    """`state` picks the tab; the rest narrow it. `filter_queryset(skip=("state",))`
    gives the base the tab counts are taken from."""

    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", empty_label=None
    )
    retailer = django_filters.ModelChoiceFilter(queryset=_retailers, empty_label="All retailers")
    reason = django_filters.ChoiceFilter(choices=Reason.choices, empty_label="Any reason")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    rule = django_filters.ChoiceFilter(
        field_name="decision_rule", choices=RULE_CHOICES, empty_label="Any rule"
    )
    age = django_filters.ChoiceFilter(
        choices=AGE_CHOICES, method="filter_age", empty_label="Any age"
    )
    assigned = django_filters.ChoiceFilter(
        choices=ASSIGNED_CHOICES, method="filter_assigned", empty_label="Anyone"
    )
    q = django_filters.CharFilter(
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": "Order, e-mail or request #", "type": "search"}
        ),
    )

    class Meta:
        model = CancellationRequest
        fields = []
        form = QueueFilterForm

    def __init__(self, data=None, *args, now=None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("state"):
            data["state"] = "open"
        super().__init__(data, *args, **kwargs)
        self.now = now or timezone.now()
        self._search_cache = {}

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
        for name, value in self.form.cleaned_data.items():
            if name in skip:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_state(self, queryset, name, value):
        if value == "all":
            return queryset
        if value == "open" or not value:
            return queryset.filter(open_condition(self.request.viewer, self.now))
        return queryset.filter(tab_conditions(self.now)[value])

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
        if value.isdigit():
            condition |= Q(pk=int(value))
        return queryset.filter(condition)

    def _orders_matching(self, value: str) -> list[int]:
        """Orders whose number is `value`, or whose customer has that e-mail or a name
        containing it, among the viewer's retailers.

        Resolved to ids first (each lookup on its own index), so a search never joins
        and scans every request; remembered, as the tab counts filter a second time.
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
