"""Supervisor admin for what the desk owns: the canned replies agents send."""

from django.contrib import admin

from desk.models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "retailer_name", "subject", "is_active", "updated_at")
    list_filter = ("is_active", ("retailer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "subject", "body")
    list_select_related = ("retailer",)
    fields = ("name", "retailer", "subject", "body", "is_active")

    @admin.display(description="retailer", ordering="retailer__name")
    def retailer_name(self, obj):
        return obj.retailer.name if obj.retailer else "Every retailer"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.help_text = (
                "Placeholders: {customer_name}, {order}, {retailer}, {refund_total}, "
                "{refund_timeline}, {request}, {agent}. The agent can edit the text before "
                "sending."
            )
        return field
