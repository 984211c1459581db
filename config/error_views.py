"""Site-wide 404 and 500: problem+json under /api/, the usual pages elsewhere."""

from django.http import JsonResponse
from django.views import defaults

from kernel.api import PROBLEM_CONTENT_TYPE


def _problem(status: int, code: str, detail: str) -> JsonResponse:
    body = {
        "type": f"https://rescind.example/problems/{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return _problem(404, "not_found", f"No API endpoint at {request.path}.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return _problem(500, "server_error", "Something went wrong on our side; it is logged.")
    return defaults.server_error(request)
