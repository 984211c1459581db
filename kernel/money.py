"""Exact money: Decimal amounts with each currency's own minor digits (SPEC §3).

Amounts are stored as Decimal with up to three decimal places (enough for BHD, KWD,
TND...) and always quantized to the currency's exponent, so "19.99" USD and "1200" JPY
travel and compare exactly.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

MAX_DIGITS = 14
DECIMAL_PLACES = 3
ZERO = Decimal(0)


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isupper())


def is_currency(code: str) -> bool:
    return code in known_currencies()


@cache
def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    return amount == amount.quantize(_quantum(currency))


def format_amount(amount: Decimal, currency: str) -> str:
    """The wire form of SPEC §3: "19.99", JPY "1200"."""
    return str(quantize(amount, currency))


def pro_rata(total: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """round_half_up(total * part / whole) in the currency's minor unit."""
    if part == whole:
        return total
    return quantize(total * part / whole, currency)
