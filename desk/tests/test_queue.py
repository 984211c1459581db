"""Who works which case: claim, next case, release and reassign (cancellations.assignment)."""
# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.assignment import (
    cancellation_claim,
    cancellation_claim_next,
    cancellation_reassign,
    cancellation_release,
)
from cancellations.models import CancellationRequest, Status
from desk.tests.backoffice_fixtures import (  # noqa: F401
    agent_client,
    many_cases,
    open_case,
    other_agent_client,
    supervisor_client,
)
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def actor(client) -> Actor:
    return Actor.for_user(client.user)


def test_claim_gives_the_case_to_the_agent_and_says_so_on_the_timeline(open_case, agent_client):
    case = open_case()

    claimed = cancellation_claim(cancellation=case, actor=actor(agent_client))

    assert claimed.assigned_to == agent_client.user
    event = OrderEvent.objects.get(kind="cancellation.claimed")
    assert (event.actor_label, event.subject_id) == ("ana", case.pk)
    assert event.message == "ana took the case."


def test_a_case_someone_holds_cannot_be_claimed_by_another(
    open_case, agent_client, other_agent_client
):
    case = open_case()
    cancellation_claim(cancellation=case, actor=actor(agent_client))

    with pytest.raises(DomainError) as error:
        cancellation_claim(cancellation=case, actor=actor(other_agent_client))

    assert error.value.code == "illegal_transition"
    assert "already being worked by ana" in error.value.detail
    case.refresh_from_db()
    assert case.assigned_to == agent_client.user


def test_claiming_ones_own_case_again_writes_nothing_new(open_case, agent_client):
    case = open_case()
    cancellation_claim(cancellation=case, actor=actor(agent_client))

    cancellation_claim(cancellation=case, actor=actor(agent_client))

    assert OrderEvent.objects.filter(kind="cancellation.claimed").count() == 1


def test_an_agent_cannot_claim_an_escalation_but_a_supervisor_can(
    open_case, agent_client, supervisor_client
):
    case = open_case(status=Status.ESCALATED)

    with pytest.raises(DomainError) as error:
        cancellation_claim(cancellation=case, actor=actor(agent_client))
    cancellation_claim(cancellation=case, actor=actor(supervisor_client))

    assert error.value.code == "permission_denied"
    case.refresh_from_db()
    assert case.assigned_to == supervisor_client.user


def test_a_decided_case_cannot_be_claimed(open_case, agent_client):
    case = open_case()
    CancellationRequest.objects.filter(pk=case.pk).update(status=Status.REJECTED)

    with pytest.raises(DomainError) as error:
        cancellation_claim(cancellation=case, actor=actor(agent_client))

    assert error.value.code == "illegal_transition"
    assert "nothing left to work" in error.value.detail


def test_next_case_takes_the_unassigned_case_due_first(
    many_cases, agent_client, other_agent_client
):
    first, second, third = many_cases(3)  # due in 0, 1 and 2 minutes
    cancellation_claim(cancellation=first, actor=actor(other_agent_client))

    taken = cancellation_claim_next(actor=actor(agent_client))

    assert taken.pk == second.pk
    assert CancellationRequest.objects.get(pk=second.pk).assigned_to == agent_client.user
    assert CancellationRequest.objects.get(pk=third.pk).assigned_to is None
    event = OrderEvent.objects.get(kind="cancellation.claimed", subject_id=second.pk)
    assert event.message == "ana took the case from the queue."


def test_next_case_stays_within_the_agents_retailers(
    many_cases, agent_client, other_retailer, retailer
):
    many_cases(2, retailer=other_retailer)
    mine = many_cases(1, retailer=retailer, start=10)[0]
    CancellationRequest.objects.filter(pk=mine.pk).update(
        sla_due_at=timezone.now() + timedelta(days=1)
    )

    taken = cancellation_claim_next(actor=actor(agent_client), retailer_ids={retailer.pk})
    nothing = cancellation_claim_next(actor=actor(agent_client), retailer_ids={retailer.pk})

    assert taken.pk == mine.pk
    assert nothing is None


