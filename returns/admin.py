"""Supervisors see returns here, read-only: every change goes through returns.services
(the desk screens and the API call the same), so admin never skips a transition."""

from django.contrib import admin

from kernel.money import format_amount
from refunds.admin import SupervisorReadOnlyAdmin
from returns.models import Return, ReturnExchangeLine, ReturnLine


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = (
        "line",
        "quantity",
        "received_quantity",
        "resellable",
        "damaged",
        "wrong_item",
        "refunded_quantity",
        "exchanged_quantity",
        "refund_amount",
        "restocking_fee",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReturnExchangeLineInline(ReturnLineInline):
    model = ReturnExchangeLine
    fields = ("line", "sku", "quantity", "warehouse", "reserved_quantity", "shipped_quantity")
    readonly_fields = fields


@admin.register(Return)
class ReturnAdmin(SupervisorReadOnlyAdmin):
    list_display = (
        "id",
        "order",
        "retailer",
        "status",
        "reason",
        "resolution",
        "refund_total_label",
        "needs_attention",
        "tracking_number",
        "ship_by",
        "created_at",
    )
    list_filter = ("status", "resolution", "needs_attention", "retailer", "reason")
    search_fields = ("order__external_id", "tracking_number", "=id")
    list_select_related = ("order", "retailer")
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline, ReturnExchangeLineInline]
    exclude = ("label_pdf",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("label_pdf")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Return._meta.fields if f.name != "label_pdf"]

    @admin.display(description="refund total", ordering="refund_total")
    def refund_total_label(self, obj):
        return f"{format_amount(obj.refund_total, obj.order.currency)} {obj.order.currency}"
