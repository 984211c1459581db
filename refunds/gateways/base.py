"""The interface every payment gateway adapter implements.

An adapter turns one refund attempt into one call to the payment provider and answers
with a `GatewayResult`. Its contract:

- `idempotency_key` is the same on every attempt of one refund: the adapter must send
  it to the provider (Stripe's `Idempotency-Key` header, Adyen's `Idempotency-Key`...),
  so a retried or duplicated attempt never moves money twice.
- `succeeded`: the provider confirmed the refund (also when it replays an earlier
  success for the same key). `declined`: the provider refused it for good; retrying the
  same request cannot help. `transient`: anything else, including network errors and
  timeouts, whose outcome is unknown; the caller retries with the same key.
- It never raises for a provider or network problem: `refund()` turns the adapter's
  `network_errors` into a transient result.
- It is called outside any database transaction, and must give up within
  `timeout_seconds` (pass it to the HTTP client): the caller treats an attempt older
  than that as dead and may start another one with the same key.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

logger = logging.getLogger(__name__)

Outcome = Literal["succeeded", "transient", "declined"]


@dataclass(frozen=True)
class GatewayResult:
    outcome: Outcome
    reference: str = ""
    failure_code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"


class GatewayAdapter:
    """Base class: subclasses implement `_refund` and name themselves in the registry."""

    #: The `Retailer.gateway` value that selects this adapter.
    code: ClassVar[str] = ""
    #: The longest one call may take; the HTTP client must enforce it.
    timeout_seconds: float = 30.0
    #: Exceptions that mean "we could not hear the provider": the outcome is unknown.
    network_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError)
    #: The adapter's `_refund` also takes `refund_id` (our refund's id), e.g. to derive the
    #: provider's idempotency key from it.
    wants_refund_id: ClassVar[bool] = False

    def refund(
        self,
        *,
        payment_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        refund_id: int | None = None,
    ) -> GatewayResult:
        """Ask the provider to refund `amount` to the payment; never raises for the network."""
        extra = {"refund_id": refund_id} if self.wants_refund_id else {}
        try:
            return self._refund(
                payment_reference=payment_reference,
                amount=amount,
                currency=currency,
                idempotency_key=idempotency_key,
                **extra,
            )
        except self.network_errors as exc:
            logger.warning("gateway %s unreachable for %s: %s", self.code, idempotency_key, exc)
            return GatewayResult(
                "transient", failure_code="network_error", message=f"Network error: {exc}"
            )

    def _refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        raise NotImplementedError
