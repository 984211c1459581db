"""Idempotency keys: the TTL holds when a key is read, and a claim whose database
session is gone (killed process, restarted database) is released at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cancellations.models import CancellationRequest
from retailers.models import IdempotencyKey


def post(api, key, order="ord-1"):
    return api.post(
        "/api/v1/cancellations",
        {"order": order, "reason": "changed_mind"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.django_db
def test_an_expired_key_is_not_replayed_before_the_purge(api, make_order, settings):
    # Given a key used 25 hours ago (TTL 24 h) and not purged yet
    make_order("ord-1")
    make_order("ord-2")
    assert post(api, "k-1").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    # When the same key comes with another request, then it is a new request
    response = post(api, "k-1", order="ord-2")
    assert response.status_code == 201, response.json()
    assert "Idempotent-Replayed" not in response
    assert CancellationRequest.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_whose_session_is_gone_is_released_at_once(api, make_order):
    # Given a claim left by a session that no longer exists (its process was killed,
    # or the database restarted and rolled its transaction back)
    make_order("ord-1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        (started,) = cursor.fetchone()
    IdempotencyKey.objects.create(
        retailer_id=_acme_id(),
        key="k-orphan",
        method="POST",
        path="/api/v1/cancellations",
        request_hash=_fingerprint_of(api, "k-orphan"),
        owner=f"{2**31 - 7}@{started.isoformat()}",  # no such backend
    )

    # When the storefront retries within the 60 seconds, then it is served
    response = post(api, "k-orphan")
    assert response.status_code == 201, response.json()
    assert CancellationRequest.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_of_a_live_session_is_still_in_use(api, make_order):
    make_order("ord-1")
    from retailers.idempotency import _session_owner

    IdempotencyKey.objects.create(
        retailer_id=_acme_id(),
        key="k-live",
        method="POST",
        path="/api/v1/cancellations",
        request_hash=_fingerprint_of(api, "k-live"),
        owner=_session_owner(),  # this very session: alive
    )
    response = post(api, "k-live")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"


def _acme_id():
    from retailers.models import Retailer

    return Retailer.objects.get(slug="acme").pk


def _fingerprint_of(api, key):
    """The fingerprint the API computes for post(api, key)."""
    from retailers.idempotency import _fingerprint

    class Shim:
        method = "POST"
        path = "/api/v1/cancellations"
        data = {"order": "ord-1", "reason": "changed_mind"}

    return _fingerprint(Shim)
