"""Request ids, JSON log lines, Sentry (SPEC §13)."""

import json
import logging

import pytest

from kernel.logging import RequestIdFilter, logging_config

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_sane_incoming_request_id_is_kept_and_others_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="req-1234abcd")["X-Request-ID"] == (
        "req-1234abcd"
    )
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nlevel=ERROR fake")["X-Request-ID"]
    assert "\n" not in forged and len(forged) == 32


def test_json_log_lines_carry_the_request_id(client, monkeypatch):
    # Given the JSON formatter of LOG_FORMAT=json on a handler of our own
    import io
    import logging.config

    config = logging_config(log_format="json")
    formatter = logging.config.DictConfigurator(config).configure_formatter(
        config["formatters"]["json"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("ops.views")
    logger.addHandler(handler)
    monkeypatch.setattr("ops.readiness.database_check", lambda: "database: down")
    try:
        # When a request logs (readiness failing logs a warning)
        response = client.get("/readyz", HTTP_X_REQUEST_ID="req-json-0001")
    finally:
        logger.removeHandler(handler)
    # Then the line is one JSON object with the request's id
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["request_id"] == "req-json-0001" == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "ops.views"
    assert "not ready" in line["message"]


def test_sentry_receives_errors_when_a_dsn_is_set(client):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    from config.sentry import sentry_init

    events = []

    class Recording(Transport):
        def capture_envelope(self, envelope):
            events.append(envelope)

    sentry_init(
        dsn="https://public@sentry.example.invalid/1", environment="test", transport=Recording
    )
    try:
        sentry_sdk.capture_exception(RuntimeError("boom"))
        sentry_sdk.flush()
        integrations = sentry_sdk.get_client().integrations
        assert {"django", "celery"} <= set(integrations)
        assert events, "nothing reached the transport"
    finally:
        sentry_sdk.init(dsn=None)


def test_logging_config_plain_names_the_request(caplog):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert RequestIdFilter().filter(record)
    assert record.request_id == "-"
