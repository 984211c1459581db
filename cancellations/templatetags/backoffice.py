"""Small display helpers for the agent screens: exact money and time left."""

from django import template
from django.utils import timezone

from orders.money import format_amount

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """`19.99` → "19.99", `1234.5` → "1,234.50": exact digits, grouped for reading."""
    if amount is None or amount == "":
        return ""
    text = format_amount(amount, currency)
    sign = "-" if text.startswith("-") else ""
    whole, _, minor = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ",".join(groups) + (f".{minor}" if minor else "")


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    days, minutes = divmod(minutes, 60 * 24)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.filter
def time_left(seconds) -> str:
    """ "2h 05m left", or "40m over" once the due time has passed."""
    if seconds is None:
        return ""
    if seconds < 0:
        return f"{_duration(-seconds)} over"
    return f"{_duration(seconds)} left"


@register.filter
def humanize_code(value: str) -> str:
    """`outside_cancellation_window` → "Outside cancellation window"."""
    return (value or "").replace("_", " ").capitalize()


@register.filter
def age(moment) -> str:
    """How long ago, compactly: "12m", "5h", "3d"."""
    if not moment:
        return ""
    seconds = max(int((timezone.now() - moment).total_seconds()), 0)
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


@register.filter
def event_title(kind: str) -> str:
    """`cancellation.in_review` → "In review", `refund.retried` → "Refund retried"."""
    kind = kind or ""
    if kind.startswith("cancellation."):
        kind = kind.removeprefix("cancellation.")
    return kind.replace(".", " ").replace("_", " ").capitalize()
