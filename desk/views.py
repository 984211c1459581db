"""The desk's own screens: the one queue of every kind of case, "Next case", and the
supervisor overview. Each kind's case screen is with the kind (desk/<kind>/views.py).

Views are thin: the selectors read (scoped to the viewer's retailers first), the
services act, and the result is a message on the next screen.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cancellations.models import Status
from desk.access import acting, staff_required
from desk.filters import state_choices
from desk.kinds import case_kinds
from desk.overview import overview_build
from desk.presenters import queue_rows
from desk.queue import case_claim_next, queue_read
from kernel.cache import cache_add


def first_submit(request, action: str) -> bool:
    """False when this exact form was already submitted (a double click, a resend).

    Each rendered page carries a fresh nonce; the cache remembers it once used. The
    services refuse illegal transitions anyway; this also covers notes and messages,
    which are legal twice but should not be written twice.
    """
    nonce = request.POST.get("nonce", "")
    if not nonce:
        return True
    # With the cache down the submit goes through: a repeat is then refused by the
    # services where it matters (transitions) and at worst writes a note twice.
    return cache_add(
        "submit_nonce", f"rescind:submitted:{request.user.pk}:{action}:{nonce}", True, 3600
    )


@require_GET
@staff_required
def queue_list(request):
    viewer = request.viewer
    now = timezone.now()
    queue = queue_read(
        viewer=viewer,
        request=request,
        params=request.GET,
        now=now,
        page_number=request.GET.get("page"),
    )
    filterset = queue.filter
    kinds = {kind.name: kind for kind in case_kinds()}
    context = {
        "filter": filterset,
        "state": queue.tab,
        "tabs": _tabs(request, viewer, queue.counts, queue.tab),
        "page": queue.page,
        "rows": queue_rows(queue.page.rows, kinds=kinds, now=now, viewer=viewer),
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


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _tabs(request, viewer, counts, state) -> list[dict]:
    hidden = {
        tab.value
        for kind in case_kinds()
        for tab in kind.tabs
        if tab.supervisors_only and viewer.is_agent
    }
    query = request.GET.copy()
    query.pop("page", None)
    tabs = []
    for value, label in state_choices():
        if value in hidden:
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
    actor = acting(request)
    kind, case = case_claim_next(viewer=request.viewer, actor=actor, now=timezone.now())
    if case is None:
        messages.info(request, "Nothing is waiting for you right now. Well done.")
        return redirect("queue:list")
    messages.success(request, f"You are now working {kind.noun} #{case.pk}.")
    return redirect(kind.screen, pk=case.pk)


@require_GET
@staff_required
def overview(request):
    if not request.viewer.is_supervisor:
        raise PermissionDenied("The overview is for supervisors.")
    context = overview_build(viewer=request.viewer)
    context["viewer"] = request.viewer
    context["queue_url"] = reverse("queue:list")
    context["status"] = Status
    return render(request, "desk/overview.html", context)
