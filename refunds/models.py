import secrets

from django.db import models
from django.db.models import Q

from orders.models import Customer, Order, Payment, money_field
from retailers.models import Retailer


def new_idempotency_key() -> str:
    """A key the gateway dedupes on: one per refund, sent on every attempt of it."""
    return f"rfnd_{secrets.token_hex(16)}"


class Refund(models.Model):
    """Money going back to one of the order's original payments (SPEC §3, §4).

    Created `pending` inside the approval's transaction, then executed by workers
    through the retailer's gateway adapter. `attempts` counts gateway calls made; every
    attempt sends the same `idempotency_key`, so the gateway moves the money at most
    once whatever is retried, duplicated or restarted.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # Not sent while a chargeback on its payment is open (SPEC §9).
        HELD = "held", "Held"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Never sent: a lost chargeback already gave the money back (SPEC §9).
        CANCELLED = "cancelled", "Cancelled"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    # What owes the money: one nullable foreign key per source kind, each registered by
    # its app (refunds.sources). Named by string: the source apps sit above this one.
    cancellation = models.ForeignKey(
        "cancellations.CancellationRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    return_request = models.ForeignKey(
        "returns.Return",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Gateway calls made.")
    attempt_limit = models.PositiveIntegerField(
        default=0,
        help_text="Transient failures give up when `attempts` reaches this; a supervisor's "
        "retry grants a new round.",
    )
    gateway_reference = models.CharField(max_length=200, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Pending: when the next attempt is due (an attempt in flight holds it "
        "ahead until the gateway's timeout has surely passed).",
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker was last asked to execute it."
    )
    succeeded_at = models.DateTimeField(null=True, blank=True)
    manual = models.BooleanField(
        default=False, help_text="A supervisor recorded it as refunded outside the gateway."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            # The sweep reads only pending refunds that are overdue.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="refund_pending_due",
            ),
            models.Index(
                fields=["retailer", "status", "created_at"], name="refund_retailer_status"
            ),
        ]

    def __str__(self):
        return f"Refund {self.pk} of {self.amount} {self.currency} ({self.status})"


class SandboxGatewayCall(models.Model):
    """Every call the sandbox gateway received, written as the gateway's own record.

    Tests count `money_moved` rows to prove a refund moved money exactly once.
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        TRANSIENT = "transient", "Failed transiently"
        DECLINED = "declined", "Declined"

    idempotency_key = models.CharField(max_length=64, db_index=True)
    payment_reference = models.CharField(max_length=200, blank=True)
    amount = money_field()
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reference = models.CharField(max_length=64, blank=True)
    money_moved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Like a real gateway, at most one movement of money per idempotency key;
            # two concurrent calls with one key cannot both pass this.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(money_moved=True),
                name="sandbox_one_movement_per_key",
            )
        ]

    def __str__(self):
        return f"{self.idempotency_key} {self.outcome}"


def new_store_credit_key() -> str:
    """The key the issuer dedupes on: one per store credit, sent on every attempt."""
    return f"stcr_{secrets.token_hex(16)}"


class StoreCredit(models.Model):
    """Value given back as store credit instead of money to the payments (SPEC §10).

    Created `pending` in the transaction that owes it (a cancellation approved with
    `refund_method` `store_credit`, a return's `store_credit` resolution, a dispute's
    goodwill), then issued by workers through the retailer's store-credit adapter
    exactly as a refund is executed: one idempotency key sent on every attempt, an
    attempt claimed before the call and recorded after it, retried with backoff.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ISSUED = "issued", "Issued"
        FAILED = "failed", "Failed"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="store_credits")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="store_credits")
    # What owes it: one nullable foreign key per source kind (refunds.sources).
    cancellation = models.ForeignKey(
        "cancellations.CancellationRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store_credits",
    )
    return_request = models.ForeignKey(
        "returns.Return",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store_credits",
    )
    amount = money_field(help_text="What the customer gets, bonus included.")
    bonus_amount = money_field(help_text="The retailer's bonus on top of what was owed.")
    currency = models.CharField(max_length=3)
    code = models.CharField(max_length=64, blank=True, help_text="The issuer's code.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Issuer calls made.")
    attempt_limit = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_store_credit_key)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="store_credit_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="store_credit_pending_due",
            ),
            models.Index(fields=["retailer", "created_at"], name="store_credit_retailer"),
        ]

    def __str__(self):
        return f"Store credit {self.pk} of {self.amount} {self.currency} ({self.status})"


class SandboxStoreCreditCall(models.Model):
    """Every call the sandbox store-credit issuer received, as the issuer's own record.

    Tests count `issued` rows to prove a credit was issued exactly once.
    """

    idempotency_key = models.CharField(max_length=64, db_index=True)
    customer_reference = models.CharField(max_length=200, blank=True)
    amount = money_field()
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=16)
    code = models.CharField(max_length=64, blank=True)
    issued = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(issued=True),
                name="sandbox_one_credit_per_key",
            )
        ]

    def __str__(self):
        return f"{self.idempotency_key} {self.outcome}"