def test_next_case_gives_escalations_to_supervisors_only(
    open_case, agent_client, supervisor_client
):
    escalated = open_case(status=Status.ESCALATED)

    for_agent = cancellation_claim_next(actor=actor(agent_client))
    for_supervisor = cancellation_claim_next(actor=actor(supervisor_client))

    assert for_agent is None
    assert for_supervisor.pk == escalated.pk


def test_next_case_includes_customers_to_chase_but_not_fresh_confirmations(open_case, agent_client):
    lapsing = open_case("ord-1", status=Status.AWAITING_CUSTOMER)  # lapses in 3 hours
    fresh = open_case("ord-2", status=Status.AWAITING_CUSTOMER)
    CancellationRequest.objects.filter(pk=fresh.pk).update(
        confirmation_expires_at=timezone.now() + timedelta(hours=40)
    )

    taken = cancellation_claim_next(actor=actor(agent_client))
    then = cancellation_claim_next(actor=actor(agent_client))

    assert taken.pk == lapsing.pk
    assert then is None


def test_release_puts_the_case_back_in_the_queue(open_case, agent_client):
    case = open_case()
    cancellation_claim(cancellation=case, actor=actor(agent_client))

    cancellation_release(cancellation=case, actor=actor(agent_client))

    case.refresh_from_db()
    assert case.assigned_to is None
    assert OrderEvent.objects.get(kind="cancellation.released").message == (
        "ana put the case back in the queue."
    )


def test_only_the_holder_or_a_supervisor_releases(
    open_case, agent_client, other_agent_client, supervisor_client
):
    case = open_case()
    cancellation_claim(cancellation=case, actor=actor(agent_client))

    with pytest.raises(DomainError) as error:
        cancellation_release(cancellation=case, actor=actor(other_agent_client))
    cancellation_release(cancellation=case, actor=actor(supervisor_client))

    assert error.value.code == "permission_denied"
    case.refresh_from_db()
    assert case.assigned_to is None
    assert "(it was held by ana)" in OrderEvent.objects.get(kind="cancellation.released").message


def test_a_supervisor_reassigns_to_an_agent_of_the_retailer(
    open_case, agent_client, other_agent_client, supervisor_client
):
    case = open_case()
    cancellation_claim(cancellation=case, actor=actor(agent_client))

    cancellation_reassign(
        cancellation=case, actor=actor(supervisor_client), to_user=other_agent_client.user
    )

    case.refresh_from_db()
    assert case.assigned_to == other_agent_client.user
    event = OrderEvent.objects.get(kind="cancellation.reassigned")
    assert event.message == "sam gave the case to ben (it was held by ana)."
    assert event.data == {"from": "ana", "to": "ben"}


def test_agents_do_not_reassign(open_case, agent_client, other_agent_client):
    case = open_case()

    with pytest.raises(DomainError) as error:
        cancellation_reassign(
            cancellation=case, actor=actor(agent_client), to_user=other_agent_client.user
        )

    assert error.value.code == "permission_denied"


def test_a_case_cannot_go_to_an_agent_of_another_retailer(
    open_case, supervisor_client, other_retailer
):
    from desk.tests.backoffice_fixtures import staff

    outsider = staff("olga", "agent", [other_retailer])
    case = open_case()

    with pytest.raises(DomainError) as error:
        cancellation_reassign(
            cancellation=case, actor=actor(supervisor_client), to_user=outsider.user
        )

    assert error.value.code == "invalid"
    assert error.value.detail == "olga does not work cases of this retailer."
    case.refresh_from_db()
    assert case.assigned_to is None


def test_an_escalation_goes_to_a_supervisor_not_an_agent(
    open_case, agent_client, supervisor_client
):
    case = open_case(status=Status.ESCALATED)

    with pytest.raises(DomainError) as error:
        cancellation_reassign(
            cancellation=case, actor=actor(supervisor_client), to_user=agent_client.user
        )

    assert error.value.detail == "An escalated request goes to a supervisor."
