"""Payment gateway adapters, chosen per retailer by `Retailer.gateway`.

Adding a provider (say Stripe) is one class and one registry line:

1. Write `refunds/gateways/stripe.py` with `class StripeGateway(GatewayAdapter)`, setting
   `code = "stripe"` and implementing `_refund(*, payment_reference, amount, currency,
   idempotency_key)`: call the provider's refund endpoint with the key as its
   idempotency key and a timeout of `timeout_seconds`; map its answer to
   `GatewayResult("succeeded", reference=...)`, `GatewayResult("declined",
   failure_code=...)` for a definitive refusal, or `GatewayResult("transient", ...)` for
   anything that may succeed later (rate limits, 5xx). List the HTTP client's exception
   classes in `network_errors` (e.g. `(httpx.TransportError,)`). Read credentials from
   settings, never from the database row.
2. Add `StripeGateway` to `ADAPTERS` below, and the choice `STRIPE = "stripe", ...` to
   `Retailer.Gateway` (a retailers migration) so supervisors can pick it in admin.

Nothing else changes: execution, retries, the sweep and the API are gateway-agnostic.
"""

from refunds.gateways.base import GatewayAdapter, GatewayResult
from refunds.gateways.sandbox import SandboxGateway
from refunds.gateways.shopify import ShopifyGateway

ADAPTERS: dict[str, type[GatewayAdapter]] = {
    SandboxGateway.code: SandboxGateway,
    ShopifyGateway.code: ShopifyGateway,
}


def gateway_for(retailer) -> GatewayAdapter:
    """The adapter for the retailer's configured gateway."""
    try:
        adapter = ADAPTERS[retailer.gateway]
    except KeyError:
        raise LookupError(
            f"No gateway adapter {retailer.gateway!r} for retailer {retailer.slug}"
        ) from None
    return adapter()


__all__ = ["ADAPTERS", "GatewayAdapter", "GatewayResult", "gateway_for"]
