"""The operating commands of SPEC §7."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from retailers.models import ApiKey, Policy, Retailer, StaffMember, hash_api_key

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_retailer_with_its_first_policy():
    run("create_retailer", "acme", "--name", "Acme Outfitters", "--currency", "usd")

    retailer = Retailer.objects.get(slug="acme")
    assert (retailer.name, retailer.currency) == ("Acme Outfitters", "USD")
    assert Policy.objects.get(retailer=retailer).version == 1


def test_create_retailer_refuses_bad_currency_and_duplicates():
    with pytest.raises(CommandError, match="ISO 4217"):
        run("create_retailer", "acme", "--name", "Acme", "--currency", "XXY")
    run("create_retailer", "acme", "--name", "Acme")
    with pytest.raises(CommandError, match="already exists"):
        run("create_retailer", "acme", "--name", "Acme")


def test_create_api_key_prints_the_key_alone_on_the_last_line(client):
    run("create_retailer", "acme", "--name", "Acme")

    key = run("create_api_key", "acme").strip().splitlines()[-1]

    assert key.startswith("rsk_")
    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_api_key(key)
    assert key not in (stored.prefix, stored.key_hash)  # only a hash is kept
    assert client.get("/api/v1/policy", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_create_staff_roles_and_retailers(client):
    run("create_retailer", "acme", "--name", "Acme")
    run("create_retailer", "globex", "--name", "Globex")

    run(
        "create_staff", "ann", "--role", "agent", "--password", "s3cret-pass!", "--retailer", "acme"
    )
    run("create_staff", "sam", "--role", "supervisor", "--password", "s3cret-pass!")

    ann = StaffMember.objects.get(user__username="ann")
    assert [r.slug for r in ann.retailers.all()] == ["acme"]
    assert not ann.user.is_staff
    assert StaffMember.objects.get(user__username="sam").user.is_staff
    # Through the sign-in page: django-axes checks every sign-in against its request.
    signed_in = client.post("/accounts/login/", {"username": "ann", "password": "s3cret-pass!"})
    assert signed_in.status_code == 302
    with pytest.raises(CommandError, match="No retailer nope"):
        run("create_staff", "bob", "--role", "agent", "--password", "x", "--retailer", "nope")
    assert not get_user_model().objects.filter(username="bob").exists()


def test_a_supervisor_can_use_admin_out_of_the_box(client):
    run("create_retailer", "acme", "--name", "Acme")
    run("create_staff", "sam", "--role", "supervisor", "--password", "s3cret-pass!")
    client.post("/accounts/login/", {"username": "sam", "password": "s3cret-pass!"})

    assert client.get("/admin/retailers/policy/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200


def test_create_staff_makes_a_warehouse_clerk_for_the_retailers_named(retailer):
    out = StringIO()
    call_command(
        "create_staff",
        "wendy",
        "--role",
        "warehouse",
        "--password",
        "x-pass-123",
        "--retailer",
        "acme",
        stdout=out,
    )

    member = StaffMember.objects.get(user__username="wendy")
    assert member.role == "warehouse"
    assert list(member.retailers.values_list("slug", flat=True)) == ["acme"]
    assert not member.user.is_staff  # no admin: receiving and inspecting only
    assert list(member.user.groups.values_list("name", flat=True)) == ["Warehouse clerks"]
    assert "wendy is a warehouse serving acme." in out.getvalue()
