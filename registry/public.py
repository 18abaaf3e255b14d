"""The public registry API (PRODUCT.md "Public registry API"): read-only, no account.

Search, one EPD (latest or ?version=N), its versions and documents, categories with GWP percentiles,
manufacturers, the change feed (JSON and Atom) and the nightly bulk export. Each endpoint runs a fixed
number of SQL queries whatever the data size (tests count them).
"""

import base64
import functools
import json
import os
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from declarations import catalogue
from declarations.api import ERROR_SCHEMA

from . import api_examples, queries, transparency
from .models import (
    ARTEFACT_CONTENT_TYPES,
    Artefact,
    ArtefactName,
    LogEntry,
    LogEvent,
    LogState,
    Publication,
    RegistryEntry,
    RegistryStatus,
)
from .throttles import RateLimited

SEARCH_MAX_AGE, DETAIL_MAX_AGE, IMMUTABLE_MAX_AGE = 60, 300, 31_536_000
PERCENTILES = (10, 25, 50, 75, 90)
EXPORT_PATH = "exports/epds.jsonl.gz"


class PublicView(RateLimited):
    permission_classes = [permissions.AllowAny]
    max_age = SEARCH_MAX_AGE

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.has_header("Cache-Control"):
            response["Cache-Control"] = f"public, max-age={self.max_age}"
        return response


def site(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def entry_links(number: str, version: int | None = None) -> dict[str, str]:
    query = f"?version={version}" if version else ""
    return {
        "self": site(f"/api/v1/epds/{number}/{query}"),
        "registry": site(f"/epds/{number}/{query}"),
        "pdf": site(f"/api/v1/epds/{number}/document.pdf{query}"),
    }


def decimal_or_none(value) -> float | None:
    return float(value) if value is not None else None


def entry_summary(entry: RegistryEntry) -> dict:
    return {
        "registration_number": entry.registration_number,
        "version": entry.version,
        "product": {"name": entry.product_name, "name_zh": entry.product_name_zh},
        "manufacturer": {"id": entry.manufacturer_id, "name": entry.manufacturer_name},
        "country": entry.country,
        "category": entry.category,
        "production_route": entry.production_route,
        "pcr": entry.pcr_code,
        "declared_unit": entry.declared_unit,
        "gwp_a1a3": decimal_or_none(entry.gwp_a1a3),
        "gwp_a1a3_per_tonne": decimal_or_none(entry.gwp_a1a3_per_tonne),
        "recycled_content": decimal_or_none(entry.recycled_content),
        "published_at": entry.published_at,
        "valid_until": entry.valid_until,
        "status": entry.status,
        "links": entry_links(entry.registration_number, None if entry.is_latest else entry.version),
    }


ENTRY_SCHEMA = inline_serializer(
    "RegistryEntry",
    {
        "registration_number": serializers.CharField(),
        "version": serializers.IntegerField(),
        "product": inline_serializer("EntryProduct", {"name": serializers.CharField(), "name_zh": serializers.CharField()}),
        "manufacturer": inline_serializer("EntryManufacturer", {"id": serializers.IntegerField(), "name": serializers.CharField()}),
        "country": serializers.CharField(),
        "category": serializers.CharField(),
        "production_route": serializers.CharField(),
        "pcr": serializers.CharField(),
        "declared_unit": serializers.CharField(),
        "gwp_a1a3": serializers.FloatField(allow_null=True, help_text="GWP-total A1-A3, kg CO2 eq. per declared unit"),
        "gwp_a1a3_per_tonne": serializers.FloatField(allow_null=True, help_text="kg CO2 eq. per tonne of steel"),
        "recycled_content": serializers.FloatField(allow_null=True, help_text="%"),
        "published_at": serializers.DateTimeField(),
        "valid_until": serializers.DateField(),
        "status": serializers.ChoiceField(choices=RegistryStatus.values),
        "links": serializers.DictField(child=serializers.URLField()),
    },
)


INVALID_CURSOR = gettext_lazy("The cursor is not valid; start again from the first page.")


class CheckedCursor(pagination.CursorPagination):
    """Cursor paging where a forged cursor is the client's fault (a 400 naming `cursor`) and nothing else is:
    a database error while the page is read stays a logged 500, not a misleading "cursor is not valid"."""

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A position is compared with column values in SQL; a control character (NUL) would be PostgreSQL's error.
        if cursor and cursor.position and any(ord(c) < 32 or c == "\x7f" for c in cursor.position):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def page_of(self, queryset, request, view) -> list:
        try:
            return self.paginate_queryset(queryset, request, view=view)
        # DRF raises NotFound for a cursor it cannot decode; Django raises ValueError, TypeError or ValidationError
        # for a position that is no value of the ordering field.
        except (exceptions.NotFound, ValueError, TypeError, DjangoValidationError) as error:
            raise bad_cursor() from error


class Cursor(CheckedCursor):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = queries.MAX_PAGE_SIZE
    ordering = queries.ORDERINGS[queries.DEFAULT_ORDERING]

    def get_ordering(self, request, queryset, view):
        return view.ordering


NO_CONTROL_CHARACTERS = r"^[^\u0000-\u001f\u007f]+$"
STATUS_LIST = "(" + "|".join(RegistryStatus.values) + ")"


def text_parameter(name: str, max_length: int, description: str, **schema) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NO_CONTROL_CHARACTERS, **schema},
        description=description,
    )


