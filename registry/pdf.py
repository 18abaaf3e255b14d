"""The published EPD as a bilingual (English / 简体中文) PDF, rendered by WeasyPrint from templates/pdf/.

Nothing is fetched from outside while rendering: the URL fetcher serves data: URIs only, fonts come
from fontconfig ("Noto Sans CJK SC", checked by registry.fonts) and WeasyPrint embeds subsets of them. The
output is a tagged PDF/A-3b that carries the published JSON documents as associated files. The same
document renders to the same bytes, so a re-run publish task produces an identical PDF.
"""

import base64
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache

import segno
from django.template.loader import get_template, render_to_string
from django.utils import translation
from weasyprint import CSS, HTML, Attachment
from weasyprint.document import Document
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from declarations import catalogue
from declarations.numbers import format_value

from .charts import gwp_by_module_svg
from .documents import standard_of
from .fonts import cjk_font_file
from .models import ARTEFACT_CONTENT_TYPES, ArtefactName

logger = logging.getLogger(__name__)

RESULT_GROUPS = (
    ("core impact", "Core environmental impact indicators", "核心环境影响指标"),
    ("additional impact", "Additional environmental impact indicators", "附加环境影响指标"),
    ("resource use", "Resource use", "资源使用"),
    ("waste", "Waste categories", "废物类别"),
    ("output flow", "Output flows", "输出流"),
)
# Archival PDF (ISO 19005-3) that may carry files: the signed JSON documents travel inside it. Tagged: a
# structure tree (headings, tables, figures with their titles as alternative text) for screen readers.
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}
# A last page filled less than this is a stub of a few lines or little more: the tighter layout is tried.
MIN_LAST_PAGE_FILL = 0.4
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PORTRAIT_MODULE_COLUMNS = 8
# The system-boundary table shows A1, A2, A3 one by one; "A1-A3" declares all three at once.
BOUNDARY_MODULES = tuple(code for code in catalogue.module_codes() if code != catalogue.AGGREGATED_PRODUCT_MODULE)
SCENARIO_PARAMETERS = {
    "distance_km": ("Distance", "运输距离", "km"),
    "vehicle": ("Vehicle", "运输工具", ""),
    "capacity_utilisation_percent": ("Capacity utilisation", "装载率", "%"),
    "collected_kg": ("Collected separately", "单独收集", "kg"),
    "recycled_kg": ("Recycled", "回收再利用", "kg"),
    "reused_kg": ("Reused", "再使用", "kg"),
    "landfilled_kg": ("Landfilled", "填埋", "kg"),
}


class ExternalResourceRefused(ValueError):
    """Raised by the URL fetcher for anything that is not an inline data: URI."""


