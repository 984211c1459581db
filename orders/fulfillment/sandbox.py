"""The sandbox warehouse: stops nothing real, answers by the line's warehouse code.

- a warehouse code starting `sandbox_accept`: the warehouse stops at once (accepted);
- starting `sandbox_reject`: it refuses at once (already packed);
- anything else: the request is submitted and the answer comes later, through
  `POST /api/v1/cancellations/{id}/warehouse` (what a warehouse system does).

Asking it to go on always succeeds.
"""

from orders.fulfillment.base import FulfillmentAdapter, FulfillmentResult, StopRequest

ACCEPT_PREFIX = "sandbox_accept"
REJECT_PREFIX = "sandbox_reject"


class SandboxFulfillment(FulfillmentAdapter):
    code = "sandbox"

    def _stop(self, request: StopRequest) -> FulfillmentResult:
        reference = f"sbx_fo_{request.request_key}"
        if request.warehouse.startswith(ACCEPT_PREFIX):
            return FulfillmentResult(
                "accepted", (reference,), "The sandbox warehouse stopped the order."
            )
        if request.warehouse.startswith(REJECT_PREFIX):
            return FulfillmentResult(
                "rejected", (reference,), "The sandbox warehouse had already packed it."
            )
        return FulfillmentResult("submitted", (reference,), "Asked the sandbox warehouse.")

    def _resume(self, request: StopRequest) -> FulfillmentResult:
        return FulfillmentResult("accepted", request.references, "The sandbox warehouse goes on.")
