"""`Idempotency-Key` for POST endpoints, as Stripe does it.

The key is claimed in its own committed transaction before the work starts, so a
concurrent duplicate sees it and is told `idempotency_key_in_use`. The response is
stored in the same transaction as the work, so a stored response always means the work
committed, and a claim left without one (the process died mid-request) committed
nothing and can be taken over: at once when the database session that claimed it is
gone (the process was killed, or the database restarted and rolled it back), after
STALE_CLAIM otherwise. Only successful responses are kept: a request refused for bad
input can be corrected and sent again under the same key. A key older than
IDEMPOTENCY_KEY_TTL is never replayed, even before the hourly purge removes it.
"""

import contextlib
import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from kernel.errors import DomainError, ErrorCode
from retailers.models import IdempotencyKey

HEADER = "Idempotency-Key"
STALE_CLAIM = timedelta(seconds=60)


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _session_owner() -> str:
    """This connection's database session, as `IdempotencyKey.owner` records it."""
    if connection.vendor != "postgresql":
        return ""
    connection.ensure_connection()
    # One query per database session, not per request: remembered on the session's
    # own connection object, which a reconnect replaces.
    session = connection.connection
    owner = getattr(session, "_rescind_owner", None)
    if owner is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), pg_postmaster_start_time()")
            pid, started = cursor.fetchone()
        owner = f"{pid}@{started.isoformat()}"
        # A connection class with __slots__ would refuse: then it is asked every time.
        with contextlib.suppress(AttributeError):
            session._rescind_owner = owner
    return owner


def _owner_gone(owner: str) -> bool:
    """The session that claimed a key has ended: its transaction did not commit."""
    if not owner or connection.vendor != "postgresql":
        return False
    pid, _at, started = owner.partition("@")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_postmaster_start_time(), "
            "EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)",
            [int(pid)],
        )
        server_started, alive = cursor.fetchone()
    return server_started.isoformat() != started or not alive


def _claim(*, retailer, key, request) -> IdempotencyKey | Response:
    fingerprint = _fingerprint(request)
    owner = _session_owner()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    retailer=retailer,
                    key=key,
                    method=request.method,
                    path=request.path,
                    request_hash=fingerprint,
                    owner=owner,
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(retailer=retailer, key=key).first()
            if existing is None:
                continue  # removed between our insert and read: claim again
        if existing.created_at <= timezone.now() - settings.IDEMPOTENCY_KEY_TTL:
            # Expired: as if the purge had already run.
            IdempotencyKey.objects.filter(pk=existing.pk).delete()
            continue
        if existing.request_hash != fingerprint:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"Idempotency-Key {key!r} was used with a different request.",
            )
        if existing.response_status is not None:
            replay = Response(existing.response_body, status=existing.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        if existing.created_at > timezone.now() - STALE_CLAIM and not _owner_gone(existing.owner):
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_IN_USE,
                f"A request with Idempotency-Key {key!r} is still being processed.",
            )
        IdempotencyKey.objects.filter(pk=existing.pk, response_status__isnull=True).delete()
    raise DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, "Could not claim the Idempotency-Key.")


def idempotent(handler):
    """Wrap an APIView method so it honours the Idempotency-Key header."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > 255 or "\x00" in key:
            raise DomainError(
                ErrorCode.INVALID,
                "Idempotency-Key must be 1 to 255 characters.",
                errors={HEADER: ["1 to 255 characters."]},
            )
        claimed = _claim(retailer=request.auth.retailer, key=key, request=request)
        if isinstance(claimed, Response):
            return claimed
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyKey.objects.filter(pk=claimed.pk).update(
                        response_status=response.status_code,
                        response_body=json.loads(json.dumps(response.data, cls=DjangoJSONEncoder)),
                    )
                    return response
        except BaseException:
            IdempotencyKey.objects.filter(pk=claimed.pk, response_status__isnull=True).delete()
            raise
        IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        return response

    return wrapper


def idempotency_keys_purge(*, now=None) -> int:
    """Forget keys older than IDEMPOTENCY_KEY_TTL (at least 24 hours)."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
