from django.contrib import admin

from orders.models import Customer, Order, OrderEvent, OrderLine, Payment


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = (
        "external_id",
        "sku",
        "title",
        "quantity",
        "unit_price",
        "discount",
        "tax",
        "final_sale",
        "warehouse",
        "cancelled_quantity",
        "reserved_quantity",
        "refunded_amount",
    )
    readonly_fields = ("cancelled_quantity", "reserved_quantity", "refunded_amount")


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("external_id", "method", "amount", "reference", "refunded_amount")
    readonly_fields = ("refunded_amount",)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("created_at", "kind", "actor_label", "from_state", "to_state", "message")
    readonly_fields = fields
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "retailer",
        "customer",
        "total",
        "currency",
        "fulfillment_status",
        "needs_attention",
        "placed_at",
    )
    # Orders whose figures do not add up (a connector's), kept for a person to check.
    list_filter = ("needs_attention", "retailer", "fulfillment_status", "currency")
    search_fields = ("external_id", "customer__email", "customer__name", "customer__external_id")
    date_hierarchy = "placed_at"
    list_select_related = ("retailer", "customer")
    raw_id_fields = ("customer",)
    readonly_fields = ("total", "shipping_refunded", "created_at", "updated_at")
    inlines = [OrderLineInline, PaymentInline, OrderEventInline]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "email", "retailer")
    list_filter = ("retailer",)
    search_fields = ("external_id", "name", "email", "phone")


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "kind", "actor_label", "from_state", "to_state")
    list_filter = ("kind", "actor_kind")
    search_fields = ("order__external_id", "message")
    list_select_related = ("order",)
    raw_id_fields = ("order",)

    def has_add_permission(self, request):
        return False  # only the services append to the timeline, in their transactions

    def has_change_permission(self, request, obj=None):
        return False  # the timeline is append-only

    def has_delete_permission(self, request, obj=None):
        return False
