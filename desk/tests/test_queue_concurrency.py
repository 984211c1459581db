"""Agents pressing "Next case" or "Claim" at the same moment, with real threads on
PostgreSQL: two agents never get the same case."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest

from cancellations.assignment import cancellation_claim, cancellation_claim_next
from cancellations.models import CancellationRequest
from desk.tests.backoffice_fixtures import many_cases, staff  # noqa: F401
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import OrderEvent
from tests.threads import run_together as run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(functions):
    return run_threads(functions, catch=(DomainError,))


def test_agents_pressing_next_together_each_get_a_different_case(retailer, many_cases):
    many_cases(3)
    agents = [Actor.for_user(staff(f"agent{i}", "agent", [retailer]).user) for i in range(5)]

    taken = run_together(
        [lambda a=a: cancellation_claim_next(actor=a, retailer_ids={retailer.pk}) for a in agents]
    )

    got = [case.pk for case in taken if case is not None]
    assert len(got) == 3 and len(set(got)) == 3
    assert taken.count(None) == 2
    assert CancellationRequest.objects.filter(assigned_to__isnull=False).count() == 3
    assert OrderEvent.objects.filter(kind="cancellation.claimed").count() == 3


def test_two_agents_claiming_one_case_leaves_it_with_exactly_one(retailer, many_cases):
    case = many_cases(1)[0]
    agents = [Actor.for_user(staff(f"agent{i}", "agent", [retailer]).user) for i in range(4)]

    results = run_together(
        [lambda a=a: cancellation_claim(cancellation=case, actor=a) for a in agents]
    )

    winners = [r for r in results if not isinstance(r, DomainError)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 3
    assert {e.code for e in losers} == {"illegal_transition"}
    case.refresh_from_db()
    assert case.assigned_to == winners[0].assigned_to
    assert OrderEvent.objects.filter(kind="cancellation.claimed").count() == 1
