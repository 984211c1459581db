"""The endpoint Shopify posts webhooks to (SPEC §12). Not the REST API: Shopify signs
the raw body with the shop's secret, so the view reads the body as bytes and the shop
from its header; no API key, no session, no CSRF token.

Answers: 401 for a bad or missing signature or an unknown shop (nothing written), 400
for a missing required header, 413 for a body over SHOPIFY_WEBHOOK_MAX_BYTES, else 200
at once: stored for the workers (or recognised as seen before, or a topic not handled).
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors.services import TOPICS, delivery_receive
from connectors.shopify.signature import signature_valid
from kernel.errors import ErrorCode
from kernel.middleware import problem_response
from retailers.models import ShopifyConnection
from retailers.services import shop_domain_clean

UNKNOWN_SHOP_SECRET = "no shop is connected with this domain"


@csrf_exempt
@require_POST
def shopify_webhook(request):
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.SHOPIFY_WEBHOOK_MAX_BYTES:
        return problem_response(ErrorCode.TOO_LARGE, "The body is larger than we accept.")
    headers = request.headers
    shop = headers.get("X-Shopify-Shop-Domain", "")
    if not shop:
        return problem_response(ErrorCode.INVALID, "X-Shopify-Shop-Domain is required.")
    try:
        domain = shop_domain_clean(shop)
    except ValueError:
        domain = ""
    connection = (
        ShopifyConnection.objects.select_related("retailer")
        .filter(shop_domain=domain, is_active=True)
        .first()
        if domain
        else None
    )
    body = request.body
    # An unknown shop and a bad signature get the same answer, after the same work (an
    # HMAC of the body either way): neither the answer nor its timing tells a caller
    # which shops are connected.
    secrets = connection.webhook_secrets() if connection is not None else [UNKNOWN_SHOP_SECRET]
    valid = signature_valid(secrets, body, headers.get("X-Shopify-Hmac-Sha256", ""))
    if connection is None or not valid:
        return problem_response(
            ErrorCode.NOT_AUTHENTICATED, "Unknown shop, or the signature does not match."
        )
    topic = headers.get("X-Shopify-Topic", "")
    webhook_id = headers.get("X-Shopify-Webhook-Id", "")
    missing = [
        name
        for name, value in (("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", webhook_id))
        if not value
    ]
    if missing:
        return problem_response(ErrorCode.INVALID, f"{', '.join(missing)} required.")
    if topic not in TOPICS:
        return JsonResponse({"status": "ignored", "topic": topic})
    delivery, created = delivery_receive(
        connection=connection,
        topic=topic,
        webhook_id=webhook_id,
        event_id=headers.get("X-Shopify-Event-Id", ""),
        api_version=headers.get("X-Shopify-API-Version", ""),
        triggered_at=headers.get("X-Shopify-Triggered-At", ""),
        body=body,
    )
    return JsonResponse({"status": "received" if created else "duplicate", "delivery": delivery.pk})
