"""What the desk's screens show, worked out once per value: plain dicts and strings that
the templates write out (no HTML here; the templates escape everything)."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from desk.templatetags.desk import age, format_moment, humanize_code, money, time_left


@dataclass(frozen=True)
class SlaState:
    due_at: datetime | None
    seconds_left: int | None

    @property
    def breached(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def urgent(self) -> bool:
        return self.seconds_left is not None and 0 <= self.seconds_left < 3600


def sla_state(due_at: datetime | None, *, is_open: bool, now: datetime) -> SlaState:
    """Time left before a case is due (None when it is closed or has no due time)."""
    if not is_open or due_at is None:
        return SlaState(due_at=due_at, seconds_left=None)
    return SlaState(due_at=due_at, seconds_left=int((due_at - now).total_seconds()))


def url_pattern(name: str, *args) -> str:
    """The URL `name` reversed once, as a format string for its first (integer)
    argument: `url_pattern("queue:case", 0).format(pk)` is `reverse("queue:case",
    args=[pk])` at a fraction of the cost, for URLs written once per row."""
    sentinel = 987654321987654321
    return reverse(name, args=[sentinel, *args[1:]]).replace(str(sentinel), "{}")


def short_datetime(moment: datetime, zone=None) -> str:
    """`moment` in `zone` (default: the current time zone) as the date filter's
    "D j M, H:i" gives it ("Thu 26 Nov, 07:05"), without the filter's cost: a queue
    page shows two per row."""
    return format_moment(moment.astimezone(zone or timezone.get_current_timezone()), "D j M, H:i")


def queue_rows(rows: list[dict], *, kinds: dict, now: datetime, viewer) -> list[dict]:
    """Each queue row as the template shows it (`rows`: dicts of desk.kinds.QUEUE_COLUMNS;
    `kinds`: name -> CaseKind)."""
    urls = {
        name: (url_pattern(kind.screen, 0), url_pattern(kind.action, 0, "claim"))
        for name, kind in kinds.items()
    }
    user_pk = viewer.user.pk
    zone = timezone.get_current_timezone()
    shown = []
    for case in rows:
        kind = kinds[case["kind"]]
        case_url, claim_url = urls[case["kind"]]
        pk, status, currency = case["pk"], case["status"], case["currency"]
        sla = sla_state(case["due_at"], is_open=kind.is_open(case), now=now)
        left = sla.seconds_left
        assigned = case["assigned_to_id"]
        shown.append(
            {
                "kind": case["kind"],
                "pk": pk,
                "retailer_id": case["retailer_id"],
                "url": case_url.format(pk),
                "breached": sla.breached,
                "sla_class": "breached" if sla.breached else "urgent" if sla.urgent else "",
                "time_left": time_left(left) if left is not None else "",
                "due": short_datetime(case["due_at"], zone) if left is not None else "",
                "customer": case["customer_name"] or case["customer_email"] or "",
                "order": case["order_ref"],
                "retailer": case["retailer_name"],
                "status": status,
                "status_label": kind.status_labels.get(status, status),
                "needs_attention": case["needs_attention"],
                "attention_reason": case["attention_reason"],
                "rule": case["rule"],
                "rule_label": humanize_code(case["rule"]) or "—",
                "reason": kind.reason_labels.get(case["reason"], case["reason"]),
                "channel": kind.channel_labels.get(case["channel"], case["channel"]),
                "amount": money(case["amount"], currency),
                "currency": currency,
                "age": age(case["created_at"]),
                "received": short_datetime(case["created_at"], zone),
                "mine": assigned is not None and assigned == user_pk,
                "assignee": case["assignee"] if assigned is not None else "",
                "claim_url": claim_url.format(pk) if kind.may_claim(viewer, case) else "",
            }
        )
    return shown


def timeline_entries(events, *, subject_type: str, subject_id: int) -> list[dict]:
    """An order's timeline as a case screen shows it: which events are this case's
    (`mine`) or another case's of the same kind (`other`), and how each looks."""
    entries = []
    for event in events:
        kind = event.kind or ""
        same_type = event.subject_type == subject_type
        if same_type and event.subject_id == subject_id:
            whose = "mine"
        elif same_type:
            whose = "other"
        else:
            whose = ""
        if kind.endswith(".note"):
            look = "note"
        elif kind.endswith(".customer_contacted"):
            look = "message"
        elif kind.endswith(".needs_attention"):
            look = "attention"
        elif event.to_state:
            look = "state"
        elif "refund" in kind:
            look = "refund"
        else:
            look = ""
        data = event.data if isinstance(event.data, dict) else {}
        entries.append(
            {
                "event": event,
                "whose": whose,
                "look": look,
                "other_case": event.subject_id if whose == "other" else None,
                "body": data.get("body") if look == "message" else None,
            }
        )
    return entries
