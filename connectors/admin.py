import json

from django.contrib import admin, messages
from django.utils.html import format_html

from connectors.models import ShopifyDelivery, ShopifyOrderVersion
from connectors.services import delivery_retry


@admin.register(ShopifyDelivery)
class ShopifyDeliveryAdmin(admin.ModelAdmin):
    """The inbox: every delivery a shop sent, what applying it did, and the ones kept
    for a person (unparseable, failed), who can read the body and send it through again."""

    list_display = ("received_at", "retailer", "topic", "status", "order_external_id", "attempts")
    list_filter = ("status", "topic", "retailer")
    search_fields = ("webhook_id", "event_id", "order_external_id", "resource_id")
    date_hierarchy = "received_at"
    actions = ["retry"]
    readonly_fields = [f.name for f in ShopifyDelivery._meta.fields if f.name != "body"] + [
        "body_text"
    ]
    exclude = ("body",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="body")
    def body_text(self, obj):
        raw = bytes(obj.body or b"")
        try:
            text = json.dumps(json.loads(raw), indent=2)
        except (ValueError, UnicodeDecodeError):
            text = raw.decode("utf-8", errors="replace")
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text[:200_000])

    @admin.action(description="Apply the selected deliveries again")
    def retry(self, request, queryset):
        for delivery in queryset:
            delivery_retry(delivery=delivery)
        messages.success(request, "Sent through again; the workers apply them within a minute.")


@admin.register(ShopifyOrderVersion)
class ShopifyOrderVersionAdmin(admin.ModelAdmin):
    list_display = ("shopify_order_id", "retailer", "updated_at")
    search_fields = ("shopify_order_id",)
    readonly_fields = ("retailer", "shopify_order_id", "updated_at", "delivery")

    def has_add_permission(self, request):
        return False
