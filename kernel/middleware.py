"""Request middleware every page and endpoint shares: the request id, and input that
must be refused before any view (or the database) sees it.

Both sit at the top of MIDDLEWARE: the request id so that every log line of the
request carries it, the guard so that a path with a NUL byte or a body over the limit
is answered with the product's own problem+json instead of reaching code that would
answer 500 (a NUL byte cannot be stored in PostgreSQL text) or Django's HTML 400.
"""

import re
import uuid
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from kernel.errors import HTTP_STATUS, ErrorCode
from kernel.logging import request_id_bind, request_id_clear

PROBLEM_CONTENT_TYPE = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (a proxy's or a client's uuid);
# anything else could forge log lines, so a fresh one replaces it.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def problem_response(code: ErrorCode, detail: str, **extra) -> JsonResponse:
    """A problem+json response outside DRF (middleware, error views)."""
    status = HTTP_STATUS[code]
    body = {
        "type": f"https://rescind.example/problems/{code.value}",
        "title": code.value.replace("_", " ").capitalize(),
        "status": status,
        "code": code.value,
        "detail": detail,
        **extra,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


class RequestIdMiddleware:
    """Gives every request an id, logs it on each line (see kernel.logging) and returns
    it as `X-Request-ID`, so a support ticket's id finds its log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request_id_bind(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_clear()
        response[REQUEST_ID_HEADER] = request_id
        return response


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


class RequestGuardMiddleware:
    """Refuses what no view can serve, with a stable code and before anything is read:

    - a NUL byte in the path or the query string: 400 `invalid` (PostgreSQL text cannot
      hold one; every view would fail on it differently);
    - a URL longer than `MAX_URL_BYTES`: 414 `uri_too_long` (gunicorn is configured to
      let it through to here, so the answer is ours, not its HTML page);
    - an API body larger than `API_MAX_BODY_BYTES`: 413 `too_large` (Django would
      otherwise answer its HTML 400 past DATA_UPLOAD_MAX_MEMORY_SIZE).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self._refusal(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _refusal(self, request):
        raw_path = request.META.get("PATH_INFO", "")
        query = request.META.get("QUERY_STRING", "")
        if len(raw_path.encode("utf-8", "surrogateescape")) + len(query) > settings.MAX_URL_BYTES:
            return self._answer(
                request,
                ErrorCode.URI_TOO_LONG,
                f"The URL is longer than {settings.MAX_URL_BYTES} bytes.",
                status=414,
            )
        if "\x00" in raw_path or b"\x00" in unquote_to_bytes(query):
            return self._answer(
                request, ErrorCode.INVALID, "The URL must not contain NUL characters.", status=400
            )
        if _is_api(request.path_info):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return self._answer(
                    request, ErrorCode.INVALID, "Content-Length is not a number.", status=400
                )
            if length > settings.API_MAX_BODY_BYTES:
                return self._answer(
                    request,
                    ErrorCode.TOO_LARGE,
                    f"Request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}.",
                    status=413,
                )
        return None

    def _answer(self, request, code, detail, *, status):
        if _is_api(request.META.get("PATH_INFO", "")):
            return problem_response(code, detail)
        return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
