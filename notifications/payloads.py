"""The `data` of a webhook body: each subject's public representation.

These are the shapes retailers' systems parse (documented in docs/webhooks.md): add
fields freely, never rename or remove one.
"""

import json
import uuid
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from kernel.serializers import money


def _lines(cancellation):
    # A request being submitted carries the lines its transaction just wrote; read them
    # (with their order lines) only when they are not in hand.
    if "lines" in getattr(cancellation, "_prefetched_objects_cache", {}):
        return cancellation.lines.all()
    return cancellation.lines.select_related("line")


def cancellation_data(cancellation) -> dict:
    currency = cancellation.order.currency
    policy = cancellation.policy
    return {
        "id": cancellation.pk,
        "order": cancellation.order.external_id,
        "status": cancellation.status,
        "reason": cancellation.reason,
        "channel": cancellation.channel,
        "lines": [
            {
                "line": line.line.external_id,
                "sku": line.line.sku,
                "quantity": line.quantity,
                "refund_amount": money(line.refund_amount, currency),
            }
            for line in _lines(cancellation)
        ],
        "refund_total": money(cancellation.refund_total, currency),
        "currency": currency,
        "decision": {
            "outcome": cancellation.decision_outcome or None,
            "rule": cancellation.decision_rule or None,
            "explanation": cancellation.decision_explanation or None,
            "policy_version": policy.version if policy else None,
        },
        "needs_attention": cancellation.needs_attention,
    }


def refund_data(refund) -> dict:
    currency = getattr(refund, "currency", "") or refund.payment.order.currency
    return {
        "id": refund.pk,
        "cancellation": getattr(refund, "cancellation_id", None),
        "order": refund.payment.order.external_id,
        "payment": refund.payment.external_id,
        "amount": money(refund.amount, currency),
        "currency": currency,
        "status": refund.status,
        "failure_code": getattr(refund, "failure_code", "") or None,
    }


def stock_level_data(level) -> dict:
    return {
        "sku": level.sku,
        "warehouse": level.warehouse.code,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.on_hand - level.reserved,
    }


SUBJECT_DATA = {
    "cancellationrequest": cancellation_data,
    "refund": refund_data,
    "stocklevel": stock_level_data,
}


def jsonable(value):
    """Decimals as exact strings, datetimes as ISO 8601: what JSON can carry."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_data(*, subject, data: dict) -> dict:
    """The subject's representation, plus whatever extra the caller told us."""
    extra = jsonable(data or {})
    build = SUBJECT_DATA.get(subject._meta.model_name) if subject is not None else None
    if build is None:
        return extra
    return {**extra, **build(subject)}


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
