from django.db import models
from django.db.models import Q

from retailers.models import Retailer


class Warehouse(models.Model):
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="warehouses")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["retailer", "code"]
        constraints = [
            models.UniqueConstraint(fields=["retailer", "code"], name="warehouse_code_unique")
        ]

    def __str__(self):
        return self.name or self.code


class StockLevel(models.Model):
    """Stock of one SKU in one warehouse. Always equals the sum of its movements."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    sku = models.CharField(max_length=100)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "sku", "warehouse"], name="stock_level_unique"
            )
        ]

    def __str__(self):
        return f"{self.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """The append-only stock ledger. A source moves stock at most once per key."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", "Receive"
        RESERVE = "reserve", "Reserve"
        RELEASE = "release", "Release"
        SHIP = "ship", "Ship"
        RESTOCK = "restock", "Restock"
        WRITE_OFF = "write_off", "Write off"
        ADJUST = "adjust", "Adjust"

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    # No index of its own: movement_level_recent (level, -created_at) serves it.
    level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Units moved; the deltas say in which direction.")
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_type = models.CharField(max_length=32, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="stock_movement_idempotent",
            )
        ]
        indexes = [models.Index(fields=["level", "-created_at"], name="movement_level_recent")]

    def __str__(self):
        return f"{self.kind} {self.quantity} {self.level}"