NUMBER_BOUND = {"type": "number", "minimum": -(10**12), "maximum": 10**12}
SEARCH_PARAMETERS = [
    text_parameter(
        "q",
        queries.MAX_TEXT,
        "words that must all match, in any order, English or Chinese: product names, manufacturer, category and its "
        "synonyms, production route, grade, standard, registration number (see docs/api.md); ordered by relevance unless "
        "`ordering` says otherwise",
    ),
    OpenApiParameter(
        "category",
        # A one-level code ("prestressing") is its own group: listed once, as OpenAPI wants enums unique.
        {"type": "string", "enum": list(dict.fromkeys([c.code for c in catalogue.CATEGORIES] + queries.CATEGORY_GROUPS))},
        description="a category code (see /api/v1/categories/) or a group such as long",
    ),
    OpenApiParameter(
        "country",
        {"type": "string", "minLength": 2, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"},
        description="plant country, ISO 3166 alpha-2",
    ),
    OpenApiParameter("production_route", str, enum=queries.ROUTES),
    OpenApiParameter("manufacturer", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, description="manufacturer id"),
    text_parameter("pcr", 60, "PCR code, e.g. en17662"),
    OpenApiParameter(
        "status",
        {"type": "string", "minLength": 3, "maxLength": 80, "pattern": f"^(any|{STATUS_LIST}(,{STATUS_LIST})*)$"},
        description="valid (default), any, or a comma-separated list of statuses",
    ),
    OpenApiParameter("valid_on", OpenApiTypes.DATE),
    OpenApiParameter("gwp_a1a3_min", NUMBER_BOUND, description="kg CO2 eq. per declared unit"),
    OpenApiParameter("gwp_a1a3_max", NUMBER_BOUND),
    OpenApiParameter("recycled_content_min", {"type": "number", "minimum": 0, "maximum": 100}, description="%"),
    OpenApiParameter("published_after", OpenApiTypes.DATETIME),
    OpenApiParameter("published_before", OpenApiTypes.DATETIME),
    OpenApiParameter("ordering", str, enum=list(queries.ORDERINGS)),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 100}, description="default 20"),
]


SUGGESTION_SCHEMA = inline_serializer(
    "SearchSuggestion",
    {
        "drop": serializers.CharField(required=False, help_text="the parameter to leave out: q (one word of it) or a filter"),
        "value": serializers.CharField(required=False, help_text="the word or filter value to leave out"),
        "correct": serializers.CharField(required=False, help_text="a word of q that looks misspelt"),
        "to": serializers.CharField(required=False, help_text="what it may have meant"),
        "q": serializers.CharField(required=False, help_text="q with the word left out or corrected"),
        "count": serializers.IntegerField(required=False, help_text="how many EPDs the search finds without it"),
    },
)
FACET_SCHEMA = inline_serializer("FacetValue", {"value": serializers.CharField(), "count": serializers.IntegerField()})


