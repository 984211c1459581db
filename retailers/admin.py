from django.contrib import admin, messages
from django.utils import timezone

from retailers.models import ApiKey, Policy, Retailer, StaffMember, WebhookEndpoint
from retailers.services import policy_current, policy_update


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("name", "prefix", "created_at", "revoked_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are made with `manage.py create_api_key`, shown once


@admin.register(Retailer)
class RetailerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "gateway", "is_active", "created_at")
    list_filter = ("is_active", "currency", "gateway")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ApiKeyInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        policy_current(retailer=obj)  # every retailer has a policy from day one


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "retailer", "name", "created_at", "revoked_at")
    list_filter = ("retailer", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "name", "retailer__name")
    readonly_fields = ("retailer", "prefix", "key_hash", "created_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Saving a policy never edits it: the edit becomes the retailer's next version."""

    list_display = (
        "retailer",
        "version",
        "auto_approve_limit",
        "cancellation_window_hours",
        "created_by",
        "created_at",
    )
    list_filter = ("retailer",)
    readonly_fields = ("version", "created_at", "created_by")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj != policy_current(retailer=obj.retailer):
            return [f.name for f in Policy._meta.fields]  # old versions are history
        return super().get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        values = {name: getattr(obj, name) for name in Policy.EDITABLE_FIELDS}
        new = policy_update(retailer=obj.retailer, values=values, created_by=request.user.username)
        obj.pk, obj.version = new.pk, new.version
        self.message_user(request, f"Saved as version {new.version}.", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "role")
    list_filter = ("role", "retailers")
    search_fields = ("user__username", "user__email")
    filter_horizontal = ("retailers",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "retailer", "is_active", "created_at")
    list_filter = ("retailer", "is_active")
    search_fields = ("url",)
