"""Supervisor admin for cancellation requests.

Requests are read-only here: every change goes through the same services as the API and
the agent screens (bulk reassign and bulk approve included), so admin can never skip a
timeline event or the state machine.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from cancellations.assignment import cancellation_reassign
from cancellations.decisions import cancellations_approve_within_limit
from cancellations.models import CancellationLine, CancellationRequest
from kernel.actors import Actor
from kernel.errors import DomainError
from kernel.money import format_amount
from retailers.models import StaffMember


class CancellationLineInline(admin.TabularInline):
    model = CancellationLine
    extra = 0
    can_delete = False
    fields = ("line_sku", "line_title", "quantity", "refund_amount")
    readonly_fields = fields

    @admin.display(description="SKU")
    def line_sku(self, obj):
        return obj.line.sku

    @admin.display(description="Item")
    def line_title(self, obj):
        return obj.line.title

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line")

    def has_add_permission(self, request, obj=None):
        return False


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "To me"), ("nobody", "Unassigned"), ("someone", "To someone")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "someone":
            return queryset.filter(assigned_to__isnull=False)
        return queryset


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(
        label="Give the selected cases to",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody (back to the queue)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                staff_member__role__in=[StaffMember.Role.AGENT, StaffMember.Role.SUPERVISOR],
            )
            .order_by("username")
        )


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "order_ref",
        "retailer",
        "status",
        "needs_attention",
        "refund",
        "decision_rule",
        "assigned_to",
        "sla_due_at",
        "created_at",
    )
    list_filter = (
        "status",
        "needs_attention",
        AssignedFilter,
        "retailer",
        "reason",
        "channel",
        "decision_rule",
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=id", "order__external_id", "order__customer__email", "order__customer__name")
    search_help_text = "Request number, order number, customer e-mail or name."
    list_select_related = ("order", "retailer", "assigned_to")
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = [CancellationLineInline]
    actions = ["reassign", "approve_within_limit"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "agent_screen",
                    "retailer",
                    "order",
                    "status",
                    "reason",
                    "channel",
                    "note",
                )
            },
        ),
        ("Money", {"fields": ("refund_total", "shipping_refund")}),
        (
            "Decision",
            {
                "fields": (
                    "decision_outcome",
                    "decision_rule",
                    "decision_explanation",
                    "policy",
                    "decided_at",
                )
            },
        ),
        (
            "Work",
            {
                "fields": (
                    "assigned_to",
                    "sla_due_at",
                    "needs_attention",
                    "attention_reason",
                    "confirmation_expires_at",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Every change goes through a service: the agent screen or the actions here.
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="order", ordering="order__external_id")
    def order_ref(self, obj):
        return obj.order.external_id

    @admin.display(description="refund", ordering="refund_total")
    def refund(self, obj):
        return f"{format_amount(obj.refund_total, obj.order.currency)} {obj.order.currency}"

    @admin.display(description="Agent screen")
    def agent_screen(self, obj):
        return format_html(
            '<a href="{}">Open request #{} in the agent screen</a>',
            reverse("queue:case", args=[obj.pk]),
            obj.pk,
        )

    @admin.action(description="Reassign the selected cases…", permissions=["change"])
    def reassign(self, request, queryset):
        if "apply" in request.POST:
            form = ReassignForm(request.POST)
            if form.is_valid():
                self._reassign(request, queryset, form.cleaned_data["to"])
                return None
        else:
            form = ReassignForm()
        return TemplateResponse(
            request,
            "cancellations/admin_reassign.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reassign cases",
                "form": form,
                "cases": queryset.select_related("order", "retailer", "assigned_to"),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _reassign(self, request, queryset, to_user):
        actor = Actor.for_user(request.user)
        done, refused = 0, []
        for case in queryset.select_related("order"):
            try:
                cancellation_reassign(cancellation=case, actor=actor, to_user=to_user)
                done += 1
            except DomainError as error:
                refused.append(f"#{case.pk}: {error.detail}")
        target = to_user.get_username() if to_user else "the queue"
        if done:
            self.message_user(request, f"Gave {done} case(s) to {target}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(
        description="Approve the selected cases within the agent limit", permissions=["change"]
    )
    def approve_within_limit(self, request, queryset):
        """Bulk approval is for the small, clear-cut cases: anything above the retailer's
        agent approval limit is skipped and left for a person to open (the service
        decides, on the order as it is now)."""
        outcomes = cancellations_approve_within_limit(
            cancellations=queryset.select_related("order", "retailer").order_by("pk"),
            actor=Actor.for_user(request.user),
        )
        approved = sum(1 for outcome in outcomes if outcome.approved)
        skipped = [f"#{o.cancellation.pk} {o.why}" for o in outcomes if not o.approved]
        if approved:
            self.message_user(request, f"Approved {approved} case(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, "Not approved: " + "; ".join(skipped) + ".", messages.WARNING
            )
