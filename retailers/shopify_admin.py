"""A connected shop's Admin API (GraphQL), as the refund gateway and the fulfilment
adapter call it. One POST per call, with the shop's sealed access token, a timeout, and
Shopify's answer mapped to what the callers need to decide: worked, refused for good,
or worth trying again.

`SHOPIFY_ADMIN_URL` says where the API answers (`https://{shop}/admin/api/{version}/
graphql.json`); tests point it at a local stand-in that records what it received.
"""

import json
from dataclasses import dataclass, field

import httpx
from django.conf import settings

# Statuses after which the same call may succeed later (rate limit, Shopify's own
# trouble); any other non-2xx will not get better by itself.
TRANSIENT_STATUSES = {408, 409, 429, 500, 502, 503, 504}
NETWORK_ERRORS = (httpx.TransportError,)


@dataclass(frozen=True)
class AdminAnswer:
    ok: bool
    transient: bool = False
    data: dict = field(default_factory=dict)
    error: str = ""
    code: str = ""


def shop_gid(kind: str, numeric_id) -> str:
    """`gid://shopify/Order/820982911946154508` for the REST id Shopify's webhooks carry."""
    return f"gid://shopify/{kind}/{numeric_id}"


def gid_number(gid: str) -> str:
    """The numeric id at the end of a gid (as a string: they exceed 2**53)."""
    return str(gid).rsplit("/", 1)[-1]


def admin_graphql(connection, *, query: str, variables: dict, timeout: float = 15.0) -> AdminAnswer:
    """Run one GraphQL operation against the connection's shop. Network errors raise
    (the caller's adapter turns them into a transient outcome)."""
    token = connection.admin_token()
    if not token:
        return AdminAnswer(False, error="No Admin API token is set for this shop.", code="no_token")
    url = settings.SHOPIFY_ADMIN_URL.format(
        shop=connection.shop_domain, version=connection.api_version
    )
    response = httpx.post(
        url,
        content=json.dumps({"query": query, "variables": variables}),
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Access-Token": token,
            "User-Agent": "Rescind/1.0",
        },
        timeout=timeout,
        follow_redirects=False,
    )
    if response.status_code in TRANSIENT_STATUSES:
        return AdminAnswer(
            False, transient=True, error=f"Shopify answered {response.status_code}", code="http"
        )
    if response.status_code >= 300:
        return AdminAnswer(
            False,
            error=f"Shopify answered {response.status_code}: {response.text[:200]}",
            code="not_authorised" if response.status_code in (401, 403) else "http",
        )
    try:
        body = response.json()
    except ValueError:
        return AdminAnswer(
            False, transient=True, error="Shopify's answer was not JSON", code="http"
        )
    errors = body.get("errors") or []
    if errors:
        throttled = any(
            (e.get("extensions") or {}).get("code") == "THROTTLED"
            for e in errors
            if isinstance(e, dict)
        )
        text = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
        return AdminAnswer(False, transient=throttled, error=text, code="graphql")
    return AdminAnswer(True, data=body.get("data") or {})
