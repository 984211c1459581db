"""The customer's return pages: start a return from a signed order link (pick units,
reason and resolution), then follow it and download its label from the return link."""

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from kernel.actors import Actor
from kernel.errors import DomainError
from notifications.context import branding_context
from notifications.links import LinkInvalid
from orders.models import Order
from portal.forms import ReturnStartForm
from retailers.services import policy_current
from returns.links import (
    LinkExpired,
    return_label_url,
    return_load,
    return_start_load,
    return_start_url,
    return_url,
)
from returns.messages import return_variables
from returns.models import Return
from returns.selectors import units_held_by_returns
from returns.services import return_create


def _returnable(order):
    held = units_held_by_returns(order)
    lines = []
    for line in order.lines.order_by("position", "id"):
        left = line.quantity - line.cancelled_quantity - held.get(line.pk, 0)
        if left > 0 and not line.final_sale:
            lines.append((line, left))
    return lines


@require_http_methods(["GET", "POST"])
def return_start_page(request, token):
    """Pick the units to send back, why, and what you want instead; get the label."""
    try:
        order_id = return_start_load(token)
    except LinkInvalid:
        return render(request, "portal/link_invalid.html", status=400)
    except LinkExpired as expired:
        order = Order.objects.select_related("retailer").filter(pk=expired.order_id).first()
        return render(
            request,
            "portal/return_window_closed.html",
            {"brand": branding_context(order.retailer) if order else None, "order": order},
            status=410,
        )
    order = Order.objects.select_related("retailer", "customer").filter(pk=order_id).first()
    if order is None:
        return render(request, "portal/link_invalid.html", status=404)
    policy = policy_current(retailer=order.retailer)
    lines = _returnable(order)
    form = ReturnStartForm(
        request.POST or None, lines=lines, exchanges_allowed=policy.exchanges_allowed
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picked = data["picked"]
        try:
            created = return_create(
                retailer=order.retailer,
                order=order.external_id,
                reason=data["reason"],
                resolution=data["resolution"],
                lines=[{"line": line.external_id, "quantity": units} for line, units, _ in picked],
                exchange_lines=[
                    {"line": line.external_id, "sku": sku, "quantity": units}
                    for line, units, sku in picked
                ]
                if data["resolution"] == "exchange"
                else None,
                note=data.get("note", ""),
                actor=Actor.customer(),
            )
        except DomainError as exc:
            error = exc.detail
            if exc.errors:
                error += " " + " ".join(
                    message for messages in exc.errors.values() for message in messages
                )
        else:
            return HttpResponseRedirect(return_url(created))
    return render(
        request,
        "portal/return_start.html",
        {
            "brand": branding_context(order.retailer),
            "order": order,
            "form": form,
            "error": error,
            "nothing_left": not lines,
        },
    )


def _return(token):
    try:
        return_id = return_load(token)
    except LinkInvalid:
        return None
    return (
        Return.objects.select_related("order__customer", "retailer", "policy", "exchange_order")
        .defer("label_pdf")
        .filter(pk=return_id)
        .first()
    )


@require_GET
def return_page(request, token):
    """Where the return stands: its items, the label to print and the ship-by date."""
    found = _return(token)
    if found is None:
        return render(request, "portal/link_invalid.html", status=404)
    language = found.order.customer.language or "en"
    return render(
        request,
        "portal/return.html",
        {
            "brand": branding_context(found.retailer),
            "order": found.order,
            "return": return_variables(found, language),
            "label_url": return_label_url(found) if found.tracking_number else "",
            "start_url": return_start_url(found.order, policy_current(retailer=found.retailer)),
        },
    )


@require_GET
def return_label(request, token):
    """The prepaid label, as the PDF the carrier gave us."""
    found = _return(token)
    if found is None:
        return render(request, "portal/link_invalid.html", status=404)
    pdf = Return.objects.filter(pk=found.pk).values_list("label_pdf", flat=True).get()
    if not pdf:
        return render(request, "portal/link_invalid.html", status=404)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="return-{found.pk}-label.pdf"'
    return response
