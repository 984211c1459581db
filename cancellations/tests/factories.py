from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from cancellations.models import CancellationLine, CancellationRequest, Status
from orders.tests.factories import OrderFactory, OrderLineFactory
from retailers.tests.factories import RetailerFactory


class CancellationRequestFactory(factory.django.DjangoModelFactory):
    """A bare request row in a chosen state. Tests of behaviour should submit through
    the API or `cancellation_submit`; this is for lists, screens and fixtures."""

    class Meta:
        model = CancellationRequest

    retailer = factory.SubFactory(RetailerFactory)
    order = factory.SubFactory(OrderFactory, retailer=factory.SelfAttribute("..retailer"))
    policy = factory.LazyAttribute(lambda o: o.retailer.policies.order_by("-version").first())
    status = Status.IN_REVIEW
    reason = "changed_mind"
    channel = "storefront"
    refund_total = Decimal("10.00")
    decision_outcome = factory.LazyAttribute(lambda o: o.status)
    decision_rule = "outside_cancellation_window"
    decision_explanation = "Placed more than 24 hours ago."
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=4))


class CancellationLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CancellationLine

    request = factory.SubFactory(CancellationRequestFactory)
    line = factory.SubFactory(OrderLineFactory, order=factory.SelfAttribute("..request.order"))
    quantity = 1
    refund_amount = Decimal("10.00")