class LocalOnlyFetcher(URLFetcher):
    """Serves data: URIs and refuses every other URL (http, https, file, ftp…); remembers what it refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"})
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.strip().lower().startswith("data:"):
            self.refused.append(url)
            raise ExternalResourceRefused(f"refused to fetch {url!r}: the EPD PDF loads nothing from outside")
        return super().fetch(url, headers)


_local = threading.local()


def _font_config() -> FontConfiguration:
    # Reusing the configuration keeps Pango's font cache warm between renders; Pango objects stay in one thread.
    if not hasattr(_local, "font_config"):
        _local.font_config = FontConfiguration()
    return _local.font_config


@cache
def _stylesheet_source(name: str) -> str:
    return get_template(f"pdf/{name}").template.source


def _stylesheet(name: str = "epd.css") -> CSS:
    stylesheets = _local.__dict__.setdefault("stylesheets", {})
    if name not in stylesheets:
        stylesheets[name] = CSS(string=_stylesheet_source(name), font_config=_font_config(), url_fetcher=LocalOnlyFetcher())
    return stylesheets[name]


def html_to_pdf(
    html: str,
    *,
    url_fetcher: LocalOnlyFetcher | None = None,
    embedded: Sequence["EmbeddedFile"] = (),
    embedded_at: datetime | None = None,
) -> bytes:
    """Render HTML with the EPD stylesheet as tagged PDF/A-3b, with `embedded` as its associated files (dated
    `embedded_at`, so the same input gives the same bytes); every resource other than a data: URI is refused.

    When the last page would hold only a few lines, the tighter stylesheet (epd-compact.css) is tried too and
    kept if it saves that page."""
    fetcher = url_fetcher or LocalOnlyFetcher()
    document = _layout(html, fetcher, compact=False)
    if len(document.pages) > 1 and last_page_fill(document) < MIN_LAST_PAGE_FILL:
        compact = _layout(html, fetcher, compact=True)
        if len(compact.pages) < len(document.pages):
            document = compact
    attachments = [file.as_attachment(fetcher, embedded_at or EPOCH) for file in embedded]
    pdf = document.write_pdf(**PDF_OPTIONS, attachments=attachments)
    if fetcher.refused:
        logger.warning("EPD PDF: refused to fetch %s", ", ".join(sorted(set(fetcher.refused))))
    return pdf


def _layout(html: str, fetcher: LocalOnlyFetcher, *, compact: bool) -> Document:
    stylesheets = [_stylesheet(), _stylesheet("epd-compact.css")] if compact else [_stylesheet()]
    return HTML(string=html, url_fetcher=fetcher).render(stylesheets=stylesheets, font_config=_font_config(), **PDF_OPTIONS)


def last_page_fill(document: Document) -> float:
    """How much of the last page's content area its content fills, from 0 to 1 (running headers and footers aside)."""
    page = document.pages[-1]._page_box  # WeasyPrint's laid-out boxes: no public API gives the content's extent
    top = bottom = page.content_box_y()
    pending = list(page.children)
    while pending:
        box = pending.pop()
        if isinstance(box, boxes.MarginBox):
            continue
        if isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.LineBox):
            pending.extend(box.children)
        else:
            bottom = max(bottom, box.position_y + box.margin_height())
    return (bottom - top) / page.height


@dataclass(frozen=True)
class EmbeddedFile:
    """A file inside the PDF, as a PDF/A-3 associated file of the whole document (ISO 19005-3, 6.8)."""

    name: str
    content: bytes
    mime_type: str
    relationship: str  # ISO 32000-2, 7.11.3: Data (what the pages were made from), Alternative, Source, Supplement
    description: str

    def as_attachment(self, fetcher: LocalOnlyFetcher, when: datetime) -> Attachment:
        # A data: URI carries the MIME type through WeasyPrint's fetcher into the embedded file's /Subtype.
        url = f"data:{self.mime_type};base64,{base64.b64encode(self.content).decode('ascii')}"
        return Attachment(
            url=url,
            url_fetcher=fetcher,
            name=self.name,
            description=self.description,
            created=when,
            modified=when,
            relationship=self.relationship,
        )


def machine_readable_files(full_json: bytes, openepd_json: bytes) -> list[EmbeddedFile]:
    """The published JSON documents, byte for byte as served and signed, to embed in the PDF: one archived
    file then carries both the human and the machine form of the EPD."""
    return [
        EmbeddedFile(
            name=ArtefactName.JSON.value,
            content=full_json,
            mime_type=ARTEFACT_CONTENT_TYPES[ArtefactName.JSON],
            relationship="Data",
            description="The platform's full JSON of this EPD, from which these pages are rendered (signed as epd.jws)",
        ),
        EmbeddedFile(
            name=ArtefactName.OPENEPD.value,
            content=openepd_json,
            mime_type=ARTEFACT_CONTENT_TYPES[ArtefactName.OPENEPD],
            relationship="Alternative",
            description="This EPD as an openEPD document (signed as openepd.jws)",
        ),
    ]


