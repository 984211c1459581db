from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from orders.models import Order, OrderLine, money_field
from retailers.models import Policy, Retailer


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    APPROVED = "approved", "Approved"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    IN_REVIEW = "in_review", "In review"
    ESCALATED = "escalated", "Escalated"
    RETURN_REQUIRED = "return_required", "Return required"
    REJECTED = "rejected", "Rejected"
    # The warehouse is picking the order: it is asked to stop first (SPEC §12).
    AWAITING_WAREHOUSE = "awaiting_warehouse", "Awaiting warehouse"
    WITHDRAWN = "withdrawn", "Withdrawn"
    COMPLETED = "completed", "Completed"


# Requests not yet decided: an order has at most one of these at a time.
UNDECIDED = (
    Status.RECEIVED,
    Status.AWAITING_CUSTOMER,
    Status.IN_REVIEW,
    Status.ESCALATED,
    Status.AWAITING_WAREHOUSE,
)
FINAL = (Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN, Status.RETURN_REQUIRED)


class Reason(models.TextChoices):
    CHANGED_MIND = "changed_mind", "Changed mind"
    ORDERED_BY_MISTAKE = "ordered_by_mistake", "Ordered by mistake"
    FOUND_BETTER_PRICE = "found_better_price", "Found a better price"
    SHIPPING_DELAY = "shipping_delay", "Shipping delay"
    PAYMENT_ISSUE = "payment_issue", "Payment issue"
    DUPLICATE_ORDER = "duplicate_order", "Duplicate order"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    OTHER = "other", "Other"


class Channel(models.TextChoices):
    STOREFRONT = "storefront", "Storefront"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat"
    RETAILER = "retailer", "Retailer"


class RefundMethod(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", "Original payment"
    STORE_CREDIT = "store_credit", "Store credit"


class CancellationRequest(models.Model):
    """A request to cancel all or part of an order, and the decision on it (SPEC §4)."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="cancellations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.STOREFRONT)
    note = models.TextField(blank=True)
    # How the money goes back (SPEC §10): to the payments, or as one store credit.
    refund_method = models.CharField(
        max_length=20, choices=RefundMethod.choices, default=RefundMethod.ORIGINAL_PAYMENT
    )
    refund_total = money_field(help_text="Lines plus shipping, as decided.")
    shipping_refund = money_field()
    # The decision: which rule (or person) decided, why, under which policy version.
    decision_outcome = models.CharField(max_length=20, blank=True)
    decision_rule = models.CharField(max_length=40, blank=True)
    decision_explanation = models.TextField(blank=True)
    policy = models.ForeignKey(Policy, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=200, blank=True)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    # Awaiting the warehouse: when its answer is due (policy `warehouse_response_hours`);
    # with no answer by then the request goes to an agent.
    warehouse_due_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cancellations",
    )
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database itself refuses a second undecided request for one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=[s.value for s in UNDECIDED]),
                name="one_undecided_request_per_order",
            )
        ]
        indexes = [
            models.Index(
                fields=["retailer", "status", "-created_at"], name="cancel_retailer_status"
            ),
            models.Index(fields=["status", "sla_due_at"], name="cancel_queue"),
            models.Index(
                fields=["confirmation_expires_at"],
                condition=Q(status="awaiting_customer"),
                name="cancel_awaiting_expiry",
            ),
            # The warehouse's answers in due order: the desk's kind and the no-answer sweep.
            models.Index(
                fields=["warehouse_due_at", "id"],
                condition=Q(status="awaiting_warehouse"),
                name="cancel_awaiting_warehouse",
            ),
            # The agent queue: open cases in due order, covering every column its filters,
            # tab counts and the overview read, so none of them scans decided history or
            # fetches rows it only counts.
            models.Index(
                Coalesce("sla_due_at", "confirmation_expires_at"),
                "id",
                name="cancel_open_due",
                include=[
                    "status",
                    "needs_attention",
                    "sla_due_at",
                    "confirmation_expires_at",
                    "retailer",
                    "assigned_to",
                    "order",
                    "reason",
                    "channel",
                    "decision_rule",
                    "created_at",
                ],
                condition=Q(status__in=["in_review", "escalated", "awaiting_customer"])
                | Q(status="approved", needs_attention=True),
            ),
        ]

    def __str__(self):
        return f"Cancellation {self.pk} of {self.order.external_id} ({self.status})"

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def is_undecided(self) -> bool:
        return self.status in UNDECIDED


class CancellationLine(models.Model):
    """Units of one order line that a request cancels, and what that refunds."""

    request = models.ForeignKey(CancellationRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="cancellation_lines")
    quantity = models.PositiveIntegerField()
    refund_amount = money_field()

    class Meta:
        ordering = ["request", "line__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "line"], name="cancellation_line_unique")
        ]

    def __str__(self):
        return f"{self.quantity} x {self.line.sku}"
