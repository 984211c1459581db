"""SPEC §3 refund maths, proven over random orders and random cancellation sequences."""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import ZERO, minor_digits, quantize
from refunds.calculator import allocate, line_refund, shipping_refund

CURRENCIES = ["USD", "JPY", "BHD"]  # two, zero and three minor digits


@dataclass
class Line:
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    cancelled_quantity: int = 0
    refunded_amount: Decimal = ZERO

    @property
    def total(self):
        return self.quantity * self.unit_price - self.discount + self.tax

    @property
    def active(self):
        return self.quantity - self.cancelled_quantity


@dataclass
class Payment:
    amount: Decimal
    refunded_amount: Decimal = ZERO


@dataclass
class Order:
    shipping: Decimal
    is_shipped: bool
    shipping_refunded: Decimal = ZERO
    lines: list = field(default_factory=list)


def exact(amount: Decimal, currency: str) -> bool:
    return amount == quantize(amount, currency)


@st.composite
def orders(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    digits = minor_digits(currency)

    def money(max_minor):
        return Decimal(draw(st.integers(0, max_minor))).scaleb(-digits)

    lines = []
    for _ in range(draw(st.integers(1, 4))):
        quantity = draw(st.integers(1, 7))
        unit_price = money(50_000) + Decimal(1).scaleb(-digits)
        share = draw(st.sampled_from(["0", "0.1", "0.37", "1"]))  # of the price, as discount
        discount = quantize(quantity * unit_price * Decimal(share), currency)
        lines.append(Line(quantity, unit_price, discount, money(3_000)))
    order = Order(shipping=money(2_000), is_shipped=draw(st.booleans()), lines=lines)
    total = sum((line.total for line in lines), start=order.shipping)
    # Split the captured total over one to three payments, in the order given.
    total_minor = int(total.scaleb(digits))
    cuts = sorted(draw(st.lists(st.integers(0, total_minor), max_size=2)))
    bounds = [0, *cuts, total_minor]
    payments = [Payment(Decimal(hi - lo).scaleb(-digits)) for lo, hi in itertools.pairwise(bounds)]
    return currency, order, [p for p in payments if p.amount > 0] or [Payment(total)]


def cancel(order, payments, picks, currency, refund_shipping) -> Decimal:
    """One approved request: refund the picked units (and maybe shipping), allocate it."""
    owed = ZERO
    for line, quantity in picks:
        amount = line_refund(line, quantity, currency)
        assert exact(amount, currency)
        line.cancelled_quantity += quantity
        line.refunded_amount += amount
        owed += amount
    active = sum(line.active for line in order.lines)
    shipping = shipping_refund(order, active, refund_shipping)
    order.shipping_refunded += shipping
    owed += shipping

    allocations = allocate(payments, owed)

    assert sum((a.amount for a in allocations), start=ZERO) == owed
    for allocation in allocations:
        assert allocation.amount > 0 and exact(allocation.amount, currency)
        allocation.payment.refunded_amount += allocation.amount
        assert allocation.payment.refunded_amount <= allocation.payment.amount
    return owed


@settings(max_examples=300, deadline=None)
@given(orders(), st.booleans(), st.data())
def test_any_sequence_of_partial_cancellations_refunds_exactly(generated, refund_shipping, data):
    # given any order, in USD, JPY or BHD, paid with one to three payments
    currency, order, payments = generated

    # when it is cancelled in random partial steps until nothing is left
    while any(line.active for line in order.lines):
        picks = []
        for line in order.lines:
            if line.active:
                quantity = data.draw(st.integers(0, line.active))
                if quantity:
                    picks.append((line, quantity))
        if not picks:
            line = next(line for line in order.lines if line.active)
            picks = [(line, line.active)]
        cancel(order, payments, picks, currency, refund_shipping)

    # then every line got back exactly its total, the order its total (shipping only
    # when fully cancelled unshipped and the policy says so), never more than captured
    for line in order.lines:
        assert line.refunded_amount == line.total
    lines_total = sum((line.total for line in order.lines), start=ZERO)
    expected = lines_total + (order.shipping if refund_shipping and not order.is_shipped else ZERO)
    assert sum((p.refunded_amount for p in payments), start=ZERO) == expected
    assert all(p.refunded_amount <= p.amount for p in payments)


@settings(max_examples=200, deadline=None)
@given(orders(), st.data())
def test_allocation_fills_payments_in_order_and_caps_each(generated, data):
    # given payments with some amount already refunded
    currency, _order, payments = generated
    digits = minor_digits(currency)
    for payment in payments:
        minor = int(payment.amount.scaleb(digits))
        payment.refunded_amount = Decimal(data.draw(st.integers(0, minor))).scaleb(-digits)
    refundable = sum((p.amount - p.refunded_amount for p in payments), start=ZERO)
    owed = Decimal(data.draw(st.integers(0, int(refundable.scaleb(digits))))).scaleb(-digits)

    # when an amount they can take is allocated
    allocations = allocate(payments, owed)

    # then earlier payments are filled first, none beyond what is left on it
    assert sum((a.amount for a in allocations), start=ZERO) == owed
    taken = {id(a.payment): a.amount for a in allocations}
    full = True
    for payment in payments:
        share = taken.get(id(payment), ZERO)
        assert share <= payment.amount - payment.refunded_amount
        if share and not full:
            pytest.fail("a later payment was used while an earlier one had room")
        full = share == payment.amount - payment.refunded_amount

    # and one unit more than they can take is refused
    with pytest.raises(ValueError):
        allocate(payments, refundable + Decimal(1).scaleb(-digits))


def test_steps_round_half_up_on_what_is_left():
    # given 3 units at 10.00 plus 0.01 tax: a line total of 30.01
    line = Line(3, Decimal("10.00"), ZERO, Decimal("0.01"))
    amounts = []

    # when cancelled one unit at a time
    for _ in range(3):
        amount = line_refund(line, 1, "USD")
        line.cancelled_quantity += 1
        line.refunded_amount += amount
        amounts.append(amount)

    # then 30.01/3 = 10.003 -> 10.00; 20.01/2 = 10.005 -> 10.01 (half up); 10.00 left
    assert amounts == [Decimal("10.00"), Decimal("10.01"), Decimal("10.00")]


def test_shipping_comes_back_only_when_nothing_stays_active_unshipped():
    unshipped = Order(shipping=Decimal("4.99"), is_shipped=False)
    shipped = Order(shipping=Decimal("4.99"), is_shipped=True)

    assert shipping_refund(unshipped, 0, True) == Decimal("4.99")
    assert shipping_refund(unshipped, 1, True) == ZERO
    assert shipping_refund(unshipped, 0, False) == ZERO
    assert shipping_refund(shipped, 0, True) == ZERO
