"""A cancellation request's screen and its actions.

Views are thin: the case comes from the access helper (a case of a retailer the viewer
does not serve is a 404, before any role check), a form validates, the same service
the API uses acts, and the result is a message on the next screen.
"""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.views.decorators.http import require_GET, require_POST

from cancellations.assignment import (
    cancellation_claim,
    cancellation_reassign,
    cancellation_release,
)
from cancellations.decisions import (
    cancellation_add_note,
    cancellation_approve,
    cancellation_escalate,
    cancellation_message_customer,
    cancellation_reject,
    cancellation_require_return,
)
from cancellations.services import cancellation_withdraw
from cancellations.warehouse import cancellation_warehouse_answer
from desk import forms as shared_forms
from desk.access import acting, case_for_viewer, staff_required
from desk.cancellations import forms as case_forms
from desk.cancellations.screen import case_context
from desk.cancellations.selectors import RefundPreview, case_load, case_policy, refund_preview
from desk.views import first_submit
from kernel.errors import DomainError, NotFound
from kernel.money import format_amount
from refunds.services import refund_record_manual, refund_retry
from retailers.assignment import assignees_for


def _load(viewer, pk, **kwargs):
    try:
        return case_load(viewer, pk, **kwargs)
    except NotFound as missing:
        raise Http404(missing.detail) from missing


@require_GET
@staff_required
def case_detail(request, pk):
    return _case_page(request, pk)


def _case_page(request, pk, *, bound=None, status=200):
    try:
        context = case_context(request.viewer, pk, bound=bound, nonce=uuid.uuid4().hex)
    except NotFound as missing:
        raise Http404(missing.detail) from missing
    # One token for the page's dozen forms ({% csrf_token %} masks it anew on each use).
    context["csrf_input"] = csrf_input(request)
    return render(request, "desk/case.html", context, status=status)


@require_GET
@staff_required
def case_preview(request, pk):
    """The refund preview for the quantities being edited (htmx), writing nothing."""
    viewer = request.viewer
    cancellation = _load(viewer, pk, refunds=False)
    form = case_forms.ApproveForm(request.GET, case=cancellation)
    policy = case_policy(cancellation)
    if form.is_valid():
        preview = refund_preview(cancellation, policy=policy, viewer=viewer, requested=form.lines())
    else:
        problems = [str(error) for errors in form.errors.values() for error in errors]
        preview = RefundPreview(
            quote=None,
            error=" ".join(problems),
            limit=policy.agent_approval_limit,
            above_limit=False,
        )
    return render(
        request,
        "desk/_refund_preview.html",
        {"case": cancellation, "preview": preview, "oob": True},
    )


@dataclass(frozen=True)
class CaseAction:
    form: type
    run: object  # (cancellation, form, actor) -> success message


def _approve(cancellation, form, actor):
    approved = cancellation_approve(
        cancellation=cancellation,
        actor=actor,
        lines=form.lines(),
        note=form.cleaned_data["note"],
    )
    currency = cancellation.order.currency
    return (
        f"Approved request #{approved.pk}: "
        f"{format_amount(approved.refund_total, currency)} {currency} goes back to the customer."
    )


def _reject(cancellation, form, actor):
    cancellation_reject(
        cancellation=cancellation,
        actor=actor,
        reason_code=form.cleaned_data["reason_code"],
        message=form.cleaned_data["message"],
    )
    return f"Rejected request #{cancellation.pk}; the customer is told why."


def _escalate(cancellation, form, actor):
    cancellation_escalate(cancellation=cancellation, actor=actor, note=form.cleaned_data["note"])
    return f"Escalated request #{cancellation.pk} to a supervisor."


def _require_return(cancellation, form, actor):
    cancellation_require_return(
        cancellation=cancellation, actor=actor, note=form.cleaned_data["note"]
    )
    return f"Request #{cancellation.pk} now needs a return before any refund."


def _withdraw(cancellation, form, actor):
    cancellation_withdraw(cancellation=cancellation, actor=actor, why=form.cleaned_data["why"])
    return f"Request #{cancellation.pk} withdrawn; the order stays as it is."


def _warehouse(cancellation, form, actor):
    stopped = form.cleaned_data["answer"] == "stopped"
    answered = cancellation_warehouse_answer(
        cancellation=cancellation,
        accepted=stopped,
        message=form.cleaned_data["message"],
        actor=actor,
    )
    if answered.status == "approved":
        return f"Request #{answered.pk} approved: the warehouse stopped the order."
    return f"Request #{answered.pk} now needs a return: the warehouse could not stop it."


