"""The customer's pages: reached from a signed link in a message, no account needed."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cancellations.links import (
    LinkExpired,
    LinkInvalid,
    confirmation_expires_at,
    confirmation_load,
)
from cancellations.messages import cancellation_variables
from cancellations.models import CancellationRequest, Status
from cancellations.services import cancellation_confirm, cancellation_withdraw
from kernel.actors import Actor
from kernel.errors import DomainError
from notifications.context import branding_context
from notifications.links import preferences_load
from notifications.models import CustomerPreference
from notifications.services import customer_preference_set
from orders.models import Customer
from portal.forms import ConfirmationForm

DECLINED_WHY = "declined by the customer"


def _cancellation(pk):
    return (
        CancellationRequest.objects.select_related("order__customer", "retailer", "policy")
        .filter(pk=pk)
        .first()
    )


def _page(request, template, cancellation, *, status=200, **extra):
    language = cancellation.order.customer.language if cancellation else "en"
    context = {
        "brand": branding_context(cancellation.retailer) if cancellation else None,
        "cancellation": cancellation_variables(cancellation, language) if cancellation else None,
        "order": cancellation.order if cancellation else None,
        **extra,
    }
    return render(request, f"portal/{template}", context, status=status)


def _deadline_passed(cancellation) -> bool:
    expires = cancellation.confirmation_expires_at
    return expires is not None and expires < timezone.now()


@require_http_methods(["GET", "POST"])
def confirmation_page(request, token):
    """Show a request awaiting the customer, with Confirm and Decline; act on a POST.

    A second click (or a reload of the POST) finds the request decided and only shows
    where it stands: the services refuse to move it twice.
    """
    try:
        cancellation_id = confirmation_load(token)
    except LinkInvalid:
        return render(request, "portal/link_invalid.html", status=400)
    except LinkExpired as expired:
        cancellation = _cancellation(expired.cancellation_id)
        return _page(request, "link_expired.html", cancellation, status=410)
    cancellation = _cancellation(cancellation_id)
    if cancellation is None:
        return render(request, "portal/link_invalid.html", status=404)

    if cancellation.status == Status.AWAITING_CUSTOMER and _deadline_passed(cancellation):
        # The request's own deadline rules even when the link's is later.
        return _page(request, "link_expired.html", cancellation, status=410)

    error = ""
    if request.method == "POST":
        form = ConfirmationForm(request.POST)
        if form.is_valid() and cancellation.status == Status.AWAITING_CUSTOMER:
            try:
                if form.cleaned_data["action"] == "confirm":
                    cancellation_confirm(cancellation=cancellation, actor=Actor.customer())
                else:
                    cancellation_withdraw(
                        cancellation=cancellation, actor=Actor.customer(), why=DECLINED_WHY
                    )
            except DomainError as exc:
                error = exc.detail
            else:
                done = form.cleaned_data["action"]
                url = reverse("portal:confirm", kwargs={"token": token})
                return HttpResponseRedirect(f"{url}?done={done}")
        cancellation.refresh_from_db()

    if cancellation.status == Status.AWAITING_CUSTOMER:
        return _page(
            request,
            "confirm.html",
            cancellation,
            form=ConfirmationForm(),
            error=error,
            expires_at=confirmation_expires_at(cancellation),
        )
    return _page(
        request, "outcome.html", cancellation, done=request.GET.get("done", ""), error=error
    )


@require_http_methods(["GET", "POST"])
def preferences_page(request, token):
    """Stop (or resume) non-essential messages; refund and confirmation messages still go."""
    try:
        customer_id = preferences_load(token)
    except LinkInvalid:
        return render(request, "portal/link_invalid.html", status=400)
    customer = Customer.objects.select_related("retailer").filter(pk=customer_id).first()
    if customer is None:
        return render(request, "portal/link_invalid.html", status=404)
    if request.method == "POST":
        opted_out = request.POST.get("choice") == "stop"
        customer_preference_set(
            customer=customer, opted_out=opted_out, note="set by the customer from a message link"
        )
        return HttpResponseRedirect(request.path + "?saved=1")
    opted_out = CustomerPreference.objects.filter(customer=customer, opted_out=True).exists()
    return render(
        request,
        "portal/preferences.html",
        {
            "brand": branding_context(customer.retailer),
            "opted_out": opted_out,
            "saved": request.GET.get("saved") == "1",
        },
    )
