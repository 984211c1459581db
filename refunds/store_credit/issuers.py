"""Store-credit issuer adapters, chosen per retailer by `Retailer.store_credit_issuer`.

An issuer turns one attempt into one call to the retailer's gift-card or credit system
and answers with an `IssueResult`, on the same contract as a payment gateway adapter
(refunds/gateways/base.py): the idempotency key is the same on every attempt of one
credit and must be sent to the provider; `issued` is a confirmed code (also when the
provider replays an earlier issue for the key), `declined` a refusal for good,
`transient` anything whose outcome is unknown; never raise for the network; called
outside any transaction and within `timeout_seconds`.

The sandbox issuer (the default) behaves by the customer's external id, as the sandbox
gateway does by payment reference: `sandbox_decline...` is declined for good,
`sandbox_flaky...` fails twice then issues, anything else issues at once. Codes start
`SC-`. A real issuer is one class here and one choice on `Retailer.StoreCreditIssuer`.
"""

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

from django.db import IntegrityError, transaction

from refunds.gateways.sandbox import DECLINE_PREFIX, FLAKY_PREFIX, FLAKY_TRANSIENT_CALLS
from refunds.gateways.sandbox import _delay_seconds as sandbox_delay_seconds
from refunds.models import SandboxStoreCreditCall

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssueResult:
    outcome: Literal["issued", "transient", "declined"]
    code: str = ""
    failure_code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.outcome == "issued"


class StoreCreditIssuer:
    code: ClassVar[str] = ""
    timeout_seconds: float = 30.0
    network_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError)

    def issue(
        self, *, customer_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> IssueResult:
        try:
            return self._issue(
                customer_reference=customer_reference,
                amount=amount,
                currency=currency,
                idempotency_key=idempotency_key,
            )
        except self.network_errors as exc:
            logger.warning("issuer %s unreachable for %s: %s", self.code, idempotency_key, exc)
            return IssueResult(
                "transient", failure_code="network_error", message=f"Network error: {exc}"
            )

    def _issue(self, *, customer_reference, amount, currency, idempotency_key) -> IssueResult:
        raise NotImplementedError


class SandboxIssuer(StoreCreditIssuer):
    """Issues nothing real; records each call in its own committed transaction."""

    code = "sandbox"

    @property
    def timeout_seconds(self) -> float:
        return sandbox_delay_seconds() + 1.0

    def _issue(self, *, customer_reference, amount, currency, idempotency_key) -> IssueResult:
        call = {
            "customer_reference": customer_reference or "",
            "amount": amount,
            "currency": currency,
            "idempotency_key": idempotency_key,
        }
        try:
            with transaction.atomic(durable=True):
                result = self._answer(**call)
        except IntegrityError:
            # A concurrent call with the same key issued first: replay it.
            with transaction.atomic(durable=True):
                earlier = SandboxStoreCreditCall.objects.get(
                    idempotency_key=idempotency_key, issued=True
                )
                SandboxStoreCreditCall.objects.create(**call, outcome="issued", code=earlier.code)
                result = IssueResult("issued", code=earlier.code, message="Replayed.")
        delay = sandbox_delay_seconds()
        if delay:
            import time

            time.sleep(delay)
        return result

    def _answer(self, *, customer_reference, amount, currency, idempotency_key) -> IssueResult:
        calls = SandboxStoreCreditCall.objects.filter(idempotency_key=idempotency_key)
        earlier = calls.filter(issued=True).first()
        record = {
            "customer_reference": customer_reference,
            "amount": amount,
            "currency": currency,
            "idempotency_key": idempotency_key,
        }
        if earlier is not None:
            SandboxStoreCreditCall.objects.create(**record, outcome="issued", code=earlier.code)
            return IssueResult("issued", code=earlier.code, message="Replayed.")
        if customer_reference.startswith(DECLINE_PREFIX):
            SandboxStoreCreditCall.objects.create(**record, outcome="declined")
            return IssueResult(
                "declined", failure_code="declined", message="The sandbox refuses this customer."
            )
        if customer_reference.startswith(FLAKY_PREFIX) and calls.count() < FLAKY_TRANSIENT_CALLS:
            SandboxStoreCreditCall.objects.create(**record, outcome="transient")
            return IssueResult(
                "transient",
                failure_code="issuer_error",
                message="The sandbox is flaky for this customer; try again.",
            )
        code = f"SC-{secrets.token_hex(6).upper()}"
        SandboxStoreCreditCall.objects.create(**record, outcome="issued", code=code, issued=True)
        return IssueResult("issued", code=code)


ISSUERS: dict[str, type[StoreCreditIssuer]] = {SandboxIssuer.code: SandboxIssuer}


def issuer_for(retailer) -> StoreCreditIssuer:
    try:
        return ISSUERS[retailer.store_credit_issuer]()
    except KeyError:
        raise LookupError(
            f"No store-credit issuer {retailer.store_credit_issuer!r} for {retailer.slug}"
        ) from None
