"""Two hundred random cancellations over flaky, declining and good payments, through
the real API and the real refund execution: afterwards the books balance (issue 4).

Invariants checked at the end:
- per payment: refunds allocated == sum of its refunds <= captured;
- per line: what was refunded == sum of its approved cancellation lines, and a line
  cancelled completely got back exactly its total;
- per order: refunds == lines refunded + shipping refunded, shipping only on a full
  cancellation of the unshipped order;
- gateway: each refund that succeeded through it moved money exactly once, under its
  key; a declined or manual one moved none;
- stock: every level equals the sum of its ledger, and nothing cancelled stays reserved.
"""

import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from cancellations.models import CancellationLine, CancellationRequest
from conftest import order_payload
from inventory.models import StockLevel
from kernel.actors import Actor
from kernel.money import ZERO
from orders.models import Order, OrderLine, Payment
from refunds.models import Refund, SandboxGatewayCall
from refunds.services import refund_execute, refund_record_manual
from retailers.services import policy_update

pytestmark = pytest.mark.django_db

ORDERS = 80
CANCELLATIONS = 200
REFERENCES = ["ch_ok", "sandbox_flaky", "sandbox_decline"]


def random_order(rng: random.Random, n: int) -> dict:
    lines = [
        {
            "external_id": f"l{i}",
            "sku": f"SKU-{rng.randrange(8)}",
            "quantity": rng.randint(1, 4),
            "unit_price": f"{rng.randint(250, 2500) / 100:.2f}",
            "discount": rng.choice(["0", "0.50", "1.99"]),
            "tax": rng.choice(["0", "0.01", "1.37"]),
        }
        for i in range(rng.randint(1, 3))
    ]
    body = order_payload(lines=lines, shipping=rng.choice(["0", "4.99", "7.50"]), customer=f"c{n}")
    total = Decimal(body["payments"][0]["amount"])
    first = min(total, Decimal(rng.randint(0, int(total * 100))) / 100)
    parts = [first, total - first] if rng.random() < 0.5 and first else [total]
    body["payments"] = [
        {
            "external_id": f"p{i}",
            "method": rng.choice(["card", "gift_card", "paypal"]),
            "amount": str(amount),
            "reference": f"{rng.choice(REFERENCES)}_{n}_{i}",
        }
        for i, amount in enumerate(parts)
        if amount > 0
    ]
    return body


def settle_all_refunds():
    """Let time pass until no refund is pending: every due attempt gets made."""
    while Refund.objects.filter(status="pending").exists():
        Refund.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        for refund_id in Refund.objects.filter(status="pending").values_list("pk", flat=True):
            refund_execute(refund_id=refund_id)


def test_random_cancellations_keep_every_book_balanced(api, retailer, supervisor):
    rng = random.Random(20261126)
    # Each customer cancels many times here: not abuse, just the test's load.
    policy_update(retailer=retailer, values={"abuse_threshold": 1000}, created_by="test")
    # given sixty orders paid with good, flaky and declining payments
    for n in range(ORDERS):
        response = api.put(f"/api/v1/orders/R-{n}", random_order(rng, n), format="json")
        assert response.status_code == 201, response.json()

    # when two hundred random partial cancellations are submitted, then executed
    # (refunds run below, as workers would, with every wait they ask for elapsing)
    submitted = approved = 0
    while submitted < CANCELLATIONS:
        order = Order.objects.get(external_id=f"R-{rng.randrange(ORDERS)}")
        active = [line for line in order.lines.all() if line.active_quantity]
        if not active:
            continue
        picks = rng.sample(active, rng.randint(1, min(2, len(active))))
        body = {
            "order": order.external_id,
            "reason": "changed_mind",
            "lines": [
                {"line": line.external_id, "quantity": rng.randint(1, min(2, line.active_quantity))}
                for line in picks
            ],
        }
        response = api.post("/api/v1/cancellations", body, format="json")
        assert response.status_code == 201, (body, response.json().get("errors"))
        submitted += 1
        approved += response.json()["status"] == "approved"
    settle_all_refunds()
    # and a supervisor records a manual refund for a few of the declined ones
    for refund in Refund.objects.filter(status="failed").order_by("id")[:5]:
        refund_record_manual(
            refund=refund, reference=f"WIRE-{refund.pk}", actor=Actor.for_user(supervisor.user)
        )

    # then
    assert submitted == CANCELLATIONS
    assert approved > CANCELLATIONS * 9 // 10
    assert Refund.objects.filter(status="succeeded").exists()
    assert Refund.objects.filter(status="failed").exists()

    for payment in Payment.objects.all():
        refunded = payment.refunds.aggregate(s=Sum("amount"))["s"] or ZERO
        assert payment.refunded_amount == refunded <= payment.amount, payment

    decided = CancellationLine.objects.filter(request__status__in=["approved", "completed"])
    for line in OrderLine.objects.select_related("order"):
        from_requests = decided.filter(line=line).aggregate(s=Sum("refund_amount"))["s"] or ZERO
        assert line.refunded_amount == from_requests, line
        if line.cancelled_quantity == line.quantity:
            assert line.refunded_amount == line.total, line

    for order in Order.objects.prefetch_related("lines"):
        lines_refunded = sum((line.refunded_amount for line in order.lines.all()), start=ZERO)
        refunds = Refund.objects.filter(payment__order=order).aggregate(s=Sum("amount"))["s"]
        assert (refunds or ZERO) == lines_refunded + order.shipping_refunded, order
        fully_cancelled = all(not line.active_quantity for line in order.lines.all())
        assert order.shipping_refunded == (order.shipping if fully_cancelled else ZERO), order
    assert (
        not CancellationRequest.objects.filter(status="approved", needs_attention=False)
        .filter(refunds__status="failed", refunds__manual=False)
        .exists()
    )

    for refund in Refund.objects.all():
        moved = SandboxGatewayCall.objects.filter(
            idempotency_key=refund.idempotency_key, money_moved=True
        ).count()
        went_through = refund.status == "succeeded" and not refund.manual
        assert moved == (1 if went_through else 0), refund
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == (
        Refund.objects.filter(status="succeeded", manual=False).count()
    )

    for level in StockLevel.objects.annotate(
        on_hand_sum=Sum("movements__on_hand_delta"), reserved_sum=Sum("movements__reserved_delta")
    ):
        assert (level.on_hand, level.reserved) == (
            level.on_hand_sum or 0,
            level.reserved_sum or 0,
        ), level
    for line in OrderLine.objects.all():
        assert line.reserved_quantity == line.active_quantity, line
