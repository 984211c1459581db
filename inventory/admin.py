"""Stock in admin: levels and the ledger are read-only; stock moves through services.

Editing a level or a movement by hand would break "a level equals the sum of its
movements", so neither can be added, changed or deleted here; a correction is an
`adjust` movement (PUT /api/v1/inventory/{sku}).
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from inventory.models import StockLevel, StockMovement, Warehouse

MOVEMENT_FIELDS = (
    "created_at",
    "kind",
    "quantity",
    "on_hand_delta",
    "reserved_delta",
    "order",
    "source_type",
    "source_id",
    "actor_label",
    "idempotency_key",
)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "retailer")
    list_filter = ("retailer",)
    search_fields = ("code", "name")
    list_select_related = ("retailer",)

    def get_readonly_fields(self, request, obj=None):
        # Levels and order lines refer to a warehouse by its code: it never changes.
        return ("retailer", "code") if obj else ()


class RecentMovementsFormSet(BaseInlineFormSet):
    RECENT = 50

    def get_queryset(self):
        # A busy SKU has thousands of movements; the page shows the latest ones and
        # links to the full, filterable ledger.
        return super().get_queryset().order_by("-created_at", "-id")[: self.RECENT]


class StockMovementInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StockMovement
    formset = RecentMovementsFormSet
    fields = MOVEMENT_FIELDS
    readonly_fields = MOVEMENT_FIELDS
    extra = 0
    verbose_name_plural = f"latest movements (up to {RecentMovementsFormSet.RECENT})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "sku",
        "warehouse",
        "retailer",
        "on_hand",
        "reserved",
        "available",
        "updated_at",
    )
    list_filter = ("retailer", "warehouse")
    search_fields = ("sku",)
    list_select_related = ("retailer", "warehouse")
    readonly_fields = (
        "retailer",
        "sku",
        "warehouse",
        "on_hand",
        "reserved",
        "available",
        "updated_at",
        "ledger",
    )
    fields = readonly_fields
    inlines = [StockMovementInline]
    show_full_result_count = False

    @admin.display(description="Ledger")
    def ledger(self, level):
        url = reverse("admin:inventory_stockmovement_changelist") + f"?level__id__exact={level.pk}"
        return format_html('<a href="{}">All movements of this level</a>', url)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "sku",
        "warehouse",
        "kind",
        "quantity",
        "on_hand_delta",
        "reserved_delta",
        "order",
        "source",
        "actor_label",
    )
    list_filter = ("kind", "retailer")
    search_fields = ("level__sku", "order__external_id", "idempotency_key")
    list_select_related = ("level__warehouse", "order")
    readonly_fields = ("retailer", "level", *MOVEMENT_FIELDS)
    fields = readonly_fields
    show_full_result_count = False

    @admin.display(description="SKU", ordering="level__sku")
    def sku(self, movement):
        return movement.level.sku

    @admin.display(description="Warehouse")
    def warehouse(self, movement):
        return movement.level.warehouse.code

    @admin.display(description="Source")
    def source(self, movement):
        return f"{movement.source_type} {movement.source_id}" if movement.source_type else "—"
