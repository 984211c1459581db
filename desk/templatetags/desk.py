"""Small display helpers for the agent screens: exact money and time left, and the
queue's rows."""

from datetime import datetime
from functools import cache
from html import escape

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


@register.simple_tag
def queue_rows(rows, csrf_input) -> str:
    """The queue table's rows (`queue_page_rows`), written out here rather than by a
    template loop: 50 rows of about 30 template nodes each were two thirds of the page's
    CPU (each variable goes through lookup, localisation and escaping); this writes the
    same markup for a tenth of it. Every value from the database is escaped."""
    return mark_safe("".join([_queue_row(row, csrf_input) for row in rows]))


def _queue_row(row: dict, csrf_input: str) -> str:
    url = escape(row["url"])
    if row["time_left"]:
        sla_class = f" {row['sla_class']}" if row["sla_class"] else ""
        due = (
            f'<span class="sla{sla_class}" title="Due {escape(row["due"])}">'
            f"{escape(row['time_left'])}</span>"
        )
    else:
        due = '<span class="faint">—</span>'
    status = (
        f'<span class="badge state-{escape(row["status"])}">{escape(row["status_label"])}</span>'
    )
    if row["needs_attention"]:
        reason = escape(row["attention_reason"])
        status += f' <span class="badge attention" title="{reason}">Attention</span>'
        why = f'<td title="{reason}">Refund failed</td>'
    else:
        why = f'<td title="{escape(row["rule"])}">{escape(row["rule_label"])}</td>'
    if row["mine"]:
        assigned = "<b>You</b>"
    elif row["assignee"]:
        assigned = escape(row["assignee"])
    elif row["claim_url"]:
        assigned = (
            f'<form method="post" action="{escape(row["claim_url"])}">{csrf_input}'
            '<button type="submit" class="btn small">Claim</button></form>'
        )
    else:
        assigned = '<span class="faint">Unassigned</span>'
    return (
        f'\n<tr data-href="{url}" class="{"breached" if row["breached"] else ""}">'
        f"\n  <td>{due}</td>"
        f'\n  <td><a class="case-id" href="{url}">#{row["pk"]}</a></td>'
        f"\n  <td>{escape(row['customer'])}"
        f'<span class="sub mono">{escape(row["order"])}</span></td>'
        f"\n  <td>{escape(row['retailer'])}</td>"
        f"\n  <td>{status}</td>"
        f"\n  {why}"
        f'\n  <td>{escape(row["reason"])}<span class="sub">{escape(row["channel"])}</span></td>'
        f'\n  <td class="num">{escape(row["refund"])} '
        f'<span class="faint">{escape(row["currency"])}</span></td>'
        f'\n  <td class="nowrap muted" title="Received {escape(row["received"])}">'
        f"{escape(row['age'])}</td>"
        f'\n  <td class="nowrap">{assigned}</td>'
        "\n</tr>"
    )


def _text(value) -> str:
    """A value as `{{ value }}` writes it: escaped unless already marked safe."""
    return str(conditional_escape(value))


@register.simple_tag
def timeline_rows(events, case_pk) -> str:
    """The case page's timeline (`<li>` per event), written here rather than by a
    template loop: an order's events are the page's longest loop, at about 25 template
    nodes each. Same markup as the loop it replaced; every value is escaped."""
    return mark_safe("".join([_timeline_row(event, case_pk) for event in events]))


