from decimal import Decimal

import factory
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from refunds.models import Refund


class ApprovedCancellationFactory(factory.django.DjangoModelFactory):
    """An approved request on an existing order (pass `order=`); its refunds are made
    with `refunds.services.refunds_create`, as the approval service does."""

    class Meta:
        model = CancellationRequest

    order = None
    retailer = factory.LazyAttribute(lambda o: o.order.retailer)
    status = Status.APPROVED
    reason = "changed_mind"
    decision_outcome = Status.APPROVED
    decision_rule = "auto_approved"
    decided_at = factory.LazyFunction(timezone.now)


class RefundFactory(factory.django.DjangoModelFactory):
    """A bare refund row (pass `payment=`), for reads; writes go through the services."""

    class Meta:
        model = Refund

    payment = None
    retailer = factory.LazyAttribute(lambda o: o.payment.order.retailer)
    currency = factory.LazyAttribute(lambda o: o.payment.order.currency)
    amount = Decimal("10.00")
