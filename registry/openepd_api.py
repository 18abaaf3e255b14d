"""An openEPD read API: the paths, parameters and envelopes the `openepd` package's API client uses.

    client = OpenEpdApiClientSync("https://<registry>/api/openepd", auth_token=None)
    client.epds.get_by_openxpd_uuid("SE0007P1")                       # GET  /epds/{id}
    client.epds.find('!EC3 search("RebarSteel") !pragma oMF("1.0/1")')  # GET  /v2/epds/search?omf=…&page_number=…&page_size=…

A document is the openEPD JSON the platform signed at publication, byte for byte (Publication.openepd);
every published version keeps its own id (registry/openxpd.py), whatever its status.
Search lists valid, latest versions unless the filter asks for a status (registry/omf.py). The registry
is public: a token (`Authorization: Bearer <key>`, the API's own tokens) only raises the rate limit, and
a wrong one is a 401. Every request runs a fixed number of SQL queries, whatever the registry's size.
"""

import json
import math

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from openepd.api.dto.common import MAX_PAGE_SIZE
from openepd.model.epd import Epd
from rest_framework import exceptions
from rest_framework.request import Request

from declarations.api import ERROR_SCHEMA

from . import exports, omf, openxpd, queries
from .models import Publication, RegistryEntry
from .public import DETAIL_MAX_AGE, SEARCH_MAX_AGE, PublicView

DEFAULT_PAGE_SIZE = 100  # openepd.api.dto.common.DEFAULT_PAGE_SIZE, what the client asks for
# Always sent, whatever `fields` asks for: openepd's Epd model needs them to read the rest.
ALWAYS = ("id", "doctype", "openepd_version")
EPD_FIELDS = sorted({info.alias or name for name, info in Epd.model_fields.items()})
ORDERING = ("-published_at", "-id")


def _documents(rows: list[tuple[int, str]]) -> list[str]:
    """The openEPD JSON text of each (publication id, stored text) row; a publication from before openEPD
    ids has none stored, so its document is built (and validated) from the signed full JSON now."""
    missing = [pk for pk, text in rows if not text]
    built = {}
    if missing:
        for pk, document in Publication.objects.filter(pk__in=missing).values_list("pk", "document"):
            built[pk] = json.dumps(exports.openepd_document(document), ensure_ascii=False)
    return [text or built[pk] for pk, text in rows]


# ---------------------------------------------------------------- one EPD

EXAMPLE_EPD = {
    "id": "SE0007P0",
    "ref": "https://registry.steel-epd.example/api/openepd/epds/SE0007P0",
    "doctype": "openEPD",
    "openepd_version": "0.1",
    "product_name": "Reinforcing bar HRB400E",
    "version": 1,
    "date_of_issue": "2026-11-24T00:00:00Z",
    "valid_until": "2031-11-23T00:00:00Z",
    "declared_unit": {"qty": 1.0, "unit": "t"},
    "kg_per_declared_unit": {"qty": 1000.0, "unit": "kg"},
    "manufacturer": {"name": "Jiangnan Rebar Mill", "web_domain": "jiangnan-rebar.example"},
    "plants": [
        {
            "id": "8P3XRX88+MM.jiangnan-rebar.example",
            "name": "Changzhou EAF plant, Changzhou",
            "location": {"pluscode": "8P3XRX88+MM", "latlng": {"lat": 31.816688, "lng": 119.966688}, "country": "CN"},
        }
    ],
    "program_operator": {"name": "Steel EPD Platform", "web_domain": "registry.steel-epd.example"},
    "program_operator_doc_id": "EPD-STEEL-2026-000123",
    "program_operator_version": "1",
    "compliance": [{"short_name": "EN 15804+A2", "name": "EN 15804:2012+A2:2019"}, {"short_name": "ISO 14025", "name": "ISO 14025:2006"}],
    "pcr": {"name": "PCR 2019:14 Construction products", "issuer_doc_id": "PCR 2019:14", "version": "1.3.4"},
    "third_party_verifier": {"name": "Veritas Certification GmbH", "web_domain": "veritas-certification.example"},
    "product_classes": {"io.cqd.ec3": "Steel >> RebarSteel"},
    "impacts": {
        "EF 3.1": {
            "gwp": {"A1A2A3": {"mean": 620.0, "unit": "kgCO2e"}, "D": {"mean": -35.0, "unit": "kgCO2e"}},
            "ep-fresh": {"A1A2A3": {"mean": 0.0040, "unit": "kgPO4e"}},
        }
    },
    "ext": {
        "steel_epd_platform": {
            "registration_number": "EPD-STEEL-2026-000123",
            "version": 1,
            "unit_conversions": [
                {
                    "indicator": "EP-freshwater",
                    "openepd_key": "ep-fresh",
                    "declared_in": "kg P eq.",
                    "exported_in": "kgPO4e",
                    "factor": "3.07",
                }
            ],
        }
    },
}
ERROR_EXAMPLE = {"error": {"code": "invalid_query", "message": "omf: “Bananas” is not an openEPD category.", "findings": []}}


