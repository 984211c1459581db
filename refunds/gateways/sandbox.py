"""The sandbox gateway of SPEC §6: moves no money, behaves by payment reference.

- a reference starting `sandbox_decline`: every attempt is declined for good
  (`failure_code` `declined`);
- starting `sandbox_flaky`: the first two calls with an idempotency key fail
  transiently, the third succeeds;
- anything else: succeeds at once.

It behaves like an external system: it writes each call it receives
(`SandboxGatewayCall`) in its own committed transaction, and, like a real provider, it
dedupes by idempotency key: a key that already succeeded answers the same success again
without moving money (`money_moved=False`).

Test knob: `SANDBOX_GATEWAY_DELAY_SECONDS` (setting, else environment variable) makes
each call answer that long AFTER the gateway has acted, like a slow network on the way
back, so a test can kill a worker while the call is in flight.
"""

import os
import secrets
import time

from django.conf import settings
from django.db import IntegrityError, transaction

from refunds.gateways.base import GatewayAdapter, GatewayResult
from refunds.models import SandboxGatewayCall

DECLINE_PREFIX = "sandbox_decline"
FLAKY_PREFIX = "sandbox_flaky"
FLAKY_TRANSIENT_CALLS = 2


def _delay_seconds() -> float:
    value = getattr(settings, "SANDBOX_GATEWAY_DELAY_SECONDS", None)
    if value is None:
        value = os.environ.get("SANDBOX_GATEWAY_DELAY_SECONDS") or 0
    return float(value)


class SandboxGateway(GatewayAdapter):
    code = "sandbox"

    @property
    def timeout_seconds(self) -> float:
        return _delay_seconds() + 1.0

    def _refund(self, *, payment_reference, amount, currency, idempotency_key) -> GatewayResult:
        # durable=True: the gateway's record is committed on its own, and calling a
        # gateway inside one of our transactions (a bug) fails loudly here.
        call = {
            "payment_reference": payment_reference or "",
            "amount": amount,
            "currency": currency,
            "idempotency_key": idempotency_key,
        }
        try:
            with transaction.atomic(durable=True):
                result = self._answer(**call)
        except IntegrityError:
            # A concurrent call with the same key moved the money first: replay it. (A
            # new transaction rather than a savepoint: two statements fewer per call.)
            with transaction.atomic(durable=True):
                result = self._replay(**call)
        delay = _delay_seconds()
        if delay:
            time.sleep(delay)
        return result

    def _answer(self, *, payment_reference, amount, currency, idempotency_key) -> GatewayResult:
        def record(outcome, *, reference="", money_moved=False):
            return SandboxGatewayCall.objects.create(
                idempotency_key=idempotency_key,
                payment_reference=payment_reference,
                amount=amount,
                currency=currency,
                outcome=outcome,
                reference=reference,
                money_moved=money_moved,
            )

        calls = SandboxGatewayCall.objects.filter(idempotency_key=idempotency_key)
        earlier = calls.filter(money_moved=True).first()
        if earlier is not None:
            record(SandboxGatewayCall.Outcome.SUCCEEDED, reference=earlier.reference)
            return GatewayResult("succeeded", reference=earlier.reference, message="Replayed.")
        if payment_reference.startswith(DECLINE_PREFIX):
            record(SandboxGatewayCall.Outcome.DECLINED)
            return GatewayResult(
                "declined", failure_code="declined", message="The sandbox declines this payment."
            )
        if payment_reference.startswith(FLAKY_PREFIX) and calls.count() < FLAKY_TRANSIENT_CALLS:
            record(SandboxGatewayCall.Outcome.TRANSIENT)
            return GatewayResult(
                "transient",
                failure_code="gateway_error",
                message="The sandbox is flaky for this payment; try again.",
            )
        reference = f"sbx_re_{secrets.token_hex(8)}"
        # The unique index refuses a second movement for the key (IntegrityError).
        record(SandboxGatewayCall.Outcome.SUCCEEDED, reference=reference, money_moved=True)
        return GatewayResult("succeeded", reference=reference)

    def _replay(self, *, payment_reference, amount, currency, idempotency_key) -> GatewayResult:
        earlier = SandboxGatewayCall.objects.get(idempotency_key=idempotency_key, money_moved=True)
        SandboxGatewayCall.objects.create(
            idempotency_key=idempotency_key,
            payment_reference=payment_reference,
            amount=amount,
            currency=currency,
            outcome=SandboxGatewayCall.Outcome.SUCCEEDED,
            reference=earlier.reference,
        )
        return GatewayResult("succeeded", reference=earlier.reference, message="Replayed.")
