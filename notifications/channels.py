"""Channels behind one interface: `channel_send(notification)` or an exception.

E-mail goes through Django's e-mail backend (console in development, SMTP in
production, locmem in tests). SMS goes through an adapter named by the setting
`NOTIFICATIONS_SMS_BACKEND`; the default sandbox only logs (and keeps the messages in
`sms_outbox`, like `mail.outbox`), so nothing leaves the machine until a provider's
adapter is plugged in: a class with `send(*, to, text, reference) -> str`.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from notifications.links import preferences_url
from notifications.models import Channel

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """Retrying cannot help (the address was refused)."""


class TransientFailure(Exception):
    """Worth another try later (the server was unreachable)."""


sms_outbox: list[dict] = []


class LoggingSmsBackend:
    """The sandbox: logs the text instead of sending it."""

    def send(self, *, to: str, text: str, reference: str) -> str:
        log.info("SMS (sandbox) to %s [%s]: %s", to, reference, text)
        sms_outbox.append({"to": to, "text": text, "reference": reference})
        return f"sandbox-{reference}"


def sms_backend():
    path = getattr(
        settings, "NOTIFICATIONS_SMS_BACKEND", "notifications.channels.LoggingSmsBackend"
    )
    return import_string(path)()


def message_id(notification) -> str:
    # A stable Message-ID lets receiving servers drop a copy if a worker died after
    # the SMTP server accepted the message but before we recorded it.
    return f"<rescind-notification-{notification.pk}@{settings.SITE_URL.split('//')[-1]}>"


def _headers(notification) -> dict:
    headers = {"Message-ID": message_id(notification)}
    if notification.customer_id and not notification.essential:
        # Mail clients show an "unsubscribe" button for this (RFC 2369).
        headers["List-Unsubscribe"] = f"<{preferences_url(notification.customer)}>"
    return headers


def _send_email(notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=notification.sender or settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers=_headers(notification),
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientFailure(f"{exc.__class__.__name__}: {exc}") from exc


def _send_sms(notification) -> None:
    try:
        sms_backend().send(
            to=notification.recipient,
            text=notification.body_text.strip(),
            reference=f"notification-{notification.pk}",
        )
    except (PermanentFailure, TransientFailure):
        raise
    except (OSError, TimeoutError) as exc:
        raise TransientFailure(f"{exc.__class__.__name__}: {exc}") from exc


def channel_send(notification) -> None:
    """Send one message; raises PermanentFailure or TransientFailure."""
    if notification.channel == Channel.EMAIL:
        _send_email(notification)
    elif notification.channel == Channel.SMS:
        _send_sms(notification)
    else:
        raise PermanentFailure(f"unknown channel {notification.channel}")
