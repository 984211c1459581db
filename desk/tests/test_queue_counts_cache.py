"""QUEUE_COUNTS_CACHE_SECONDS: the queue's tab counts kept briefly, the rows always fresh."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest
from django.core.cache import cache

from desk.tests.backoffice_fixtures import (  # noqa: F401
    agent_client,
    many_cases,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def open_count(response) -> int:
    return {tab["value"]: tab["count"] for tab in response.context["tabs"]}["open"]


def test_counts_are_kept_for_the_configured_seconds_while_rows_stay_fresh(
    settings, agent_client, many_cases, django_assert_max_num_queries
):
    # Given counts kept for 10 seconds, and a queue of 3 cases viewed once
    settings.QUEUE_COUNTS_CACHE_SECONDS = 10
    many_cases(3)
    first = agent_client.get("/queue/")

    # When 2 more cases arrive and the agent looks again
    many_cases(2, start=3)
    with django_assert_max_num_queries(9):
        again = agent_client.get("/queue/")

    # Then the tab still says 3, but the 5 rows are listed
    assert open_count(first) == 3
    assert open_count(again) == 3
    assert len(again.context["rows"]) == 5


def test_a_different_filter_is_counted_on_its_own(settings, agent_client, many_cases):
    # Given counts kept, and the unfiltered queue viewed once
    settings.QUEUE_COUNTS_CACHE_SECONDS = 10
    many_cases(3)
    agent_client.get("/queue/")

    # When 1 more case arrives and the agent filters on unassigned cases
    many_cases(1, start=3)
    filtered = agent_client.get("/queue/?assigned=unassigned")

    # Then the filtered tabs are counted now: 4
    assert open_count(filtered) == 4


def test_without_the_setting_every_view_counts(settings, agent_client, many_cases):
    # Given the default of development and tests (0)
    settings.QUEUE_COUNTS_CACHE_SECONDS = 0
    many_cases(3)
    agent_client.get("/queue/")

    # When 2 more cases arrive
    many_cases(2, start=3)
    again = agent_client.get("/queue/")

    # Then the count is exact at once
    assert open_count(again) == 5
