"""Reads for notifications: scoped to one retailer, a foreign object is a 404."""

from kernel.errors import NotFound
from notifications.models import Notification, WebhookDelivery
from retailers.models import WebhookEndpoint


def webhook_endpoints_for(*, retailer):
    return WebhookEndpoint.objects.filter(retailer=retailer).order_by("-created_at", "-id")


def webhook_endpoint_get(*, retailer, pk) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(retailer=retailer, pk=pk).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint for this retailer.")
    return endpoint


def notifications_for_order(*, order):
    return Notification.objects.filter(order=order).order_by("created_at", "id")


def deliveries_for_endpoint(*, endpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("log")
