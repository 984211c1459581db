"""A Shopify order body, read as SPEC §12 says, into the body of SPEC §5's
`PUT /api/v1/orders/{id}`: what `orders.services.order_upsert` takes once the order
API's serializer has validated it. Pure functions: nothing here reads or writes the
database (the caller passes what it knows of the order already).

Every Shopify field used is listed in docs/connectors.md, with what happens to the ones
that do not fit. Amounts are the shop-currency figures (`*_set.shop_money`), else the
plain field; never a float.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from kernel.money import ZERO, format_amount, has_valid_precision, quantize

SHIPPED = {"partial", "fulfilled"}
# `pending` appears in Shopify's own test notifications; `restocked` is an order whose
# items went back to stock (it was cancelled or refunded): neither shipped anything.
UNSHIPPED = {None, "", "unfulfilled", "pending", "restocked", "null"}


class UnreadableOrder(ValueError):
    """The body is JSON but not an order we can read; the message says what is missing."""


@dataclass
class MappedOrder:
    external_id: str
    body: dict  # SPEC §5's PUT body, amounts as decimal strings
    updated_at: datetime | None
    shopify_total: Decimal
    currency: str
    cancelled_at: str | None = None
    notes: list[str] = field(default_factory=list)


def shop_amount(item: dict, name: str) -> Decimal:
    """`item[name]` in the shop's currency: `<name>_set.shop_money.amount` when Shopify
    sends it (the presentment figure may be another currency), else `item[name]`."""
    money_set = item.get(f"{name}_set") or {}
    shop_money = money_set.get("shop_money") if isinstance(money_set, dict) else None
    raw = (shop_money or {}).get("amount", item.get(name))
    return decimal(raw, name)


def decimal(raw, name: str) -> Decimal:
    if raw is None or raw == "":
        return ZERO
    if isinstance(raw, float):
        # Shopify sends money as strings; a float here lost its exactness somewhere.
        raw = repr(raw)
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise UnreadableOrder(f"{name} is not an amount: {raw!r}") from exc


def _sum(items, name: str) -> Decimal:
    return sum((shop_amount(item, name) for item in items or ()), start=ZERO)


def _fit(amount: Decimal, currency: str, what: str, notes: list) -> Decimal:
    """The amount in the currency's minor unit: "1200.00" JPY is 1200. Shopify never
    sends sub-minor amounts; if it did, the order is refused rather than rounded."""
    if has_valid_precision(amount, currency):
        return amount
    fitted = quantize(amount, currency)
    if fitted != amount:
        raise UnreadableOrder(f"{what} {amount} has more decimals than {currency} allows")
    return fitted


def _id(value, what: str) -> str:
    if value is None or value == "":
        raise UnreadableOrder(f"{what} is missing")
    if isinstance(value, float):
        raise UnreadableOrder(f"{what} {value!r} went through a float: its digits are lost")
    return str(value)


def _name(first, last) -> str:
    return " ".join(part for part in (first, last) if part).strip()


def _customer(order: dict, order_id: str) -> dict:
    customer = order.get("customer") or {}
    if customer.get("id") is not None:
        return {
            "external_id": _id(customer["id"], "customer.id"),
            "email": customer.get("email") or order.get("email") or "",
            "name": _name(customer.get("first_name"), customer.get("last_name"))
            or (order.get("billing_address") or {}).get("name")
            or "",
            "phone": (customer.get("phone") or "")[:40],
        }
    # A guest: the order is the customer's only record, so it keys the customer.
    billing = order.get("billing_address") or {}
    return {
        "external_id": f"shopify-guest-{order_id}",
        "email": order.get("email") or order.get("contact_email") or "",
        "name": billing.get("name") or _name(billing.get("first_name"), billing.get("last_name")),
        "phone": (billing.get("phone") or order.get("phone") or "")[:40],
    }


def order_map(order: dict, *, shipped_at: str | None = None) -> MappedOrder:
    """Read a Shopify order body. `shipped_at`: when our copy of the order first
    shipped, kept so a later update does not move the return window."""
    if not isinstance(order, dict):
        raise UnreadableOrder("the body is not a JSON object")
    order_id = _id(order.get("id"), "id")
    currency = (order.get("currency") or "").upper()
    if not currency:
        raise UnreadableOrder("currency is missing")
    taxes_included = bool(order.get("taxes_included"))
    notes: list[str] = []
    presentment = (order.get("presentment_currency") or currency).upper()
    if presentment != currency:
        notes.append(
            f"The customer paid in {presentment}; amounts are the shop's {currency} figures."
        )

    lines = []
    for item in order.get("line_items") or ():
        line_id = _id(item.get("id"), "line_items[].id")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or quantity < 1:
            notes.append(f"Line {line_id} has quantity {quantity!r}: left out.")
            continue
        sku = (item.get("sku") or "").strip()
        if not sku:
            variant = item.get("variant_id")
            sku = f"variant-{variant}" if variant is not None else f"line-{line_id}"
        tax = ZERO if taxes_included else _sum(item.get("tax_lines"), "price")
        lines.append(
            {
                "external_id": line_id,
                "sku": sku[:100],
                "title": (item.get("title") or "")[:300],
                "quantity": quantity,
                "unit_price": _fit(shop_amount(item, "price"), currency, "price", notes),
                "discount": _fit(
                    _sum(item.get("discount_allocations"), "amount"), currency, "discount", notes
                ),
                "tax": _fit(tax, currency, "tax", notes),
            }
        )
    if not lines:
        raise UnreadableOrder("the order has no line items")

    shipping = ZERO
    for shipping_line in order.get("shipping_lines") or ():
        shipping += shop_amount(shipping_line, "price")
        shipping -= _sum(shipping_line.get("discount_allocations"), "amount")
        if not taxes_included:
            shipping += _sum(shipping_line.get("tax_lines"), "price")
    shipping = _fit(shipping, currency, "shipping", notes)

    total = _fit(shop_amount(order, "total_price"), currency, "total_price", notes)
    status = order.get("fulfillment_status")
    updated_at = parse_datetime(order.get("updated_at") or "") if order.get("updated_at") else None
    body = {
        "placed_at": order.get("created_at"),
        "currency": currency,
        "customer": _customer(order, order_id),
        "fulfillment_status": "unfulfilled",
        "shipped_at": None,
        "delivered_at": None,
        "shipping": str(shipping),
        "lines": [
            {**line, **{k: str(line[k]) for k in ("unit_price", "discount", "tax")}}
            for line in lines
        ],
        "payments": [
            {
                "external_id": order_id,
                "method": "shopify",
                "amount": str(total),
                "reference": order_id,
            }
        ],
    }
    if status in SHIPPED:
        body["fulfillment_status"] = "shipped"
        body["shipped_at"] = shipped_at or order.get("updated_at") or order.get("created_at")
    elif status not in UNSHIPPED:
        notes.append(
            f"Shopify fulfilment status {status!r} is not one we know: read as unfulfilled."
        )
    ours = sum(
        (line["quantity"] * line["unit_price"] - line["discount"] + line["tax"] for line in lines),
        start=shipping,
    )
    if ours != total:
        notes.append(
            f"Shopify's total_price is {format_amount(total, currency)} but the lines and "
            f"shipping add up to {format_amount(ours, currency)} under our rules."
        )
    return MappedOrder(
        external_id=order_id,
        body=body,
        updated_at=updated_at,
        shopify_total=total,
        currency=currency,
        cancelled_at=order.get("cancelled_at"),
        notes=notes,
    )


def payment_gateways(order: dict) -> list[str]:
    return [str(name) for name in order.get("payment_gateway_names") or () if name]


def refund_money(refund: dict) -> Decimal:
    """What a Shopify refund gave back: its successful `refund` transactions (SPEC §12),
    not its lines' arithmetic."""
    return sum(
        (
            decimal(t.get("amount"), "transactions[].amount")
            for t in refund.get("transactions") or ()
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        start=ZERO,
    )


def refund_lines(refund: dict) -> list[tuple[str, int, Decimal]]:
    """(line item id, units, the line's own arithmetic for them) per refunded line: the
    weights by which the refund's money is spread over the lines it names."""
    rows = []
    for item in refund.get("refund_line_items") or ():
        line_item = item.get("line_item") or {}
        line_id = item.get("line_item_id", line_item.get("id"))
        if line_id is None:
            continue
        quantity = int(item.get("quantity") or 0)
        if item.get("subtotal") is not None:
            weight = decimal(item.get("subtotal"), "subtotal") + decimal(
                item.get("total_tax"), "total_tax"
            )
        else:
            price = shop_amount(line_item, "price") if line_item else ZERO
            weight = price * quantity + _sum(line_item.get("tax_lines"), "price")
        rows.append((str(line_id), quantity, weight))
    return rows
