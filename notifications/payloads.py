"""The body of a webhook: `{id, type, created_at, data}`, where `data` is the subject's
public representation (registered by its app, see `notifications.subjects`).

These are the shapes retailers' systems parse (documented in docs/webhooks.md): add
fields freely, never rename or remove one.
"""

import json
import uuid
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from notifications.subjects import subject_of


def jsonable(value):
    """Decimals as exact strings, datetimes as ISO 8601: what JSON can carry."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_data(*, subject, data: dict) -> dict:
    """The subject's one public shape (its registered `data`), plus whatever extra the
    caller told us."""
    extra = jsonable(data or {})
    registered = subject_of(subject)
    if registered is None:
        return extra
    return {**extra, **registered.data(subject)}


def event_body(*, event_id: uuid.UUID, event_type: str, created_at: datetime, data: dict) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def body_bytes(payload: dict) -> bytes:
    """The exact bytes POSTed (and signed): compact, the same on every retry."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
