"""A change's timeline rows are written together when its journal ends, or not at all."""

import pytest
from django.db import transaction

from kernel.actors import Actor
from kernel.journal import journal
from kernel.timeline import EventKind, order_event_record
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(make_order):
    return make_order()


ONE, TWO, THREE = EventKind.ORDER_UPDATED, EventKind.CANCELLATION_NOTE, EventKind.REFUND_CREATED


def _record(order, kind, message=None):
    order_event_record(order=order, kind=kind, message=message or kind, actor=Actor.system("t"))


def test_outside_a_journal_an_event_is_written_at_once(order):
    _record(order, ONE, "written at once")

    assert OrderEvent.objects.get(message="written at once").kind == "order.updated"


def test_a_kind_that_is_not_an_event_kind_is_refused(order):
    before = OrderEvent.objects.count()

    with pytest.raises(ValueError):
        _record(order, "note.typo")

    assert OrderEvent.objects.count() == before


def test_a_journal_writes_its_events_in_order_when_it_ends(order, django_assert_num_queries):
    before = OrderEvent.objects.filter(order=order).count()
    with transaction.atomic(), journal():
        with django_assert_num_queries(0):
            _record(order, ONE)
            _record(order, TWO)
            _record(order, THREE)
        # nothing is written yet: the rows wait for the end of the change
        assert OrderEvent.objects.filter(order=order).count() == before

    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[before:] == ["order.updated", "cancellation.note", "refund.created"]


def test_a_change_that_fails_writes_none_of_its_events(order):
    before = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(RuntimeError), transaction.atomic(), journal():
        _record(order, ONE)
        raise RuntimeError("the change failed")

    assert OrderEvent.objects.filter(order=order).count() == before


def test_an_inner_journal_is_written_by_the_outer_change(order):
    before = OrderEvent.objects.filter(order=order).count()
    with transaction.atomic(), journal():
        with journal():
            _record(order, TWO)
        assert OrderEvent.objects.filter(order=order).count() == before
        _record(order, THREE)

    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[before:] == ["cancellation.note", "refund.created"]
