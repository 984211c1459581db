"""Everything a cancellation request's screen shows, gathered in a fixed number of
queries.

Kept apart from the views so that the view stays a few lines and so that what a role
may do on a case is decided in one place (`case_permissions`), which the template only
reads.
"""

from django.urls import reverse
from django.utils import timezone

from cancellations.models import UNDECIDED, Status
from cancellations.selectors import is_open
from desk import forms as shared_forms
from desk.access import Viewer
from desk.cancellations import forms as case_forms
from desk.cancellations.kind import may_claim_case
from desk.cancellations.selectors import (
    case_load,
    case_policy,
    case_timeline,
    customer_history,
    refund_preview,
    routing_event,
)
from desk.macros import macro_context, macro_render, macros_for
from desk.presenters import sla_state, timeline_entries, url_pattern
from kernel.actors import Actor
from retailers.assignment import assignees_for
from retailers.business_hours import describe as describe_hours


def case_permissions(viewer: Viewer, cancellation) -> dict[str, bool]:
    """Which actions the screen offers. The services enforce the same rules; this only
    keeps buttons that would be refused off the screen."""
    user = viewer.user
    status = cancellation.status
    can_act = not viewer.read_only
    holder = cancellation.assigned_to_id
    free_to_decide = can_act and (holder in (None, user.pk) or viewer.is_supervisor)
    return {
        "act": can_act,
        "decide": free_to_decide
        and (status == Status.IN_REVIEW or (status == Status.ESCALATED and viewer.is_supervisor)),
        "escalate": free_to_decide and status == Status.IN_REVIEW,
        # The state machine lets only in-review requests become returns.
        "convert_to_return": free_to_decide and status == Status.IN_REVIEW,
        "withdraw": free_to_decide and status in UNDECIDED,
        # The warehouse's answer, given to an agent: while it is awaited, or late.
        "warehouse_answer": free_to_decide
        and (
            status == Status.AWAITING_WAREHOUSE
            or (status == Status.IN_REVIEW and cancellation.decision_rule == "warehouse_no_answer")
        ),
        "contact": can_act,
        "note": can_act,
        "claim": may_claim_case(viewer, cancellation),
        "release": can_act and holder is not None and (holder == user.pk or viewer.is_supervisor),
        "reassign": viewer.is_supervisor and is_open(cancellation),
        "fix_refunds": viewer.is_supervisor,
    }


FORMS = {
    "approve": case_forms.ApproveForm,
    "reject": case_forms.RejectForm,
    "escalate": case_forms.EscalateForm,
    "return": case_forms.RequireReturnForm,
    "withdraw": case_forms.WithdrawForm,
    "warehouse": case_forms.WarehouseAnswerForm,
    "contact": shared_forms.ContactForm,
    "note": shared_forms.NoteForm,
    "reassign": shared_forms.ReassignForm,
    "claim": shared_forms.EmptyForm,
    "release": shared_forms.EmptyForm,
}
# The permission under which the screen shows each form: a form the viewer is not
# offered is not built (claim and release are plain buttons, never a form).
SHOWN_WHEN = {
    "approve": "decide",
    "reject": "decide",
    "escalate": "escalate",
    "return": "convert_to_return",
    "withdraw": "withdraw",
    "warehouse": "warehouse_answer",
    "contact": "contact",
    "note": "note",
    "reassign": "reassign",
}


