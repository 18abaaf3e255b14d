"""The "Declaration" sheet of the template, which bulk import reads: one workbook, one declaration."""

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .. import catalogue, imports, locations
from ..errors import InvalidFile
from ..validation import ERROR, Finding, declared_mass_kg, parse_value
from .grid import (
    XLSX_MAGIC,
    Formula,
    Grid,
    cell_name,
    check_size,
    find_sheet,
    formula_finding,
    norm,
    open_workbook,
    refuse_non_workbook,
    results_sheet_title,
    sheet_grid,
    text_of,
)
from .results import parse_results_grid
from .template import DECLARATION_FIELDS, DECLARATION_SHEET, DEFAULT_DECLARED_UNIT, FIELD_BY_KEY, DeclarationField


@dataclass
class WorkbookDeclaration:
    """One workbook of a bulk import: the declaration's fields, its plants and its results."""

    fields: dict[str, object]  # editing.EDITABLE_FIELDS names; "pcr" is the PCR's code
    plants: list[dict]
    results: "imports.ParsedResults"
    findings: list[Finding]  # about the Declaration sheet

    @property
    def all_findings(self) -> list[Finding]:
        return [*self.findings, *self.results.findings]


_YES = {"yes", "y", "true", "1", "是", "x"}
_NO = {"no", "n", "false", "0", "否", ""}


def _route_code(text: str) -> str | None:
    wanted = re.sub(r"[\s_\-]", "", text.lower())
    for value, label in catalogue.ProductionRoute.choices:
        if wanted in (re.sub(r"[\s_\-]", "", value), re.sub(r"[\s_\-]", "", str(label).split(" (")[0].lower())):
            return value
    return None


def _convert(spec: DeclarationField, raw: object, pcr_codes: Collection[str]) -> tuple[object, str | None]:
    """A Declaration-sheet value as the model wants it, or the problem in words."""
    text = text_of(raw)
    if spec.kind in ("text", "plant", "unit"):
        if len(text) > spec.max_length:
            return None, _("is longer than %(n)s characters") % {"n": spec.max_length}
        if spec.kind == "unit" and text and declared_mass_kg(text) is None:
            return None, _("“%(text)s” is not a mass; steel EPDs declare 1 t (or a number of kg or t)") % {"text": text[:40]}
        return text, None
    if not text:
        return None, None
    if spec.kind == "category":
        if text in catalogue.CATEGORY_BY_CODE:
            return text, None
        return None, _("“%(text)s” is not a category code; the codes are on sheet Lists (e.g. long.rebar, flat.hrc)") % {"text": text[:40]}
    if spec.kind == "route":
        code = _route_code(text)
        if code:
            return code, None
        return None, _("“%(text)s” is not a production route; use one of %(codes)s") % {
            "text": text[:40],
            "codes": ", ".join(catalogue.ProductionRoute.values),
        }
    if spec.kind == "pcr":
        if text in pcr_codes:
            return text, None
        return None, _("“%(text)s” is not a PCR of the catalogue; use one of %(codes)s") % {
            "text": text[:40],
            "codes": ", ".join(pcr_codes),
        }
    if spec.kind == "method":
        method = text.upper().replace("EF", "EF ").replace("  ", " ").strip()
        return (method, None) if method in ("EF 3.0", "EF 3.1") else (None, _("write EF 3.0 or EF 3.1"))
    if spec.kind == "list":
        return [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()][:30], None
    if spec.kind == "bool":
        if text.lower() in _YES:
            return True, None
        return (False, None) if text.lower() in _NO else (None, _("write yes or no"))
    if spec.kind == "country":
        if re.fullmatch(r"[A-Za-z]{2}", text):
            return text.upper(), None
        return None, _("use the two-letter ISO country code, e.g. CN or DE")
    if spec.kind == "olc":
        try:
            return locations.plus_code(text), None
        except ValueError as error:
            return None, str(error)
    if spec.kind == "date":
        if isinstance(raw, datetime.datetime):
            return raw.date(), None
        try:
            return datetime.date.fromisoformat(text), None
        except ValueError:
            return None, _("write the date as YYYY-MM-DD")
    number, problem = parse_value(raw)
    if problem:
        return None, problem
    if spec.kind == "year":
        if number is None or number != number.to_integral() or not 1990 <= number <= 2100:
            return None, _("write a year such as 2025")
        return int(number), None
    if spec.kind == "percent":
        if number is None or not 0 <= number <= 100:
            return None, _("write a percentage between 0 and 100")
        return number.quantize(Decimal("0.01")), None
    if spec.kind == "km":
        if number is None or not 0 <= number < 40000:
            return None, _("write a distance in kilometres")
        return number, None
    raise ValueError(spec.kind)


