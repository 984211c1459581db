"""Small display helpers for the desk's screens: exact money, time left, dates."""

from datetime import datetime
from functools import cache

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from kernel.money import format_amount

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


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PARTS = {
    "D": lambda moment: WEEKDAYS[moment.weekday()],
    "j": lambda moment: str(moment.day),
    "M": lambda moment: MONTHS[moment.month],
    "Y": lambda moment: str(moment.year),
    "H": lambda moment: f"{moment.hour:02d}",
    "i": lambda moment: f"{moment.minute:02d}",
    "s": lambda moment: f"{moment.second:02d}",
}


@cache
def _moment_parts(format_string: str) -> tuple | None:
    if any((ch.isalpha() and ch not in _PARTS) or ch == "\\" for ch in format_string):
        return None
    return tuple(_PARTS.get(ch, ch) for ch in format_string)


def format_moment(moment, format_string: str) -> str:
    """`moment` (already in the wanted time zone) as Django's date filter writes it
    for the screens' formats ("D j M Y, H:i" and the like, in English), at a fraction
    of its cost: a page writes a dozen of them. Other formats go to the date filter."""
    if moment is None or moment == "":
        return ""
    parts = _moment_parts(format_string)
    if parts is None or not isinstance(moment, datetime):
        return date_filter(moment, format_string)
    return "".join([part if isinstance(part, str) else part(moment) for part in parts])


@register.filter(expects_localtime=True)
def when(moment, format_string: str) -> str:
    """The date filter for the screens' formats: `{{ event.created_at|when:"j M, H:i" }}`."""
    return format_moment(moment, format_string)


@register.simple_tag
def form_field(field) -> str:
    """A form field with its label and errors, as the screens lay them out."""
    errors = field.errors
    return mark_safe(
        f'<div class="field{" has-error" if errors else ""}">\n'
        f'  <label for="{conditional_escape(field.id_for_label)}">'
        f"{conditional_escape(field.label)}</label>\n"
        f"  {field}\n"
        f"  {errors}\n"
        "</div>"
    )


@register.filter
def event_title(kind: str) -> str:
    """`cancellation.in_review` → "In review", `refund.retried` → "Refund retried"."""
    kind = kind or ""
    if kind.startswith("cancellation."):
        kind = kind.removeprefix("cancellation.")
    return kind.replace(".", " ").replace("_", " ").capitalize()


@register.filter
def get(mapping, key):
    """`{{ counts|get:tab }}`: a dict's value for a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None
