"""Refunds of a connected shop's orders go back through Shopify (SPEC §12): the Admin
API's `refundCreate` mutation, with `@idempotent(key:)` derived from our refund's id, so
a repeated attempt is answered with the first refund instead of a second one.

Rescind's payment for a Shopify order is the whole order (external id and reference the
Shopify order id); Shopify holds the real tenders (`visa`, `bogus`, gift cards...). The
adapter reads the order's transactions and spreads the amount over its successful sales
and captures in their order, each capped at what is left to refund on it, the way our
own allocation treats payments (SPEC §3); Shopify refunds each tender.

The refund carries `rescind-refund:<id>` in its note: the `refunds/create` webhook
Shopify sends back for it is then recognised as ours and not recorded a second time.

Credentials are the shop's Admin API token, sealed on its `ShopifyConnection` (one per
retailer: they cannot live in settings as a single provider's key would).
"""

from decimal import Decimal

from kernel.money import ZERO, format_amount
from refunds.gateways.base import GatewayAdapter, GatewayResult
from retailers.models import ShopifyConnection
from retailers.shopify_admin import NETWORK_ERRORS, admin_graphql, gid_number, shop_gid

TRANSACTIONS = """
query OrderTransactions($id: ID!) {
  order(id: $id) {
    refunds(first: 250) { id note }
    transactions {
      id gateway kind status
      parentTransaction { id }
      amountSet { shopMoney { amount currencyCode } }
    }
  }
}
"""

REFUND_CREATE = """
mutation RescindRefund($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""

MONEY_IN = {"SALE", "CAPTURE"}


def idempotency_key_for(refund_id, idempotency_key: str) -> str:
    """Our refund's id, and its key (a new one after a decline, when a supervisor
    retries: that attempt must not be answered with the old refusal)."""
    return f"rescind-refund-{refund_id}-{idempotency_key}"


def split_over_transactions(transactions: list[dict], amount: Decimal) -> list[dict] | None:
    """[{parentId, gateway, amount}] spreading `amount` over the sales and captures that
    still have money to give back, in their order; None when they cannot take it all."""
    refunded: dict[str, Decimal] = {}
    for t in transactions:
        if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS":
            parent = (t.get("parentTransaction") or {}).get("id")
            if parent:
                refunded[parent] = refunded.get(parent, ZERO) + _amount(t)
    parts, left = [], amount
    for t in transactions:
        if left <= 0:
            break
        if t.get("kind") not in MONEY_IN or t.get("status") != "SUCCESS":
            continue
        room = _amount(t) - refunded.get(t["id"], ZERO)
        take = min(room, left)
        if take > 0:
            parts.append({"parentId": t["id"], "gateway": t.get("gateway") or "", "amount": take})
            left -= take
    return parts if left <= 0 else None


def _amount(transaction: dict) -> Decimal:
    shop = ((transaction.get("amountSet") or {}).get("shopMoney")) or {}
    return Decimal(str(shop.get("amount") or "0"))


class ShopifyGateway(GatewayAdapter):
    code = "shopify"
    timeout_seconds = 20.0
    network_errors = NETWORK_ERRORS
    wants_refund_id = True

    def _refund(
        self, *, payment_reference, amount, currency, idempotency_key, refund_id=None
    ) -> GatewayResult:
        from refunds.models import Refund

        refund = Refund.objects.select_related("retailer").filter(pk=refund_id).first()
        connection = (
            ShopifyConnection.objects.filter(retailer=refund.retailer, is_active=True).first()
            if refund is not None
            else None
        )
        if connection is None:
            return GatewayResult(
                "declined", failure_code="not_connected", message="No Shopify connection."
            )
        order_gid = shop_gid("Order", payment_reference)
        read = admin_graphql(
            connection,
            query=TRANSACTIONS,
            variables={"id": order_gid},
            timeout=self.timeout_seconds / 2,
        )
        if not read.ok:
            return self._failure(read)
        order = read.data.get("order") or {}
        mark = f"rescind-refund:{refund_id}"
        for earlier in order.get("refunds") or []:
            # An attempt whose answer we never heard went through: that is the refund
            # (its money is already out of the transactions the split would read).
            if (earlier.get("note") or "") == mark:
                return GatewayResult(
                    "succeeded", reference=gid_number(earlier["id"]), message="Replayed."
                )
        transactions = order.get("transactions") or []
        parts = split_over_transactions(transactions, amount)
        if parts is None:
            return GatewayResult(
                "declined",
                failure_code="insufficient_refundable",
                message=f"Shopify's transactions cannot take back "
                f"{format_amount(amount, currency)} {currency}.",
            )
        answer = admin_graphql(
            connection,
            query=REFUND_CREATE,
            variables={
                "key": idempotency_key_for(refund_id, idempotency_key),
                "input": {
                    "orderId": order_gid,
                    "note": mark,
                    "notify": True,
                    "transactions": [
                        {
                            "orderId": order_gid,
                            "parentId": part["parentId"],
                            "gateway": part["gateway"],
                            "kind": "REFUND",
                            "amount": format_amount(part["amount"], currency),
                        }
                        for part in parts
                    ],
                },
            },
            timeout=self.timeout_seconds / 2,
        )
        if not answer.ok:
            return self._failure(answer)
        payload = answer.data.get("refundCreate") or {}
        errors = payload.get("userErrors") or []
        if errors:
            return GatewayResult(
                "declined",
                failure_code="declined",
                message="; ".join(e.get("message", "") for e in errors)[:500],
            )
        created = payload.get("refund") or {}
        if not created.get("id"):
            return GatewayResult("transient", failure_code="gateway_error", message="No refund id.")
        return GatewayResult("succeeded", reference=gid_number(created["id"]))

    @staticmethod
    def _failure(answer) -> GatewayResult:
        if answer.transient:
            return GatewayResult("transient", failure_code="gateway_error", message=answer.error)
        return GatewayResult(
            "declined", failure_code=answer.code or "declined", message=answer.error
        )
