"""What a message template may use: plain data built from the event's subject.

Templates are edited by supervisors in admin, so they only ever see strings, numbers and
lists here, never model instances whose methods could reach other data.
"""

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils import formats, timezone

from notifications.links import confirmation_expires_at, confirmation_url
from notifications.models import Branding

# Rules whose meaning a customer can be told in plain words (SPEC §4 verification).
REJECTION_WORDS = {
    "final_sale": (
        "One or more of the items you asked to cancel were sold as final sale, and "
        "final-sale items cannot be cancelled."
    ),
    "outside_return_window": (
        "Your order was delivered (or shipped) longer ago than the return window allows, "
        "so it can no longer be cancelled or returned."
    ),
}

REFUND_FAILURE_WORDS = {
    "declined": "Your bank or card issuer declined the refund.",
    "gateway_unavailable": "The payment provider could not be reached after several tries.",
}
DEADLINE_FORMAT = "j F Y, H:i T"  # 28 November 2026, 16:00 UTC: no room for doubt

GENERIC_REFUND_FAILURE = "The payment provider could not complete it."


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


def _payment_label(payment) -> str:
    method = (payment.method or "payment").replace("_", " ")
    return method[:1].upper() + method[1:]


def cancellation_context(cancellation, language: str) -> dict:
    currency = cancellation.order.currency
    items = [
        {
            "sku": line.line.sku,
            "title": line.line.title or line.line.sku,
            "quantity": line.quantity,
            "refund_amount": money_text(line.refund_amount, currency, language),
        }
        for line in cancellation.lines.select_related("line")
    ]
    refunds = [
        {
            "method": _payment_label(refund.payment),
            "amount": money_text(refund.amount, currency, language),
            "status": refund.status,
        }
        for refund in _refunds_of(cancellation)
    ]
    policy = cancellation.policy
    rule = cancellation.decision_rule
    return {
        "id": cancellation.pk,
        "status": cancellation.status,
        "status_label": cancellation.get_status_display(),
        "reason": cancellation.get_reason_display(),
        "reason_code": cancellation.reason,
        "channel": cancellation.channel,
        "items": items,
        "refund_total": money_text(cancellation.refund_total, currency, language),
        "refund_total_is_zero": not cancellation.refund_total,
        "shipping_refund": money_text(cancellation.shipping_refund, currency, language),
        "has_shipping_refund": bool(cancellation.shipping_refund),
        "refunds": refunds,
        "rule": rule,
        "explanation": cancellation.decision_explanation,
        "rejection_reason": REJECTION_WORDS.get(rule)
        or cancellation.decision_explanation
        or "Your request does not meet the store's cancellation policy.",
        "refund_timeline_text": policy.refund_timeline_text if policy else "5-10 business days",
    }


def _refunds_of(cancellation):
    # The refunds app adds `refunds` to a request; a request decided before it existed
    # (or one with nothing to refund) simply has none.
    manager = getattr(cancellation, "refunds", None)
    if manager is None:
        return []
    return list(manager.select_related("payment").order_by("payment__position", "id"))


def refund_context(refund, language: str) -> dict:
    currency = refund.payment.order.currency
    code = getattr(refund, "failure_code", "") or ""
    return {
        "id": refund.pk,
        "amount": money_text(refund.amount, currency, language),
        "method": _payment_label(refund.payment),
        "status": refund.status,
        "failure_code": code,
        "failure_reason": REFUND_FAILURE_WORDS.get(code, GENERIC_REFUND_FAILURE),
    }


def message_context(*, event_type, retailer, order, customer, subject, language) -> dict:
    """Everything a template for `event_type` may print, as plain data."""
    context = {
        "event_type": event_type,
        "brand": branding_context(retailer),
        "customer": _customer(customer),
        "order": _order(order),
        "site_url": settings.SITE_URL,
    }
    model = subject._meta.model_name if subject is not None else ""
    if model == "cancellationrequest":
        context["cancellation"] = cancellation_context(subject, language)
        if event_type == "cancellation.awaiting_customer":
            context["confirm_url"] = confirmation_url(subject)
            expires = confirmation_expires_at(subject)
            context["confirm_deadline"] = formats.date_format(
                timezone.localtime(expires), DEADLINE_FORMAT
            )
    elif model == "refund":
        context["refund"] = refund_context(subject, language)
        if getattr(subject, "cancellation_id", None):
            context["cancellation"] = cancellation_context(subject.cancellation, language)
    return context