def _timeline_row(event, case_pk) -> str:
    kind = event.kind or ""
    on_request = event.subject_type == "cancellationrequest"
    if on_request and event.subject_id == case_pk:
        whose = "mine"
    elif on_request:
        whose = "other"
    else:
        whose = ""
    if kind == "cancellation.note":
        look = "note"
    elif kind == "cancellation.customer_contacted":
        look = "message"
    elif kind == "cancellation.needs_attention":
        look = "attention"
    elif event.to_state:
        look = "state"
    elif "refund" in kind:
        look = "refund"
    else:
        look = ""
    created_at = timezone.template_localtime(event.created_at)
    transition = ""
    if event.from_state or event.to_state:
        transition = (
            '<span class="transition muted"> · '
            f"{_text(humanize_code(event.from_state) or 'new')} → "
            f"{_text(humanize_code(event.to_state))}</span>"
        )
    other_request = ""
    if on_request and event.subject_id != case_pk:
        other_request = f'<span class="faint"> · request #{_text(event.subject_id)}</span>'
    body = ""
    if kind == "cancellation.customer_contacted":
        data = event.data
        text = data.get("body") if isinstance(data, dict) else None
        if text:
            body = f'<p class="msg muted" style="white-space:pre-line">{_text(text)}</p>'
    return (
        f'\n        <li class="{whose} {look}">'
        "\n          <div>"
        f'\n            <div class="when" title="{format_moment(created_at, "D j M Y, H:i:s")}">'
        f"{format_moment(created_at, 'j M, H:i')}</div>"
        f'\n            <div class="who">{_text(event.actor_label)}</div>'
        "\n          </div>"
        "\n          <div>"
        f'\n            <div><span class="dot"></span><b>{_text(event_title(kind))}</b>'
        f"\n              {transition}"
        f"\n              {other_request}"
        "\n            </div>"
        f'\n            <p class="msg">{_text(event.message)}</p>'
        f"\n            {body}"
        "\n          </div>"
        "\n        </li>"
        "\n        "
    )


@register.simple_tag
def order_line_rows(rows, *, decide, preview, preview_url, currency) -> str:
    """The case page's order lines (`<tr>` per line, with the approve form's units to
    cancel), written here rather than by a template loop of about 30 nodes per line.
    Same markup as the loop it replaced; every value is escaped."""
    return mark_safe(
        "".join([_order_line_row(row, decide, preview, preview_url, currency) for row in rows])
    )


def _order_line_row(row: dict, decide, preview, preview_url, currency) -> str:
    line = row["line"]
    sku = _text(line.sku)
    final_sale = ' <span class="badge state-rejected">Final sale</span>' if line.final_sale else ""
    cells = (
        f'\n            <tr class="{"" if row["requested"] else "not-requested"}">'
        "\n              <td>"
        f'\n                <span class="mono">{sku}</span>{final_sale}'
        f'\n                <div class="line-title">{_text(line.title)}</div>'
        "\n              </td>"
        f'\n              <td class="num">{_text(line.quantity)}</td>'
        f'\n              <td class="num">{_text(line.cancelled_quantity or "—")}</td>'
        f'\n              <td class="num">{_text(line.active_quantity)}</td>'
        f'\n              <td class="num">{_text(row["requested"] or "—")}</td>'
        "\n              "
    )
    if decide:
        field = row["field"]
        if field:
            errors = field.errors
            error_list = (
                f'<div class="errorlist">{" ".join([_text(e) for e in errors])}</div>'
                if errors
                else ""
            )
            cells += (
                f'\n                <td class="num" hx-get="{_text(preview_url)}"'
                ' hx-trigger="input delay:300ms" hx-include="[form=\'approve-form\']"'
                ' hx-target="#approve-preview" hx-swap="outerHTML">'
                f'\n                  <label class="sr-only" for="{_text(field.id_for_label)}">'
                f"Units of {sku} to cancel</label>{_text(field)}{error_list}"
            )
        else:
            cells += (
                '\n                <td class="num" >'
                '\n                  <span class="faint">—</span>'
            )
        cells += "\n                </td>\n              "
    cells += (
        f'\n              <td class="num">{_text(money(line.total, currency))}</td>\n              '
    )
    if not preview:
        refund = row["refund"]
        shown = (
            _text(money(refund, currency)) if refund is not None else '<span class="faint">—</span>'
        )
        cells += f'<td class="num">{shown}</td>'
    return cells + "\n            </tr>\n            "


@register.simple_tag
def past_request_rows(requests) -> str:
    """The customer panel's past requests (`customer_history`), one `<li>` each, as the
    template loop wrote them; every value is escaped."""
    return mark_safe("".join([_past_request_row(past) for past in requests]))


def _past_request_row(past: dict) -> str:
    created_at = timezone.template_localtime(past["created_at"])
    return (
        "\n          <li>"
        f'\n            <a href="{_text(past.get("url", ""))}">#{_text(past["pk"])}</a>'
        f'\n            <span class="mono faint">{_text(past["order_external_id"])}</span>'
        f'\n            <span class="badge state-{_text(past["status"])}">'
        f"{_text(past['status_label'])}</span>"
        f'\n            <span class="right faint" title="{format_moment(created_at, "j M Y")}">'
        f"{format_moment(created_at, 'j M')}</span>"
        "\n          </li>"
        "\n        "
    )


