"""Supervisors see returns and store credits in admin, read-only."""

import pytest

pytestmark = pytest.mark.django_db


def test_supervisors_read_returns_and_store_credits_but_cannot_edit_them(
    client, supervisor, agent, shipped_order, start_return
):
    shipped_order(lines=(("l1", "TEE", 1, "10.00"),))
    rid = start_return().json()["id"]
    client.force_login(supervisor.user)

    listing = client.get("/admin/returns/return/")
    page = client.get(f"/admin/returns/return/{rid}/change/")
    credits = client.get("/admin/refunds/storecredit/")

    assert listing.status_code == 200 and b"ord-1" in listing.content
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # shown, never editable
    assert b"SBX" in page.content
    assert credits.status_code == 200
    assert client.post(f"/admin/returns/return/{rid}/delete/").status_code == 403

    client.force_login(agent.user)
    assert client.get("/admin/returns/return/").status_code == 302  # agents are not staff
