"""The sandbox gateway of SPEC §6, as a provider would behave (it moves no money)."""

from decimal import Decimal

import pytest
from django.db import transaction

from refunds.gateways import GatewayAdapter, gateway_for
from refunds.gateways.sandbox import SandboxGateway
from refunds.models import SandboxGatewayCall

pytestmark = pytest.mark.django_db


def call(reference, key="key-1", amount="12.50"):
    return SandboxGateway().refund(
        payment_reference=reference,
        amount=Decimal(amount),
        currency="USD",
        idempotency_key=key,
    )


def moved(key="key-1") -> int:
    return SandboxGatewayCall.objects.filter(idempotency_key=key, money_moved=True).count()


def test_an_ordinary_reference_succeeds_at_once():
    # given a payment reference without a sandbox prefix
    # when it is refunded
    result = call("ch_123")

    # then it succeeds with a gateway reference, and the sandbox moved money once
    assert result.outcome == "succeeded"
    assert result.reference.startswith("sbx_re_")
    recorded = SandboxGatewayCall.objects.get()
    assert (recorded.amount, recorded.currency) == (Decimal("12.50"), "USD")
    assert recorded.money_moved is True


def test_flaky_fails_transiently_twice_then_succeeds():
    # given a flaky payment; when the same refund is attempted three times
    outcomes = [call("sandbox_flaky_42").outcome for _ in range(3)]

    # then the first two fail transiently and the third moves the money
    assert outcomes == ["transient", "transient", "succeeded"]
    assert SandboxGatewayCall.objects.count() == 3
    assert moved() == 1


def test_flaky_counts_calls_per_idempotency_key():
    # given a flaky payment already tried twice with one key
    call("sandbox_flaky_42", key="a")
    call("sandbox_flaky_42", key="a")

    # when another refund (another key) of the same payment is tried
    result = call("sandbox_flaky_42", key="b")

    # then that one starts its own count
    assert result.outcome == "transient"


def test_decline_is_final_on_every_attempt():
    # given a declining payment; when it is tried repeatedly
    results = [call("sandbox_decline_card") for _ in range(3)]

    # then every attempt is declined for good and no money moves
    assert {(r.outcome, r.failure_code) for r in results} == {("declined", "declined")}
    assert moved() == 0


def test_a_key_that_succeeded_is_answered_again_without_moving_money():
    # given a refund that went through
    first = call("ch_123")

    # when the same idempotency key is sent again (a retry after a lost answer)
    again = call("ch_123")

    # then the same success comes back and the money moved only once
    assert again.outcome == "succeeded"
    assert again.reference == first.reference
    assert SandboxGatewayCall.objects.count() == 2
    assert moved() == 1


def test_a_flaky_key_that_succeeded_replays_its_success():
    for _ in range(3):
        call("sandbox_flaky_1")

    result = call("sandbox_flaky_1")

    assert result.outcome == "succeeded"
    assert moved() == 1


def test_calling_the_gateway_inside_a_transaction_is_refused():
    # given one of our transactions is open
    # when the gateway is called from inside it
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        call("ch_123")

    # then nothing was sent: a gateway is never called while holding a transaction
    assert SandboxGatewayCall.objects.count() == 0


def test_network_errors_are_transient():
    # given an adapter whose provider cannot be reached
    class Unreachable(GatewayAdapter):
        code = "unreachable"

        def _refund(self, **kwargs):
            raise ConnectionRefusedError("connection refused")

    # when a refund is attempted
    result = Unreachable().refund(
        payment_reference="x", amount=Decimal("1.00"), currency="USD", idempotency_key="k"
    )

    # then the outcome is unknown, so it is retried with the same key
    assert (result.outcome, result.failure_code) == ("transient", "network_error")


def test_the_retailer_gateway_chooses_the_adapter(retailer):
    assert isinstance(gateway_for(retailer), SandboxGateway)

    retailer.gateway = "nonexistent"
    with pytest.raises(LookupError, match="nonexistent"):
        gateway_for(retailer)


@pytest.mark.postgres  # SQLite has one writer: the other call could not commit meanwhile
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_call_that_moved_the_money_first_is_replayed(monkeypatch):
    from refunds.gateways import sandbox
    from tests.threads import run_together

    # Given another call with the same key moves the money just after this one checked
    real_token_hex = sandbox.secrets.token_hex

    def other_call_moves_first(n):
        run_together(
            [
                lambda: SandboxGatewayCall.objects.create(
                    idempotency_key="key-1",
                    amount=Decimal("12.50"),
                    currency="USD",
                    outcome="succeeded",
                    reference="sbx_re_first",
                    money_moved=True,
                )
            ]
        )
        return real_token_hex(n)

    monkeypatch.setattr(sandbox.secrets, "token_hex", other_call_moves_first)

    # When this call tries to move it too
    result = call("ch_123")

    # Then the database refuses a second movement and the earlier success is replayed
    assert (result.outcome, result.reference) == ("succeeded", "sbx_re_first")
    assert moved() == 1
    assert SandboxGatewayCall.objects.filter(idempotency_key="key-1").count() == 2
