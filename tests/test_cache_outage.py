"""A cache outage degrades, never 500 (issue 16): the API throttle fails open, staff
sessions are read from the database, the queue counts without its cache."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest
from django.core.cache.backends.base import BaseCache

from cancellations.models import CancellationRequest
from desk.tests.backoffice_fixtures import agent_client, many_cases  # noqa: F401
from kernel import cache as kernel_cache

pytestmark = pytest.mark.django_db


class BrokenCache(BaseCache):
    """A cache whose every call fails, as Redis does when it is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = has_key = clear = get_many = set_many = _down
    delete_many = incr = decr = get_or_set = _down

    def __contains__(self, key):
        self._down()


BROKEN = {"default": {"BACKEND": "tests.test_cache_outage.BrokenCache"}}


@pytest.fixture
def cache_goes_down(settings):
    """Call to take the cache down mid-test; it comes back (and is forgotten) after."""

    def down():
        settings.CACHES = BROKEN
        kernel_cache.cache_reset()

    yield down
    kernel_cache.cache_reset()


def errors(use):
    return kernel_cache.CACHE_ERRORS.labels(use)._value.get()


def test_submissions_go_through_unthrottled_with_a_log_line(
    api, make_order, submit, cache_goes_down, caplog, settings
):
    # Given a storefront that already made a call with the cache up
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "1000/min"},
    }
    make_order("ord-1")
    make_order("ord-2")
    assert api.get("/api/v1/orders/ord-1").status_code == 200
    before = errors("throttle")

    # When the cache goes down
    cache_goes_down()
    response = submit("ord-1")

    # Then the submission is answered, the throttle counted its failure and said so
    assert response.status_code == 201, response.content
    assert CancellationRequest.objects.count() == 1
    assert errors("throttle") > before
    assert any("cache unavailable (throttle)" in r.getMessage() for r in caplog.records)
    # ... and it keeps answering while the cache stays down (quiet period: no new tries)
    assert submit("ord-2").status_code == 201


def test_the_agent_queue_answers_from_the_database(
    agent_client, many_cases, cache_goes_down, settings
):
    # Given an agent signed in (session in the database, copied to the cache)
    settings.QUEUE_COUNTS_CACHE_SECONDS = 10
    many_cases(3)
    assert agent_client.get("/queue/").status_code == 200

    # When the cache goes down, then the queue still answers with its cases
    cache_goes_down()
    response = agent_client.get("/queue/")
    assert response.status_code == 200
    assert response.context["user"].is_authenticated
    assert {tab["value"]: tab["count"] for tab in response.context["tabs"]}["open"] == 3
    assert errors("sessions") > 0


def test_signing_in_works_with_the_cache_down(client, agent, cache_goes_down):
    cache_goes_down()
    agent.user.set_password("pw-for-the-outage")
    agent.user.save()
    response = client.post(
        "/accounts/login/", {"username": "agent", "password": "pw-for-the-outage"}
    )
    assert response.status_code == 302
    assert client.get("/queue/").status_code == 200


def test_a_case_action_goes_through_without_its_nonce_cache(
    agent_client, many_cases, cache_goes_down
):
    # Given a case in review, and the cache down
    case = many_cases(1)[0]
    cache_goes_down()
    # When the agent adds a note with the double-submit nonce, then it is written
    response = agent_client.post(
        f"/queue/cases/{case.pk}/note/", {"text": "Called the customer.", "nonce": "n-1"}
    )
    assert response.status_code in (200, 302), response.content[:300]
    assert case.order.events.filter(message__contains="Called the customer.").count() == 1