def case_context(viewer: Viewer, pk: int, *, nonce: str, bound: dict | None = None) -> dict:
    """The template context of the case screen. `bound` holds a submitted form that
    failed, so the screen shows it with its errors and what was typed."""
    bound = bound or {}
    now = timezone.now()
    cancellation = case_load(viewer, pk, refunds=False)
    # An undecided request shows the refund preview instead of its refunds (it has none
    # yet): its refunds are read only once it is decided.
    undecided = cancellation.status in UNDECIDED
    refunds = [] if undecided else list(cancellation.refunds.select_related("payment"))
    order = cancellation.order
    policy = case_policy(cancellation)
    may = case_permissions(viewer, cancellation)
    timeline = case_timeline(cancellation)

    preview = None
    if undecided:
        approve_form = bound.get("approve")
        requested = approve_form.lines() if approve_form and approve_form.is_valid() else None
        preview = refund_preview(cancellation, policy=policy, viewer=viewer, requested=requested)

    macros, assignees = [], []
    if may["contact"]:
        values = macro_context(
            cancellation=cancellation, actor=Actor.for_user(viewer.user), policy=policy
        )
        macros = [
            {
                "pk": macro.pk,
                "name": macro.name,
                "subject": macro_render(macro.subject, values),
                "body": macro_render(macro.body, values),
            }
            for macro in macros_for(cancellation.retailer_id)
        ]
    if may["reassign"]:
        assignees = assignees_for(cancellation.retailer_id)

    forms = {}
    for name, form_class in FORMS.items():
        if name in bound:
            forms[name] = bound[name]
            continue
        if not may.get(SHOWN_WHEN.get(name, ""), False):
            continue
        kwargs = {"case": cancellation}
        if name == "reassign":
            kwargs["assignees"] = assignees
        if name == "contact":
            kwargs["macros"] = macros
        forms[name] = form_class(**kwargs)

    if "contact" in forms:  # the canned reply picked before a failed send
        chosen = str(forms["contact"]["macro"].value())
        for macro in macros:
            macro["selected"] = str(macro["pk"]) == chosen
    history = customer_history(cancellation)
    case_url = url_pattern("queue:case", 0)
    for past in history["requests"]:
        past["url"] = case_url.format(past["pk"])

    return {
        "urls": _case_urls(cancellation.pk),
        "case": cancellation,
        "order": order,
        "customer": order.customer,
        "policy": policy,
        "may": may,
        "forms": forms,
        "open_panel": next(iter(bound), ""),
        "failed_manual": {
            key.removeprefix("manual-"): form
            for key, form in bound.items()
            if key.startswith("manual-")
        },
        "nonce": nonce,
        "preview": preview,
        "lines": _line_rows(cancellation, preview, forms.get("approve"), may),
        "payments": _payment_rows(cancellation, refunds),
        "refunds": refunds,
        "history": history,
        "routing": routing_event(cancellation, timeline),
        "timeline": list(reversed(timeline)),
        "timeline_rows": timeline_entries(
            reversed(timeline), subject_type="cancellationrequest", subject_id=cancellation.pk
        ),
        "macros": macros,
        "sla_counting": describe_hours(cancellation.retailer),
        "sla": sla_state(
            cancellation.sla_due_at or cancellation.confirmation_expires_at,
            is_open=is_open(cancellation),
            now=now,
        ),
        "is_open": is_open(cancellation),
        "viewer": viewer,
    }


CASE_ACTION_NAMES = (
    "approve",
    "reject",
    "escalate",
    "return",
    "withdraw",
    "warehouse",
    "contact",
    "note",
    "claim",
    "release",
    "reassign",
)


def _case_urls(pk: int) -> dict[str, str]:
    """Where the screen's forms post, reversed once rather than by a tag per form."""
    placeholder = "action-name"
    action = reverse("queue:action", args=[pk, placeholder])
    return {
        **{name: action.replace(placeholder, name) for name in CASE_ACTION_NAMES},
        "preview": reverse("queue:preview", args=[pk]),
        "next": reverse("queue:next"),
        "queue": reverse("queue:list"),
    }


def _line_rows(cancellation, preview, approve_form, may) -> list[dict]:
    requested = {cl.line_id: cl for cl in cancellation.lines.all()}
    quoted = {}
    if preview and preview.quote:
        quoted = {lr.line.pk: lr.amount for lr in preview.quote.lines}
    rows = []
    for line in cancellation.order.lines.all():
        cl = requested.get(line.pk)
        field = None
        if cl is not None and may["decide"]:
            field = approve_form[approve_form.field_name(line.external_id)]
        rows.append(
            {
                "line": line,
                "requested": cl.quantity if cl else 0,
                "refund": quoted.get(line.pk, cl.refund_amount if cl else None),
                "field": field,
            }
        )
    return rows


def _payment_rows(cancellation, refunds) -> list[dict]:
    refunds_by_payment = {}
    for refund in refunds:
        refunds_by_payment.setdefault(refund.payment_id, []).append(refund)
    return [
        {"payment": payment, "refunds": refunds_by_payment.get(payment.pk, [])}
        for payment in cancellation.order.payments.all()
    ]
