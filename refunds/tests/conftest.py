from decimal import Decimal

import pytest
from django.db import transaction

from kernel.actors import Actor
from kernel.journal import journal
from refunds.calculator import allocate
from refunds.services import refunds_create
from refunds.tests.factories import ApprovedCancellationFactory


def payment(reference, amount, external_id="p1", method="card"):
    return {"external_id": external_id, "method": method, "amount": amount, "reference": reference}


@pytest.fixture
def approve(make_order):
    """Make an order paid with `payments`, approve a cancellation of `amount` (default
    everything) and create its refunds as the approval service does. Returns the
    cancellation; the refunds are not executed yet."""

    def make(*, payments, amount=None, external_id="ord-1", **order_kwargs):
        order = make_order(external_id, payments=payments, **order_kwargs)
        amount = order.total if amount is None else Decimal(amount)
        # As the approval does: one change, whose refunds are handed over together.
        with transaction.atomic(), journal():
            cancellation = ApprovedCancellationFactory(order=order, refund_total=amount)
            refunds_create(
                source=cancellation,
                allocations=allocate(order.payments.order_by("position", "id"), amount),
                actor=Actor.rule("auto_approved"),
            )
        return cancellation

    return make