def render_pdf(document: dict, *, embedded: Sequence[EmbeddedFile] = ()) -> bytes:
    """The PDF of a published EPD, from the platform's full JSON document (registry.documents.build_document),
    carrying `embedded` (machine_readable_files) dated the day of issue.

    Refuses (MissingCJKFont) on a machine with no font for its Chinese text rather than print empty boxes."""
    cjk_font_file()
    issued = datetime.combine(date.fromisoformat(document["issued"]), time(), tzinfo=UTC)
    return html_to_pdf(render_to_string("pdf/epd.html", pdf_context(document)), embedded=embedded, embedded_at=issued)


def pdf_context(document: dict) -> dict:
    product, lca = document["product"], document["lca"]
    declared = _ordered_modules(lca["declared_modules"])
    groups = result_groups(document["results"], declared)
    return {
        "doc": document,
        "product": product,
        "manufacturer": document["manufacturer"],
        "lca": lca,
        "pcr": lca.get("pcr") or {},
        "verification": document.get("verification") or {},
        "category": catalogue.CATEGORY_BY_CODE.get(product.get("category", "")),
        "route": _route_labels(product.get("production_route")),
        "plants": [_joined(plant.get("name"), plant.get("city"), plant.get("country")) for plant in document.get("plants") or []],
        "data_period": " – ".join(day for day in lca.get("data_period") or [] if day),
        "declared": declared,
        "wide_results": len(declared) > PORTRAIT_MODULE_COLUMNS,
        "aggregated_product_stage": catalogue.AGGREGATED_PRODUCT_MODULE in declared,
        "not_declared": module_ranges([code for code in BOUNDARY_MODULES if not _is_declared(code, declared)]),
        "boundary": system_boundary(declared),
        "groups": groups,
        "disclaimers": _disclaimers(groups),
        "scenarios": scenarios(lca.get("scenarios") or {}),
        "chart": gwp_by_module_svg(document["results"], declared),
        "qr": qr_svg(document["links"]["registry"]),
        "gwp_unit": catalogue.indicators()["GWP-total"].unit,
        "epd_type": epd_type(declared),
        "standard": standard_of(document),
        "registrations": document.get("registrations_elsewhere") or [],
    }


def _joined(*parts: str | None) -> str:
    return ", ".join(part for part in parts if part)


def _ordered_modules(codes: list[str]) -> list[str]:
    order = {code: index for index, code in enumerate(catalogue.module_codes())}
    return sorted(codes, key=lambda code: order.get(code, len(order)))


def _is_declared(code: str, declared: list[str]) -> bool:
    if code in catalogue.INDIVIDUAL_PRODUCT_MODULES and catalogue.AGGREGATED_PRODUCT_MODULE in declared:
        return True
    return code in declared


def module_ranges(codes: list[str]) -> str:
    """Consecutive modules of one stage joined: A4, A5, B1 … B7 becomes "A4–A5, B1–B7"."""
    runs: list[list[str]] = []
    for code in codes:
        previous = runs[-1][-1] if runs else ""
        if previous[:1] == code[:1] and previous[1:].isdigit() and code[1:].isdigit() and int(code[1:]) == int(previous[1:]) + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


def epd_type(declared: list[str]) -> dict[str, str]:
    """The EN 15804+A2 type of EPD that the declared modules make."""
    optional = [code for code in BOUNDARY_MODULES if code[0] in "AB" and code not in catalogue.INDIVIDUAL_PRODUCT_MODULES]
    chosen = [code for code in optional if code in declared]
    end_of_life = all(code in declared for code in catalogue.MANDATORY_MODULES_BEYOND_GATE)
    if not end_of_life:
        return {"en": "Cradle to gate", "zh": "从摇篮到大门"}
    if chosen == optional:
        return {"en": "Cradle to grave and module D", "zh": "从摇篮到坟墓，含模块 D"}
    if chosen:
        return {
            "en": f"Cradle to gate with options ({', '.join(chosen)}), modules C1–C4 and D",
            "zh": "从摇篮到大门（含可选模块），含模块 C1–C4 和 D",
        }
    return {"en": "Cradle to gate with modules C1–C4 and D", "zh": "从摇篮到大门，含模块 C1–C4 和 D"}