def _declaration_values(grid: Grid, pcr_codes: Collection[str]) -> tuple[dict[str, object], list[Finding]]:
    findings: list[Finding] = []
    values: dict[str, object] = {}
    where: dict[str, tuple[int, int]] = {}
    header = grid.rows[0] if grid.rows else []
    value_column = next((c for c, v in enumerate(header, start=1) if norm(v).startswith(("value", "值"))), 4)
    for row in range(2, len(grid.rows) + 1):
        key_value = grid.value(row, 1)
        key = text_of(key_value)
        if not key:
            continue
        spec = FIELD_BY_KEY.get(key)
        if spec is None:
            findings.append(
                Finding(
                    ERROR,
                    "field",
                    _("Cell %(cell)s: “%(key)s” is not a field of the template's Declaration sheet.")
                    % {"cell": cell_name(row, 1), "key": key[:40]},
                    row=row,
                    column="A",
                )
            )
            continue
        raw = grid.value(row, value_column)
        where[key] = (row, value_column)
        if isinstance(raw, Formula):
            findings.append(formula_finding(grid, row, value_column, raw))
            continue
        value, problem = _convert(spec, raw, pcr_codes)
        if problem:
            findings.append(
                Finding(
                    ERROR,
                    "field",
                    _("Cell %(cell)s (%(label)s): %(problem)s.")
                    % {"cell": cell_name(row, value_column), "label": spec.label, "problem": problem},
                    field=key,
                    row=row,
                    column=get_column_letter(value_column),
                )
            )
            continue
        values[key] = value
    for spec in DECLARATION_FIELDS:
        if spec.required and values.get(spec.key) in (None, ""):
            row, column = where.get(spec.key, (None, value_column))
            findings.append(
                Finding(
                    ERROR,
                    "field",
                    _("%(label)s is required (sheet “%(sheet)s”).") % {"label": spec.label, "sheet": grid.sheet},
                    field=spec.key,
                    row=row,
                    column=get_column_letter(column) if row else "",
                )
            )
    return values, findings


def _as_model_fields(values: dict[str, object]) -> tuple[dict[str, object], list[dict]]:
    fields = {k: v for k, v in values.items() if not k.startswith("plant_") and not k.endswith("_distance_km") and v not in (None, "")}
    scenarios = {
        module: {"description": "", "distance_km": float(values[key])}
        for module, key in (("A4", "a4_distance_km"), ("C2", "c2_distance_km"))
        if values.get(key) is not None
    }
    if scenarios:
        fields["scenarios"] = scenarios
    plants = []
    if values.get("plant_name") and values.get("plant_country"):
        plants.append(
            {
                "name": values["plant_name"],
                "country": values["plant_country"],
                "city": values.get("plant_city") or "",
                "olc": values.get("plant_olc") or "",
            }
        )
    return fields, plants


def read_declaration_workbook(name: str, content: bytes, *, pcr_codes: Collection[str]) -> WorkbookDeclaration:
    """One workbook of a bulk import: the Declaration sheet and the Results sheet, every problem collected."""
    check_size(content)
    if not content.strip():
        raise InvalidFile(_("“%(name)s” is empty.") % {"name": name[:100]})
    refuse_non_workbook(name, content)
    if not content.startswith(XLSX_MAGIC):
        raise InvalidFile(
            _("“%(name)s” is not an Excel workbook (.xlsx); bulk import reads the platform's XLSX template.") % {"name": name[:100]}
        )
    workbook = open_workbook(name, content)
    try:
        title = find_sheet(workbook.sheetnames, ("declaration", "声明"))
        if title is None:
            raise InvalidFile(
                _("“%(name)s” has no “%(sheet)s” sheet: use the platform's template.") % {"name": name[:100], "sheet": DECLARATION_SHEET}
            )
        declaration_grid = sheet_grid(workbook, title, name)
        results_grid = sheet_grid(workbook, results_sheet_title(workbook, name), name)
    finally:
        workbook.close()
    values, findings = _declaration_values(declaration_grid, pcr_codes)
    declared_unit = str(values.get("declared_unit") or "")
    results = parse_results_grid(results_grid, declared_unit=declared_unit or None)
    if not declared_unit:
        values["declared_unit"] = results.declared_unit or DEFAULT_DECLARED_UNIT
    fields, plants = _as_model_fields(values)
    return WorkbookDeclaration(fields=fields, plants=plants, results=results, findings=findings)
