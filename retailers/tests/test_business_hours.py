"""SLAs count the retailer's business hours when it keeps them (SPEC §13)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from retailers.business_hours import due_at
from retailers.models import BusinessHours

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
WEEKDAYS_9_TO_6 = {str(day): ["09:00", "18:00"] for day in range(5)}


def keep_hours(retailer, days, *, country="", zone="Europe/London"):
    retailer.timezone = zone
    retailer.save(update_fields=["timezone"])
    BusinessHours.objects.create(retailer=retailer, days=days, country=country)
    retailer.refresh_from_db()
    return retailer


def london(*args):
    return datetime(*args, tzinfo=LONDON)


def test_without_business_hours_an_sla_runs_in_calendar_hours(retailer):
    start = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)

    assert due_at(retailer, start, 4) == start + timedelta(hours=4)


def test_a_friday_evening_case_is_due_on_monday(retailer):
    keep_hours(retailer, WEEKDAYS_9_TO_6)

    # Friday 17:30 with 4 hours to go: half an hour on Friday, 3.5 on Monday.
    due = due_at(retailer, london(2026, 12, 4, 17, 30), 4)

    assert due.astimezone(LONDON) == london(2026, 12, 7, 12, 30)


def test_a_case_arriving_before_opening_starts_counting_at_opening(retailer):
    keep_hours(retailer, WEEKDAYS_9_TO_6)

    assert due_at(retailer, london(2026, 12, 7, 6, 0), 2).astimezone(LONDON) == london(
        2026, 12, 7, 11, 0
    )


def test_a_public_holiday_of_the_retailers_country_is_closed(retailer):
    keep_hours(retailer, WEEKDAYS_9_TO_6, country="GB")

    # Monday 25 May 2026 is the Spring bank holiday in the UK.
    due = due_at(retailer, london(2026, 5, 22, 17, 0), 2)

    assert due.astimezone(LONDON) == london(2026, 5, 26, 10, 0)
    # Without the country, the same Monday is an ordinary working day.
    BusinessHours.objects.filter(retailer=retailer).update(country="")
    retailer.refresh_from_db()
    assert due_at(retailer, london(2026, 5, 22, 17, 0), 2).astimezone(LONDON) == london(
        2026, 5, 25, 10, 0
    )


def test_the_day_the_clocks_go_back_has_25_hours(retailer):
    keep_hours(retailer, {str(day): ["00:00", "23:59"] for day in range(7)})

    # 25 October 2026: British Summer Time ends at 02:00. 24 real hours after midnight
    # is 23:00 on the same day, not midnight the next.
    due = due_at(retailer, london(2026, 10, 25, 0, 0), 24)

    assert due.astimezone(LONDON) == london(2026, 10, 25, 23, 0)


def test_switched_off_business_hours_are_calendar_hours(retailer):
    keep_hours(retailer, WEEKDAYS_9_TO_6)
    BusinessHours.objects.filter(retailer=retailer).update(is_active=False)
    retailer.refresh_from_db()
    start = london(2026, 12, 4, 17, 30)

    assert due_at(retailer, start, 4) == start + timedelta(hours=4)


@pytest.mark.parametrize(
    ("days", "country", "field"),
    [
        ({"0": ["18:00", "09:00"]}, "", "days"),
        ({"7": ["09:00", "18:00"]}, "", "days"),
        ({"0": ["nine", "six"]}, "", "days"),
        ({"0": ["09:00", "18:00"]}, "XX", "country"),
    ],
)
def test_impossible_hours_are_refused(retailer, days, country, field):
    with pytest.raises(ValidationError) as error:
        BusinessHours(retailer=retailer, days=days, country=country).full_clean()

    assert field in error.value.message_dict


def test_a_request_sent_to_agents_is_due_within_opening_hours(retailer, make_order, submit):
    # Open one hour a day (09:00-10:00 UTC), SLA 4 hours: due four opening hours later,
    # at least three days after it arrived, and inside an opening hour.
    keep_hours(retailer, {str(day): ["09:00", "10:00"] for day in range(7)}, zone="UTC")
    make_order("ord-1", placed_at=datetime.now(UTC) - timedelta(hours=30))

    data = submit().json()

    from cancellations.models import CancellationRequest

    request = CancellationRequest.objects.get(pk=data["id"])
    assert request.status == "in_review"
    due = request.sla_due_at.astimezone(UTC)
    assert due - request.created_at >= timedelta(days=3)
    assert (9, 0) <= (due.hour, due.minute) <= (10, 0)
