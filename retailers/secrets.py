"""Secrets we must read back (a webhook signing secret is needed to verify each
delivery, an Admin API token to call the shop), kept encrypted at rest.

A hash, as for API keys, cannot verify an HMAC: the secret itself is needed. So it is
sealed with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from the maintained
`cryptography` package) under keys from the settings, never the database:
`CONNECTOR_SECRET_KEYS` (comma-separated Fernet keys; the first seals, every one opens,
so keys can be rotated), or else a key derived from `SECRET_KEY`. A database dump alone
then reveals no shop's secret. The plain value is shown to nobody after it is set:
admin and the command print only a fingerprint.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _keys() -> list[bytes]:
    configured = [k.strip() for k in getattr(settings, "CONNECTOR_SECRET_KEYS", []) if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    derived = hashlib.sha256(b"rescind.connector-secrets:" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(derived)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def secret_seal(plain: str) -> str:
    """The sealed form of `plain`, for the database ("" stays "")."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def secret_open(sealed: str) -> str:
    """The plain secret; "" when none is set. Raises ValueError when no configured key
    opens it (the keys were changed without keeping the old one)."""
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("no configured key opens this secret (CONNECTOR_SECRET_KEYS)") from exc


def secret_fingerprint(plain: str) -> str:
    """What people see of a secret: enough to tell two apart, nothing to sign with."""
    if not plain:
        return ""
    return "sha256:" + hashlib.sha256(plain.encode()).hexdigest()[:12]
