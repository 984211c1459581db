"""Returns (SPEC §8): goods that already shipped come back, are graded, restocked or
written off, and the customer is paid (or credited, or sent an exchange) exactly once."""

from django.db import models
from django.db.models import Q

from orders.models import Order, OrderLine, money_field
from retailers.models import Policy, Retailer


class Status(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AUTHORISED = "authorised", "Authorised"
    DECLINED = "declined", "Declined"
    IN_TRANSIT = "in_transit", "In transit"
    RECEIVED = "received", "Received"
    INSPECTED = "inspected", "Inspected"
    CLOSED = "closed", "Closed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


# A return in one of these still holds its units: they cannot go in another return.
OPEN = (
    Status.REQUESTED,
    Status.AUTHORISED,
    Status.IN_TRANSIT,
    Status.RECEIVED,
    Status.INSPECTED,
)
FINAL = (Status.DECLINED, Status.CLOSED, Status.EXPIRED, Status.CANCELLED)


class Reason(models.TextChoices):
    # SPEC §5's cancellation reasons...
    CHANGED_MIND = "changed_mind", "Changed mind"
    ORDERED_BY_MISTAKE = "ordered_by_mistake", "Ordered by mistake"
    FOUND_BETTER_PRICE = "found_better_price", "Found a better price"
    SHIPPING_DELAY = "shipping_delay", "Shipping delay"
    PAYMENT_ISSUE = "payment_issue", "Payment issue"
    DUPLICATE_ORDER = "duplicate_order", "Duplicate order"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    OTHER = "other", "Other"
    # ... and §8's own.
    DEFECTIVE = "defective", "Defective"
    DAMAGED_IN_TRANSIT = "damaged_in_transit", "Damaged in transit"
    WRONG_ITEM_SENT = "wrong_item_sent", "Wrong item sent"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"


# The customer simply changed their mind: fees apply to these reasons only.
CUSTOMER_CHOICE_REASONS = frozenset(
    {Reason.CHANGED_MIND, Reason.ORDERED_BY_MISTAKE, Reason.FOUND_BETTER_PRICE}
)


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund"
    STORE_CREDIT = "store_credit", "Store credit"
    EXCHANGE = "exchange", "Exchange"


class Return(models.Model):
    """A return authorisation and everything that happens to its parcel."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    # The request that handed over to this return (SPEC §4 `return_required`), if any.
    # Named by string: cancellations sit above returns.
    cancellation = models.OneToOneField(
        "cancellations.CancellationRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_request",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    resolution = models.CharField(
        max_length=16, choices=Resolution.choices, default=Resolution.REFUND
    )
    note = models.TextField(blank=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    # The label, bought from the retailer's carrier at authorisation.
    carrier = models.CharField(max_length=32, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True, db_index=True)
    label_pdf = models.BinaryField(null=True, blank=True, editable=False)
    ship_by = models.DateTimeField(null=True, blank=True)
    # Money: before inspection the estimate (every unit back resellable), after it what
    # is owed; `refund_total` is net of both fees.
    restocking_fee = money_field()
    label_fee = money_field()
    refund_total = money_field()
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=300, blank=True)
    decline_reason = models.TextField(blank=True)
    receiving_warehouse = models.CharField(max_length=64, blank=True)
    exchange_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    authorised_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["retailer", "status", "-created_at"], name="return_retailer"),
            models.Index(
                fields=["ship_by"],
                condition=Q(status__in=["authorised", "in_transit"]),
                name="return_expiry_due",
            ),
        ]

    def __str__(self):
        return f"Return {self.pk} of {self.order.external_id} ({self.status})"

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def is_customer_choice(self) -> bool:
        return self.reason in CUSTOMER_CHOICE_REASONS


class ReturnLine(models.Model):
    """Units of one order line coming back, and what became of each."""

    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)
    # Received units that went through an inspection (graded, or left ungraded: missing).
    inspected_quantity = models.PositiveIntegerField(default=0)
    resellable = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    wrong_item = models.PositiveIntegerField(default=0)
    # Units whose value was given back (money or store credit), and units exchanged.
    refunded_quantity = models.PositiveIntegerField(default=0)
    exchanged_quantity = models.PositiveIntegerField(default=0)
    # Before fees: the estimate until inspected, then what the refunded units are worth.
    refund_amount = money_field()
    restocking_fee = money_field()

    class Meta:
        ordering = ["return_request", "line__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["return_request", "line"], name="return_line_unique"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")),
                name="return_line_received_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(inspected_quantity__lte=models.F("received_quantity")),
                name="return_line_inspected_within_received",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.line.sku}"

    @property
    def graded(self) -> int:
        return self.resellable + self.damaged + self.wrong_item


class ReturnExchangeLine(models.Model):
    """A replacement asked for a returned line: its stock is reserved at authorisation."""

    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="exchange_lines"
    )
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    warehouse = models.CharField(max_length=64, blank=True)
    reserved_quantity = models.PositiveIntegerField(
        default=0, help_text="Units this exchange holds reserved right now."
    )
    shipped_quantity = models.PositiveIntegerField(
        default=0, help_text="Units put on the exchange order."
    )

    class Meta:
        ordering = ["return_request", "id"]

    def __str__(self):
        return f"exchange {self.quantity} x {self.sku}"
