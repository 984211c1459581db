"""The agent back office: the queue, the case screen and the supervisor overview.

Views are thin: a form validates, the same service the API uses acts, and the result
is a message on the next screen. Tenancy comes first in every view: a case of a
retailer the viewer does not serve is a 404.
"""

import hashlib
import uuid
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cancellations.assignment import (
    cancellation_claim,
    cancellation_claim_next,
    cancellation_reassign,
    cancellation_release,
)
from cancellations.decisions import (
    cancellation_add_note,
    cancellation_approve,
    cancellation_escalate,
    cancellation_reject,
    cancellation_require_return,
)
from cancellations.models import Status
from cancellations.services import cancellation_withdraw
from desk import forms as case_forms
from desk.case_screen import case_context
from desk.filters import STATE_CHOICES, QueueFilter
from desk.macros import cancellation_message_customer
from desk.overview import overview_build
from desk.selectors import (
    RefundPreview,
    assignees_for,
    cancellation_for_viewer,
    case_load,
    case_policy,
    cases_for_viewer,
    queue_page,
    queue_page_rows,
    queue_tab_counts,
    refund_preview,
    viewer_for,
)
from kernel.actors import Actor
from kernel.errors import DomainError
from kernel.money import format_amount

QUEUE_PAGE_SIZE = 50


