"""POST /connectors/shopify/webhooks (SPEC §12): who is let in, what is stored, and
what a repeat changes (nothing)."""

import json

import pytest

from connectors.models import ShopifyDelivery
from connectors.tests.conftest import SECRET, sample_order
from orders.models import Order
from retailers.services import shopify_connect

pytestmark = pytest.mark.django_db

BODY = {"id": 1001, "updated_at": "2026-11-30T10:00:00-05:00"}


def test_a_signed_delivery_is_stored_and_answered_at_once(shop):
    response = shop.post("orders/create", sample_order(), event_id="ev-1")

    assert response.status_code == 200
    assert response.json()["status"] == "received"
    delivery = ShopifyDelivery.objects.get()
    # Stored byte for byte, not yet applied: the workers do that.
    assert (delivery.topic, delivery.status, delivery.event_id) == (
        "orders/create",
        "pending",
        "ev-1",
    )
    assert json.loads(bytes(delivery.body))["id"] == 820982911946154508
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "signature",
    ["", "not-base64", "dGhlIHdyb25nIHNpZ25hdHVyZQ=="],
    ids=["missing", "garbage", "another body's"],
)
def test_a_bad_or_missing_signature_is_401_and_writes_nothing(shop, signature):
    response = shop.post("orders/create", BODY, signature=signature)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert ShopifyDelivery.objects.count() == 0


def test_a_signature_with_another_secret_is_401(shop):
    response = shop.post("orders/create", BODY, secret="someone-elses-secret")

    assert response.status_code == 401
    assert ShopifyDelivery.objects.count() == 0


def test_an_unknown_shop_is_401_and_writes_nothing(shop):
    response = shop.post("orders/create", BODY, shop="stranger.myshopify.com")

    assert response.status_code == 401
    assert ShopifyDelivery.objects.count() == 0


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Webhook-Id"])
def test_a_missing_required_header_is_400(shop, header):
    response = shop.post("orders/create", BODY, extra={header: ""})

    assert response.status_code == 400
    assert ShopifyDelivery.objects.count() == 0


def test_a_missing_shop_header_is_400(shop):
    response = shop.post("orders/create", BODY, extra={"X-Shopify-Shop-Domain": ""})

    assert response.status_code == 400


def test_the_same_event_again_is_200_and_changes_nothing(shop):
    first = shop.post("orders/create", BODY, event_id="ev-7", webhook_id="wh-1")
    again = shop.post("orders/create", BODY, event_id="ev-7", webhook_id="wh-2")

    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "delivery": first.json()["delivery"]}
    assert ShopifyDelivery.objects.count() == 1


def test_without_an_event_id_the_webhook_id_recognises_a_repeat(shop):
    shop.post("orders/create", BODY, webhook_id="wh-9")
    again = shop.post("orders/create", BODY, webhook_id="wh-9")

    assert again.json()["status"] == "duplicate"
    assert ShopifyDelivery.objects.count() == 1


def test_a_topic_not_handled_is_200_and_ignored(shop):
    response = shop.post("products/update", {"id": 5})

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert ShopifyDelivery.objects.count() == 0


def test_an_unparseable_body_is_kept_for_a_person_without_a_server_error(shop):
    response = shop.post("orders/create", b'{"id": 12, "line_items": [')

    assert response.status_code == 200
    delivery = ShopifyDelivery.objects.get()
    assert delivery.status == "unparseable"
    assert "not JSON" in delivery.outcome
    assert bytes(delivery.body) == b'{"id": 12, "line_items": ['


def test_both_secrets_verify_while_one_is_rotated(shop, retailer):
    shopify_connect(
        retailer=retailer, shop_domain="acme-outfitters.myshopify.com", secret="new-s3cret"
    )

    old = shop.post("orders/create", BODY, secret=SECRET)
    new = shop.post("orders/updated", BODY, secret="new-s3cret")

    assert (old.status_code, new.status_code) == (200, 200)


def test_the_previous_secret_stops_verifying_when_the_rotation_ends(shop, retailer):
    from retailers.services import shopify_rotation_finish

    connection = shopify_connect(
        retailer=retailer, shop_domain="acme-outfitters.myshopify.com", secret="new-s3cret"
    )
    shopify_rotation_finish(connection=connection)

    assert shop.post("orders/create", BODY, secret=SECRET).status_code == 401
    assert shop.post("orders/create", BODY, secret="new-s3cret").status_code == 200


def test_the_endpoint_needs_no_csrf_token_nor_session(shop):
    from django.test import Client

    shop.client = Client(enforce_csrf_checks=True)

    assert shop.post("orders/create", BODY).status_code == 200


def test_a_body_over_the_limit_is_413_and_stored_nowhere(shop, settings):
    settings.SHOPIFY_WEBHOOK_MAX_BYTES = 100

    response = shop.post("orders/create", {"id": 1, "note": "x" * 200})

    assert response.status_code == 413
    assert ShopifyDelivery.objects.count() == 0
