"""When a case is due, counted in the retailer's business hours (SPEC §13).

A retailer that sets business hours (the opening hours of each weekday in its time
zone, `Retailer.timezone`, and the public holidays of its country) has SLAs counted in
the hours it is open: a case that arrives on Friday at 17:30 with four hours to go is
due on Monday at 12:30 (open 9 to 18, weekends closed), or on Tuesday when Monday is a
public holiday. Without them, SLAs run in calendar hours, as they always did.

Times are walked in the retailer's zone, day by day, so a day of 23 or 25 hours across a
daylight-saving change counts the hours it is actually open.
"""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.core.exceptions import ObjectDoesNotExist

# Never walk further than this looking for opening hours (a calendar with no open day).
MAX_DAYS = 400


@lru_cache(maxsize=256)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def is_holiday(country: str, day) -> bool:
    return bool(country) and day in _holidays(country, day.year)


def _opening(hours, day) -> tuple[time, time] | None:
    """The day's (open, close) in local time, or None when closed."""
    if is_holiday(hours.country, day):
        return None
    span = (hours.days or {}).get(str(day.weekday()))
    if not span:
        return None
    return time.fromisoformat(span[0]), time.fromisoformat(span[1])


def due_at(retailer, start: datetime, hours: float) -> datetime:
    """`start` plus `hours` of the retailer's business time (calendar time when the
    retailer keeps no business hours)."""
    calendar = _calendar(retailer)
    if calendar is None:
        return start + timedelta(hours=hours)
    zone = ZoneInfo(retailer.timezone or "UTC")
    left = timedelta(hours=hours)
    moment = start.astimezone(zone)
    for _ in range(MAX_DAYS):
        day = moment.date()
        span = _opening(calendar, day)
        if span is not None:
            opens = datetime.combine(day, span[0], tzinfo=zone)
            closes = datetime.combine(day, span[1], tzinfo=zone)
            begin = max(moment, opens)
            if begin < closes:
                # In UTC: datetimes of one zone subtract and add as wall-clock times,
                # which is wrong on the day the clocks change.
                available = closes.astimezone(UTC) - begin.astimezone(UTC)
                if left <= available:
                    return (begin.astimezone(UTC) + left).astimezone(start.tzinfo)
                left -= available
        next_day = day + timedelta(days=1)
        moment = datetime.combine(next_day, time(0), tzinfo=zone)
    raise ValueError(f"{retailer} keeps no business hours in the next {MAX_DAYS} days")


def _calendar(retailer):
    """The retailer's business hours when it keeps them, else None."""
    try:
        calendar = retailer.business_hours
    except ObjectDoesNotExist:
        return None
    if not calendar.is_active or not any((calendar.days or {}).values()):
        return None
    return calendar


def describe(retailer) -> str:
    """How the retailer's SLAs are counted, in words for the screens."""
    calendar = _calendar(retailer)
    if calendar is None:
        return "calendar hours"
    country = f", {calendar.country} holidays off" if calendar.country else ""
    return f"business hours ({retailer.timezone}{country})"
