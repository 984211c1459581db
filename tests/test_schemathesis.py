"""Schemathesis over the whole OpenAPI schema, with an API key: every operation, a
bounded number of generated requests each, 0 server errors and 0 schema violations.

On PostgreSQL, which is where bad input used to fail (NUL bytes, over-long values).
SCHEMATHESIS_MAX_EXAMPLES (default 50 per operation, derandomized) bounds the run: about
25 seconds here; a larger number, or SCHEMATHESIS_RANDOM=1, explores further.
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import order_payload

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


def _load_schema():
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    # Valid and invalid requests both, NUL bytes included: bad input is what broke.
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True
    )
    return schema


@contextmanager
def _test_connection_kept():
    """Requests go straight to the WSGI app; as Django's own test client does, keep
    them from closing the test's connection (it is inside the test's transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def storefront_key(retailer, api, make_order):
    """A key of a retailer with an order, stock and a cancellation to find."""
    from retailers.services import api_key_create

    make_order("ord-1")
    api.post("/api/v1/cancellations", {"order": "ord-1", "reason": "changed_mind"}, format="json")
    api.put("/api/v1/orders/ord-2", order_payload(), format="json")
    _key, raw = api_key_create(retailer=retailer)
    return raw


schema = _load_schema()


@pytest.mark.postgres
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_answers_within_its_schema(case, storefront_key, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "1000000/min"},
    }
    with _test_connection_kept():
        response = case.call(headers={"Authorization": f"Bearer {storefront_key}"})
    case.validate_response(response, checks=CHECKS)
