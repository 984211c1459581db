"""The interface every fulfilment adapter implements (see orders/fulfillment/__init__)."""

import logging
from dataclasses import dataclass, field
from typing import ClassVar, Literal

logger = logging.getLogger(__name__)

Outcome = Literal["submitted", "accepted", "rejected", "transient", "failed"]


@dataclass(frozen=True)
class StopRequest:
    """What the warehouse is told: which order, which units, and why."""

    retailer: object
    order_external_id: str
    lines: tuple  # ({line, sku, quantity}, ...)
    message: str
    warehouse: str
    request_key: str  # the same on every attempt: the warehouse may dedupe on it
    references: tuple = ()  # ids the warehouse gave when it was asked to stop


@dataclass(frozen=True)
class FulfillmentResult:
    outcome: Outcome
    references: tuple = field(default_factory=tuple)
    message: str = ""


class FulfillmentAdapter:
    code: ClassVar[str] = ""
    timeout_seconds: float = 15.0
    network_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError)

    def stop(self, request: StopRequest) -> FulfillmentResult:
        return self._call(self._stop, request)

    def resume(self, request: StopRequest) -> FulfillmentResult:
        return self._call(self._resume, request)

    def _call(self, method, request) -> FulfillmentResult:
        # Called outside any database transaction; a network problem is an unknown
        # outcome, tried again with the same request key.
        try:
            return method(request)
        except self.network_errors as exc:
            logger.warning(
                "fulfilment %s unreachable for %s: %s", self.code, request.request_key, exc
            )
            return FulfillmentResult("transient", message=f"Network error: {exc}")

    def _stop(self, request: StopRequest) -> FulfillmentResult:
        raise NotImplementedError

    def _resume(self, request: StopRequest) -> FulfillmentResult:
        raise NotImplementedError
