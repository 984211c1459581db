"""The parcel: the carrier's first scan, receipt at the warehouse (a parcel, and any
later one), and expiry when nothing arrived by `ship_by`. Locks as `returns.services`
does: the order, then the return."""

from django.db import transaction
from django.utils import timezone

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from returns.models import Return, Status
from returns.services import exchange_release, return_locked
from returns.transitions import illegal, return_transition

# --- the parcel ------------------------------------------------------------------------


def return_mark_shipped(*, return_request, actor: Actor, tracking_number: str = "") -> Return:
    """The carrier's first scan (`authorised` → `in_transit`). A carrier's tracking
    webhook calls this too; a repeat scan of a return already on its way changes nothing."""
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status == Status.IN_TRANSIT:
            return return_request
        if return_request.status != Status.AUTHORISED:
            raise illegal(return_request, "marked shipped")
        tracking_number = (tracking_number or "").strip()
        if tracking_number and tracking_number != return_request.tracking_number:
            # The customer sent it another way (their own carrier): follow that number.
            return_request.tracking_number = tracking_number
        return_transition(
            return_request=return_request,
            to=Status.IN_TRANSIT,
            actor=actor,
            why=f"The parcel is on its way (tracking {return_request.tracking_number}).",
            data={"tracking_number": return_request.tracking_number},
        )
    return return_request


def return_receive(
    *, return_request, lines: list[dict], actor: Actor, warehouse: str = ""
) -> Return:
    """A parcel arrived: `lines` [{line, quantity}] are the units in it (units not listed
    did not arrive). A later parcel is received the same way, before or after the
    inspection of the first; each unit is received once (`quantity_exceeds_remaining`)."""
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status not in (
            Status.AUTHORISED,
            Status.IN_TRANSIT,
            Status.RECEIVED,
            Status.INSPECTED,
        ):
            raise illegal(return_request, "received")
        rows = {row.line.external_id: row for row in return_request.lines.select_related("line")}
        check_counts(rows, lines, lambda row: row.quantity - row.received_quantity, "received")
        arrived = []
        for item in lines:
            row = rows[item["line"]]
            if item["quantity"]:
                row.received_quantity += item["quantity"]
                row.save(update_fields=["received_quantity"])
                arrived.append(f"{item['quantity']} x {row.line.sku}")
        if not arrived:
            raise DomainError(
                ErrorCode.INVALID,
                "A parcel brings at least one unit.",
                errors={"lines": ["No units received."]},
            )
        if warehouse:
            return_request.receiving_warehouse = warehouse
        return_request.received_at = return_request.received_at or timezone.now()
        outstanding = sum(row.quantity - row.received_quantity for row in rows.values())
        return_transition(
            return_request=return_request,
            to=Status.RECEIVED,
            actor=actor,
            why=f"Parcel received{f' at {warehouse}' if warehouse else ''}: "
            + ", ".join(arrived)
            + (f"; {outstanding} unit(s) still to come." if outstanding else "."),
            data={"lines": lines, "warehouse": warehouse, "outstanding": outstanding},
        )
    return return_request


def check_counts(rows, items, room, what) -> None:
    """Every item names a line of the return, once, with no more units than `room`."""
    errors, seen = {}, set()
    for i, item in enumerate(items):
        row = rows.get(item["line"])
        if row is None:
            errors[f"lines[{i}].line"] = ["Not a line of this return."]
        elif item["line"] in seen:
            errors[f"lines[{i}].line"] = ["Each line once."]
        seen.add(item["line"])
    if errors:
        raise DomainError(ErrorCode.LINE_NOT_FOUND, "No such line on this return.", errors=errors)
    over = {}
    for i, item in enumerate(items):
        row = rows[item["line"]]
        units = item.get("quantity", 0)
        if units > room(row):
            over[f"lines[{i}]"] = [f"Only {room(row)} unit(s) of {item['line']} left to be {what}."]
    if over:
        raise DomainError(
            ErrorCode.QUANTITY_EXCEEDS_REMAINING,
            f"More units than are left to be {what}.",
            errors=over,
        )


# --- expiry ------------------------------------------------------------------------------


def returns_expire(*, now=None) -> int:
    """Expire authorised or in-transit returns with nothing received by `ship_by`,
    releasing their exchange stock. Returns how many."""
    now = now or timezone.now()
    due = Return.objects.filter(
        status__in=[Status.AUTHORISED, Status.IN_TRANSIT], ship_by__lt=now
    ).values_list("pk", flat=True)
    expired = 0
    actor = Actor.worker("return expiry")
    for pk in list(due.iterator()):
        with transaction.atomic(), journal():
            return_request = return_locked(Return.objects.only("pk", "order_id").get(pk=pk))
            if return_request.status not in (Status.AUTHORISED, Status.IN_TRANSIT):
                continue  # received or cancelled meanwhile
            if return_request.lines.filter(received_quantity__gt=0).exists():
                continue
            exchange_release(return_request, actor=actor, why="expired")
            return_transition(
                return_request=return_request,
                to=Status.EXPIRED,
                actor=actor,
                why=f"Nothing was received by {return_request.ship_by:%Y-%m-%d}.",
            )
            expired += 1
    return expired
