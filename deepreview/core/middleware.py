"""Page-wide middleware: ApplicationError rendered for pages, the Content-Security-Policy."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from deepreview.core.errors import ApplicationError
from deepreview.core.exceptions import error_body


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        if request.path.startswith(("/api/", "/files/")):
            body = error_body(exception.code, exception.message, exception.fields)
            return JsonResponse(body, status=exception.status)
        response = TemplateResponse(
            request, "web/error.html", {"error": exception}, status=exception.status
        )
        return response.render()


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.CONTENT_SECURITY_POLICY`` on every response that has none.

    Scripts come only from this site (no inline script: page data travels in
    ``json_script`` blocks, which are not executed), so an injected ``<script>`` or
    ``onerror=`` cannot run even if escaping ever failed somewhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