def staff_required(view):
    """Signed-in BPO staff only; `request.viewer` says who they are and what they serve."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = viewer_for(request.user)
        if viewer is None:
            raise PermissionDenied("This screen is for BPO staff.")
        request.viewer = viewer
        return view(request, *args, **kwargs)

    return wrapper


def _acting(request) -> Actor:
    if request.viewer.read_only:
        raise PermissionDenied("Retailer managers can read cases but not act on them.")
    return Actor.for_user(request.user)


def _first_submit(request, action: str) -> bool:
    """False when this exact form was already submitted (a double click, a resend).

    Each rendered page carries a fresh nonce; the cache remembers it once used. The
    services refuse illegal transitions anyway; this also covers notes and messages,
    which are legal twice but should not be written twice.
    """
    nonce = request.POST.get("nonce", "")
    if not nonce:
        return True
    return cache.add(f"rescind:submitted:{request.user.pk}:{action}:{nonce}", True, 3600)


# --- the queue --------------------------------------------------------------------------


@require_GET
@staff_required
def queue_list(request):
    viewer = request.viewer
    now = timezone.now()
    base = cases_for_viewer(viewer)
    filterset = QueueFilter(request.GET, queryset=base, request=request, now=now)
    state = filterset.tab
    counts = _tab_counts(
        request,
        lambda: queue_tab_counts(filterset.filter_queryset(base, skip=("state",)), viewer, now),
    )
    cases = filterset.qs
    if state == "all":
        # Newest first; ids grow with time and their index makes this instant.
        cases = cases.order_by("-pk")
    else:
        cases = cases.order_by(F("due_at").asc(nulls_last=True), "pk")
    page = queue_page(
        cases, number=request.GET.get("page"), total=counts.get(state), size=QUEUE_PAGE_SIZE
    )
    context = {
        "filter": filterset,
        "state": state,
        "tabs": _tabs(request, viewer, counts, state),
        "page": page,
        "rows": queue_page_rows(page, now, viewer),
        # One token for every claim form of the page ({% csrf_token %} masks it anew
        # on each use).
        "csrf_input": csrf_input(request),
        "viewer": viewer,
        "query_without_page": _query_without(request, "page"),
        "filtered": any(
            request.GET.get(name) for name in filterset.filters if name not in ("state",)
        ),
    }
    if request.htmx and request.htmx.target == "queue-results":
        return render(request, "desk/_queue_results.html", context)
    return render(request, "desk/queue.html", context)


def _tab_counts(request, count) -> dict:
    """The tab counts, kept QUEUE_COUNTS_CACHE_SECONDS per user and filter (0: counted on
    every view). Counting 100k open cases is most of a queue page's database time (50 ms
    at scale); counts a few seconds old change nothing an agent does, and the rows of
    the page itself are always read fresh."""
    seconds = settings.QUEUE_COUNTS_CACHE_SECONDS
    if not seconds:
        return count()
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("state", None)
    scope = hashlib.sha256(f"{request.user.pk}?{query.urlencode()}".encode()).hexdigest()
    return cache.get_or_set(f"rescind:queue-counts:{scope}", count, seconds)


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _tabs(request, viewer, counts, state) -> list[dict]:
    query = request.GET.copy()
    query.pop("page", None)
    tabs = []
    for value, label in STATE_CHOICES:
        if value == "escalated" and viewer.is_agent:
            continue
        query["state"] = value
        tabs.append(
            {
                "value": value,
                "label": label,
                "count": counts.get(value),
                "url": f"?{query.urlencode()}",
                "active": value == state,
            }
        )
    return tabs


@require_POST
@staff_required
def queue_next(request):
    actor = _acting(request)
    case = cancellation_claim_next(actor=actor, retailer_ids=request.viewer.retailer_ids)
    if case is None:
        messages.info(request, "Nothing is waiting for you right now. Well done.")
        return redirect("queue:list")
    messages.success(request, f"You are now working request #{case.pk}.")
    return redirect("queue:case", pk=case.pk)


# --- the case screen --------------------------------------------------------------------


@require_GET
@staff_required
def case_detail(request, pk):
    return _case_page(request, pk)


def _case_page(request, pk, *, bound=None, status=200):
    context = case_context(request.viewer, pk, bound=bound, nonce=uuid.uuid4().hex)
    # One token for the page's dozen forms ({% csrf_token %} masks it anew on each use).
    context["csrf_input"] = csrf_input(request)
    return render(request, "desk/case.html", context, status=status)


@require_GET
@staff_required
def case_preview(request, pk):
    """The refund preview for the quantities being edited (htmx), writing nothing."""
    viewer = request.viewer
    cancellation = case_load(viewer, pk, refunds=False)
    form = case_forms.ApproveForm(request.GET, cancellation=cancellation)
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
    decision: bool = False  # refused while another agent holds the case


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


def _contact(cancellation, form, actor):
    cancellation_message_customer(
        cancellation=cancellation,
        actor=actor,
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        macro=form.cleaned_data["macro"],
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
    "approve": CaseAction(case_forms.ApproveForm, _approve, decision=True),
    "reject": CaseAction(case_forms.RejectForm, _reject, decision=True),
    "escalate": CaseAction(case_forms.EscalateForm, _escalate, decision=True),
    "return": CaseAction(case_forms.RequireReturnForm, _require_return, decision=True),
    "withdraw": CaseAction(case_forms.WithdrawForm, _withdraw, decision=True),
    "contact": CaseAction(case_forms.ContactForm, _contact),
    "note": CaseAction(case_forms.NoteForm, _note),
    "claim": CaseAction(case_forms.EmptyForm, _claim),
    "release": CaseAction(case_forms.EmptyForm, _release),
    "reassign": CaseAction(case_forms.ReassignForm, _reassign),
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
    actor = _acting(request)
    viewer = request.viewer
    if action == "approve":  # the form needs the requested lines
        cancellation = case_load(viewer, pk)
    else:
        cancellation = cancellation_for_viewer(viewer, pk)
    if not _first_submit(request, action):
        messages.info(request, "That was already done; here is the case as it is now.")
        return redirect("queue:case", pk=pk)
    held_by = cancellation.assigned_to
    if handler.decision and held_by and held_by.pk != request.user.pk and not viewer.is_supervisor:
        messages.error(
            request,
            f"{held_by.get_username()} is working this case. Ask a supervisor to reassign it "
            "if it needs you.",
        )
        return redirect("queue:case", pk=pk)
    form = handler.form(
        request.POST, cancellation=cancellation, **_form_kwargs(action, cancellation)
    )
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
    from refunds.services import refund_record_manual, refund_retry

    if action not in ("retry", "manual"):
        raise Http404("No such action.")
    actor = _acting(request)
    cancellation = cancellation_for_viewer(request.viewer, pk)
    refund = cancellation.refunds.select_related("payment").filter(pk=refund_pk).first()
    if refund is None:
        raise Http404("No such refund on this request.")
    if not _first_submit(request, f"refund-{refund_pk}-{action}"):
        messages.info(request, "That was already done; here is the case as it is now.")
        return redirect("queue:case", pk=pk)
    form_class = case_forms.ManualRefundForm if action == "manual" else case_forms.EmptyForm
    form = form_class(request.POST, cancellation=cancellation)
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


# --- the supervisor overview ------------------------------------------------------------


@require_GET
@staff_required
def overview(request):
    if not request.viewer.is_supervisor:
        raise PermissionDenied("The overview is for supervisors.")
    context = overview_build()
    context["viewer"] = request.viewer
    context["queue_url"] = reverse("queue:list")
    context["status"] = Status
    return render(request, "desk/overview.html", context)
