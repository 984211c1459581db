"""Signed links in messages that let a customer act without an account.

The preferences link (stop or resume non-essential messages) is the notifications' own;
domains sign their own links (a confirmation, a return, a dispute) and answer them on
the portal's pages, raising `LinkInvalid` for a link that is not theirs.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse


class LinkInvalid(Exception):
    """Tampered with, or not a link we made."""


PREFERENCES_SALT = "notifications.preferences"


def preferences_url(customer) -> str:
    """A lasting link where a customer stops (or resumes) non-essential messages.

    It does not expire: an unsubscribe link in an old e-mail must still work.
    """
    token = signing.dumps({"u": customer.pk}, salt=PREFERENCES_SALT)
    path = reverse("portal:preferences", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}"


def preferences_load(token: str) -> int:
    try:
        return int(signing.loads(token, salt=PREFERENCES_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
