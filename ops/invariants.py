"""What must hold whatever failed: the checks behind `manage.py check_invariants`.

Each check is a few aggregate queries and returns the rows that break it, as
`Violation`s naming the row and the figures. An empty result is a clean bill.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from inventory.selectors import stock_level_drifts
from kernel.money import format_amount
from orders.models import Payment
from orders.selectors import line_reservation_drifts
from refunds.models import Refund, SandboxGatewayCall, SandboxStoreCreditCall, StoreCredit
from retailers.models import Retailer
from returns.models import Return
from returns.models import Status as ReturnStatus

# Approved requests and pending refunds get this long before they count as stuck: the
# workers may still be on them (a retry's backoff is measured from its due time).
DEFAULT_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class Violation:
    check: str
    row: str
    detail: str

    def __str__(self):
        return f"[{self.check}] {self.row}: {self.detail}"


# What has left each payment, by name: the invariant is that their sum never exceeds
# what was captured. Lost chargebacks (SPEC §9) join here when they exist, as
# ("chargebacks lost", lambda payment: <their sum for OuterRef payment>).
PAYMENT_OUTFLOWS = [
    (
        "refunds succeeded",
        lambda payment: Coalesce(
            Subquery(
                Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED)
                .order_by()
                .values("payment")
                .annotate(total=Sum("amount"))
                .values("total")[:1]
            ),
            Value(0),
            output_field=DecimalField(max_digits=14, decimal_places=3),
        ),
    ),
]


def payments_overrefunded() -> list[Violation]:
    """Per payment: everything that left it (PAYMENT_OUTFLOWS) <= what was captured."""
    annotations = {
        f"out_{i}": flow(OuterRef("pk")) for i, (_name, flow) in enumerate(PAYMENT_OUTFLOWS)
    }
    total = sum((F(name) for name in annotations), start=Value(0))
    rows = (
        Payment.objects.annotate(**annotations)
        .annotate(outflow=total)
        .filter(outflow__gt=F("amount"))
        .select_related("order", "order__retailer")
    )
    violations = []
    for payment in rows:
        currency = payment.order.currency
        parts = ", ".join(
            f"{name} {format_amount(getattr(payment, f'out_{i}'), currency)}"
            for i, (name, _flow) in enumerate(PAYMENT_OUTFLOWS)
        )
        violations.append(
            Violation(
                "payment_overrefunded",
                f"payment {payment.external_id} of order {payment.order.external_id} "
                f"({payment.order.retailer.slug})",
                f"captured {format_amount(payment.amount, currency)} {currency}, out {parts}",
            )
        )
    return violations


def refund_movements(*, now=None, grace=DEFAULT_GRACE) -> list[Violation]:
    """Sandbox-gateway refunds: a succeeded one moved money exactly once; a failed, held
    or cancelled one never; a pending one not (beyond the grace: money moved but never
    recorded)."""
    now = now or timezone.now()
    moved = Coalesce(
        Subquery(
            SandboxGatewayCall.objects.filter(
                idempotency_key=OuterRef("idempotency_key"), money_moved=True
            )
            .order_by()
            .values("idempotency_key")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        Value(0),
    )
    rows = (
        Refund.objects.filter(retailer__gateway=Retailer.Gateway.SANDBOX)
        .annotate(moved=moved)
        .filter(
            Q(status=Refund.Status.SUCCEEDED, manual=False) & ~Q(moved=1)
            | Q(
                status__in=[Refund.Status.FAILED, Refund.Status.HELD, Refund.Status.CANCELLED],
                moved__gt=0,
            )
            | Q(status=Refund.Status.PENDING, moved__gt=0, updated_at__lt=now - grace)
            | Q(moved__gt=1)
        )
        .select_related("payment")
    )
    return [
        Violation(
            "refund_movements",
            f"refund {refund.pk} ({refund.status}) on payment {refund.payment.external_id}",
            f"{refund.moved} gateway movement(s) of money",
        )
        for refund in rows
    ]


def stock_matches_ledger() -> list[Violation]:
    """Stock levels and line reservations equal the sums of their ledger movements."""
    return [Violation("stock_level", str(d.sku), str(d)) for d in stock_level_drifts()] + [
        Violation("line_reservation", str(d.order), str(d)) for d in line_reservation_drifts()
    ]


def approved_requests_settled(*, now=None, grace=DEFAULT_GRACE) -> list[Violation]:
    """Every approved request is completed, or flagged `needs_attention` for a person.

    One still approved and unflagged past the grace is stuck: either nothing of it is
    pending (it should have completed), or a refund of it is overdue (no worker took it).
    """
    now = now or timezone.now()
    cutoff = now - grace
    rows = (
        CancellationRequest.objects.filter(
            status=Status.APPROVED, needs_attention=False, decided_at__lt=cutoff
        )
        .annotate(
            # Held refunds wait for a chargeback (SPEC §9): in flight, not stuck.
            pending=Count(
                "refunds",
                filter=Q(refunds__status__in=[Refund.Status.PENDING, Refund.Status.HELD]),
            ),
            overdue=Count(
                "refunds",
                filter=Q(refunds__status=Refund.Status.PENDING)
                & Q(refunds__next_attempt_at__lt=cutoff),
            ),
            # A request refunded as store credit (SPEC §10) waits for its credit instead.
            credits_pending=Count(
                "store_credits", filter=Q(store_credits__status=StoreCredit.Status.PENDING)
            ),
        )
        .filter(Q(pending=0, credits_pending=0) | Q(overdue__gt=0))
        .select_related("order")
    )
    return [
        Violation(
            "approved_not_settled",
            f"cancellation {case.pk} of order {case.order.external_id}",
            (
                "approved with nothing pending but not completed"
                if not case.pending
                else f"{case.overdue} refund(s) overdue and the request not flagged"
            ),
        )
        for case in rows
    ]


def store_credit_issues(*, now=None, grace=DEFAULT_GRACE) -> list[Violation]:
    """Sandbox-issuer store credit: an issued one was issued exactly once, a failed one
    never, a pending one not (beyond the grace: issued but never recorded)."""
    now = now or timezone.now()
    issued = Coalesce(
        Subquery(
            SandboxStoreCreditCall.objects.filter(
                idempotency_key=OuterRef("idempotency_key"), issued=True
            )
            .order_by()
            .values("idempotency_key")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        Value(0),
    )
    rows = (
        StoreCredit.objects.filter(retailer__store_credit_issuer="sandbox")
        .annotate(issued=issued)
        .filter(
            Q(status=StoreCredit.Status.ISSUED) & ~Q(issued=1)
            | Q(status=StoreCredit.Status.FAILED, issued__gt=0)
            | Q(status=StoreCredit.Status.PENDING, issued__gt=0, updated_at__lt=now - grace)
            | Q(issued__gt=1)
        )
        .select_related("order")
    )
    return [
        Violation(
            "store_credit_issues",
            f"store credit {credit.pk} ({credit.status}) of order {credit.order.external_id}",
            f"{credit.issued} issue(s) at the issuer",
        )
        for credit in rows
    ]


def inspected_returns_settled(*, now=None, grace=DEFAULT_GRACE) -> list[Violation]:
    """Every inspected return closes, or is flagged `needs_attention` for a person: one
    still inspected and unflagged past the grace with nothing of it pending is stuck."""
    now = now or timezone.now()
    rows = (
        Return.objects.filter(
            status=ReturnStatus.INSPECTED,
            needs_attention=False,
            inspected_at__lt=now - grace,
        )
        .annotate(
            pending=Count(
                "refunds",
                filter=Q(refunds__status__in=[Refund.Status.PENDING, Refund.Status.HELD]),
            ),
            credits_pending=Count(
                "store_credits", filter=Q(store_credits__status=StoreCredit.Status.PENDING)
            ),
        )
        .filter(pending=0, credits_pending=0)
        .select_related("order")
        .defer("label_pdf")
    )
    return [
        Violation(
            "inspected_not_settled",
            f"return {found.pk} of order {found.order.external_id}",
            "inspected with nothing pending but not closed",
        )
        for found in rows
    ]


CHECKS = {
    "payments": payments_overrefunded,
    "refund_movements": refund_movements,
    "stock": stock_matches_ledger,
    "approved_requests": approved_requests_settled,
    "store_credit_issues": store_credit_issues,
    "inspected_returns": inspected_returns_settled,
}


def invariants_check(*, grace=DEFAULT_GRACE, now=None) -> list[Violation]:
    now = now or timezone.now()
    return [
        *payments_overrefunded(),
        *refund_movements(now=now, grace=grace),
        *stock_matches_ledger(),
        *approved_requests_settled(now=now, grace=grace),
        *store_credit_issues(now=now, grace=grace),
        *inspected_returns_settled(now=now, grace=grace),
    ]
