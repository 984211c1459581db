from django import forms
from django.contrib import admin, messages
from django.template import Engine, TemplateSyntaxError
from django.utils.html import escape, format_html

from notifications.models import (
    Branding,
    CustomerPreference,
    EndpointHealth,
    MessageTemplate,
    Notification,
    WebhookAttempt,
    WebhookDelivery,
)
from notifications.preview import template_preview
from notifications.rendering import template_source
from notifications.services import (
    notification_retry,
    webhook_endpoint_enable,
    webhook_redeliver,
)


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("retailer", "event_type", "channel", "language", "subject", "text", "html")

    def clean(self):
        cleaned = super().clean()
        engine = Engine.get_default()
        for name in ("subject", "text", "html"):
            try:
                engine.from_string(cleaned.get(name) or "")
            except TemplateSyntaxError as exc:
                self.add_error(name, f"Template error: {exc}")
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Overrides of the shipped wording; open one to see it rendered on a sample."""

    form = MessageTemplateForm
    list_display = ("event_type", "channel", "language", "owner", "subject", "updated_at")
    list_filter = ("event_type", "channel", "language", "retailer")
    search_fields = ("subject", "text")
    readonly_fields = ("preview",)
    fieldsets = (
        (None, {"fields": ("retailer", "event_type", "channel", "language")}),
        ("Content", {"fields": ("subject", "text", "html")}),
        ("Preview", {"fields": ("preview",)}),
    )

    @admin.display(description="Retailer")
    def owner(self, obj):
        return obj.retailer or "Product default"

    def get_changeform_initial_data(self, request):
        # "Add" starts from the shipped default of the event asked for (?event_type=...),
        # so an override is an edit of the wording customers get today.
        initial = super().get_changeform_initial_data(request)
        event_type = initial.get("event_type")
        if event_type:
            source = template_source(
                retailer=None,
                event_type=event_type,
                channel=initial.get("channel", "email"),
                language="en",
            )
            initial.setdefault("subject", source.subject)
            initial.setdefault("text", source.text)
            initial.setdefault("html", source.html)
        return initial

    @admin.display(description="Rendered")
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save to see a preview."
        try:
            rendered = template_preview(obj)
        except Exception as exc:  # show the supervisor what is wrong instead of a 500
            return format_html('<p style="color:#b42318">Cannot render: {}</p>', exc)
        return format_html(
            "<p>Rendered against {}.</p><p><strong>Subject:</strong> {}</p>"
            '<pre style="white-space:pre-wrap;max-width:720px">{}</pre>'
            '<iframe sandbox title="HTML preview" srcdoc="{}" '
            'style="width:720px;height:560px;border:1px solid #ccc"></iframe>',
            rendered["sample"],
            rendered["subject"],
            rendered["text"],
            # Rendered HTML is marked safe; inside an attribute it must be escaped again
            # (escape() always escapes), or a quote in it would break out of srcdoc.
            escape(rendered["html"]),
        )


@admin.register(Branding)
class BrandingAdmin(admin.ModelAdmin):
    list_display = ("retailer", "display_name", "sender_email", "contact_email", "support_url")
    search_fields = ("retailer__name", "display_name")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "retailer",
        "event_type",
        "channel",
        "recipient",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "event_type", "channel", "retailer")
    search_fields = ("recipient", "order__external_id", "subject")
    list_select_related = ("retailer",)
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected failed messages again")
    def retry(self, request, queryset):
        count = sum(notification_retry(notification=n) for n in queryset)
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "response_status", "latency_ms", "error", "succeeded")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "retailer",
        "status",
        "attempts",
        "response_status",
        "latency_ms",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "retailer")
    search_fields = ("event_id", "endpoint__url")
    list_select_related = ("endpoint", "retailer")
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver the selected events")
    def redeliver(self, request, queryset):
        done = skipped = 0
        for delivery in queryset:
            if webhook_redeliver(delivery=delivery):
                done += 1
            else:
                skipped += 1
        self.message_user(request, f"{done} delivery(ies) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: their endpoint is switched off; switch it on first.",
                messages.WARNING,
            )


@admin.register(EndpointHealth)
class EndpointHealthAdmin(admin.ModelAdmin):
    list_display = (
        "endpoint",
        "retailer",
        "is_active",
        "consecutive_failures",
        "failing_since",
        "last_success_at",
        "disabled_at",
    )
    list_select_related = ("endpoint__retailer",)
    readonly_fields = [f.name for f in EndpointHealth._meta.fields]
    actions = ["enable"]

    @admin.display(description="Retailer")
    def retailer(self, obj):
        return obj.endpoint.retailer

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj):
        return obj.endpoint.is_active

    @admin.action(description="Switch the selected endpoints back on")
    def enable(self, request, queryset):
        for health in queryset:
            webhook_endpoint_enable(endpoint=health.endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) switched on.")


@admin.register(CustomerPreference)
class CustomerPreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "opted_out", "note", "updated_at")
    list_filter = ("opted_out", "customer__retailer")
    search_fields = ("customer__email", "customer__external_id", "customer__name")
    raw_id_fields = ("customer",)
