"""Connecting a Shopify shop (SPEC §12): in admin and with `manage.py connect_shopify`;
the secrets sealed at rest and never shown again."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from retailers.models import Retailer, ShopifyConnection
from retailers.secrets import secret_open
from retailers.services import shopify_connect

pytestmark = pytest.mark.django_db

SECRET = "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"


def test_the_command_connects_a_shop_and_prints_no_secret(retailer):
    out = io.StringIO()

    call_command(
        "connect_shopify",
        "acme",
        "--shop",
        "Acme-Outfitters.myshopify.com",
        "--secret",
        SECRET,
        stdout=out,
    )

    connection = ShopifyConnection.objects.get(retailer=retailer)
    assert connection.shop_domain == "acme-outfitters.myshopify.com"
    assert connection.webhook_secrets() == [SECRET]
    assert SECRET not in out.getvalue()
    assert connection.webhook_secret_fingerprint in out.getvalue()
    retailer.refresh_from_db()
    assert (retailer.gateway, retailer.fulfillment) == ("shopify", "shopify")


def test_the_secret_is_not_in_the_database_in_clear(retailer):
    shopify_connect(
        retailer=retailer,
        shop_domain="acme.myshopify.com",
        secret=SECRET,
        admin_token="shpat_secret_token",
    )

    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM retailers_shopifyconnection")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert SECRET not in row and "shpat_secret_token" not in row
    connection = ShopifyConnection.objects.get()
    assert secret_open(connection.webhook_secret_sealed) == SECRET
    assert connection.admin_token() == "shpat_secret_token"


def test_a_new_secret_rotates_and_the_old_one_is_accepted_for_a_while(retailer):
    shopify_connect(retailer=retailer, shop_domain="acme.myshopify.com", secret="first")

    connection = shopify_connect(
        retailer=retailer, shop_domain="acme.myshopify.com", secret="second"
    )

    assert connection.webhook_secrets() == ["second", "first"]
    later = connection.previous_secret_expires_at
    assert connection.webhook_secrets(now=later) == ["second"]


def test_no_rotation_drops_the_old_secret_at_once(retailer):
    call_command(
        "connect_shopify",
        "acme",
        "--shop",
        "acme.myshopify.com",
        "--secret",
        "first",
        stdout=io.StringIO(),
    )
    call_command(
        "connect_shopify",
        "acme",
        "--shop",
        "acme.myshopify.com",
        "--secret",
        "second",
        "--no-rotation",
        stdout=io.StringIO(),
    )

    assert ShopifyConnection.objects.get().webhook_secrets() == ["second"]


def test_the_command_refuses_an_unknown_retailer_or_a_bad_domain(retailer):
    with pytest.raises(CommandError):
        call_command("connect_shopify", "nobody", "--shop", "a.myshopify.com", "--secret", "s")
    with pytest.raises(CommandError):
        call_command("connect_shopify", "acme", "--shop", "not a domain", "--secret", "s")


def test_the_secret_may_come_from_standard_input(retailer, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))

    call_command(
        "connect_shopify",
        "acme",
        "--shop",
        "acme.myshopify.com",
        "--secret",
        "-",
        stdout=io.StringIO(),
    )

    assert ShopifyConnection.objects.get().webhook_secrets() == [SECRET]


def test_one_shop_belongs_to_one_retailer(retailer, other_retailer):
    shopify_connect(retailer=retailer, shop_domain="acme.myshopify.com", secret="s")

    with pytest.raises(Exception):  # noqa: B017 - the unique constraint says no
        shopify_connect(retailer=other_retailer, shop_domain="acme.myshopify.com", secret="s")


def test_admin_sets_secrets_without_ever_showing_them(retailer, client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@x.example", "pw")
    client.force_login(admin_user)

    response = client.post(
        "/admin/retailers/shopifyconnection/add/",
        {
            "retailer": retailer.pk,
            "shop_domain": "acme.myshopify.com",
            "api_version": "2026-01",
            "is_active": "on",
            "webhook_secret": SECRET,
            "admin_token": "shpat_x",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    connection = ShopifyConnection.objects.get()
    assert connection.webhook_secrets() == [SECRET]
    page = client.get(f"/admin/retailers/shopifyconnection/{connection.pk}/change/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "shpat_x" not in page.content.decode()
    assert connection.webhook_secret_fingerprint in page.content.decode()
    # Saving again with the secret fields empty keeps them
    client.post(
        f"/admin/retailers/shopifyconnection/{connection.pk}/change/",
        {
            "retailer": retailer.pk,
            "shop_domain": "acme.myshopify.com",
            "api_version": "2026-01",
            "is_active": "on",
            "webhook_secret": "",
            "admin_token": "",
        },
    )
    assert ShopifyConnection.objects.get().webhook_secrets() == [SECRET]
    assert Retailer.objects.get(pk=retailer.pk).gateway == "shopify"
