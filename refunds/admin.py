"""Supervisors oversee refunds here: find them, retry failed ones, record manual ones.

Refund rows are never edited by hand: every change goes through `refunds.services`, so
it is locked, validated and written to the order's timeline like any other.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from kernel.actors import Actor
from kernel.errors import DomainError
from kernel.money import format_amount
from refunds.models import Refund, SandboxGatewayCall, SandboxStoreCreditCall, StoreCredit
from refunds.services import refund_record_manual, refund_retry
from refunds.store_credit.services import store_credit_retry


def _is_supervisor(user) -> bool:
    return user.is_active and user.is_staff and Actor.for_user(user).is_supervisor


class SupervisorReadOnlyAdmin(admin.ModelAdmin):
    """Visible to supervisors (the admin is theirs), changed only through services."""

    def has_module_permission(self, request):
        return _is_supervisor(request.user)

    def has_view_permission(self, request, obj=None):
        return _is_supervisor(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ManualRefundForm(forms.Form):
    reference = forms.CharField(
        max_length=200, help_text="The reference of the refund paid outside the gateway."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


@admin.register(Refund)
class RefundAdmin(SupervisorReadOnlyAdmin):
    list_display = (
        "id",
        "order",
        "retailer",
        "payment_label",
        "amount_label",
        "status",
        "attempts",
        "failure_code",
        "manual",
        "created_at",
    )
    list_filter = ("status", "retailer", "manual", "failure_code")
    search_fields = (
        "payment__order__external_id",
        "payment__reference",
        "payment__external_id",
        "gateway_reference",
        "idempotency_key",
    )
    list_select_related = ("retailer", "payment__order")
    date_hierarchy = "created_at"
    actions = ["retry_refunds", "record_manual_refund"]
    fields = (
        "retailer",
        "cancellation",
        "return_request",
        "payment",
        "amount",
        "currency",
        "status",
        "attempts",
        "attempt_limit",
        "gateway_reference",
        "failure_code",
        "failure_message",
        "idempotency_key",
        "next_attempt_at",
        "last_attempt_at",
        "last_enqueued_at",
        "succeeded_at",
        "manual",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="order", ordering="payment__order__external_id")
    def order(self, refund):
        return refund.payment.order.external_id

    @admin.display(description="payment")
    def payment_label(self, refund):
        return f"{refund.payment.method} {refund.payment.external_id}"

    @admin.display(description="amount", ordering="amount")
    def amount_label(self, refund):
        return f"{format_amount(refund.amount, refund.currency)} {refund.currency}"

    @admin.action(description="Retry selected failed refunds")
    def retry_refunds(self, request, queryset):
        actor = Actor.for_user(request.user)
        retried = 0
        for refund in queryset.order_by("id"):
            try:
                refund_retry(refund=refund, actor=actor)
            except DomainError as exc:
                self.message_user(request, f"Refund {refund.pk}: {exc.detail}", messages.ERROR)
            else:
                retried += 1
        if retried:
            self.message_user(
                request, f"{retried} refund(s) sent to the gateway again.", messages.SUCCESS
            )

    @admin.action(description="Record a manual refund (one failed refund)")
    def record_manual_refund(self, request, queryset):
        refunds = list(queryset.select_related("payment__order")[:2])
        if len(refunds) != 1:
            self.message_user(
                request, "Select exactly one failed refund to record.", messages.ERROR
            )
            return None
        refund = refunds[0]
        form = ManualRefundForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                refund_record_manual(
                    refund=refund,
                    reference=form.cleaned_data["reference"],
                    note=form.cleaned_data["note"],
                    actor=Actor.for_user(request.user),
                )
            except DomainError as exc:
                self.message_user(request, f"Refund {refund.pk}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Refund {refund.pk} recorded as refunded manually.",
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Record a manual refund",
            "opts": self.model._meta,
            "refund": refund,
            "amount": format_amount(refund.amount, refund.currency),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/refunds/refund/record_manual.html", context)


@admin.register(SandboxGatewayCall)
class SandboxGatewayCallAdmin(SupervisorReadOnlyAdmin):
    list_display = (
        "created_at",
        "idempotency_key",
        "payment_reference",
        "amount",
        "currency",
        "outcome",
        "money_moved",
        "reference",
    )
    list_filter = ("outcome", "money_moved")
    search_fields = ("idempotency_key", "payment_reference", "reference")


@admin.register(StoreCredit)
class StoreCreditAdmin(SupervisorReadOnlyAdmin):
    """Store credits (SPEC §10): read-only; a failed one is retried through the service."""

    list_display = (
        "id",
        "order",
        "retailer",
        "customer",
        "amount_label",
        "status",
        "code",
        "attempts",
        "failure_code",
        "created_at",
    )
    list_filter = ("status", "retailer", "failure_code")
    search_fields = ("order__external_id", "customer__external_id", "code", "idempotency_key")
    list_select_related = ("retailer", "order", "customer")
    date_hierarchy = "created_at"
    actions = ["retry_store_credits"]
    readonly_fields = [f.name for f in StoreCredit._meta.fields]

    @admin.display(description="amount", ordering="amount")
    def amount_label(self, credit):
        return f"{format_amount(credit.amount, credit.currency)} {credit.currency}"

    @admin.action(description="Retry selected failed store credits")
    def retry_store_credits(self, request, queryset):
        actor = Actor.for_user(request.user)
        retried = 0
        for credit in queryset.order_by("id"):
            try:
                store_credit_retry(store_credit=credit, actor=actor)
            except DomainError as exc:
                self.message_user(
                    request, f"Store credit {credit.pk}: {exc.detail}", messages.ERROR
                )
            else:
                retried += 1
        if retried:
            self.message_user(request, f"{retried} store credit(s) sent again.", messages.SUCCESS)


@admin.register(SandboxStoreCreditCall)
class SandboxStoreCreditCallAdmin(SupervisorReadOnlyAdmin):
    list_display = (
        "created_at",
        "idempotency_key",
        "customer_reference",
        "amount",
        "outcome",
        "code",
    )
    list_filter = ("outcome", "issued")
    search_fields = ("idempotency_key", "customer_reference", "code")
