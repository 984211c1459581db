"""Supervisors make and scope staff logins in admin, without a shell; the timeline is
append-only there too."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from desk.tests.backoffice_fixtures import (  # noqa: F401
    PASSWORD,
    open_case,
    supervisor_client,
)
from orders.models import OrderEvent
from retailers.models import StaffMember

pytestmark = pytest.mark.django_db

ADD = "/admin/retailers/staffmember/add/"
NEW_PASSWORD = "Correct horse battery 42"


def _sign_in(username, password):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, follow=True
    )
    return client, response


def test_a_supervisor_makes_an_agent_who_serves_only_their_retailer(
    supervisor_client, open_case, retailer, other_retailer
):
    mine = open_case("ord-1")
    theirs = open_case("ord-2", retailer=other_retailer)

    response = supervisor_client.post(
        ADD,
        {
            "username": "newbie",
            "email": "newbie@bpo.example",
            "is_active": "on",
            "role": "agent",
            "retailers": [retailer.pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    member = StaffMember.objects.get(user__username="newbie")
    assert (member.role, list(member.retailers.all())) == ("agent", [retailer])
    assert not member.user.is_staff  # agents do not use admin
    assert list(member.user.groups.values_list("name", flat=True)) == ["Agents"]
    client, signed_in = _sign_in("newbie", NEW_PASSWORD)
    assert signed_in.redirect_chain[-1][0] == "/queue/"
    assert client.get(f"/queue/cases/{mine.pk}/").status_code == 200
    assert client.get(f"/queue/cases/{theirs.pk}/").status_code == 404


def test_a_login_is_refused_a_weak_or_mistyped_password_and_nothing_is_made(supervisor_client):
    base = {"username": "weak", "is_active": "on", "role": "agent"}

    weak = supervisor_client.post(ADD, {**base, "password1": "12345", "password2": "12345"})
    mistyped = supervisor_client.post(
        ADD, {**base, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )

    assert weak.status_code == mistyped.status_code == 200  # the form again, with errors
    assert "too short" in weak.content.decode() or "too common" in weak.content.decode()
    assert "The two passwords differ." in mistyped.content.decode()
    assert not get_user_model().objects.filter(username="weak").exists()


def test_a_supervisor_switches_a_login_off_and_changes_its_scope(
    supervisor_client, retailer, other_retailer
):
    supervisor_client.post(
        ADD,
        {
            "username": "temp",
            "is_active": "on",
            "role": "agent",
            "retailers": [retailer.pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    member = StaffMember.objects.get(user__username="temp")

    response = supervisor_client.post(
        f"/admin/retailers/staffmember/{member.pk}/change/",
        {"username": "temp", "role": "retailer_manager", "retailers": [other_retailer.pk]},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.role, list(member.retailers.all())) == ("retailer_manager", [other_retailer])
    assert member.user.is_active is False
    assert member.user.check_password(NEW_PASSWORD)  # an empty password keeps the old one
    _client, signed_in = _sign_in("temp", NEW_PASSWORD)
    assert signed_in.redirect_chain == []  # refused at the sign-in page


def test_the_timeline_cannot_be_written_by_hand_in_admin(supervisor_client, open_case):
    case = open_case()
    before = OrderEvent.objects.count()

    add = supervisor_client.get("/admin/orders/orderevent/add/")
    post = supervisor_client.post(
        "/admin/orders/orderevent/add/",
        {"order": case.order_id, "kind": "cancellation.note", "message": "forged"},
    )

    assert (add.status_code, post.status_code) == (403, 403)
    assert OrderEvent.objects.count() == before
