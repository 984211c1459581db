"""A change's timeline rows are written together when its journal ends, or not at all."""

import pytest
from django.db import transaction

from kernel.actors import Actor
from kernel.journal import journal
from orders.models import OrderEvent
from orders.timeline import order_event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(make_order):
    return make_order()


def _record(order, kind):
    return order_event_record(order=order, kind=kind, message=kind, actor=Actor.system("test"))


def test_outside_a_journal_an_event_is_written_at_once(order):
    event = _record(order, "note.one")

    assert OrderEvent.objects.get(pk=event.pk).kind == "note.one"


def test_a_journal_writes_its_events_in_order_when_it_ends(order, django_assert_num_queries):
    before = OrderEvent.objects.filter(order=order).count()
    with transaction.atomic(), journal():
        with django_assert_num_queries(0):
            _record(order, "note.one")
            _record(order, "note.two")
            _record(order, "note.three")
        # nothing is written yet: the rows wait for the end of the change
        assert OrderEvent.objects.filter(order=order).count() == before

    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[before:] == ["note.one", "note.two", "note.three"]


def test_a_change_that_fails_writes_none_of_its_events(order):
    before = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(RuntimeError), transaction.atomic(), journal():
        _record(order, "note.one")
        raise RuntimeError("the change failed")

    assert OrderEvent.objects.filter(order=order).count() == before


def test_an_inner_journal_is_written_by_the_outer_change(order):
    before = OrderEvent.objects.filter(order=order).count()
    with transaction.atomic(), journal():
        with journal():
            _record(order, "note.inner")
        assert OrderEvent.objects.filter(order=order).count() == before
        _record(order, "note.outer")

    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[before:] == ["note.inner", "note.outer"]