class EpdView(PublicView):
    max_age = DETAIL_MAX_AGE

    @extend_schema(
        operation_id="openepd_epd",
        summary="openEPD: one published version by its openEPD id",
        description=(
            "The openEPD document of one published version, the bytes that were signed (its JWS is the `openepd.jws` artefact of "
            "/api/v1/epds/{registration_number}/). Every version has its own id; superseded, expired, suspended "
            "and revoked versions are served too (their status: /api/v1/epds/{registration_number}/?version=N). "
            "The id may be given in any form the open xPD UUID library accepts (lower case, dashes, a checksum)."
        ),
        parameters=[
            OpenApiParameter(
                "openxpd_id",
                {"type": "string", "pattern": "^[0-9A-HJKMNP-UW-Z]{8}$", "minLength": 8, "maxLength": 8},
                location=OpenApiParameter.PATH,
                description="the version's openEPD id (open xPD UUID), e.g. SE0007P0",
            ),
            OpenApiParameter(
                "fields",
                {
                    "type": "array",
                    "items": {"type": "string", "enum": EPD_FIELDS},
                    "minItems": 1,
                    "maxItems": len(EPD_FIELDS),
                    "uniqueItems": True,
                },
                explode=False,
                description="only these top-level fields (id, doctype and openepd_version always), comma-separated",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA},
        examples=[
            OpenApiExample("openEPD document (abridged)", value=EXAMPLE_EPD, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "not an id",
                value=ERROR_EXAMPLE | {"error": {"code": "invalid_query", "message": "“x” is not an openEPD id."}},
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "no such version",
                value={"error": {"code": "not_found", "message": "No published EPD has the openEPD id SE0007P9."}},
                response_only=True,
                status_codes=["404"],
            ),
        ],
    )
    def get(self, request: Request, openxpd_id: str) -> HttpResponse:
        wanted = _fields(request.query_params.get("fields"))
        identifier = openxpd.canonical(openxpd_id)
        if identifier is None:
            raise queries.BadQuery.of("openxpd_id", _("“%(id)s” is not an openEPD id (open xPD UUID).") % {"id": openxpd_id[:40]})
        row = (
            RegistryEntry.objects.filter(openepd_id=identifier)
            .values_list("publication_id", "publication__openepd", "registration_number", "version")
            .first()
        )
        if row is None:
            raise exceptions.NotFound(_("No published EPD has the openEPD id %(id)s.") % {"id": identifier})
        (text,) = _documents([row[:2]])
        if wanted:
            document = json.loads(text)
            text = json.dumps({key: value for key, value in document.items() if key in wanted}, ensure_ascii=False)
        response = HttpResponse(text, content_type="application/json")
        number, version = row[2], row[3]
        api = f"{settings.SITE_URL}/api/v1/epds/{number}"
        signature = f'<{api}/openepd.jws?version={version}>; rel="alternate"; type="application/jose"'
        response["Link"] = f'<{api}/?version={version}>; rel="describedby", {signature}'
        return response


def _fields(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    names = {name.strip() for name in raw.split(",") if name.strip()}
    unknown = sorted(names - set(EPD_FIELDS))
    if not names or unknown:
        raise queries.BadQuery.of(
            "fields", _("fields takes names of openEPD EPD fields, comma-separated; not %(names)s.") % {"names": ", ".join(unknown) or "“”"}
        )
    return names | set(ALWAYS)


# ---------------------------------------------------------------- search


def _page_parameter(params, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isdigit() and 1 <= int(raw) <= maximum):
        raise queries.BadQuery.of(name, _("%(name)s must be a whole number from 1 to %(max)d.") % {"name": name, "max": maximum})
    return int(raw)


EXAMPLE_PAGE = {
    "payload": [EXAMPLE_EPD],
    "meta": {
        "paging": {"total_count": 1, "total_pages": 1, "page_size": 100},
        "material_filter": {
            "effective_omf": {
                "mf": '!EC3 search("RebarSteel") WHERE jurisdiction: IN("CN") !pragma oMF("1.0/1")',
                "mf_hash": "5b1b7cf4e4a1c8a8e43f0f1e2e0a5a7c1c4f9f3d",
            },
            "excluded_fields": None,
        },
        "warnings": None,
    },
}


class SearchView(PublicView):
    max_age = SEARCH_MAX_AGE

    @extend_schema(
        operation_id="openepd_epds_search",
        summary="openEPD: search published EPDs with an Open Material Filter",
        description=(
            "Pages of openEPD documents in openEPD's response envelope (`payload`, `meta.paging`, "
            "`meta.material_filter.effective_omf`), newest first; `X-Total-Count`, `X-Total-Pages` and "
            '`X-Page-Size` repeat the paging. The filter: `!EC3 search("<openEPD category>")`, optionally '
            "`WHERE` conditions joined by `AND` on " + ", ".join(f"`{name}` ({what})" for name, what in omf.FIELDS.items()) + "; "
            "`!pragma` directives are accepted. Valid, latest versions only unless `status` says otherwise."
        ),
        parameters=[
            OpenApiParameter(
                "omf",
                {"type": "string", "minLength": 1, "maxLength": omf.MAX_LENGTH},
                required=True,
                description='Open Material Filter, e.g. !EC3 search("RebarSteel") WHERE jurisdiction: IN("CN") !pragma oMF("1.0/1")',
            ),
            OpenApiParameter("page_number", {"type": "integer", "minimum": 1, "maximum": 10**6}, description="from 1; default 1"),
            OpenApiParameter(
                "page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, description=f"default {DEFAULT_PAGE_SIZE}"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR_SCHEMA},
        examples=[
            OpenApiExample("one page", value=EXAMPLE_PAGE, response_only=True, status_codes=["200"]),
            OpenApiExample("a filter the registry cannot read", value=ERROR_EXAMPLE, response_only=True, status_codes=["400"]),
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        page_number = _page_parameter(params, "page_number", 1, 10**6)
        page_size = _page_parameter(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        material_filter = omf.parse(params.get("omf", ""))
        selected = omf.entries(material_filter)
        total = selected.count()
        start = (page_number - 1) * page_size
        rows = list(selected.order_by(*ORDERING).values_list("publication_id", "publication__openepd")[start : start + page_size])
        meta = {
            "paging": {"total_count": total, "total_pages": math.ceil(total / page_size), "page_size": page_size},
            "material_filter": {
                "effective_omf": {"mf": material_filter.effective(), "mf_hash": material_filter.digest()},
                "excluded_fields": None,
            },
            "warnings": None,
        }
        body = '{"payload":[' + ",".join(_documents(rows)) + '],"meta":' + json.dumps(meta, ensure_ascii=False) + "}"
        response = HttpResponse(body, content_type="application/json")
        response["X-Total-Count"] = str(total)
        response["X-Total-Pages"] = str(meta["paging"]["total_pages"])
        response["X-Page-Size"] = str(page_size)
        return response


urlpatterns = [
    path("epds/<str:openxpd_id>", EpdView.as_view(), name="openepd-epd"),
    path("v2/epds/search", SearchView.as_view(), name="openepd-epds-search"),
]
