"""The signed, expiring link that lets a customer confirm or decline a request without an
account (the page itself is the portal's: `portal:confirm`)."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from notifications.links import LinkInvalid

SALT = "notifications.confirmation"  # the salt of links already sent: keep it


class LinkExpired(Exception):
    """Genuine, but past its deadline."""

    def __init__(self, cancellation_id: int):
        super().__init__(cancellation_id)
        self.cancellation_id = cancellation_id


def confirmation_expires_at(cancellation) -> datetime:
    """The request's own deadline when set, else the policy's confirmation window."""
    if cancellation.confirmation_expires_at:
        return cancellation.confirmation_expires_at
    hours = cancellation.policy.customer_confirmation_hours if cancellation.policy else 48
    return (cancellation.decided_at or cancellation.created_at or timezone.now()) + timedelta(
        hours=hours
    )


def confirmation_token(cancellation) -> str:
    expires = int(confirmation_expires_at(cancellation).timestamp())
    return signing.dumps({"c": cancellation.pk, "e": expires}, salt=SALT, compress=True)


def confirmation_url(cancellation) -> str:
    path = reverse("portal:confirm", kwargs={"token": confirmation_token(cancellation)})
    return f"{settings.SITE_URL}{path}"


def confirmation_load(token: str) -> int:
    """The cancellation id the token names; raises LinkInvalid or LinkExpired."""
    try:
        payload = signing.loads(token, salt=SALT)
        cancellation_id, expires = int(payload["c"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
    if datetime.fromtimestamp(expires, tz=UTC) < timezone.now():
        raise LinkExpired(cancellation_id)
    return cancellation_id


__all__ = [
    "LinkExpired",
    "LinkInvalid",
    "confirmation_expires_at",
    "confirmation_load",
    "confirmation_token",
    "confirmation_url",
]
