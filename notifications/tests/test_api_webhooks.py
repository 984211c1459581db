"""POST/GET/DELETE /api/v1/webhooks: secrets, validation, SSRF, tenancy."""

import pytest
from django.test import override_settings

from notifications.models import EndpointHealth
from retailers.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks"


def test_create_returns_the_secret_once(api, retailer):
    # When a storefront registers an endpoint for two events
    response = api.post(
        URL,
        {"url": "https://93.184.215.14/rescind", "events": ["refund.succeeded", "refund.failed"]},
        format="json",
    )

    # Then it is created with a fresh secret, shown in this answer
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == "https://93.184.215.14/rescind"
    assert body["events"] == ["refund.failed", "refund.succeeded"]
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert (endpoint.retailer, endpoint.secret) == (retailer, body["secret"])
    assert EndpointHealth.objects.filter(endpoint=endpoint).exists()

    # And the list shows it without the secret
    listed = api.get(URL).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert listed[0]["is_active"] is True


def test_events_default_to_everything(api):
    body = api.post(URL, {"url": "http://93.184.215.14/hook"}, format="json").json()
    assert body["events"] == []


def test_unknown_events_and_fields_are_refused(api):
    response = api.post(
        URL, {"url": "https://93.184.215.14/h", "events": ["order.exploded"]}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid"
    assert "events" in response.json()["errors"]

    response = api.post(URL, {"url": "https://93.184.215.14/h", "secret": "mine"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"secret": ["Unknown field."]}


@pytest.mark.parametrize("url", ["not a url", "ftp://93.184.215.14/h", ""])
def test_malformed_urls_are_refused(api, url):
    response = api.post(URL, {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
    ],
)
def test_private_and_loopback_urls_are_refused_unless_allowed(api, url):
    response = api.post(URL, {"url": url}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "url" in body["errors"]
    assert WebhookEndpoint.objects.count() == 0


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True)
def test_loopback_is_accepted_when_the_deployment_allows_it(api):
    assert api.post(URL, {"url": "http://127.0.0.1:9000/hook"}, format="json").status_code == 201


def test_delete_removes_only_our_own(api, other_api):
    created = api.post(URL, {"url": "https://93.184.215.14/h"}, format="json").json()

    # Another retailer cannot see or delete it
    assert other_api.get(URL).json()["results"] == []
    response = other_api.delete(f"{URL}/{created['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert WebhookEndpoint.objects.filter(pk=created["id"]).exists()

    # Its owner can
    assert api.delete(f"{URL}/{created['id']}").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=created["id"]).exists()
    assert api.delete(f"{URL}/{created['id']}").status_code == 404


def test_authentication_is_required(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_query_count_does_not_grow(api, retailer, django_assert_max_num_queries):
    for n in range(5):
        api.post(URL, {"url": f"https://93.184.215.14/h{n}"}, format="json")
    with django_assert_max_num_queries(4):
        response = api.get(URL)
    assert response.json()["count"] == 5


def test_the_schema_documents_the_webhook_endpoints(api, client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"post", "get"} <= set(schema["paths"]["/api/v1/webhooks"])
    assert "delete" in schema["paths"]["/api/v1/webhooks/{id}"]
