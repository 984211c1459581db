"""What a message template may use: plain data built from the event's subject.

Templates are edited by supervisors in admin, so they only ever see strings, numbers and
lists here, never model instances whose methods could reach other data.
"""

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils import formats

from notifications.models import Branding
from notifications.subjects import subject_context

DEADLINE_FORMAT = "j F Y, H:i T"  # 28 November 2026, 16:00 UTC: no room for doubt


def _locale(language: str) -> str:
    try:
        return str(Locale.parse((language or "en").replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return "en"


def money_text(amount, currency: str, language: str = "en") -> str:
    """An amount as a customer reads it: "$19.99", "¥1,200", exact to the minor unit."""
    return format_currency(amount, currency, locale=_locale(language))


def branding_context(retailer) -> dict:
    # Through the one-to-one accessor, cached on the retailer instance: a change that
    # sends several messages reads the branding once.
    try:
        branding = retailer.branding
    except Branding.DoesNotExist:
        branding = Branding(retailer=retailer)
    return {
        "name": branding.display_name or retailer.name,
        "logo_url": branding.logo_url,
        "primary_color": branding.primary_color,
        "accent_color": branding.accent_color,
        "signature": branding.signature or f"The {branding.display_name or retailer.name} team",
        "support_url": branding.support_url,
        "support_email": branding.support_email or branding.sender_email,
        "sender_email": branding.sender_email,
        "contact_email": branding.contact_email,
    }


def _customer(customer) -> dict:
    if customer is None:
        return {"name": "", "first_name": "there"}
    name = customer.name or ""
    return {"name": name, "first_name": name.split()[0] if name.strip() else "there"}


def _order(order) -> dict:
    if order is None:
        return {}
    return {
        "external_id": order.external_id,
        "placed_at": formats.date_format(order.placed_at, "DATE_FORMAT"),
        "currency": order.currency,
    }


def payment_label(payment) -> str:
    """How a payment is named to its customer: "Gift card", "Card"."""
    method = (payment.method or "payment").replace("_", " ")
    return method[:1].upper() + method[1:]


def message_context(*, event_type, retailer, order, customer, subject, language) -> dict:
    """Everything a template for `event_type` may print, as plain data."""
    context = {
        "event_type": event_type,
        "brand": branding_context(retailer),
        "customer": _customer(customer),
        "order": _order(order),
        "site_url": settings.SITE_URL,
    }
    context.update(subject_context(subject, event_type=event_type, language=language))
    return context
