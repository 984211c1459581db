"""Signed, expiring links that let a customer act on a request without an account."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "notifications.confirmation"


class LinkInvalid(Exception):
    """Tampered with, or not a link we made."""


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
    path = reverse("notifications:confirm", kwargs={"token": confirmation_token(cancellation)})
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


PREFERENCES_SALT = "notifications.preferences"


def preferences_url(customer) -> str:
    """A lasting link where a customer stops (or resumes) non-essential messages.

    It does not expire: an unsubscribe link in an old e-mail must still work.
    """
    token = signing.dumps({"u": customer.pk}, salt=PREFERENCES_SALT)
    path = reverse("notifications:preferences", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}"


def preferences_load(token: str) -> int:
    try:
        return int(signing.loads(token, salt=PREFERENCES_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
