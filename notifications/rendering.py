"""Turning an event into a message: pick the template, render subject, text and HTML.

Which template: the retailer's own in the customer's language, the product-wide
override in that language, then the same two in English, then the default shipped in
`notifications/templates/notifications/messages/<event>/`. A retailer that provides a
translation speaks the customer's language; everyone else gets English.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.html import escape, linebreaks

from notifications.models import Channel, MessageTemplate

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
DEFAULTS_DIR = "notifications/messages"


@dataclass(frozen=True)
class Source:
    subject: str
    text: str
    html: str
    origin: str  # which template was used, for admin and debugging
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str
    origin: str


def _shipped_default(event_type: str, channel: str) -> Source:
    engine = Engine.get_default()

    def read(name):
        try:
            template = engine.get_template(f"{DEFAULTS_DIR}/{event_type}/{name}")
        except TemplateDoesNotExist:
            return ""
        return template.source

    text = read("sms.txt") if channel == Channel.SMS else read("body.txt")
    return Source(
        subject=read("subject.txt").strip(),
        text=text,
        html="" if channel == Channel.SMS else read("body.html"),
        origin=f"default:{event_type}",
    )


def template_source(*, retailer, event_type: str, channel: str, language: str) -> Source:
    """The template a message for this retailer, event, channel and language uses."""
    languages = [language, DEFAULT_LANGUAGE] if language != DEFAULT_LANGUAGE else [language]
    rows = {
        (row.retailer_id, row.language): row
        for row in MessageTemplate.objects.filter(
            Q(retailer=retailer) | Q(retailer__isnull=True),
            event_type=event_type,
            channel=channel,
            language__in=languages,
        )
    }
    for lang in languages:
        for owner in (getattr(retailer, "pk", None), None):
            row = rows.get((owner, lang))
            if row is not None:
                return Source(row.subject, row.text, row.html, f"template:{row.pk}", row.language)
    return _shipped_default(event_type, channel)


def _compiled(template_code: str):
    return _compile(Engine.get_default(), template_code)


@lru_cache(maxsize=512)
def _compile(engine, template_code: str):
    """A template compiled once per process and source text.

    Keyed by the text itself, so an override edited in admin is a new key (and the old
    one ages out): nothing to invalidate. A compiled Template holds no render state and
    is shared safely, as Django's cached template loader does. Keyed by the engine
    too: settings that replace it (tests) get templates compiled by the new one.
    """
    return engine.from_string(template_code)


def render_source(source: Source, context: dict) -> tuple[str, str, str]:
    """Subject and text render without escaping; HTML escapes what it prints."""
    plain = Context(context, autoescape=False)
    subject = " ".join(_compiled(source.subject).render(plain).split())
    text = _compiled(source.text).render(Context(context, autoescape=False)).strip()
    if source.html:
        html = _compiled(source.html).render(Context(context, autoescape=True))
    else:
        html = linebreaks(escape(text)) if text else ""
    return subject, text + "\n", html


def message_render(*, retailer, event_type: str, channel: str, language: str, context: dict):
    """Render the message; a broken override falls back to the shipped default.

    A supervisor's typo in an override must never stop a customer hearing about their
    refund, nor roll back the change that triggered the message.
    """
    source = template_source(
        retailer=retailer, event_type=event_type, channel=channel, language=language
    )
    try:
        subject, text, html = render_source(source, context)
    except (TemplateSyntaxError, TemplateDoesNotExist, ValueError, TypeError) as exc:
        log.error("template %s failed to render (%s); using the default", source.origin, exc)
        source = _shipped_default(event_type, channel)
        subject, text, html = render_source(source, context)
    return Rendered(subject, text, html, source.language, source.origin)
