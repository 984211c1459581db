"""Project-wide REST plumbing: exact JSON numbers, problem+json errors, pagination."""

import json
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from kernel.errors import HTTP_STATUS, DomainError, ErrorCode

PROBLEM_CONTENT_TYPE = "application/problem+json"


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body is too large."
    default_code = "too_large"


# Deeper than any body of the API; json.loads itself would recurse until the
# interpreter's limit (RecursionError, a 500) on 50,000 nested brackets.
MAX_JSON_DEPTH = 32


class DecimalJSONParser(JSONParser):
    """JSON numbers become Decimal, never float, so `19.99` stays exactly 19.99.

    Bodies over `API_MAX_BODY_BYTES` are refused (413 `too_large`) before they are
    read; bodies nested deeper than MAX_JSON_DEPTH are refused (400) before they are
    parsed.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise TooLarge(
                f"Request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}."
            )
        try:
            raw = stream.read(settings.API_MAX_BODY_BYTES + 1) if stream else b""
        except AttributeError:
            raw = b""
        if len(raw) > settings.API_MAX_BODY_BYTES:
            raise TooLarge()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from exc
        if _nesting_depth(text) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                f"Malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels."
            )
        try:
            return json.loads(text, parse_float=Decimal)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from exc


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (no recursion)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif token in "]}":
            depth -= 1
    return deepest


class ProblemAwareJSONRenderer(JSONRenderer):
    """Renders JSON; error responses carry `application/problem+json` (RFC 9457)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = PROBLEM_CONTENT_TYPE
        return super().render(data, accepted_media_type, renderer_context)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def problem(code: ErrorCode, detail: str, *, errors=None, **extra) -> Response:
    """A problem document (RFC 9457). `extra` members are added beside the standard
    ones and never replace them: `status` is always the HTTP status, so an object's own
    state travels as `current_status`."""
    status_code = HTTP_STATUS[code]
    body = {
        **extra,
        "type": f"https://rescind.example/problems/{code.value}",
        "title": code.value.replace("_", " ").capitalize(),
        "status": status_code,
        "code": code.value,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


_DRF_CODES = {
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.NOT_AUTHENTICATED,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.THROTTLED,
    exceptions.ParseError: ErrorCode.INVALID,
    TooLarge: ErrorCode.TOO_LARGE,
    exceptions.ValidationError: ErrorCode.INVALID,
}


def problem_exception_handler(exc, context):
    """Every API error, domain or framework, leaves as one problem+json shape."""
    if isinstance(exc, DomainError):
        return problem(exc.code, exc.detail, errors=exc.errors, **exc.extra)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object for this retailer.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django answer 500 and log it

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    if code is None:
        code = ErrorCode.INVALID if exc.status_code < 500 else None
    if code is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        names = ", ".join(errors) if isinstance(errors, dict) else ""
        response = problem(code, f"Some fields are not valid: {names}.", errors=errors)
    else:
        response = problem(code, str(exc.detail))
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait) + 1)
    if code is ErrorCode.NOT_AUTHENTICATED:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
