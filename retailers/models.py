import hashlib
import secrets
from datetime import time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from kernel.money import DECIMAL_PLACES, MAX_DIGITS


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"{value!r} is not a time zone (e.g. Europe/London).") from error


class Retailer(models.Model):
    """A client of the BPO: one storefront, one currency, one policy at a time."""

    class Gateway(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox (moves no money)"
        # Refunds through the connected shop's Admin API (SPEC §12, refunds.gateways).
        SHOPIFY = "shopify", "Shopify (refunds through the connected shop)"

    class Fulfillment(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox warehouse"
        # Shopify's fulfilment-order cancellation request to the shop's 3PL.
        SHOPIFY = "shopify", "Shopify fulfilment orders (the shop's 3PL)"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")

    class Carrier(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox (labels that ship nothing)"

    class StoreCreditIssuer(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox (codes worth nothing)"

    gateway = models.CharField(max_length=32, choices=Gateway.choices, default=Gateway.SANDBOX)
    # Returns buy labels from this carrier's adapter (returns.carriers).
    carrier = models.CharField(max_length=32, choices=Carrier.choices, default=Carrier.SANDBOX)
    # Store credit is issued through this adapter (refunds.store_credit.issuers).
    store_credit_issuer = models.CharField(
        max_length=32, choices=StoreCreditIssuer.choices, default=StoreCreditIssuer.SANDBOX
    )
    # The warehouse is asked to stop a cancelled order through this adapter
    # (orders.fulfillment, SPEC §12).
    fulfillment = models.CharField(
        max_length=32, choices=Fulfillment.choices, default=Fulfillment.SANDBOX
    )
    default_warehouse = models.CharField(max_length=64, default="main")
    # Its days, business hours and report periods are counted in this zone (SPEC §11, §13).
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="An IANA zone."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Policy(models.Model):
    """One version of a retailer's cancellation policy. Versions are never edited.

    Editing a policy creates the next version; every decision keeps the version it
    applied, so a past decision can always be explained with the rules of its day.
    The field names and defaults are the contract of SPEC §4 and §8.
    """

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="policies")
    version = models.PositiveIntegerField()
    cancellation_window_hours = models.PositiveIntegerField(default=24)
    return_window_days = models.PositiveIntegerField(default=30)
    abuse_threshold = models.PositiveIntegerField(default=5)
    auto_approve_limit = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal("250.00")
    )
    agent_approval_limit = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal("1000.00")
    )
    require_customer_confirmation = models.BooleanField(default=True)
    refund_shipping_on_full_cancel = models.BooleanField(default=True)
    customer_confirmation_hours = models.PositiveIntegerField(default=48)
    refund_timeline_text = models.CharField(max_length=200, default="5-10 business days")
    sla_hours = models.PositiveIntegerField(
        default=4, help_text="An agent should decide a case within this many hours."
    )
    # Returns (SPEC §8), disputes (§9) and the warehouse hold (§12).
    return_ship_by_days = models.PositiveIntegerField(default=14)
    auto_authorise_returns = models.BooleanField(default=True)
    restocking_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    return_label_fee = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal("0.00")
    )
    store_credit_bonus_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    exchanges_allowed = models.BooleanField(default=True)
    dispute_response_hours = models.PositiveIntegerField(default=72)
    warehouse_response_hours = models.PositiveIntegerField(default=4)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200, blank=True)

    # The fields a storefront reads and writes (SPEC §4), in contract order.
    CONTRACT_FIELDS = (
        "cancellation_window_hours",
        "return_window_days",
        "abuse_threshold",
        "auto_approve_limit",
        "agent_approval_limit",
        "require_customer_confirmation",
        "refund_shipping_on_full_cancel",
        "customer_confirmation_hours",
        "refund_timeline_text",
        "return_ship_by_days",
        "auto_authorise_returns",
        "restocking_fee_percent",
        "return_label_fee",
        "store_credit_bonus_percent",
        "exchanges_allowed",
        "dispute_response_hours",
        "warehouse_response_hours",
    )
    EDITABLE_FIELDS = (*CONTRACT_FIELDS, "sla_hours")

    class Meta:
        ordering = ["retailer", "-version"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["retailer", "version"], name="policy_version_unique")
        ]

    def __str__(self):
        return f"{self.retailer} policy v{self.version}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    """A storefront's credential. Only a hash is stored; the key is shown once."""

    PREFIX = "rsk_"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="storefront")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.retailer})"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def label(self) -> str:
        """How the key appears as an actor on the timeline."""
        return f"api key {self.prefix}…"


