"""Shopify's fulfilment-order cancellation request, for shops whose 3PL fulfils through
Shopify (SPEC §12): the merchant submits a cancellation request on each fulfilment
order the 3PL is working; the 3PL accepts (webhook
`fulfillment_orders/cancellation_request_accepted`, the fulfilment order `closed`) or
rejects it (`..._rejected`), which the connectors app turns into the warehouse's answer.
"""

from orders.fulfillment.base import FulfillmentAdapter, FulfillmentResult, StopRequest
from retailers.models import ShopifyConnection
from retailers.shopify_admin import NETWORK_ERRORS, admin_graphql, shop_gid

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 20) { nodes { id status requestStatus } } }
}
"""

SUBMIT_CANCELLATION = """
mutation SubmitCancellation($id: ID!, $message: String) {
  fulfillmentOrderSubmitCancellationRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}
"""

# Fulfilment orders a 3PL has taken on: only these need its agreement to stop.
WORKING = {"IN_PROGRESS"}
ALREADY_ASKED = {"CANCELLATION_REQUESTED"}
DONE = {"CLOSED"}


class ShopifyFulfillment(FulfillmentAdapter):
    code = "shopify"
    network_errors = NETWORK_ERRORS

    def _connection(self, retailer):
        return ShopifyConnection.objects.filter(retailer=retailer, is_active=True).first()

    def _stop(self, request: StopRequest) -> FulfillmentResult:
        connection = self._connection(request.retailer)
        if connection is None:
            return FulfillmentResult("failed", message="The retailer has no Shopify connection.")
        answer = admin_graphql(
            connection,
            query=FULFILLMENT_ORDERS,
            variables={"id": shop_gid("Order", request.order_external_id)},
            timeout=self.timeout_seconds,
        )
        if not answer.ok:
            return FulfillmentResult(
                "transient" if answer.transient else "failed", message=answer.error
            )
        nodes = (
            ((answer.data.get("order") or {}).get("fulfillmentOrders") or {}).get("nodes")
        ) or []
        working = [n for n in nodes if n.get("status") in WORKING]
        if not working:
            if nodes and all(n.get("status") in DONE for n in nodes):
                return FulfillmentResult(
                    "rejected", message="Every fulfilment order is already closed in Shopify."
                )
            return FulfillmentResult(
                "accepted", message="No fulfilment order is being worked: nothing to stop."
            )
        references = []
        for node in working:
            references.append(node["id"])
            if node.get("requestStatus") in ALREADY_ASKED:
                continue  # a repeated attempt: this one was submitted before
            submitted = admin_graphql(
                connection,
                query=SUBMIT_CANCELLATION,
                variables={"id": node["id"], "message": request.message[:255]},
                timeout=self.timeout_seconds,
            )
            if not submitted.ok:
                outcome = "transient" if submitted.transient else "failed"
                return FulfillmentResult(outcome, tuple(references), submitted.error)
            errors = (submitted.data.get("fulfillmentOrderSubmitCancellationRequest") or {}).get(
                "userErrors"
            ) or []
            if errors:
                text = "; ".join(e.get("message", "") for e in errors)
                return FulfillmentResult("failed", tuple(references), text)
        return FulfillmentResult(
            "submitted", tuple(references), "Cancellation requested from the shop's 3PL."
        )

    def _resume(self, request: StopRequest) -> FulfillmentResult:
        # Shopify has no way to take a cancellation request back: the 3PL answers it, or
        # a person tells it to go on.
        return FulfillmentResult(
            "failed",
            request.references,
            "Shopify cannot withdraw a cancellation request: tell the 3PL to go on.",
        )
