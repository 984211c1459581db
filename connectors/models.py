from django.db import models
from django.db.models import Q

from retailers.models import Retailer


class ShopifyDelivery(models.Model):
    """One webhook delivery from a connected shop, stored as it came (SPEC §12).

    The endpoint stores it and answers at once; workers apply it. The raw body is kept
    byte for byte, so what was applied can always be read again, and a body that could
    not be read stays here for a person.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        # Older than what was already applied for its order (`updated_at`): not applied.
        STALE = "stale", "Stale: a newer version was applied"
        IGNORED = "ignored", "Ignored: nothing to do"
        UNPARSEABLE = "unparseable", "Unparseable: kept for a person"
        FAILED = "failed", "Failed: kept for a person"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    shop_domain = models.CharField(max_length=255)
    topic = models.CharField(max_length=100)
    webhook_id = models.CharField(max_length=100)
    event_id = models.CharField(max_length=100, blank=True)
    # Duplicates are one delivery: Shopify's event id when it sends one (the same for
    # every subscription and retry of one event), else the webhook id.
    dedupe_key = models.CharField(max_length=120)
    api_version = models.CharField(max_length=16, blank=True)
    triggered_at = models.CharField(max_length=64, blank=True)
    body = models.BinaryField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # What it is about, once read: the Shopify object's id (a string: ids exceed 2**53),
    # and its `updated_at` for ordering order updates.
    resource_id = models.CharField(max_length=40, blank=True)
    order_external_id = models.CharField(max_length=100, blank=True)
    outcome = models.TextField(blank=True, help_text="What applying it did, or why not.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "Shopify deliveries"
        constraints = [
            # Ten copies arriving at once: the database keeps one.
            models.UniqueConstraint(
                fields=["retailer", "dedupe_key"], name="shopify_delivery_once"
            ),
            # A copy that lacks the event id header is still the same webhook.
            models.UniqueConstraint(
                fields=["retailer", "webhook_id"], name="shopify_delivery_webhook_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="shopify_delivery_due",
            ),
            models.Index(
                fields=["retailer", "status", "-received_at"], name="shopify_delivery_list"
            ),
        ]

    def __str__(self):
        return f"{self.topic} {self.webhook_id} ({self.status})"


class ShopifyOrderVersion(models.Model):
    """The newest version of a Shopify order applied here (its `updated_at`): an older
    `orders/updated` arriving late never overwrites it. Its row is also the lock that
    serialises every delivery about one order."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    shopify_order_id = models.CharField(max_length=40)
    updated_at = models.DateTimeField(null=True, blank=True)
    delivery = models.ForeignKey(
        ShopifyDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "shopify_order_id"], name="shopify_order_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.shopify_order_id} @ {self.updated_at}"
