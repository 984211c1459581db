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


def paginated(serializer_class, name: str | None = None):
    """The schema of a page of `serializer_class` (kernel.api.Pagination's shape), for
    a view that paginates by hand."""
    name = name or f"Paginated{serializer_class.__name__}List"
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
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


def problem_media_type_hook(result, generator, request, public):
    """Error responses are `application/problem+json` (RFC 9457), as the renderer sends
    them: every 4xx/5xx documented as `application/json` is renamed, so a generated
    client parses errors by the media type it will actually receive."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content") if isinstance(response, dict) else None
                if not content or str(status)[:1] not in "45":
                    continue
                if "application/json" in content:
                    content.setdefault("application/problem+json", content.pop("application/json"))
    return result
