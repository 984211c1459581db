"""What the customer is told about a return (SPEC §8): the label and ship-by date at
authorisation, the reason and how to dispute at a decline, the arrival, and the close
with its amounts and fees explained; branded like every other message."""

import re

import pytest
from django.core import mail

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _mail(subject_part):
    found = [m for m in mail.outbox if subject_part in m.subject]
    assert len(found) == 1, [m.subject for m in mail.outbox]
    return found[0]


def test_the_customer_hears_at_each_step_with_amounts_and_fees_explained(
    set_policy,
    shipped_order,
    start_return,
    act,
    client,
    branding,
    django_capture_on_commit_callbacks,
):
    set_policy(restocking_fee_percent="10.00", return_label_fee="3.00")
    shipped_order(lines=(("l1", "TEE", 2, "24.00"),))

    with django_capture_on_commit_callbacks(execute=True):
        rid = start_return(reason="changed_mind").json()["id"]
    label = _mail("Your return label for order ord-1")
    assert label.from_email == "Acme Outfitters <care@acme.example>"
    assert "Please send the parcel by" in label.body
    link = re.search(r"label: (http://\S+label\.pdf)", label.body)[1]
    html = next(body for body, mime in label.alternatives if mime == "text/html")
    assert "#0b5394" in html and "Print your return label" in html
    # the link in the message downloads the PDF itself, no account needed
    pdf = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    with django_capture_on_commit_callbacks(execute=True):
        act(rid, "receive", {"lines": [{"line": "l1", "quantity": 2}]})
    assert "2 of 2 x TEE received" in _mail("has arrived").body

    with django_capture_on_commit_callbacks(execute=True):
        act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1, "damaged": 1}]})
    closed = _mail("is complete")
    # 48.00 back, 10 % of the resellable tee's 24.00 and the 3.00 label kept: 42.60
    assert "Restocking fee: -$2.40" in closed.body
    assert "Return label: -$3.00" in closed.body
    assert "Total: $42.60" in closed.body
    assert "changed their mind" in closed.body
    assert "$42.60 back to your card" in closed.body
    assert Notification.objects.get(event_type="return.closed").essential


def test_a_declined_return_says_why_and_how_to_dispute(
    set_policy, shipped_order, start_return, act, django_capture_on_commit_callbacks
):
    set_policy(auto_authorise_returns=False)
    shipped_order(lines=(("l1", "TEE", 1, "24.00"),))
    rid = start_return().json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        act(rid, "decline", {"reason": "The tags were removed."})

    declined = _mail("could not accept your return")
    assert "Why: The tags were removed." in declined.body
    assert "dispute the decision" in declined.body
    assert f"quoting return {rid}" in declined.body
