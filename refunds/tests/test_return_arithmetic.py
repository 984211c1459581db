"""SPEC §8's money over random lines and random return sequences (hypothesis): a line
cancelled and returned in any steps gives back exactly its total; fees are the policy's
percent of the resellable units' refund, never more than the refund; the net is never
below zero; store credit is the net plus the bonus, rounded half up."""

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import ZERO, minor_digits, quantize
from refunds.calculator import line_refund, net_of_fees, percent_of, return_line_refund, with_bonus
from returns.pricing import line_price

CURRENCIES = ["USD", "JPY", "BHD"]


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


def amounts(currency, max_value=500):
    places = minor_digits(currency)
    return st.decimals(
        min_value=0, max_value=max_value, places=places, allow_nan=False, allow_infinity=False
    )


@st.composite
def lines(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    quantity = draw(st.integers(min_value=1, max_value=12))
    unit_price = draw(amounts(currency))
    gross = quantity * unit_price
    discount = draw(amounts(currency, max_value=gross)) if gross else ZERO
    tax = draw(amounts(currency, max_value=100))
    return currency, Line(quantity, unit_price, discount, tax)


percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), drawn=lines())
def test_cancelling_then_returning_in_any_steps_gives_back_exactly_the_line_total(data, drawn):
    currency, line = drawn
    refunded_units = 0
    given_back = []
    # Some units cancelled before shipping, in steps...
    cancel = data.draw(st.integers(min_value=0, max_value=line.quantity))
    while line.cancelled_quantity < cancel:
        k = data.draw(st.integers(min_value=1, max_value=cancel - line.cancelled_quantity))
        amount = line_refund(line, k, currency)
        line.cancelled_quantity += k
        line.refunded_amount += amount
        given_back.append(amount)
    # ... and the rest returned in steps (each step a refund of some of the units left)
    while refunded_units < line.quantity - line.cancelled_quantity:
        refundable = line.quantity - line.cancelled_quantity - refunded_units
        k = data.draw(st.integers(min_value=1, max_value=refundable))
        amount = return_line_refund(line, k, refundable, currency)
        assert amount >= 0
        assert amount == quantize(amount, currency)
        line.refunded_amount += amount
        refunded_units += k
        given_back.append(amount)

    assert sum(given_back, start=ZERO) == line.total


@settings(max_examples=300, deadline=None)
@given(data=st.data(), drawn=lines(), percent=percents)
def test_the_restocking_fee_is_the_percent_of_the_resellable_refund_and_never_more(
    data, drawn, percent
):
    currency, line = drawn
    refundable = line.quantity
    refunded = data.draw(st.integers(min_value=0, max_value=refundable))
    resellable = data.draw(st.integers(min_value=0, max_value=refunded))

    price = line_price(
        line,
        refunded=refunded,
        resellable=resellable,
        refundable_units=refundable,
        fee_percent=percent,
        currency=currency,
    )

    resellable_refund = return_line_refund(line, resellable, refundable, currency)
    assert price.restocking_fee == quantize(resellable_refund * percent / 100, currency)
    assert ZERO <= price.restocking_fee <= resellable_refund <= price.amount + Decimal("1e-3")
    assert price.amount == return_line_refund(line, refunded, refundable, currency)


@settings(max_examples=300, deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    data=st.data(),
    percent=percents,
)
def test_the_net_is_never_below_zero_and_store_credit_adds_the_bonus_half_up(
    currency, data, percent
):
    gross = data.draw(amounts(currency, max_value=1000))
    restocking = data.draw(amounts(currency, max_value=1000))
    label_fee = data.draw(amounts(currency, max_value=50))

    net = net_of_fees(gross, restocking, label_fee)

    assert net >= 0
    assert net == max(ZERO, gross - restocking - label_fee)
    credit = with_bonus(net, percent, currency)
    assert credit == quantize(net + net * percent / 100, currency)
    assert credit >= net
    assert percent_of(net, Decimal(0), currency) == 0
