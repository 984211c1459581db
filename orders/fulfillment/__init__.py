"""Fulfilment adapters: how Rescind asks a retailer's warehouse (or 3PL) to stop an
order it is picking, and to go on when the cancellation is withdrawn (SPEC §12).

Chosen per retailer by `Retailer.fulfillment`. Adding a warehouse system is one class
and one registry line, as for payment gateways (refunds/gateways):

1. A class of `FulfillmentAdapter` with `code` and `_stop(request)` / `_resume(request)`
   answering a `FulfillmentResult`: `submitted` (asked; the answer comes later, through
   `POST /api/v1/cancellations/{id}/warehouse` or the warehouse's own webhook),
   `accepted` or `rejected` (the warehouse answered at once), `transient` (try again),
   `failed` (it can never work: say why).
2. Add it to `ADAPTERS` and its choice to `Retailer.Fulfillment`.
"""

from orders.fulfillment.base import FulfillmentAdapter, FulfillmentResult, StopRequest
from orders.fulfillment.sandbox import SandboxFulfillment
from orders.fulfillment.shopify import ShopifyFulfillment

ADAPTERS: dict[str, type[FulfillmentAdapter]] = {
    SandboxFulfillment.code: SandboxFulfillment,
    ShopifyFulfillment.code: ShopifyFulfillment,
}


def fulfillment_for(retailer) -> FulfillmentAdapter:
    code = getattr(retailer, "fulfillment", "") or SandboxFulfillment.code
    try:
        return ADAPTERS[code]()
    except KeyError:
        raise LookupError(f"No fulfilment adapter {code!r} for {retailer.slug}") from None


__all__ = ["ADAPTERS", "FulfillmentAdapter", "FulfillmentResult", "StopRequest", "fulfillment_for"]
