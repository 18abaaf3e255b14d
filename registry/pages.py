"""Public registry pages: search, one EPD, compare up to four, verify a file. No JavaScript needed.

Thin views over the same functions as the API: queries.search() for the list, the Publication's signed
document for the figures, verify.verify_upload() for the verdict.
"""

from datetime import datetime
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from declarations import catalogue
from declarations.errors import DomainError
from declarations.numbers import format_value

from . import documents, queries
from .api import MAX_VERIFY_BYTES
from .charts import gwp_by_module_svg
from .models import ArtefactName, RegistryEntry, RegistryStatus
from .public import category_statistics
from .verify import verify_upload

PAGE_SIZE = 20
MAX_COMPARE = 4
DOWNLOADS = [
    (ArtefactName.PDF, "PDF"),
    (ArtefactName.JSON, "JSON"),
    (ArtefactName.JSON_SIGNATURE, "JWS"),
    (ArtefactName.OPENEPD, "openEPD"),
    (ArtefactName.OPENEPD_SIGNATURE, "openEPD JWS"),
    (ArtefactName.ILCD, "ILCD+EPD XML"),
    (ArtefactName.ILCD_ZIP, "ILCD+EPD ZIP"),
]


def _route_label(code: str) -> str:
    return dict(catalogue.ProductionRoute.choices).get(code, code)


SEARCH_LABELS = {
    "q": gettext_lazy("Search text"),
    "category": gettext_lazy("Category"),
    "country": gettext_lazy("Plant country (ISO code)"),
    "production_route": gettext_lazy("Production route"),
    "status": gettext_lazy("Status"),
    "valid_on": gettext_lazy("Valid on"),
    "gwp_a1a3_min": gettext_lazy("GWP A1-A3 minimum"),
    "gwp_a1a3_max": gettext_lazy("GWP A1-A3 maximum"),
    "recycled_content_min": gettext_lazy("Recycled content at least (%)"),
    "ordering": gettext_lazy("Sort by"),
}


def _labelled(parameter: str, message: str) -> str:
    """'gwp_a1a3_max must be a number …' as the form reads it: 'GWP A1-A3 maximum must be a number …'."""
    if message.startswith(parameter) and parameter in SEARCH_LABELS:
        return f"{SEARCH_LABELS[parameter]}{message[len(parameter) :]}"
    return message


