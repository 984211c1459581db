"""Shopify's webhook signature: `X-Shopify-Hmac-Sha256` is the base64 (not hex) of
HMAC-SHA256 of the raw body bytes with the shop's secret."""

import base64
import hashlib
import hmac


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_valid(secrets: list[str], body: bytes, header: str) -> bool:
    """True when `header` is the signature of `body` under one of `secrets`. Every
    secret is compared, in constant time, so timing tells nothing about which matched."""
    given = (header or "").strip().encode()
    matched = False
    for secret in secrets:
        expected = shopify_signature(secret, body).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched and bool(given)
