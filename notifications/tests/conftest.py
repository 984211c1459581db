"""Fixtures for notifications: a real HTTP receiver on loopback, endpoints, requests."""

import http.server
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.services import webhook_endpoint_create


class Receiver:
    """A webhook receiver on 127.0.0.1 that records the raw bytes of every request.

    `responses` is a queue of (status, headers) to answer with, one per request; when it
    runs dry the receiver answers `default`.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.responses: list[tuple[int, dict]] = []
        self.default = (200, {})
        self.delay = 0.0  # seconds to wait before answering
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": self.rfile.read(length),
                    }
                )
                time.sleep(receiver.delay)
                status, headers = (
                    receiver.responses.pop(0) if receiver.responses else receiver.default
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/rescind"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def endpoint(retailer, receiver):
    """An endpoint of `retailer` pointing at the local receiver, every event."""
    return webhook_endpoint_create(retailer=retailer, url=receiver.url)


@pytest.fixture
def old_order(make_order):
    """An order placed 30 hours ago: outside the window, so a request waits for an agent."""

    def make(external_id="ord-1", **kwargs):
        kwargs.setdefault("placed_at", timezone.now() - timedelta(hours=30))
        return make_order(external_id, **kwargs)

    return make
