"""Signed links that let a customer start a return and follow it without an account
(the pages are the portal's: `portal:return_start`, `portal:return`, `portal:return_label`).

- The start link names an order and lasts until its return window closes; it is in the
  message a customer gets when a cancellation becomes `return_required`, and on every
  return page of the order ("return something else").
- The return link names one return and does not expire: the label and the state of a
  return stay reachable from an old e-mail.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from notifications.links import LinkInvalid

START_SALT = "returns.start"
RETURN_SALT = "returns.return"


class LinkExpired(Exception):
    def __init__(self, order_id: int):
        super().__init__(order_id)
        self.order_id = order_id


def return_window_ends(order, policy):
    since = order.delivered_at or order.shipped_at or timezone.now()
    return since + timedelta(days=policy.return_window_days)


def return_start_url(order, policy) -> str:
    expires = int(return_window_ends(order, policy).timestamp())
    token = signing.dumps({"o": order.pk, "e": expires}, salt=START_SALT, compress=True)
    return f"{settings.SITE_URL}{reverse('portal:return_start', kwargs={'token': token})}"


def return_start_load(token: str) -> int:
    try:
        payload = signing.loads(token, salt=START_SALT)
        order_id, expires = int(payload["o"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
    if datetime.fromtimestamp(expires, tz=UTC) < timezone.now():
        raise LinkExpired(order_id)
    return order_id


def return_token(return_request) -> str:
    return signing.dumps({"r": return_request.pk}, salt=RETURN_SALT)


def return_url(return_request) -> str:
    path = reverse("portal:return", kwargs={"token": return_token(return_request)})
    return f"{settings.SITE_URL}{path}"


def return_label_url(return_request) -> str:
    path = reverse("portal:return_label", kwargs={"token": return_token(return_request)})
    return f"{settings.SITE_URL}{path}"


def return_load(token: str) -> int:
    try:
        return int(signing.loads(token, salt=RETURN_SALT)["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
