"""Previewing a template in admin: rendered against the retailer's latest real subject
of the event (its latest request, for a cancellation message) when there is one, else
against the registered samples, never sent anywhere."""

from django.apps import apps

from notifications.context import branding_context, message_context
from notifications.rendering import Source, render_source
from notifications.subjects import subject_for_event, subjects_samples


def _sample_context(event_type: str, retailer) -> dict:
    return {
        "event_type": event_type,
        "brand": branding_context(retailer) if retailer else {"name": "Your store"},
        "customer": {"name": "Pat Shopper", "first_name": "Pat"},
        "order": {"external_id": "ORD-10042", "placed_at": "3 March 2026", "currency": "USD"},
        **subjects_samples(),
        "message": {
            "subject": "About your order ORD-10042",
            "body": "Hi Pat, we are looking into your request and will reply by tomorrow.",
        },
        "endpoint": {
            "url": "https://hooks.example.com/rescind",
            "disabled_reason": "every delivery failed for 24 hours (8 attempts in a row).",
            "last_error": "HTTP 500",
        },
    }


def _real_context(event_type: str, retailer) -> dict | None:
    registered = subject_for_event(event_type)
    if retailer is None or registered is None:
        return None
    model = apps.get_model(registered.model)
    if not any(f.name == "retailer" for f in model._meta.get_fields()):
        return None
    subject = model.objects.filter(retailer=retailer).order_by("-created_at").first()
    order = getattr(subject, "order", None)
    if subject is None or order is None:
        return None
    return message_context(
        event_type=event_type,
        retailer=retailer,
        order=order,
        customer=order.customer,
        subject=subject,
        language=order.customer.language,
    )


def template_preview(template) -> dict:
    """{subject, text, html, sample}: the template rendered, or the error it raises."""
    context = _real_context(template.event_type, template.retailer)
    registered = subject_for_event(template.event_type)
    noun = apps.get_model(registered.model)._meta.verbose_name if registered else "request"
    sample = f"the retailer's latest {noun}" if context else "a made-up sample request"
    context = context or _sample_context(template.event_type, template.retailer)
    source = Source(template.subject, template.text, template.html, "preview")
    subject, text, html = render_source(source, context)
    return {"subject": subject, "text": text, "html": html, "sample": sample}
