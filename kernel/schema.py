"""OpenAPI pieces shared by every endpoint: the problem+json error document."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

Problem = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(help_text="Stable machine-readable error code."),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(required=False, help_text="Per-field messages."),
    },
)


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=Problem, description=description)


PROBLEM_RESPONSES = {
    400: problem_response("`invalid`: malformed JSON or fields, with `errors`."),
    401: problem_response("`not_authenticated`: missing or unknown API key."),
    404: problem_response("`not_found`: no such object for this retailer."),
    422: problem_response(
        "`payments_mismatch`, `order_not_found`, `line_not_found`, "
        "`quantity_exceeds_remaining`, `idempotency_key_reused`, `lines_already_cancelled`."
    ),
    429: problem_response("`throttled`: rate limit; see `Retry-After`."),
}