def system_boundary(declared: list[str]) -> list[dict]:
    """Life-cycle stages in order, each with its modules marked declared (X) or not (MND)."""
    stages: list[dict] = []
    for code in BOUNDARY_MODULES:
        module = catalogue.modules()[code]
        if not stages or stages[-1]["name"] != module.stage:
            stages.append({"name": module.stage, "name_zh": module.stage_zh, "modules": []})
        stages[-1]["modules"].append({"module": module, "declared": _is_declared(code, declared)})
    return stages


def result_groups(results: dict, declared: list[str]) -> list[dict]:
    """Indicator rows per category with a cell per declared module; optional indicators only when given."""
    groups = []
    for category, title, title_zh in RESULT_GROUPS:
        rows = [
            _result_row(indicator, results.get(indicator.code) or {}, declared)
            for indicator in catalogue.indicators().values()
            if indicator.category == category and (indicator.mandatory or indicator.code in results)
        ]
        groups.append({"category": category, "title": title, "title_zh": title_zh, "rows": rows})
    return groups


def _result_row(indicator: catalogue.Indicator, row: dict, declared: list[str]) -> dict:
    cells = [{"module": module, "text": format_value(row.get(module)), "nd": row.get(module) is None} for module in declared]
    return {"indicator": indicator, "cells": cells, "disclaimer": None}


def _disclaimers(groups: list[dict]) -> list[dict]:
    """Each distinct disclaimer once, numbered as EN 15804+A2 numbers them (1 for IRP, 2 for the others)."""
    standard_order = [text for text in catalogue.rules()["disclaimers"].values() if isinstance(text, str)]
    rows = [row for group in groups for row in group["rows"]]
    texts = {row["indicator"].disclaimer for row in rows if row["indicator"].disclaimer}
    ordered = sorted(texts, key=lambda text: standard_order.index(text) if text in standard_order else len(standard_order))
    numbers = {text: number for number, text in enumerate(ordered, start=1)}
    for row in rows:
        row["disclaimer"] = numbers.get(row["indicator"].disclaimer)
    return [
        {"number": numbers[text], "text": text, "codes": [row["indicator"].code for row in rows if row["indicator"].disclaimer == text]}
        for text in ordered
    ]


def scenarios(raw: dict) -> list[dict]:
    """Scenario text and parameters per module, in life-cycle order."""
    rows = []
    for code in _ordered_modules([code for code, value in raw.items() if value]):
        value = raw[code]
        if isinstance(value, dict):
            description = str(value.get("description", ""))
            parameters = [_parameter(key, v) for key, v in value.items() if key != "description" and v not in (None, "")]
        else:
            description, parameters = str(value), []
        rows.append({"code": code, "module": catalogue.modules().get(code), "description": description, "parameters": parameters})
    return rows


def _parameter(key: str, value: object) -> dict:
    label, label_zh, unit = SCENARIO_PARAMETERS.get(key, (key.replace("_", " ").capitalize(), "", ""))
    return {"label": label, "label_zh": label_zh, "value": f"{value} {unit}".strip()}


def _route_labels(route: str | None) -> dict | None:
    if route not in catalogue.ProductionRoute.values:
        return None
    choice = catalogue.ProductionRoute(route)
    with translation.override("en"):
        english = str(choice.label)
    with translation.override("zh-hans"):
        chinese = str(choice.label)
    return {"en": english, "zh": chinese if chinese != english else ""}


def qr_svg(url: str) -> str:
    """The QR code of a URL as inline SVG (scaled by CSS; no size attributes)."""
    # The title is what a screen reader says for it (the figure's /Alt in the tagged PDF).
    return segno.make(url, error="m").svg_inline(scale=1, border=0, omitsize=True, dark="#1c2733", title=f"QR code of {url}")
