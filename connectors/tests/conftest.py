"""Fixtures for the Shopify connector: a connected shop, signed deliveries posted to the
real endpoint, the public sample bodies, and a local stand-in for Shopify's Admin API
that records what it received."""

import ast
import http.server
import json
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from connectors.services import deliveries_process
from connectors.shopify.signature import shopify_signature
from retailers.services import shopify_connect

FIXTURES = Path(__file__).parent / "fixtures" / "shopify"
SHOP = "acme-outfitters.myshopify.com"
SECRET = "shpss_test_secret_0123456789abcdef"
TOKEN = "shpat_test_token_0123456789abcdef"


def sample_order() -> dict:
    """Shopify's own "send test notification" order body (see PROVENANCE.md)."""
    text = (FIXTURES / "test_notification_orders_two_gateways.py.txt").read_text()
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "ORDER_BODY":
            source = ast.get_source_segment(text, node.value)
            return ast.literal_eval(source)
    raise AssertionError("no ORDER_BODY in the fixture")


def sample(name: str) -> dict:
    """A JSON sample: the gadget-inc files' Shopify body is their `response`."""
    data = json.loads((FIXTURES / name).read_text())
    return data.get("response", data)


@pytest.fixture
def connection(retailer):
    return shopify_connect(retailer=retailer, shop_domain=SHOP, secret=SECRET, admin_token=TOKEN)


class Shop:
    """Posts deliveries to /connectors/shopify/webhooks as Shopify would, signed."""

    def __init__(self, client: Client):
        self.client = client

    def post(
        self,
        topic: str,
        body,
        *,
        secret: str = SECRET,
        shop: str = SHOP,
        webhook_id: str | None = None,
        event_id: str | None = None,
        signature: str | None = None,
        extra: dict | None = None,
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-01",
            "X-Shopify-Hmac-Sha256": signature
            if signature is not None
            else shopify_signature(secret, raw),
        }
        if event_id is not None:
            headers["X-Shopify-Event-Id"] = event_id
        headers.update(extra or {})
        headers = {k: v for k, v in headers.items() if v is not None}
        return self.client.post(
            "/connectors/shopify/webhooks", raw, content_type="application/json", headers=headers
        )

    def deliver(self, topic: str, body, **kwargs):
        """Post and apply at once (what the worker does after the endpoint's commit)."""
        response = self.post(topic, body, **kwargs)
        assert response.status_code == 200, response.content
        deliveries_process([response.json()["delivery"]])
        return response


@pytest.fixture
def shop(connection) -> Shop:
    return Shop(Client())


class AdminApi:
    """Shopify's Admin GraphQL endpoint on 127.0.0.1: answers the queries the refund
    gateway and the fulfilment adapter send, dedupes refunds by idempotency key like
    Shopify does, and records every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.transactions: dict[str, list] = {}
        self.fulfillment_orders: dict[str, list] = {}
        self.refunds_by_key: dict[str, str] = {}
        self.refunds: dict[str, list] = {}
        self.status = 200
        self.next_refund = 9000
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                api.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                status, answer = api.answer(body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/admin/api/{{version}}/graphql.json"

    def sale(self, order_id: str, gateway: str, amount: str, tid: str):
        self.transactions.setdefault(order_id, []).append(
            {
                "id": f"gid://shopify/OrderTransaction/{tid}",
                "gateway": gateway,
                "kind": "SALE",
                "status": "SUCCESS",
                "parentTransaction": None,
                "amountSet": {"shopMoney": {"amount": amount, "currencyCode": "USD"}},
            }
        )

    def answer(self, body):
        if self.status != 200:
            return self.status, {"errors": "unavailable"}
        query, variables = body["query"], body.get("variables") or {}
        if "OrderTransactions" in query:
            order_id = variables["id"].rsplit("/", 1)[-1]
            return 200, {
                "data": {
                    "order": {
                        "refunds": self.refunds.get(order_id, []),
                        "transactions": self.transactions.get(order_id, []),
                    }
                }
            }
        if "refundCreate" in query:
            key = variables["key"]
            if key not in self.refunds_by_key:
                self.next_refund += 1
                self.refunds_by_key[key] = str(self.next_refund)
                order_id = variables["input"]["orderId"].rsplit("/", 1)[-1]
                self.refunds.setdefault(order_id, []).append(
                    {
                        "id": f"gid://shopify/Refund/{self.next_refund}",
                        "note": variables["input"].get("note"),
                    }
                )
                for part in variables["input"]["transactions"]:
                    self.transactions.setdefault(order_id, []).append(
                        {
                            "id": f"gid://shopify/OrderTransaction/r{self.next_refund}",
                            "gateway": part["gateway"],
                            "kind": "REFUND",
                            "status": "SUCCESS",
                            "parentTransaction": {"id": part["parentId"]},
                            "amountSet": {"shopMoney": {"amount": part["amount"]}},
                        }
                    )
            refund_id = self.refunds_by_key[key]
            return 200, {
                "data": {
                    "refundCreate": {
                        "refund": {"id": f"gid://shopify/Refund/{refund_id}"},
                        "userErrors": [],
                    }
                }
            }
        if "FulfillmentOrders" in query:
            order_id = variables["id"].rsplit("/", 1)[-1]
            nodes = self.fulfillment_orders.get(order_id, [])
            return 200, {"data": {"order": {"fulfillmentOrders": {"nodes": nodes}}}}
        if "fulfillmentOrderSubmitCancellationRequest" in query:
            for nodes in self.fulfillment_orders.values():
                for node in nodes:
                    if node["id"] == variables["id"]:
                        node["requestStatus"] = "CANCELLATION_REQUESTED"
            return 200, {
                "data": {
                    "fulfillmentOrderSubmitCancellationRequest": {
                        "fulfillmentOrder": {"id": variables["id"]},
                        "userErrors": [],
                    }
                }
            }
        return 200, {"errors": [{"message": "unknown operation"}]}

    def refunded(self) -> Decimal:
        return sum(
            (
                Decimal(t["amountSet"]["shopMoney"]["amount"])
                for ts in self.transactions.values()
                for t in ts
                if t["kind"] == "REFUND"
            ),
            start=Decimal(0),
        )

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def admin_api(settings):
    api = AdminApi()
    settings.SHOPIFY_ADMIN_URL = api.url
    yield api
    api.stop()
