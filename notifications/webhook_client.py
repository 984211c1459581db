"""The edge to retailers' servers: signing, address checks and the HTTP POST itself.

SSRF: the host is resolved once, every address it resolves to must be public (unless
`WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`), and the request is then sent to that very address
(Host header and TLS SNI keep the name), so a DNS answer that changes between the check
and the connection cannot point us at an internal service. Redirects are never followed.
"""

import hashlib
import hmac
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

USER_AGENT = "Rescind-Webhooks/1.0"


def _timeout() -> httpx.Timeout:
    # Short: a slow receiver must not hold a worker; it is retried later instead.
    seconds = float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", 10))
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


class AddressRefused(Exception):
    """The URL points somewhere we must not send to."""


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """`t=<unix seconds>,v1=<hex hmac_sha256(secret, "<t>.<raw body>")>` (SPEC §5)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve_target(url: str, *, allow_private: bool | None = None) -> str:
    """The address to connect to for `url`; raises AddressRefused when it is not allowed."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Only http and https URLs with a host are allowed.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host {parts.hostname} could not be resolved.") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise AddressRefused(f"The host {parts.hostname} has no address.")
    if not allow_private:
        refused = [str(a) for a in addresses if not _is_public(a)]
        if refused:
            raise AddressRefused(
                f"{parts.hostname} resolves to a private, loopback, link-local or reserved "
                f"address ({', '.join(refused)}), which webhooks may not target."
            )
    return str(addresses[0])


@dataclass(frozen=True)
class PostResult:
    status: int | None
    latency_ms: int
    error: str
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


_clients: dict[tuple[int, str], httpx.Client] = {}
MAX_CLIENTS = 64


def _client(hostname: str) -> httpx.Client:
    """A pooled client per receiving host, per process.

    Building a client (its TLS context above all) costs more than the delivery itself,
    and keep-alive spares a handshake per event to the same receiver. One per host name,
    because connections are pooled by the pinned address: a TLS connection opened for
    one name must never carry a request for another name on the same address. Keyed by
    process too: a forked worker must not share its parent's sockets.
    """
    key = (os.getpid(), hostname)
    client = _clients.get(key)
    if client is None:
        if len(_clients) >= MAX_CLIENTS or any(pid != key[0] for pid, _host in _clients):
            _clients.clear()  # a parent's clients are dropped, never closed, in a child
        client = _clients[key] = httpx.Client(follow_redirects=False, trust_env=False)
    return client


def post(*, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST `body` to `url` pinned to its checked address. Never raises for the network."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        address = resolve_target(url)
    except AddressRefused as exc:
        return PostResult(None, elapsed(), f"refused: {exc}", "")
    parts = urlsplit(url)
    target = httpx.URL(url).copy_with(host=address)
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    request_headers = {
        "Host": parts.netloc.rsplit("@", 1)[-1],
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
    }
    try:
        response = _client(parts.hostname).post(
            target,
            content=body,
            headers=request_headers,
            extensions=extensions,
            timeout=_timeout(),
        )
        excerpt = response.text[:500]
    except httpx.TimeoutException as exc:
        return PostResult(None, elapsed(), f"timeout: {exc.__class__.__name__}", "")
    except httpx.HTTPError as exc:
        return PostResult(None, elapsed(), f"{exc.__class__.__name__}: {exc}", "")
    error = ""
    if 300 <= response.status_code < 400:
        error = f"redirect to {response.headers.get('location', '?')} not followed"
    elif not 200 <= response.status_code < 300:
        error = f"HTTP {response.status_code}"
    return PostResult(response.status_code, elapsed(), error, excerpt)