@register.simple_tag
def other_order_rows(orders) -> str:
    """The customer panel's other orders (`customer_history`), one `<li>` each, as the
    template loop wrote them; every value is escaped."""
    return mark_safe("".join([_other_order_row(other) for other in orders]))


def _other_order_row(other: dict) -> str:
    placed_at = timezone.template_localtime(other["placed_at"])
    currency = other["currency"]
    return (
        "\n          <li>"
        f'\n            <span class="mono">{_text(other["external_id"])}</span>'
        f'\n            <span class="faint">{format_moment(placed_at, "j M")} · '
        f"{_text(str(other['fulfillment_label']).lower())}</span>"
        f'\n            <span class="right num">{_text(money(other["total"], currency))} '
        f"{_text(currency)}</span>"
        "\n          </li>"
        "\n        "
    )


@register.simple_tag
def macro_options(macros) -> str:
    """The canned replies' `<option>`s (each carries its rendered subject and body for
    the page's script), as the template loop wrote them; every value is escaped."""
    return mark_safe("".join([_macro_option(macro) for macro in macros]))


def _macro_option(macro: dict) -> str:
    selected = " selected" if macro.get("selected") else ""
    return (
        f'\n                <option value="{_text(macro["pk"])}"'
        f' data-subject="{_text(macro["subject"])}" data-body="{_text(macro["body"])}"'
        f"{selected}>{_text(macro['name'])}</option>"
        "\n              "
    )


@register.simple_tag
def preview_line_rows(quote_lines, currency) -> str:
    """The refund preview's lines (units and refund per SKU), as the template loop wrote
    them; every value is escaped."""
    return mark_safe(
        "".join(
            [
                f'\n            <tr><td class="mono">{_text(lr.line.sku)}</td>'
                f'<td class="num">{_text(lr.quantity)}</td>'
                f'<td class="num">{_text(money(lr.amount, currency))}</td></tr>\n          '
                for lr in quote_lines
            ]
        )
    )


@register.simple_tag
def preview_allocation_rows(allocations, currency) -> str:
    """The refund preview's payments (what goes back to which), as the template loop
    wrote them, or its "Nothing to refund." row; every value is escaped."""
    rows = [
        f"\n            <tr><td>{_text(humanize_code(allocation.payment.method))} "
        f'<span class="faint mono">{_text(allocation.payment.external_id)}</span></td>'
        f'<td class="num">{_text(money(allocation.amount, currency))}</td></tr>\n          '
        for allocation in allocations
    ]
    if not rows:
        return mark_safe(
            "\n            "
            '<tr><td colspan="2" class="muted">Nothing to refund.</td></tr>'
            "\n          "
        )
    return mark_safe("".join(rows))


@register.simple_tag
def payment_rows(rows, *, preview, currency) -> str:
    """The case page's payments (`<tr>` per payment, with this request's refunds on it
    once decided), as the template loop wrote them; every value is escaped."""
    return mark_safe("".join([_payment_row(row, preview, currency) for row in rows]))


def _payment_row(row: dict, preview, currency) -> str:
    payment = row["payment"]
    html = (
        "\n            <tr>"
        f"\n              <td>{_text(humanize_code(payment.method))} "
        f'<span class="faint mono">{_text(payment.external_id)}</span></td>'
        f'\n              <td class="mono">{_text(payment.reference or "—")}</td>'
        f'\n              <td class="num">{_text(money(payment.amount, currency))}</td>'
        f'\n              <td class="num">{_text(money(payment.refunded_amount, currency))}</td>'
        "\n              "
    )
    if not preview:
        refunds = "".join(
            [
                f"{_text(money(refund.amount, currency))} "
                f'<span class="badge {_text(refund.status)}">{_text(refund.status)}</span>'
                for refund in row["refunds"]
            ]
        )
        refunds = refunds or '<span class="faint">—</span>'
        html += f'\n              <td class="num">{refunds}</td>\n              '
    return html + "\n            </tr>\n            "