class StaffMember(models.Model):
    """A BPO user's role and the retailers they serve (a supervisor serves all)."""

    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        SUPERVISOR = "supervisor", "Supervisor"
        RETAILER_MANAGER = "retailer_manager", "Retailer manager"
        # Receives and inspects returns, and nothing else (SPEC §7).
        WAREHOUSE = "warehouse", "Warehouse clerk"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_member"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    retailers = models.ManyToManyField(Retailer, blank=True, related_name="staff")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR


class WebhookEndpoint(models.Model):
    """Where a retailer's systems hear about changes (SPEC §5 webhooks)."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, blank=True, help_text="Empty: every event.")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)


class IdempotencyKey(models.Model):
    """A storefront's `Idempotency-Key`: the first response, replayed for the same body.

    A row without a response is a request still being processed; a concurrent duplicate
    sees it and is told `idempotency_key_in_use`, unless the session that claimed it
    is gone (`owner`).
    """

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    # The database session processing the request ("<pid>@<server start>" on
    # PostgreSQL): a claim whose session is gone (the process died, the server
    # restarted) committed nothing and is released at once.
    owner = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table keeps the name it had when the model lived in cancellations.
        db_table = "cancellations_idempotencykey"
        constraints = [
            models.UniqueConstraint(fields=["retailer", "key"], name="idempotency_key_unique")
        ]

    def __str__(self):
        return self.key


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BusinessHours(models.Model):
    """When a retailer is open, so its SLAs count only those hours (SPEC §13): opening
    hours per weekday in the retailer's time zone, closed on its country's public
    holidays. A retailer without them counts SLAs in calendar hours."""

    retailer = models.OneToOneField(
        Retailer, on_delete=models.CASCADE, related_name="business_hours"
    )
    # {"0": ["09:00", "18:00"], ...}: Monday is 0; a day absent or empty is closed.
    days = models.JSONField(default=dict, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166 country code: its public holidays are closed days (empty: none).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self):
        return f"{self.retailer} business hours"

    def clean(self):
        import holidays

        errors = {}
        for key, span in (self.days or {}).items():
            if key not in {str(n) for n in range(7)}:
                errors["days"] = f"{key!r} is not a weekday (0 is Monday, 6 Sunday)."
                continue
            if not span:
                continue
            try:
                opens, closes = (time.fromisoformat(part) for part in span)
            except (TypeError, ValueError):
                errors["days"] = f"{WEEKDAYS[int(key)]}: give [opens, closes] as HH:MM."
                continue
            if opens >= closes:
                errors["days"] = f"{WEEKDAYS[int(key)]} closes before it opens."
        if self.country and self.country.upper() not in holidays.list_supported_countries():
            errors["country"] = f"No public holidays known for {self.country!r}."
        if errors:
            raise ValidationError(errors)
        self.country = self.country.upper()


class ShopifyConnection(models.Model):
    """A retailer's Shopify shop (SPEC §12): where its webhooks come from, the secrets
    that sign them, and the Admin API token refunds and fulfilment requests use.

    Secrets are sealed (retailers.secrets): never stored in clear, never shown again
    once set. During a rotation the previous signing secret is still accepted until
    `previous_secret_expires_at`, so deliveries Shopify signed before the switch verify.
    """

    retailer = models.OneToOneField(
        Retailer, on_delete=models.CASCADE, related_name="shopify_connection"
    )
    shop_domain = models.CharField(
        max_length=255, unique=True, help_text="The shop's myshopify.com domain, lower case."
    )
    webhook_secret_sealed = models.TextField(blank=True)
    webhook_secret_fingerprint = models.CharField(max_length=32, blank=True)
    previous_secret_sealed = models.TextField(blank=True)
    previous_secret_fingerprint = models.CharField(max_length=32, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    admin_token_sealed = models.TextField(blank=True)
    admin_token_fingerprint = models.CharField(max_length=32, blank=True)
    api_version = models.CharField(max_length=16, default="2026-01")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Shopify connection"

    def __str__(self):
        return f"{self.shop_domain} ({self.retailer})"

    def webhook_secrets(self, *, now=None) -> list[str]:
        """The signing secrets accepted now: the current one, and the previous one while
        a rotation lasts."""
        from retailers.secrets import secret_open

        now = now or timezone.now()
        secrets_now = [secret_open(self.webhook_secret_sealed)]
        if self.previous_secret_sealed and (
            self.previous_secret_expires_at is None or self.previous_secret_expires_at > now
        ):
            secrets_now.append(secret_open(self.previous_secret_sealed))
        return [s for s in secrets_now if s]

    def admin_token(self) -> str:
        from retailers.secrets import secret_open

        return secret_open(self.admin_token_sealed)
