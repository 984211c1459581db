"""Fixtures every test can use: retailers with keys, API clients, orders made through
the real service, and markers for tests that need PostgreSQL, Redis or a browser.

On a laptop without those services the marked tests skip with the reason; under CI
(`CI=true`) a missing service fails the run instead, so CI never goes green by skipping.
"""

import os
import shutil
import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from kernel.actors import Actor
from orders.services import order_upsert
from retailers.services import api_key_create, policy_update
from retailers.tests.factories import RetailerFactory, StaffMemberFactory, UserFactory

pytest_plugins = ["tests.celery_worker"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _reachable(url_env: str, default_port: int) -> bool:
    from urllib.parse import urlparse

    url = os.environ.get(url_env, "")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def _missing(item) -> str | None:
    if item.get_closest_marker("postgres") and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not _reachable("REDIS_URL", 6379):
        return "needs Redis and a Celery worker: set REDIS_URL=redis://..."
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    reason = _missing(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI must provide this: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _close_leaked_connections(django_db_setup, django_db_blocker):
    """Before pytest-django drops the PostgreSQL test database, end the sessions that
    threads (live server, browser tests) or killed workers left open, so the drop
    succeeds instead of leaving the database behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _register_factory_fixtures(namespace: dict) -> None:
    """Every `<app>/tests/factories.py` factory becomes a fixture: OrderLineFactory is
    `order_line_factory`, returning the class (so tests call it with their values)."""
    import importlib
    import inspect
    import re

    import factory as factory_boy

    for app in settings.PRODUCT_APPS:
        try:
            module = importlib.import_module(f"{app}.tests.factories")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, factory_boy.Factory) or cls.__module__ != module.__name__:
                continue
            fixture_name = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

            def fixture(db, _cls=cls):
                return _cls

            namespace[fixture_name] = pytest.fixture(fixture, name=fixture_name)


_register_factory_fixtures(globals())


@pytest.fixture
def retailer(db):
    return RetailerFactory(slug="acme", name="Acme Outfitters")


@pytest.fixture
def other_retailer(db):
    return RetailerFactory(slug="globex", name="Globex Home")


def client_for(retailer) -> APIClient:
    _api_key, key = api_key_create(retailer=retailer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(retailer) -> APIClient:
    """An API client authenticated as the `retailer` storefront."""
    return client_for(retailer)


@pytest.fixture
def other_api(other_retailer) -> APIClient:
    return client_for(other_retailer)


def order_payload(
    *,
    lines=(("l1", "SKU-1", 2, "10.00"),),
    shipping="5.00",
    payments=None,
    currency="USD",
    placed_at=None,
    customer="cust-1",
    fulfillment_status="unfulfilled",
    **extra,
) -> dict:
    """A valid PUT /orders body. `lines` are (external_id, sku, quantity, unit_price)
    or dicts; payments default to one card paying the whole total."""
    from decimal import Decimal

    line_dicts = []
    for line in lines:
        if isinstance(line, dict):
            line_dicts.append(line)
        else:
            ext, sku, qty, price = line
            line_dicts.append(
                {"external_id": ext, "sku": sku, "quantity": qty, "unit_price": price}
            )
    total = Decimal(shipping) + sum(
        (
            line["quantity"] * Decimal(line["unit_price"])
            - Decimal(line.get("discount", "0"))
            + Decimal(line.get("tax", "0"))
            for line in line_dicts
        ),
        start=Decimal(0),
    )
    if payments is None:
        payments = [
            {"external_id": "p1", "method": "card", "amount": str(total), "reference": "ok_1"}
        ]
    body = {
        "placed_at": (placed_at or timezone.now() - timedelta(hours=1)).isoformat(),
        "currency": currency,
        "customer": {
            "external_id": customer,
            "email": f"{customer}@shoppers.example",
            "name": "Pat Shopper",
        },
        "fulfillment_status": fulfillment_status,
        "shipping": shipping,
        "lines": line_dicts,
        "payments": payments,
    }
    body.update(extra)
    return body


@pytest.fixture
def make_order(retailer):
    """Create an order through the real service (stock reserved, timeline written)."""

    def make(external_id="ord-1", *, retailer=retailer, **kwargs):
        from orders.api.serializers import OrderInput

        serializer = OrderInput(data=order_payload(**kwargs))
        serializer.is_valid(raise_exception=True)
        order, _ = order_upsert(
            retailer=retailer,
            external_id=external_id,
            data=serializer.validated_data,
            actor=Actor.system("test"),
        )
        return order

    return make


@pytest.fixture
def submit(api):
    """POST /api/v1/cancellations as the `retailer` storefront; returns the response."""

    def post(order="ord-1", reason="changed_mind", **fields):
        body = {"order": order, "reason": reason, **fields}
        return api.post("/api/v1/cancellations", body, format="json")

    return post


@pytest.fixture
def set_policy(retailer):
    """Save a new version of the `retailer`'s policy with these values."""

    def apply(**values):
        return policy_update(retailer=retailer, values=values, created_by="test")

    return apply


@pytest.fixture
def agent(retailer):
    return StaffMemberFactory(
        user=UserFactory(username="agent"), role="agent", retailers=[retailer]
    )


@pytest.fixture
def supervisor(db):
    # As staff_create makes them: supervisors may use admin.
    return StaffMemberFactory(user=UserFactory(username="super", is_staff=True), role="supervisor")


@pytest.fixture
def branding(retailer):
    """The `retailer`'s own voice in messages and on the customer pages."""
    from notifications.models import Branding

    return Branding.objects.create(
        retailer=retailer,
        display_name="Acme Outfitters",
        logo_url="https://cdn.acme.example/logo.png",
        primary_color="#0b5394",
        accent_color="#f1c232",
        sender_email="care@acme.example",
        signature="Warmly,\nthe Acme care team",
        support_url="https://acme.example/help",
        contact_email="ops@acme.example",
    )
