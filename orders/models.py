from django.conf import settings
from django.db import models
from django.db.models import Q

from kernel.money import DECIMAL_PLACES, MAX_DIGITS, ZERO
from retailers.models import ApiKey, Retailer


def money_field(**kwargs):
    return models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=ZERO, **kwargs
    )


class Customer(models.Model):
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="customers")
    external_id = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "external_id"], name="customer_external_id_unique"
            )
        ]

    def __str__(self):
        return self.name or self.email or self.external_id


class Order(models.Model):
    """A storefront's order as mirrored here. Amounts are exact (SPEC §3)."""

    class Fulfillment(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Unfulfilled"
        # The warehouse is picking or packing (SPEC §12): still unshipped, stock reserved.
        IN_PROGRESS = "in_progress", "In progress at the warehouse"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="orders")
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3)
    placed_at = models.DateTimeField()
    fulfillment_status = models.CharField(
        max_length=16, choices=Fulfillment.choices, default=Fulfillment.UNFULFILLED
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    shipping = money_field()
    shipping_refunded = money_field(help_text="Shipping already given back to the customer.")
    total = money_field(help_text="Sum of line totals plus shipping.")
    # Kept for a person: the order's figures do not add up (a connector's order whose
    # payments differ from its total under SPEC §3), with the difference on its timeline.
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "external_id"], name="order_external_id_unique"
            )
        ]
        indexes = [models.Index(fields=["retailer", "-placed_at"], name="order_retailer_placed")]

    def __str__(self):
        return f"{self.external_id} ({self.retailer.slug})"

    @property
    def is_shipped(self) -> bool:
        # `in_progress` is still unshipped: its stock stays reserved and shipping is
        # refunded as for an unfulfilled order (SPEC §12).
        return self.fulfillment_status in (self.Fulfillment.SHIPPED, self.Fulfillment.DELIVERED)

    @property
    def at_warehouse(self) -> bool:
        """The warehouse is picking or packing it: a cancellation must ask it to stop."""
        return self.fulfillment_status == self.Fulfillment.IN_PROGRESS


class OrderLine(models.Model):
    # No index of its own: the unique (order, external_id) constraint serves lookups by order.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    external_id = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField(max_length=100)
    title = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    discount = money_field()
    tax = money_field()
    final_sale = models.BooleanField(default=False)
    warehouse = models.CharField(max_length=64)
    cancelled_quantity = models.PositiveIntegerField(default=0)
    reserved_quantity = models.PositiveIntegerField(
        default=0, help_text="Units this line holds reserved in stock right now."
    )
    refunded_amount = money_field(help_text="Refunds owed on this line by decided requests.")

    class Meta:
        ordering = ["order", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="line_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_quantity__lte=models.F("quantity")),
                name="line_cancelled_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.sku} x{self.quantity}"

    @property
    def total(self):
        return self.quantity * self.unit_price - self.discount + self.tax

    @property
    def active_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity


class Payment(models.Model):
    """A tender the customer paid with; refunds go back to it, capped at what it captured."""

    # No index of its own: the unique (order, external_id) constraint serves lookups by order.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="payments", db_index=False
    )
    external_id = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=50)
    amount = money_field(help_text="Captured.")
    reference = models.CharField(max_length=200, blank=True)
    # The processor names behind one payment a connector reports (Shopify's
    # `payment_gateway_names`): kept for people, never used to route money.
    gateways = models.JSONField(default=list, blank=True)
    refunded_amount = money_field(help_text="Allocated to refunds so far.")

    class Meta:
        ordering = ["order", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="payment_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunded_within_captured",
            ),
        ]

    def __str__(self):
        return f"{self.method} {self.amount}"

    @property
    def refundable(self):
        return self.amount - self.refunded_amount


class OrderEvent(models.Model):
    """The order's timeline: append-only, written in the same transaction as the change.

    Every domain (cancellations, refunds, stock, returns, disputes, messages) appends
    here, naming its subject (`subject_type`, `subject_id`) so the story of an order
    reads from one table.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=64)
    message = models.TextField()
    actor_kind = models.CharField(max_length=16)
    actor_label = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="event_subject")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class FulfillmentRequest(models.Model):
    """Asking the order's warehouse to stop picking a cancelled order, or to go on after
    the cancellation was withdrawn (SPEC §12), through the retailer's fulfilment adapter.

    Written in the transaction that decides to ask, sent by a worker after it commits
    (never while a transaction is open), retried with backoff like a refund, so a
    warehouse that is briefly unreachable is still told, and told once.
    """

    class Kind(models.TextChoices):
        STOP = "stop", "Stop: cancel the fulfilment"
        RESUME = "resume", "Go on: the cancellation was withdrawn"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUBMITTED = "submitted", "Submitted: waiting for the warehouse"
        ACCEPTED = "accepted", "Accepted by the warehouse"
        REJECTED = "rejected", "Rejected by the warehouse"
        FAILED = "failed", "Failed: the warehouse could not be told"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillment_requests")
    # Named by string: cancellations sits above orders.
    cancellation = models.ForeignKey(
        "cancellations.CancellationRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fulfillment_requests",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    adapter = models.CharField(max_length=32)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # [{line, sku, quantity}]: what the warehouse is asked to stop.
    lines = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # The warehouse's own ids for what it was asked about (Shopify fulfilment orders).
    references = models.JSONField(default=list, blank=True)
    answer_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="fulfillment_request_due",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.order_id} ({self.status})"