def _contact(cancellation, form, actor):
    macro = form.cleaned_data["macro"]
    cancellation_message_customer(
        cancellation=cancellation,
        actor=actor,
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        macro_name=macro.name if macro else None,
    )
    customer = cancellation.order.customer
    to = customer.email or customer.phone or "the customer"
    return f"Message to {to} is on its way; it is on the timeline."


def _note(cancellation, form, actor):
    cancellation_add_note(cancellation=cancellation, actor=actor, text=form.cleaned_data["text"])
    return "Note added to the timeline."


def _claim(cancellation, form, actor):
    cancellation_claim(cancellation=cancellation, actor=actor)
    return f"You are now working request #{cancellation.pk}."


def _release(cancellation, form, actor):
    cancellation_release(cancellation=cancellation, actor=actor)
    return f"Request #{cancellation.pk} is back in the queue."


def _reassign(cancellation, form, actor):
    to = form.cleaned_data["to"]
    cancellation_reassign(cancellation=cancellation, actor=actor, to_user=to)
    if to is None:
        return f"Request #{cancellation.pk} is back in the queue."
    return f"Request #{cancellation.pk} given to {to.get_username()}."


CASE_ACTIONS = {
    "approve": CaseAction(case_forms.ApproveForm, _approve),
    "reject": CaseAction(case_forms.RejectForm, _reject),
    "escalate": CaseAction(case_forms.EscalateForm, _escalate),
    "return": CaseAction(case_forms.RequireReturnForm, _require_return),
    "withdraw": CaseAction(case_forms.WithdrawForm, _withdraw),
    "warehouse": CaseAction(case_forms.WarehouseAnswerForm, _warehouse),
    "contact": CaseAction(shared_forms.ContactForm, _contact),
    "note": CaseAction(shared_forms.NoteForm, _note),
    "claim": CaseAction(shared_forms.EmptyForm, _claim),
    "release": CaseAction(shared_forms.EmptyForm, _release),
    "reassign": CaseAction(shared_forms.ReassignForm, _reassign),
}


def _form_kwargs(action: str, cancellation) -> dict:
    if action == "reassign":
        return {"assignees": assignees_for(cancellation.retailer_id)}
    return {}


@require_POST
@staff_required
def case_action(request, pk, action):
    handler = CASE_ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    viewer = request.viewer
    # The tenant first: another retailer's case is a 404 for everyone, managers too.
    # (Approving reads the requested lines too: its form is built from them.)
    load = _load if action == "approve" else case_for_viewer
    cancellation = load(viewer, pk)
    actor = acting(request)
    if not first_submit(request, action):
        messages.info(request, "That was already done; here is the case as it is now.")
        return redirect("queue:case", pk=pk)
    form = handler.form(request.POST, case=cancellation, **_form_kwargs(action, cancellation))
    if not form.is_valid():
        messages.error(request, "Please check the highlighted fields.")
        return _case_page(request, pk, bound={action: form}, status=400)
    try:
        message = handler.run(cancellation, form, actor)
    except DomainError as error:
        messages.error(request, error.detail)
        return _case_page(request, pk, bound={action: form}, status=error.status)
    messages.success(request, message)
    return redirect("queue:case", pk=pk)


@require_POST
@staff_required
def refund_action(request, pk, refund_pk, action):
    """A supervisor retries a failed refund or records one paid outside the gateway."""
    if action not in ("retry", "manual"):
        raise Http404("No such action.")
    cancellation = case_for_viewer(request.viewer, pk)
    actor = acting(request)
    refund = cancellation.refunds.select_related("payment").filter(pk=refund_pk).first()
    if refund is None:
        raise Http404("No such refund on this request.")
    if not first_submit(request, f"refund-{refund_pk}-{action}"):
        messages.info(request, "That was already done; here is the case as it is now.")
        return redirect("queue:case", pk=pk)
    form_class = case_forms.ManualRefundForm if action == "manual" else shared_forms.EmptyForm
    form = form_class(request.POST, case=cancellation)
    if not form.is_valid():
        messages.error(request, "Give the reference of the refund made outside Rescind.")
        return _case_page(request, pk, bound={f"manual-{refund_pk}": form}, status=400)
    try:
        if action == "retry":
            refund_retry(refund=refund, actor=actor)
            message = f"Refund {refund.pk} sent to the gateway again."
        else:
            refund_record_manual(
                refund=refund,
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
                actor=actor,
            )
            message = f"Refund {refund.pk} recorded as paid outside the gateway."
    except DomainError as error:
        messages.error(request, error.detail)
        return _case_page(request, pk, status=error.status)
    messages.success(request, message)
    return redirect("queue:case", pk=pk)
