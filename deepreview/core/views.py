"""Answers for requests no view takes: JSON under /api/ and /files/, pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from deepreview.core.exceptions import error_body

API_PREFIXES = ("/api/", "/files/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Requests Django refuses before any view (too many form fields, a bad host)."""
    if request.path.startswith(API_PREFIXES):
        message = "The request is malformed or too large (too many fields or files)."
        return JsonResponse(error_body("bad_request", message), status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        body = error_body("server_error", "The server failed on this request; it was logged.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
