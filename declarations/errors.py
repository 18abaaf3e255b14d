"""Domain exceptions and the one API error shape they map to.

Every error response of the API looks like
    {"error": {"code": "...", "message": "...", "findings": [{"severity", "check", "message", "field",
     "indicator", "module", "row", "column"}, ...]}}
so a client (or a mill's LCA engineer) reads one shape whatever went wrong.
"""

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .uploads import UploadTooLarge
from .validation import ERROR, Finding


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, findings: Iterable[Finding] = ()):
        super().__init__(message)
        self.message = message
        self.findings = list(findings)

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.findings:
            body["findings"] = [f.as_dict() for f in self.findings]
        return {"error": body}


class InvalidDeclaration(DomainError):
    """Input that cannot be saved or submitted; carries every finding, not just the first."""

    code = "invalid_declaration"

    def __init__(self, findings: Iterable[Finding], message: str | None = None):
        findings = list(findings)
        count = sum(1 for f in findings if f.severity == ERROR)
        super().__init__(message or _("%(count)d problem(s) to fix; nothing was saved.") % {"count": count}, findings)


class InvalidFile(DomainError):
    code = "invalid_file"


class FileTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"


class TransitionNotAllowed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "transition_not_allowed"


class TransitionForbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class NotEditable(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "not_editable"


def _field_findings(detail, prefix: str = "") -> list[Finding]:
    """Flatten DRF's nested serializer errors into findings that name the field."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if isinstance(key, int):  # list items, as DRF reports them for ListField and many=True
                out += _field_findings(value, f"{prefix}[{key}]")
                continue
            name = key if key != "non_field_errors" else ""
            out += _field_findings(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [Finding(ERROR, "field", str(item), field=prefix) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out += _field_findings(item, f"{prefix}[{index}]")
        return out
    return [Finding(ERROR, "field", str(detail), field=prefix)]


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, UploadTooLarge):
        return Response({"error": {"code": "file_too_large", "message": str(exc)}}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, RequestDataTooBig):  # raised by request.body, past DRF's own handling
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = _("The request body is larger than the %(limit).1f MB the API reads.") % {"limit": limit / 1e6}
        return Response({"error": {"code": "request_too_large", "message": message}}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"error": {"code": "bad_request", "message": str(exc)}}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        findings = _field_findings(exc.detail)
        message = findings[0].message if len(findings) == 1 else _("%(count)d problem(s) to fix.") % {"count": len(findings)}
        body = {"error": {"code": "invalid", "message": message, "findings": [f.as_dict() for f in findings]}}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"error": {"code": code, "message": str(detail)}}
    response.data = body
    return response


def not_found(request, exception=None):
    """Django's handler404: under /api/ an unknown path (or an id that cannot be one) gets the API's error
    shape as JSON, like any other 404 of the API, rather than the HTML page meant for browsers."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found.")}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's handler500 (DEBUG=False): under /api/ the API's error shape; the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "server_error", "message": _http_error_message(500)}}, status=500)
    return defaults.server_error(request)


# What a client reads in `code` for an error Django answered before (or instead of) DRF.
HTTP_ERROR_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "server_error",
}


def _http_error_message(status_code: int) -> str:
    messages = {
        400: _("The request is malformed."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
        500: _("The server failed to answer this request; the error is logged. Try again later."),
    }
    return messages.get(status_code, _("The request failed."))


class ApiErrorMiddleware:
    """Under /api/, an error answer that is not JSON (Django's 404 and 500 pages, its DEBUG pages, an empty
    405) becomes the API's error shape, in every mode. DRF's own errors are JSON already and pass through;
    the status and headers (Allow, CORS, Vary) stay as they were.

    Django's handler404/handler500 run only with DEBUG=False; with DEBUG=True it answers with its technical
    HTML pages, which a client of the API cannot read. The traceback is still logged (django.request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not isinstance(response, Response)  # DRF's: rendered as the client asked (JSON, or HTML for a browser)
            and not getattr(response, "streaming", False)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = HTTP_ERROR_CODES.get(response.status_code, "error")
            body = {"error": {"code": code, "message": _http_error_message(response.status_code)}}
            response.content = json.dumps(body, ensure_ascii=False).encode()
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
