from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

from retailers.models import (
    WEEKDAYS,
    ApiKey,
    BusinessHours,
    Policy,
    Retailer,
    ShopifyConnection,
    StaffMember,
    WebhookEndpoint,
)
from retailers.services import (
    policy_current,
    policy_update,
    shop_domain_clean,
    shopify_connect,
    shopify_rotation_finish,
    staff_create,
    staff_update,
)


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("name", "prefix", "created_at", "revoked_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are made with `manage.py create_api_key`, shown once


class BusinessHoursForm(forms.ModelForm):
    """Opening and closing times per weekday (empty: closed), in the retailer's zone."""

    class Meta:
        model = BusinessHours
        fields = ("is_active", "country")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.instance.days or {}
        for number, name in enumerate(WEEKDAYS):
            span = days.get(str(number)) or ["", ""]
            for part, label in ((0, "opens"), (1, "closes")):
                self.fields[f"day{number}_{label}"] = forms.TimeField(
                    label=f"{name} {label}",
                    required=False,
                    initial=span[part] or None,
                    widget=forms.TimeInput(format="%H:%M", attrs={"placeholder": "HH:MM"}),
                )

    def clean(self):
        cleaned = super().clean()
        days = {}
        for number, name in enumerate(WEEKDAYS):
            opens, closes = cleaned.get(f"day{number}_opens"), cleaned.get(f"day{number}_closes")
            if opens and closes:
                days[str(number)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
            elif opens or closes:
                self.add_error(f"day{number}_closes", f"Give both times for {name}, or neither.")
        self.instance.days = days
        return cleaned


class BusinessHoursInline(admin.StackedInline):
    model = BusinessHours
    form = BusinessHoursForm
    max_num = 1
    can_delete = True
    verbose_name_plural = "Business hours (SLAs count only these; none: calendar hours)"

    def get_fieldsets(self, request, obj=None):
        week = [(f"day{n}_opens", f"day{n}_closes") for n in range(7)]
        return [(None, {"fields": ["is_active", "country", *week]})]


@admin.register(Retailer)
class RetailerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "timezone", "gateway", "is_active", "created_at")
    list_filter = ("is_active", "currency", "gateway")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BusinessHoursInline, ApiKeyInline]

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


class StaffMemberForm(forms.ModelForm):
    """A BPO login with its role and the retailers it serves; made and changed through
    the staff services, as `manage.py create_staff` does, so role and admin access
    always agree."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput, required=False, strip=False
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput, required=False, strip=False
    )
    is_active = forms.BooleanField(label="May sign in", required=False, initial=True)

    class Meta:
        model = StaffMember
        fields = ("role", "retailers")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        member = self.instance
        if member.pk:
            self.fields["username"].disabled = True
            self.fields["username"].initial = member.user.get_username()
            self.fields["email"].initial = member.user.email
            self.fields["is_active"].initial = member.user.is_active
            self.fields["password1"].help_text = "Leave empty to keep the current password."
        else:
            self.fields["password1"].required = True
            self.fields["password2"].required = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        if not self.instance.pk and get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first or second:
            if first != second:
                self.add_error("password2", "The two passwords differ.")
            else:
                user = self.instance.user if self.instance.pk else None
                try:
                    validate_password(first, user=user)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    """Supervisors create and scope staff logins here (agents, managers, supervisors)."""

    form = StaffMemberForm
    list_display = ("user", "role", "serves", "active")
    list_filter = ("role", "retailers", "user__is_active")
    search_fields = ("user__username", "user__email")
    filter_horizontal = ("retailers",)
    fieldsets = (
        (None, {"fields": ("username", "email", "is_active")}),
        ("Role", {"fields": ("role", "retailers")}),
        ("Password", {"fields": ("password1", "password2")}),
    )
    list_select_related = ("user",)

    @admin.display(description="serves")
    def serves(self, obj):
        if obj.is_supervisor:
            return "every retailer"
        return ", ".join(retailer.name for retailer in obj.retailers.all()) or "—"

    @admin.display(description="may sign in", boolean=True)
    def active(self, obj):
        return obj.user.is_active

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("retailers")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            member = staff_update(
                member=obj,
                role=data["role"],
                retailers=data["retailers"],
                is_active=data["is_active"],
                password=data["password1"],
            )
        else:
            member = staff_create(
                username=data["username"],
                role=data["role"],
                password=data["password1"],
                retailers=data["retailers"],
                email=data["email"],
            )
            if not data["is_active"]:
                staff_update(
                    member=member, role=data["role"], retailers=data["retailers"], is_active=False
                )
        obj.pk, obj.user = member.pk, member.user

    def save_related(self, request, form, formsets, change):
        pass  # the services set the retailers

    def has_delete_permission(self, request, obj=None):
        return False  # switch a login off instead: its name stays on the timeline


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "retailer", "is_active", "created_at")
    list_filter = ("retailer", "is_active")
    search_fields = ("url",)


class ShopifyConnectionForm(forms.ModelForm):
    """Secrets are written here and never shown again: the fields are always empty, and
    an empty field keeps what is stored (the fingerprints say which one it is)."""

    webhook_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Shopify's webhook signing secret (app settings). Empty: keep the stored one. "
        "A new one is a rotation: the old one is still accepted for 7 days.",
    )
    admin_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Admin API access token, for refunds and fulfilment requests. Empty: keep.",
    )
    end_rotation = forms.BooleanField(
        required=False, help_text="Stop accepting the previous signing secret now."
    )

    class Meta:
        model = ShopifyConnection
        fields = ("retailer", "shop_domain", "api_version", "is_active")

    def clean_shop_domain(self):
        try:
            return shop_domain_clean(self.cleaned_data["shop_domain"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("webhook_secret"):
            self.add_error("webhook_secret", "A new connection needs the signing secret.")
        return cleaned


@admin.register(ShopifyConnection)
class ShopifyConnectionAdmin(admin.ModelAdmin):
    form = ShopifyConnectionForm
    list_display = (
        "shop_domain",
        "retailer",
        "is_active",
        "webhook_secret_fingerprint",
        "updated_at",
    )
    list_filter = ("is_active",)
    search_fields = ("shop_domain", "retailer__name", "retailer__slug")
    readonly_fields = (
        "webhook_secret_fingerprint",
        "previous_secret_fingerprint",
        "previous_secret_expires_at",
        "admin_token_fingerprint",
        "created_at",
        "updated_at",
    )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        connection = shopify_connect(
            retailer=data["retailer"],
            shop_domain=data["shop_domain"],
            secret=data.get("webhook_secret") or "",
            admin_token=data.get("admin_token") or None,
        )
        ShopifyConnection.objects.filter(pk=connection.pk).update(
            api_version=data["api_version"], is_active=data["is_active"]
        )
        if data.get("end_rotation"):
            shopify_rotation_finish(connection=connection)
        obj.pk = connection.pk
        obj.refresh_from_db()