@require_GET
def search(request):
    errors: dict[str, str] = {}
    given = {name: value for name, value in request.GET.items() if value.strip() and name != "page"}  # a form sends its empty fields
    facets, suggestions = {}, []
    try:
        query = queries.parse(given)
        entries, ordering = queries.ordered(query)
        facets = queries.facets(query)
    except DomainError as error:
        # The API names its parameters; a person reads the label of the field next to the message.
        errors = {f.field: _labelled(f.field, f.message) for f in error.findings}
        entries, ordering = RegistryEntry.objects.none(), queries.ORDERINGS[queries.DEFAULT_ORDERING]
    page = Paginator(entries.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    if not errors and not page.paginator.count:
        suggestions = [dict(s, link=_suggestion_link(given, s)) for s in queries.suggestions(query)]
    medians = {row["code"]: (row["gwp_a1a3_per_tonne"] or {}).get("p50") for row in category_statistics()}
    scale = max([float(e.gwp_a1a3_per_tonne or 0) for e in page] + [1.0])
    for entry in page:
        entry.category_label = catalogue.category_label(entry.category)
        entry.route_label = _route_label(entry.production_route)
        entry.bar_percent = round(100 * float(entry.gwp_a1a3_per_tonne or 0) / scale, 1)
        median = medians.get(entry.category)
        entry.median_percent = round(100 * median / scale, 1) if median and median <= scale else None
    keep = request.GET.copy()
    keep.pop("page", None)
    labels = {"category": catalogue.category_label, "production_route": _route_label, "country": str}
    facet_links = [
        (
            name,
            [
                {
                    **row,
                    "label": labels[name](row["value"]),
                    "link": _link(given, **{name: row["value"]}),
                    "chosen": given.get(name) == row["value"],
                }
                for row in rows
                if row["value"]
            ],
        )
        for name, rows in facets.items()
    ]
    return render(
        request,
        "registry/search.html",
        {
            "page": page,
            "params": request.GET,
            "query_string": keep.urlencode(),
            "errors": errors,
            "categories": [(c.code, catalogue.category_label(c.code)) for c in catalogue.CATEGORIES],
            "category_groups": [(g, catalogue.category_label(g)) for g in queries.CATEGORY_GROUPS if g in catalogue.CATEGORY_GROUP_NAMES],
            "routes": catalogue.ProductionRoute.choices,
            "statuses": RegistryStatus.choices,
            "orderings": [
                ("relevance", _("Best match (with words to search for)")),
                ("-published_at", _("Newest first")),
                ("gwp_a1a3_per_tonne", _("Lowest GWP per tonne")),
                ("-gwp_a1a3_per_tonne", _("Highest GWP per tonne")),
                ("-recycled_content", _("Most recycled content")),
                ("valid_until", _("Expiring soonest")),
                ("product_name", _("Product name")),
            ],
            "max_compare": MAX_COMPARE,
            "facets": facet_links,
            "suggestions": suggestions,
        },
        status=400 if errors else 200,
    )


def _link(given: dict, **changes: str | None) -> str:
    """The search page with some parameters changed (None leaves one out)."""
    params = {name: value for name, value in {**given, **changes}.items() if value}
    return f"?{urlencode(params)}"


def _suggestion_link(given: dict, suggestion: dict) -> str:
    if "q" in suggestion:
        return _link(given, q=suggestion["q"])
    return _link(given, **{suggestion["drop"]: None})


def _entry(number: str, version: str | None) -> RegistryEntry:
    entries = RegistryEntry.objects.select_related("publication", "superseded_by", "manufacturer")
    if version and version.isdigit() and len(version) < 7:
        entry = entries.filter(registration_number=number, version=int(version)).first()
    else:
        entry = entries.filter(registration_number=number, is_latest=True).first()
    if entry is None:
        raise Http404(_("No published EPD %(number)s.") % {"number": number})
    return entry


def result_rows(document: dict) -> tuple[list[str], list[dict]]:
    """The declared modules, and indicator rows in catalogue order: code, name, unit, a value per module (None = ND)."""
    declared = [m for m in catalogue.module_codes() if m in document["lca"]["declared_modules"]]
    rows = []
    chinese = get_language() == "zh-hans"
    for code, indicator in catalogue.indicators().items():
        values = document["results"].get(code)
        if not values:
            continue
        rows.append(
            {
                "code": code,
                "name": indicator.name_zh if chinese and indicator.name_zh else indicator.name,
                "unit": indicator.unit,
                "values": [format_value(values.get(module)) if values.get(module) is not None else None for module in declared],
            }
        )
    return declared, rows


@require_GET
def epd_page(request, registration_number: str):
    entry = _entry(registration_number, request.GET.get("version"))
    document = entry.publication.document
    declared, rows = result_rows(document)
    artefacts = {a.name: a for a in entry.publication.artefacts.all()}
    versions = RegistryEntry.objects.filter(registration_number=entry.registration_number).order_by("-version")
    return render(
        request,
        "registry/epd.html",
        {
            "entry": entry,
            "doc": document,
            "category_label": catalogue.category_label(entry.category),
            "route_label": _route_label(entry.production_route),
            "percentile": queries.category_percentile(entry),
            "chart": gwp_by_module_svg(
                document["results"],
                document["lca"]["declared_modules"],
                title=_("%(indicator)s (%(unit)s) by module")
                % {"indicator": "GWP-total", "unit": catalogue.indicators()["GWP-total"].unit},
            ),
            "declared": declared,
            "rows": rows,
            "downloads": [(name, label, artefacts.get(name)) for name, label in DOWNLOADS if name in artefacts],
            "versions": versions,
            "standard": documents.standard_of(document),
        },
    )


COMPARED_FIELDS = [
    ("pcr", _("PCR")),
    ("core_standard", _("core standard")),
    ("declared_modules", _("declared modules")),
    ("declared_unit", _("declared unit")),
]


# The core indicators shown side by side (A1-A3); the EPD pages have all of them.
COMPARED_INDICATORS = [
    "GWP-total", "GWP-fossil", "GWP-biogenic", "ODP", "AP", "EP-freshwater", "POCP",
    "ADP-minerals&metals", "ADP-fossil", "WDP", "PENRT", "SM", "FW",
]  # fmt: skip


def _comparison_key(document: dict) -> dict:
    pcr = document["lca"].get("pcr") or {}
    return {
        "pcr": pcr.get("code") or "",
        "core_standard": pcr.get("core_standard") or "",
        "declared_modules": ", ".join(document["lca"]["declared_modules"]),
        "declared_unit": document["lca"]["declared_unit"],
    }


def _ticked(wish: str) -> RegistryEntry | None:
    """`EPD-…@2` is that version, exactly as ticked (a superseded one too); a bare number is the latest."""
    number, _at, version = wish.partition("@")
    entries = RegistryEntry.objects.select_related("publication").filter(registration_number=number)
    if version:
        return entries.filter(version=int(version)).first() if version.isdigit() and len(version) < 7 else None
    return entries.filter(is_latest=True).first()


@require_GET
def compare(request):
    wanted = [value.strip() for value in request.GET.getlist("epd") if value.strip()]
    problems = []
    if len(wanted) > MAX_COMPARE:
        problems.append(_("Compare at most %(max)d EPDs at once; you picked %(count)d.") % {"max": MAX_COMPARE, "count": len(wanted)})
        wanted = wanted[:MAX_COMPARE]
    entries = []
    for wish in wanted:
        entry = _ticked(wish)
        if entry is None:
            problems.append(_("No published EPD %(number)s.") % {"number": wish[:40]})
        else:
            entries.append(entry)
    keys = [_comparison_key(e.publication.document) for e in entries]
    differences = [label for field, label in COMPARED_FIELDS if len({k[field] for k in keys}) > 1]
    lines = []
    for code in COMPARED_INDICATORS:
        indicator = catalogue.indicators().get(code)
        if indicator is None:
            continue
        values = [(e.publication.document["results"].get(code) or {}).get("A1-A3") for e in entries]
        if any(v is not None for v in values):
            shown = [format_value(v) if v is not None else None for v in values]
            lines.append({"code": code, "name": indicator.name, "unit": indicator.unit, "values": shown})
    for entry, key in zip(entries, keys, strict=True):
        entry.key = key
        entry.pcr_name = (entry.publication.document["lca"].get("pcr") or {}).get("name") or key["pcr"]
        entry.category_label = catalogue.category_label(entry.category)
        entry.route_label = _route_label(entry.production_route)
    return render(
        request,
        "registry/compare.html",
        {"entries": entries, "problems": problems, "differences": differences, "lines": lines, "max_compare": MAX_COMPARE},
        status=400 if problems and not entries else 200,
    )


@require_http_methods(["GET", "POST"])
def verify_page(request):
    answer, error = None, ""
    if request.method == "POST":
        document, signature = request.FILES.get("document"), request.FILES.get("signature")
        if document is None:
            error = _("Choose the EPD file to check (a PDF, or a JSON with its signature).")
        elif any(f is not None and f.size > MAX_VERIFY_BYTES for f in (document, signature)):
            error = _("The file is larger than %(limit)d MB; an EPD is much smaller.") % {"limit": MAX_VERIFY_BYTES // 1_000_000}
        else:
            answer = verify_upload(document.read(), signature.read() if signature else None)
    status = 400 if error else 200
    context = {"answer": answer, "error": error, "verdict": verdict_of(answer) if answer else None}
    return render(request, "registry/verify.html", context, status=status)


# How the verify page leads: the EPD's status is the headline, authenticity the line below it.
VERDICT_TONES = {
    RegistryStatus.VALID: "good",
    RegistryStatus.SUSPENDED: "bad",
    RegistryStatus.REVOKED: "bad",
    RegistryStatus.EXPIRED: "warn",
    RegistryStatus.SUPERSEDED: "warn",
}


def verdict_of(answer) -> dict:
    """The headline, its tone (good, warn, bad) and the registry entry behind an answer of verify_upload()."""
    if not answer.authentic or answer.registration_number is None:
        return {"tone": "bad", "headline": _("Not authentic"), "entry": None}
    entry = (
        RegistryEntry.objects.select_related("superseded_by")
        .filter(registration_number=answer.registration_number, version=answer.version)
        .first()
    )
    status = answer.status or (entry.status if entry else RegistryStatus.VALID)
    headlines = {
        RegistryStatus.VALID: _("Authentic and valid"),
        RegistryStatus.SUSPENDED: _("Suspended: do not rely on this EPD"),
        RegistryStatus.REVOKED: _("Revoked: this EPD is withdrawn"),
        RegistryStatus.EXPIRED: _("Expired: this EPD is no longer valid"),
        RegistryStatus.SUPERSEDED: _("Superseded: a newer version replaces this one"),
    }
    latest = None
    if status != RegistryStatus.VALID:
        latest = RegistryEntry.objects.filter(registration_number=answer.registration_number, is_latest=True).first()
    return {
        # The database disagreeing with the log is an alarm whatever the status: the log's status is shown.
        "tone": "bad" if answer.integrity_error else VERDICT_TONES.get(status, "warn"),
        "headline": headlines.get(status, status),
        "status": status,
        "status_label": RegistryStatus(status).label if status in RegistryStatus.values else status,
        "entry": entry,
        "latest": latest if latest and latest.version != answer.version else None,
        # When the time-stamping authority saw the signature, for people: to the second, in UTC.
        "timestamped_at": datetime.fromisoformat(answer.timestamped_at) if answer.timestamped_at else None,
    }