class FacetsView(PublicView):
    @extend_schema(
        operation_id="epds_facets",
        examples=api_examples.FACETS,
        summary="How the matches of a search divide by category, production route and country",
        description="Takes the parameters of the search (ordering and page_size are accepted and ignored). "
        "When the search finds nothing, `suggestions` says which word or filter to drop, or which word to correct.",
        parameters=SEARCH_PARAMETERS,
        responses={
            200: inline_serializer(
                "EpdFacets",
                {
                    "count": serializers.IntegerField(help_text="how many EPDs the search finds"),
                    "facets": inline_serializer(
                        "Facets",
                        {name: type(FACET_SCHEMA)(many=True) for name in queries.FACETS},
                    ),
                    "suggestions": type(SUGGESTION_SCHEMA)(many=True),
                },
            ),
            400: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        query = queries.parse(request.query_params)
        facets = queries.facets(query)
        count = sum(row["count"] for row in facets["category"])
        return Response({"count": count, "facets": facets, "suggestions": [] if count else queries.suggestions(query)})


class SearchView(PublicView):
    @extend_schema(
        operation_id="epds_search",
        examples=api_examples.SEARCH,
        summary="Search published EPDs",
        parameters=SEARCH_PARAMETERS,
        responses={
            200: inline_serializer(
                "EpdPage",
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": type(ENTRY_SCHEMA)(many=True),
                    "suggestions": type(SUGGESTION_SCHEMA)(many=True),
                },
            ),
            400: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        query = queries.parse(request.query_params)
        if query.words:
            body = text_page(request, query)
        else:
            entries, self.ordering = queries.ordered(query)
            paginator = Cursor()
            page = paginator.page_of(entries, request, self)
            body = {"next": paginator.get_next_link(), "previous": paginator.get_previous_link(), "results": page}
        body["results"] = [entry_summary(e) for e in body["results"]]
        # Only a search that finds nothing pays for suggestions (a few counts).
        body["suggestions"] = queries.suggestions(query) if not body["results"] and "cursor" not in request.query_params else []
        return Response(body)


def bad_cursor() -> queries.BadQuery:
    return queries.BadQuery.of("cursor", INVALID_CURSOR)


def text_page(request: Request, query: queries.Query) -> dict:
    """A page of a search with words: the cursor holds the [tier, value of the ordering field, id] of the last
    entry shown (tiers of relevance; one tier in other orders). Only forward: `previous` is null."""
    size = int(request.query_params.get("page_size") or Cursor.page_size)
    field = queries.ordering_field(query)
    after = None
    if "cursor" in request.query_params:
        try:
            tier, value, pk = json.loads(base64.urlsafe_b64decode(request.query_params["cursor"].encode()))
            after = (int(tier), None if value is None else field.to_python(value), int(pk))
        except (ValueError, TypeError, UnicodeError, DjangoValidationError) as error:
            raise bad_cursor() from error
        if isinstance(after[1], datetime) and after[1].tzinfo is None:
            raise bad_cursor()
    rows = queries.text_page(query, after, size + 1)
    following = None
    if len(rows) > size:
        tier, last = rows[size - 1]
        value = field.value_to_string(last) if getattr(last, field.attname) is not None else None
        cursor = base64.urlsafe_b64encode(json.dumps([tier, value, last.pk]).encode()).decode()
        following = replace_query_param(request.build_absolute_uri(), "cursor", cursor)
    return {"next": following, "previous": None, "results": [entry for _tier, entry in rows[:size]]}


# The artefacts of the entry as a JSON array of [name, sha256, size, log_index, file], by name.
ARTEFACTS_JSON = {
    "postgresql": "(SELECT CAST(json_agg(json_build_array(a.name, a.sha256, a.size, a.log_index, a.file) ORDER BY a.name) AS TEXT)"
    " FROM {artefact} a WHERE a.publication_id = p.id)",
    "sqlite": "(SELECT json_group_array(json_array(a.name, a.sha256, a.size, a.log_index, a.file))"
    " FROM (SELECT * FROM {artefact} WHERE publication_id = p.id ORDER BY name) a)",
}


@functools.cache
def entry_sql(vendor: str, by_version: bool) -> str:
    tables = {
        "entry": RegistryEntry._meta.db_table,
        "publication": Publication._meta.db_table,
        "artefact": Artefact._meta.db_table,
        "log": LogState._meta.db_table,
    }
    # The entry's fields by name, not e.*: on PostgreSQL the row also holds the search vector (registry/search.py).
    columns = ", ".join(f"e.{f.column}" for f in RegistryEntry._meta.concrete_fields)
    return (
        "SELECT " + columns + ", CAST(p.document AS TEXT) AS document_text, s.version AS superseded_by_version,"
        " (SELECT tree_size FROM {log} WHERE id = 1) AS log_size, " + ARTEFACTS_JSON[vendor] + " AS artefacts_json"
        " FROM {entry} e JOIN {publication} p ON p.id = e.publication_id LEFT JOIN {entry} s ON s.id = e.superseded_by_id"
        " WHERE e.registration_number = %s AND " + ("e.version = %s" if by_version else "e.is_latest = %s")
    ).format(**tables)


def find_entry(number: str, version_param: str | None) -> RegistryEntry:
    """The entry of `number` (latest, or ?version=N), with `document_text` (the signed document as the
    database's JSON text), `superseded_by_version`, `log_size` and `artefacts` as (name, sha256, size,
    log_index, file) tuples.

    The single EPD is the registry's hottest read (PRODUCT.md: p99 at most 25 ms). Profiled, compiling ORM
    queries cost more CPU than running them, so this is one hand-written statement, written once per
    database vendor, instead of three ORM queries."""
    if version_param in (None, ""):
        by_version, value = False, True
    elif not str(version_param).isdigit() or len(version_param) > 6:
        raise queries.BadQuery.of("version", _("version must be a whole number from 1."))
    else:
        by_version, value = True, int(version_param)
    found = list(RegistryEntry.objects.raw(entry_sql(connection.vendor, by_version), [number, value]))
    if not found:
        raise Http404(
            _("No published EPD %(number)s%(version)s.")
            % {"number": number, "version": f" version {version_param}" if version_param else ""}
        )
    entry = found[0]
    entry.artefacts = [tuple(row) for row in json.loads(entry.artefacts_json or "[]")]
    return entry


REGISTRATION_NUMBER_PARAMETER = OpenApiParameter(
    "registration_number",
    {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[^/]+$"},
    OpenApiParameter.PATH,
    description="e.g. EPD-STEEL-2026-000123",
)
VERSION_PARAMETER = OpenApiParameter(
    "version", {"type": "integer", "minimum": 1, "maximum": 999999}, description="a version number; default the latest"
)


class DetailView(PublicView):
    max_age = DETAIL_MAX_AGE

    @extend_schema(
        operation_id="epds_detail",
        examples=api_examples.DETAIL,
        summary="One EPD: the signed document, its status now, artefacts and its place in its category",
        parameters=[REGISTRATION_NUMBER_PARAMETER, VERSION_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA},
    )
    def get(self, request: Request, registration_number: str) -> HttpResponse:
        entry = find_entry(registration_number, request.query_params.get("version"))
        query = f"?version={entry.version}"
        body = {
            **entry_summary(entry),
            "status_reason": entry.status_reason,
            "status_changed_at": entry.status_changed_at,
            "is_latest": entry.is_latest,
            "superseded_by": {
                "version": entry.superseded_by_version,
                "links": entry_links(entry.registration_number, entry.superseded_by_version),
            }
            if entry.superseded_by_version
            else None,
            "category_percentile": queries.category_percentile(entry, log_size=entry.log_size),
            "artefacts": [
                {
                    "name": name,
                    "sha256": sha256,
                    "size": size,
                    "content_type": ARTEFACT_CONTENT_TYPES[name],
                    "url": site(f"/api/v1/epds/{entry.registration_number}/{name}{query}"),
                    "log_index": log_index,
                    "inclusion_proof": site(f"/api/v1/log/proof/inclusion?leaf_index={log_index}"),
                }
                for name, sha256, size, log_index, _file in entry.artefacts
            ],
        }
        # {"…": …, "document": <stored JSON>}: the biggest part of the answer is neither parsed nor re-encoded.
        head = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
        response = HttpResponse(f'{head[:-1]},"document":{entry.document_text}}}', content_type="application/json")
        response["Last-Modified"] = http_date(max(entry.status_changed_at, entry.published_at).timestamp())
        return response


class VersionsView(PublicView):
    @extend_schema(
        operation_id="epds_versions",
        examples=api_examples.VERSIONS,
        parameters=[REGISTRATION_NUMBER_PARAMETER],
        summary="The version history of an EPD",
        responses={200: type(ENTRY_SCHEMA)(many=True), 404: ERROR_SCHEMA},
    )
    def get(self, request: Request, registration_number: str) -> Response:
        versions = list(RegistryEntry.objects.filter(registration_number=registration_number).order_by("-version"))
        if not versions:
            raise Http404(_("No published EPD %(number)s.") % {"number": registration_number})
        return Response([{**entry_summary(v), "links": entry_links(v.registration_number, v.version)} for v in versions])


class DocumentView(PublicView):
    @extend_schema(
        operation_id="epds_document",
        examples=api_examples.DOCUMENTS,
        summary="Download a published artefact (PDF, JSON, JWS, openEPD, ILCD)",
        parameters=[
            REGISTRATION_NUMBER_PARAMETER,
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=ArtefactName.values, description="which artefact"),
            VERSION_PARAMETER,
        ],
        responses={
            **{
                (200, content_type): OpenApiTypes.OBJECT if content_type == "application/json" else OpenApiTypes.BINARY
                for content_type in sorted(set(ARTEFACT_CONTENT_TYPES.values()))
            },
            404: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request, registration_number: str, name: str):
        version = request.query_params.get("version")
        entry = find_entry(registration_number, version)
        artefact = next((a for a in entry.artefacts if a[0] == name), None)
        if artefact is None:
            raise Http404(_("This EPD has no %(name)s.") % {"name": name})
        _name, sha256, _size, _log_index, file = artefact
        if request.headers.get("If-None-Match", "").strip('"') == sha256:
            return HttpResponse(status=304)
        response = FileResponse(default_storage.open(file, "rb"), content_type=ARTEFACT_CONTENT_TYPES[name])
        response["Content-Disposition"] = f'attachment; filename="{entry.registration_number}-v{entry.version}-{name}"'
        response["ETag"] = f'"{sha256}"'
        response["Digest"] = f"sha-256={sha256}"
        # A numbered version never changes; "the latest" does when a new version is published.
        response["Cache-Control"] = f"public, max-age={IMMUTABLE_MAX_AGE}, immutable" if version else f"public, max-age={DETAIL_MAX_AGE}"
        return response


def category_statistics() -> list[dict]:
    """Count and GWP A1-A3 per tonne percentiles of valid EPDs per category; cached until the log grows."""
    key = f"registry:categories:{transparency.current_size()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = RegistryEntry.objects.filter(status=RegistryStatus.VALID, is_latest=True, gwp_a1a3_per_tonne__isnull=False)
    values: dict[str, list[float]] = {}
    for category, value in rows.order_by("category", "gwp_a1a3_per_tonne").values_list("category", "gwp_a1a3_per_tonne").iterator(5000):
        values.setdefault(category, []).append(float(value))
    result = []
    for category in catalogue.CATEGORIES:
        series = values.get(category.code, [])
        result.append(
            {
                "code": category.code,
                "name": category.name,
                "name_zh": category.name_zh,
                "count": len(series),
                "gwp_a1a3_per_tonne": {f"p{p}": round(percentile(series, p), 1) for p in PERCENTILES} if series else None,
            }
        )
    cache.set(key, result, 300)  # and at most five minutes old (bulk loads do not touch the log)
    return result


def percentile(sorted_values: list[float], p: int) -> float:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    position = (len(sorted_values) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@extend_schema(
    summary="Steel product categories with counts and GWP A1-A3 percentiles (kg CO2 eq. per tonne)",
    examples=api_examples.CATEGORIES,
    responses=inline_serializer(
        "CategoryStatistics",
        {
            "code": serializers.CharField(),
            "name": serializers.CharField(),
            "name_zh": serializers.CharField(),
            "count": serializers.IntegerField(),
            "gwp_a1a3_per_tonne": inline_serializer(
                "GwpPercentiles", {f"p{p}": serializers.FloatField() for p in PERCENTILES}, allow_null=True
            ),
        },
        many=True,
    ),
)
class CategoriesView(PublicView):
    max_age = DETAIL_MAX_AGE

    def get(self, request: Request) -> Response:
        return Response(category_statistics())


class ManufacturerPage(CheckedCursor):
    page_size = 50
    ordering = ("name", "id")


@extend_schema(
    summary="Manufacturers with published EPDs",
    examples=api_examples.MANUFACTURERS,
    parameters=[text_parameter("q", queries.MAX_TEXT, "text in the name")],
    responses={200: OpenApiTypes.OBJECT, 400: ERROR_SCHEMA},
)
class ManufacturersView(PublicView):
    def get(self, request: Request) -> Response:
        from accounts.models import Organization

        reader = queries._Reader(request.query_params)
        text = reader.text("q")
        if reader.findings:
            raise queries.BadQuery(_("Some search parameters are wrong."), reader.findings)
        makers = Organization.objects.filter(registry_entries__isnull=False)
        if text:
            makers = makers.filter(Q(name__icontains=text) | Q(name_zh__icontains=text))
        makers = makers.annotate(
            valid_epds=Count("registry_entries", filter=Q(registry_entries__status=RegistryStatus.VALID, registry_entries__is_latest=True))
        ).distinct()
        paginator = ManufacturerPage()
        page = paginator.page_of(makers, request, self)
        return paginator.get_paginated_response(
            [
                {
                    "id": m.pk,
                    "name": m.name,
                    "name_zh": m.name_zh,
                    "country": m.country,
                    "valid_epds": m.valid_epds,
                    "links": {"epds": site(f"/api/v1/epds/?manufacturer={m.pk}")},
                }
                for m in page
            ]
        )


CHANGES_PAGE = 100
CHANGES_FILTERS = ("since", "after", "page_size")


def _log_index(reader: queries._Reader, name: str) -> int | None:
    raw = reader.text(name, 20)
    if not raw:
        return None
    if not (raw.isdigit() and int(raw) <= 2**62):
        reader.problem(name, _("%(name)s must be a log index (a whole number).") % {"name": name})
        return None
    return int(raw)


def changes(params) -> tuple[list[LogEntry], dict[str, dict[str, str]]]:
    """One page of status events (publication, new version, supersession, suspension, revocation, expiry,
    reinstatement) from the log, newest first: those at or after time `since` and after log index `after`,
    older than log index `before`, at most `page_size`. With it, the query of the pages around it (RFC 5005
    paged feed): `first`, `next` (older events) when there are more, and `previous` (newer events) unless this
    is the first page. Every event is on exactly one page of a walk from `first` along `next`, as the log only
    grows at the new end."""
    reader = queries._Reader(params)
    since = reader.moment("since")
    after = _log_index(reader, "after")
    before = _log_index(reader, "before")
    size_text = reader.text("page_size", 3)
    if size_text and not (size_text.isdigit() and 1 <= int(size_text) <= CHANGES_PAGE):
        reader.problem("page_size", _("page_size must be a whole number from 1 to %(max)d.") % {"max": CHANGES_PAGE})
    if reader.findings:
        raise queries.BadQuery(_("Some parameters are wrong."), reader.findings)
    size = int(size_text) if size_text else CHANGES_PAGE
    events = LogEntry.objects.filter(artefact=ArtefactName.JSON)
    if after is not None:
        events = events.filter(index__gt=after)
    if since:
        events = events.filter(logged_at__gte=since)
    window = events.filter(index__lt=before) if before is not None else events
    page = list(window.order_by("-index")[: size + 1])
    filters = {name: params[name] for name in CHANGES_FILTERS if params.get(name)}
    links = {"first": filters}
    if len(page) > size:
        page = page[:size]
        links["next"] = {**filters, "before": str(page[-1].index)}
    if before is not None:
        newer = list(events.filter(index__gte=before).order_by("index").values_list("index", flat=True)[: size + 1])
        links["previous"] = {**filters, "before": str(newer[size])} if len(newer) > size else filters
    return page, links


def change_item(event: LogEntry) -> dict:
    kind = "new_version" if event.event == "published" and event.version > 1 else event.event
    return {
        "log_index": event.index,
        "at": event.logged_at,
        "event": kind,
        "registration_number": event.registration_number,
        "version": event.version,
        "links": entry_links(event.registration_number, event.version),
    }


def page_links(path: str, links: dict[str, dict[str, str]]) -> dict[str, str]:
    return {rel: site(path + (f"?{urlencode(query)}" if query else "")) for rel, query in links.items()}


def link_header(urls: dict[str, str]) -> str:
    """RFC 8288 Link header of the paging links, for clients that page by headers (and CORS exposes it)."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in urls.items())


CHANGE_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="events at or after this time"),
    OpenApiParameter(
        "after",
        {"type": "integer", "minimum": 0, "maximum": 2**62},
        description="events after this log index: give the newest `log_index` you have seen to get only what is new",
    ),
    OpenApiParameter(
        "before",
        {"type": "integer", "minimum": 0, "maximum": 2**62},
        description="events before this log index; the `next` link sets it, you rarely need to",
    ),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": CHANGES_PAGE}, description=f"default {CHANGES_PAGE}"),
]
CHANGE_EXAMPLE = {
    "log_index": 41,
    "at": "2026-11-02T08:15:00Z",
    "event": "new_version",
    "registration_number": "EPD-STEEL-2026-000123",
    "version": 2,
    "links": entry_links("EPD-STEEL-2026-000123", 2),
}


@extend_schema_view(
    get=extend_schema(
        operation_id="changes_list",
        summary="Feed of publications, new versions and status changes, newest first",
        description="Pages newest first; follow `next` (older events) to the end to see each event once. To poll, keep "
        "the newest `log_index` you have seen and ask `?after=` it next time. The same pages are in the `Link` header, "
        "and as Atom at changes.atom.",
        parameters=CHANGE_PARAMETERS,
        responses={
            200: inline_serializer(
                "ChangePage",
                {
                    "next": serializers.URLField(allow_null=True, help_text="older events"),
                    "previous": serializers.URLField(allow_null=True, help_text="newer events; null on the first page"),
                    "results": inline_serializer(
                        "Change",
                        {
                            "log_index": serializers.IntegerField(min_value=0),
                            "at": serializers.DateTimeField(),
                            "event": serializers.ChoiceField(choices=["new_version", *LogEvent.values]),
                            "registration_number": serializers.CharField(),
                            "version": serializers.IntegerField(min_value=1),
                            "links": serializers.DictField(child=serializers.URLField()),
                        },
                        many=True,
                    ),
                },
            ),
            400: ERROR_SCHEMA,
        },
        examples=[
            OpenApiExample(
                "A page",
                value={"next": site("/api/v1/changes/?before=41"), "previous": None, "results": [CHANGE_EXAMPLE]},
                response_only=True,
            )
        ],
    )
)
class ChangesView(PublicView):
    def get(self, request: Request) -> Response:
        page, links = changes(request.query_params)
        urls = page_links("/api/v1/changes/", links)
        response = Response({"next": urls.get("next"), "previous": urls.get("previous"), "results": [change_item(event) for event in page]})
        response["Link"] = link_header(urls)
        return response


class PagedAtomFeed(Atom1Feed):
    """Django's Atom feed with RFC 5005 paging links (first, next, previous) at feed level."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        for rel, url in self.feed["paging"].items():
            handler.addQuickElement("link", "", {"rel": rel, "href": url, "type": self.content_type.split(";")[0]})


ATOM_EXAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Steel EPD registry: changes</title>\
<link href="https://epd.example.org/" rel="alternate"/><link href="https://epd.example.org/api/v1/changes.atom" rel="self"/>\
<id>https://epd.example.org/api/v1/changes.atom</id><updated>2026-11-02T08:15:00+00:00</updated>\
<author><name>Steel EPD Platform</name><uri>https://epd.example.org</uri></author>\
<link rel="first" href="https://epd.example.org/api/v1/changes.atom" type="application/atom+xml"/>\
<link rel="next" href="https://epd.example.org/api/v1/changes.atom?before=41" type="application/atom+xml"/>\
<entry><title>EPD-STEEL-2026-000123 v2: new_version</title>\
<link href="https://epd.example.org/epds/EPD-STEEL-2026-000123/?version=2" rel="alternate"/>\
<published>2026-11-02T08:15:00+00:00</published><updated>2026-11-02T08:15:00+00:00</updated>\
<id>https://epd.example.org/api/v1/log/entries?start=41&amp;end=41</id>\
<summary type="html">EPD-STEEL-2026-000123 version 2: new_version (2026-11-02 08:15 UTC)</summary></entry></feed>
"""


@extend_schema_view(
    get=extend_schema(
        operation_id="changes_atom",
        summary="The change feed as Atom (RFC 4287), newest first, paged (RFC 5005)",
        description="The same events and pages as changes/: `first`, `next` and `previous` links at feed level.",
        parameters=CHANGE_PARAMETERS,
        responses={
            (200, "application/atom+xml"): OpenApiResponse(
                OpenApiTypes.STR, examples=[OpenApiExample("A page", value=ATOM_EXAMPLE, media_type="application/atom+xml")]
            ),
            400: ERROR_SCHEMA,
        },
    )
)
class ChangesAtomView(PublicView):
    def get(self, request: Request):
        page, links = changes(request.query_params)
        path = "/api/v1/changes.atom"
        operator = settings.PROGRAMME_OPERATOR
        feed = PagedAtomFeed(
            title="Steel EPD registry: changes",
            link=site("/"),
            description="Publications, new versions and status changes of steel EPDs",
            feed_url=site(path + (f"?{urlencode(request.query_params)}" if request.query_params else "")),
            feed_guid=site(path),  # one feed, whichever page: its id does not change with the query
            author_name=operator["name"],
            author_link=operator["website"],
            language="en",
            paging=page_links(path, links),
        )
        for event in page:
            item = change_item(event)
            feed.add_item(
                title=f"{event.registration_number} v{event.version}: {item['event']}",
                link=item["links"]["registry"],
                description=f"{event.registration_number} version {event.version}: {item['event']} ({event.logged_at:%Y-%m-%d %H:%M} UTC)",
                unique_id=f"{site('/api/v1/log/entries')}?start={event.index}&end={event.index}",
                updateddate=event.logged_at,
                pubdate=event.logged_at,
            )
        response = HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)
        response["Link"] = link_header(feed.feed["paging"])
        return response


EXPORT_MISSING = gettext_lazy(
    "There is no export yet. The beat task registry.tasks.export_registry writes it every night at 01:00 UTC; "
    "to make one now, run `python manage.py export_registry` on the server."
)


@extend_schema_view(
    get=extend_schema(
        operation_id="exports_epds",
        summary="Nightly bulk export: JSON Lines (gzip) of every valid EPD, latest version",
        description="Replaced whole, never in place: a download is always one complete export. `ETag` and "
        "`Last-Modified` change with each export; send `If-None-Match` (or `If-Modified-Since`) to get a 304 when "
        "you have it already.",
        responses={
            (200, "application/gzip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                examples=[
                    OpenApiExample(
                        "One line per EPD (shown uncompressed)",
                        value='{"registration_number": "EPD-STEEL-2026-000123", "version": 2, "…": "…", "document": {"…": "…"}}\n',
                        media_type="application/gzip",
                    )
                ],
            ),
            304: OpenApiResponse(description="Not modified: your copy (If-None-Match / If-Modified-Since) is current"),
            404: ERROR_SCHEMA,
        },
    )
)
class ExportView(PublicView):
    max_age = DETAIL_MAX_AGE

    def get(self, request: Request):
        try:
            handle = default_storage.open(EXPORT_PATH, "rb")
        except FileNotFoundError:
            raise exceptions.NotFound(EXPORT_MISSING) from None
        # The open file is one export whatever replaces the path meanwhile; its inode, time and size name it.
        stat = os.fstat(handle.fileno())
        response = FileResponse(handle, content_type="application/gzip")
        response["Content-Disposition"] = 'attachment; filename="epds.jsonl.gz"'
        response["ETag"] = f'"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        response["Last-Modified"] = http_date(stat.st_mtime)
        response["Cache-Control"] = f"public, max-age={self.max_age}"
        conditional = get_conditional_response(request, etag=response["ETag"], last_modified=int(stat.st_mtime), response=response)
        if conditional is not response:
            handle.close()  # the file only: HttpResponse.close() would signal the end of the request
        return conditional
