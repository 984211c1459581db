"""The outbox of customer messages and webhook deliveries, and what shapes them.

Rows here are written inside the transaction of the change they tell about
(`notifications.services.event_emit`) and sent afterwards by workers, so a rolled-back
change sends nothing and a broker outage loses nothing: the sweeps find pending rows.
"""

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from retailers.models import Retailer, WebhookEndpoint


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class Notification(models.Model):
    """One message to one recipient, rendered when the event happened."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    # Null for messages to the retailer itself (an endpoint disabled, for instance).
    # Named by string: orders sit above notifications (the app imports nothing of them).
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event_type = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    sender = models.CharField(max_length=300, blank=True)
    essential = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The same event never produces two messages: "<event>:<subject>:<channel>".
    dedupe_key = models.CharField(max_length=200, unique=True)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(
        default=dict, blank=True, help_text="What the caller told (an agent's words, ...)."
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Set while a worker holds the send; a stale claim means the worker died mid-send.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_due",
            ),
            models.Index(fields=["retailer", "status", "-created_at"], name="notification_list"),
        ]

    def __str__(self):
        return f"{self.event_type} to {self.recipient} ({self.status})"


class WebhookDelivery(models.Model):
    """One event for one endpoint; retried until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(help_text="The body: {id, type, created_at, data}.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="delivery_event_unique")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"
            ),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The log of each POST made for a delivery."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=500)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "created_at", "id"]

    def __str__(self):
        return f"attempt {self.number}: {self.response_status or self.error[:40]}"


class EndpointHealth(models.Model):
    """Failure counters of an endpoint: kept here so retailers' models stay theirs."""

    endpoint = models.OneToOneField(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="health"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "endpoint health"

    def __str__(self):
        return f"{self.endpoint} ({self.consecutive_failures} failing)"


class MessageTemplate(models.Model):
    """An override of the shipped default for one event, channel and language.

    A row without a retailer overrides the product default for everyone; a row with one
    is that retailer's own voice. Templates use Django template syntax over plain data
    (see `notifications.rendering`).
    """

    retailer = models.ForeignKey(
        Retailer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event_type = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(help_text="Plain text body (also the SMS text).")
    html = models.TextField(blank=True, help_text="HTML body; empty: the text, escaped.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event_type", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "event_type", "channel", "language"],
                name="template_per_retailer_unique",
            ),
            models.UniqueConstraint(
                fields=["event_type", "channel", "language"],
                condition=Q(retailer__isnull=True),
                name="template_default_unique",
            ),
        ]

    def __str__(self):
        owner = self.retailer or "default"
        return f"{self.event_type} {self.channel} {self.language} ({owner})"


# Colours go into inline styles of e-mails and pages: only a plain hex colour is allowed.
hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give a colour as #rrggbb.")


class Branding(models.Model):
    """How a retailer's messages and customer pages look and sign off."""

    retailer = models.OneToOneField(Retailer, on_delete=models.CASCADE, related_name="branding")
    display_name = models.CharField(max_length=200, blank=True)
    logo_url = models.URLField(max_length=500, blank=True)
    primary_color = models.CharField(max_length=7, default="#1f3a5f", validators=[hex_colour])
    accent_color = models.CharField(max_length=7, default="#e8b04b", validators=[hex_colour])
    sender_email = models.EmailField(blank=True, help_text="From address of customer e-mail.")
    signature = models.TextField(blank=True)
    support_url = models.URLField(max_length=500, blank=True)
    support_email = models.EmailField(blank=True)
    contact_email = models.EmailField(
        blank=True, help_text="Where the retailer hears of operational problems (webhooks)."
    )

    class Meta:
        verbose_name_plural = "branding"

    def __str__(self):
        return self.display_name or str(self.retailer)


class CustomerPreference(models.Model):
    """A customer's choice about messages; essential ones are sent regardless."""

    customer = models.OneToOneField(
        "orders.Customer", on_delete=models.CASCADE, related_name="message_preference"
    )
    opted_out = models.BooleanField(
        default=False, help_text="No non-essential messages (received, approved, ...)."
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.customer}: {'opted out' if self.opted_out else 'all messages'}"
