"""Public registry pages: search, one EPD, compare up to four, verify a file. No JavaScript needed.

Thin views over the same functions as the API: queries.search() for the list, the Publication's signed
document for the figures, verify.verify_upload() for the verdict.
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from declarations import catalogue
from declarations.errors import DomainError

from . import documents, queries
from .api import MAX_VERIFY_BYTES
from .charts import gwp_by_module_svg
from .models import ArtefactName, RegistryEntry, RegistryStatus
from .pdf import format_value
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


def _category_label(code: str) -> str:
    category = catalogue.CATEGORY_BY_CODE.get(code)
    if category is None:
        return code
    return category.name_zh if get_language() == "zh-hans" and category.name_zh else category.name


def _route_label(code: str) -> str:
    return dict(catalogue.ProductionRoute.choices).get(code, code)


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
        errors = {f.field: f.message for f in error.findings}
        entries, ordering = RegistryEntry.objects.none(), queries.ORDERINGS[queries.DEFAULT_ORDERING]
    page = Paginator(entries.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    if not errors and not page.paginator.count:
        suggestions = [dict(s, link=_suggestion_link(given, s)) for s in queries.suggestions(query)]
    medians = {row["code"]: (row["gwp_a1a3_per_tonne"] or {}).get("p50") for row in category_statistics()}
    scale = max([float(e.gwp_a1a3_per_tonne or 0) for e in page] + [1.0])
    for entry in page:
        entry.category_label = _category_label(entry.category)
        entry.route_label = _route_label(entry.production_route)
        entry.bar_percent = round(100 * float(entry.gwp_a1a3_per_tonne or 0) / scale, 1)
        median = medians.get(entry.category)
        entry.median_percent = round(100 * median / scale, 1) if median and median <= scale else None
    keep = request.GET.copy()
    keep.pop("page", None)
    labels = {"category": _category_label, "production_route": _route_label, "country": str}
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
            "categories": [(c.code, _category_label(c.code)) for c in catalogue.CATEGORIES],
            "category_groups": queries.CATEGORY_GROUPS,
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
            "category_label": _category_label(entry.category),
            "route_label": _route_label(entry.production_route),
            "percentile": queries.category_percentile(entry),
            "chart": gwp_by_module_svg(document["results"], document["lca"]["declared_modules"]),
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


@require_GET
def compare(request):
    wanted = [value.strip() for value in request.GET.getlist("epd") if value.strip()]
    problems = []
    if len(wanted) > MAX_COMPARE:
        problems.append(_("Compare at most %(max)d EPDs at once; you picked %(count)d.") % {"max": MAX_COMPARE, "count": len(wanted)})
        wanted = wanted[:MAX_COMPARE]
    numbers = [w.split("@")[0] for w in wanted]
    found = {
        e.registration_number: e
        for e in RegistryEntry.objects.filter(registration_number__in=numbers, is_latest=True).select_related("publication")
    }
    entries = []
    for number in numbers:
        if number in found:
            entries.append(found[number])
        else:
            problems.append(_("No published EPD %(number)s.") % {"number": number[:40]})
    keys = [_comparison_key(e.publication.document) for e in entries]
    differences = [label for field, label in COMPARED_FIELDS if len({k[field] for k in keys}) > 1]
    lines = []
    for code in COMPARED_INDICATORS:
        indicator = catalogue.indicators().get(code)
        if indicator is None:
            continue
        values = [(e.publication.document["results"].get(code) or {}).get("A1-A3") for e in entries]
        if any(v is not None for v in values):
            lines.append({"code": code, "name": indicator.name, "unit": indicator.unit, "values": values})
    for entry, key in zip(entries, keys, strict=True):
        entry.key = key
        entry.category_label = _category_label(entry.category)
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
    return render(request, "registry/verify.html", {"answer": answer, "error": error}, status=status)
