"""Fixtures of the back-office tests (queue, case screen, admin).

Cases are made through the real services (`cancellation_submit` and the decisions), so
what the screens show is what production would show. `many_cases` is the exception:
it writes rows in bulk, only to measure that a page's query count does not grow with it.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from cancellations.services import cancellation_submit
from kernel.actors import Actor
from orders.models import Customer, Order
from retailers.services import staff_create

PASSWORD = "a long test password"
STOREFRONT = Actor.system("storefront in tests")


@pytest.fixture
def open_case(make_order, retailer):
    """An open request made through the real services.

    `in_review`: placed 30 hours ago, after the cancellation window.
    `escalated`: refund above the agents' approval limit (a supervisor decides).
    `awaiting_customer`: a phone request, its confirmation lapsing within the day.
    """

    def make(
        external_id="ord-1",
        *,
        status=Status.IN_REVIEW,
        lines=None,
        retailer=retailer,
        requested=None,
        **order_fields,
    ) -> CancellationRequest:
        now = timezone.now()
        channel = "storefront"
        if status == Status.IN_REVIEW:
            order_fields.setdefault("placed_at", now - timedelta(hours=30))
        if lines is None:
            big = status == Status.ESCALATED
            lines = (("l1", "SOFA", 1, "1200.00"),) if big else (("l1", "TEE", 3, "10.00"),)
        if status == Status.AWAITING_CUSTOMER:
            channel = "phone"
        make_order(external_id, retailer=retailer, lines=lines, **order_fields)
        case = cancellation_submit(
            retailer=retailer,
            order=external_id,
            reason="changed_mind",
            channel=channel,
            lines=requested,
            actor=STOREFRONT,
        )
        assert case.status == status, case.decision_explanation
        if status == Status.AWAITING_CUSTOMER:
            CancellationRequest.objects.filter(pk=case.pk).update(
                confirmation_expires_at=now + timedelta(hours=3)
            )
            case.refresh_from_db()
        return case

    return make


def staff(username, role, retailers=()):
    """A BPO user made the way `create_staff` makes them, with a client signed in."""
    member = staff_create(username=username, role=role, password=PASSWORD, retailers=retailers)
    client = Client()
    client.force_login(member.user)
    client.user = member.user
    return client


@pytest.fixture
def agent_client(retailer):
    return staff("ana", "agent", [retailer])


@pytest.fixture
def other_agent_client(retailer):
    return staff("ben", "agent", [retailer])


@pytest.fixture
def supervisor_client(db):
    return staff("sam", "supervisor")


@pytest.fixture
def manager_client(retailer):
    return staff("mia", "retailer_manager", [retailer])


@pytest.fixture
def many_cases(retailer):
    """`n` in-review requests written in bulk, each on its own order and customer."""

    def make(n, *, retailer=retailer, status=Status.IN_REVIEW, start=0):
        now = timezone.now()
        customers = Customer.objects.bulk_create(
            Customer(retailer=retailer, external_id=f"bulk-{start + i}", name=f"Bulk {i}")
            for i in range(n)
        )
        orders = Order.objects.bulk_create(
            Order(
                retailer=retailer,
                external_id=f"BULK-{start + i}",
                customer=customer,
                currency="USD",
                placed_at=now - timedelta(days=2),
                total=Decimal("30.00"),
            )
            for i, customer in enumerate(customers)
        )
        return CancellationRequest.objects.bulk_create(
            CancellationRequest(
                retailer=retailer,
                order=order,
                status=status,
                reason="changed_mind",
                refund_total=Decimal("30.00"),
                decision_rule="outside_cancellation_window",
                sla_due_at=now + timedelta(minutes=i),
            )
            for i, order in enumerate(orders)
        )

    return make
