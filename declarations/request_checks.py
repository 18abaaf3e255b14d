"""Input no view should ever see: NUL characters (PostgreSQL text cannot hold them, so they surfaced as 500s
from whichever query met them first) and JSON nested deeper than any document of ours.

Both are refused where the request is read, once, with a 400 that says what was wrong: JSON under /api/,
an HTML page elsewhere.
"""

from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from .validation import ERROR, Finding

# Our deepest documents (openEPD, scenarios) nest about eight levels; this leaves room and stops recursion bombs.
MAX_JSON_DEPTH = 32


def json_problem(data: object) -> tuple[str, str | None] | None:
    """Walk parsed JSON without recursion: (message, field path) for the first string or key holding NUL, or
    (message, None) for the first value nested too deeply."""
    stack: list[tuple[object, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return _("The JSON body nests deeper than %(max)d levels at “%(path)s”.") % {"max": MAX_JSON_DEPTH, "path": path or "/"}, None
        if isinstance(value, str):
            if "\x00" in value:
                return _("“%(path)s” contains a NUL character (\\u0000), which no field accepts.") % {"path": path or "/"}, path
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return _("A key under “%(path)s” contains a NUL character (\\u0000).") % {"path": path or "/"}, path
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))
    return None


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested beyond MAX_JSON_DEPTH (the json module recurses once per level
    and raised RecursionError, a 500) and strings holding NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = self.load(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body nests deeper than %(max)d levels.") % {"max": MAX_JSON_DEPTH})
        problem = json_problem(data)
        if problem is None:
            return data
        message, field = problem
        if field is None:
            raise ParseError(message)
        raise ValidationError({field: [message]})  # names the field, like any other invalid value

    def load(self, stream, media_type=None, parser_context=None):
        return super().parse(stream, media_type, parser_context)


def _nul_in_request(request: HttpRequest) -> tuple[str, str] | None:
    """(message, field) for the first NUL found, the field being "" for the path."""
    if "\x00" in request.path:
        return _("The address contains a NUL character (\\u0000), which no field accepts."), ""
    # Percent-decoded as Django decodes it; parse_qsl is used rather than request.GET so nothing is cached early.
    for key, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            name = key.replace("\x00", "\\u0000")[:60]
            return _("The query parameter “%(name)s” contains a NUL character (\\u0000), which no field accepts.") % {"name": name}, name
    # Form posts to pages (the API's bodies are parsed by DRF, which refuses NUL above). Django's CSRF check
    # reads request.POST for these requests anyway, so reading it here costs nothing extra.
    if request.method == "POST" and not request.path.startswith("/api/") and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                name = key.replace("\x00", "\\u0000")[:60]
                return _("The form field “%(name)s” contains a NUL character (\\u0000), which no field accepts.") % {"name": name}, name
    return None


class RefuseNulMiddleware:
    """A NUL character in the path, the query string or a form is a 400 before any view or query runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _nul_in_request(request)
        if problem is None:
            return self.get_response(request)
        message, name = problem
        if request.path.startswith("/api/"):
            finding = Finding(ERROR, "field", message, field=name)
            return JsonResponse({"error": {"code": "invalid", "message": message, "findings": [finding.as_dict()]}}, status=400)
        return render(request, "bad_request.html", {"message": message}, status=400)

