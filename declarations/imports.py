"""Readers that turn what a mill sends — JSON, spreadsheets, openEPD, ILCD+EPD — into result cells.

A reader only reads: it reports what it could not read as findings that name the row and column
(or JSON field), and leaves every rule about the values to `validation.validate()`, which
`editing.replace_results()` runs on whatever the reader produced.
"""

import datetime
import json
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _

from . import catalogue
from .errors import FileTooLarge, InvalidFile
from .request_checks import MAX_JSON_DEPTH, json_problem
from .validation import ERROR, INFO, WARNING, Finding, ResultCell, is_module_not_declared, json_number, parse_value

METHODS = ("EF 3.0", "EF 3.1")


@dataclass
class Stated:
    """What a file states about the declaration beyond its results: field → value, and field → where it says so.

    Only what the file states is here; nothing has a default. Fields and their values:
    product_name (English, else the first given), product_name_zh, description: str; other_names: {language: name}
    for the languages other than English and Chinese; declared_unit: str the platform reads ("1 t", "1000 kg"), only
    when the results are per that unit; reference_year: int; data_period_start, data_period_end,
    original_issue_date (the issue at the other programme), valid_until: datetime.date; pcr: models.PCR of the
    catalogue, and always pcr_named: str, the PCR as the file names it; characterisation_method: "EF 3.0" or "EF 3.1",
    only as the file declares it (the evidence of its indicators is ParsedResults.method_evidence);
    registrations_elsewhere: [{"programme_operator", "registration_number", and when known "verifier", "url"}];
    lca_practitioner, lca_software, background_database: str; scenarios: {module: {"description", "distance_km"?}};
    plants: [{"name", and when known "country" (ISO alpha-2), "city", "olc"}]; production_route: a
    catalogue.ProductionRoute value; recycled_content: Decimal percent;
    manufacturer: str, the EPD's owner as the file names it (ILCD owner of the data set, openEPD manufacturer), to
    compare with the organisation importing it.
    `where` is a path in the file: XPath-like for ILCD (as findings name places), a JSON path for openEPD.
    """

    values: dict[str, object] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: object, where: str) -> None:
        """Record `value` (replacing an earlier one); None, "" and empty containers are not statements and are ignored."""
        if value is None or (isinstance(value, str | list | dict | tuple | set) and not value):
            return
        self.values[name] = value
        self.where[name] = where


@dataclass
class ParsedResults:
    cells: list[ResultCell] = field(default_factory=list)
    declared_modules: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    declared_unit: str = ""  # as the file states it, when it does (the spreadsheet's "Declared unit" cell)
    stated: Stated = field(default_factory=Stated)
    # ("EF 3.0" / "EF 3.1", where): the methods whose own indicator identifiers the results use, one place each.
    method_evidence: list[tuple[str, str]] = field(default_factory=list)

    added: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)  # (indicator, module) of cells
    respelled: set[str] = field(default_factory=set, repr=False, compare=False)  # module spellings noted already

    def module(self, raw: object, path: str) -> str | None:
        """The EN 15804 module `raw` names ("A1–A3" is A1-A3); another spelling than the code is noted once per file."""
        code = catalogue.module_code(raw)
        if code is not None and raw != code and raw not in self.respelled:
            self.respelled.add(str(raw))
            self.findings.append(respelled_module(str(raw), code, field=path))
        return code

    def add_once(self, cell: ResultCell, path: str) -> None:
        """Keep `cell`, or report it (at `path`) when its indicator and module were given already."""
        if (cell.indicator, cell.module) in self.added:
            self.findings.append(
                Finding(
                    ERROR,
                    "value",
                    _("%(code)s in %(module)s is given twice.") % {"code": cell.indicator, "module": cell.module},
                    field=path,
                    indicator=cell.indicator,
                    module=cell.module,
                )
            )
            return
        self.added.add((cell.indicator, cell.module))
        self.cells.append(cell)


def check_method(parsed: ParsedResults) -> None:
    """Warn when the declared characterisation method is not the one the results' indicator identifiers belong to."""
    declared = parsed.stated.values.get("characterisation_method")
    for method, where in parsed.method_evidence:
        if declared and method != declared:
            parsed.findings.append(
                Finding(
                    WARNING,
                    "method",
                    _(
                        "The file declares %(declared)s (%(declared_where)s), but its results use %(method)s indicators (%(where)s). "
                        "Check which characterisation factors the EPD was calculated with."
                    )
                    % {
                        "declared": declared,
                        "declared_where": parsed.stated.where["characterisation_method"],
                        "method": method,
                        "where": where,
                    },
                    field=where,
                )
            )


# ---------------------------------------------------------------- helpers of the readers of metadata

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_of(text: object) -> datetime.date | None:
    """The date an ISO date or date-time ("2020-05-06", "2020-05-06T00:00:00Z") gives, None for anything else."""
    if isinstance(text, datetime.datetime):
        return text.date()
    if isinstance(text, datetime.date):
        return text
    match = _ISO_DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def labelled_date(text: str, labels: str) -> datetime.date | None:
    """The ISO date after one of `labels` (a regex alternation) in free text: "Registration date: 2020-05-06"."""
    match = re.search(rf"(?:{labels})\s*[:=]?\s*(\d{{4}}-\d{{2}}-\d{{2}})", text or "", re.IGNORECASE)
    return date_of(match.group(1)) if match else None


def mass_unit_text(kg: Decimal) -> str:
    """A declared unit the platform reads, for a mass in kg: 1000 → "1 t", 2000 → "2 t", 1 → "1 kg", 0.5 → "0.5 kg"."""
    if kg >= 1000 and kg % 1000 == 0:
        return f"{(kg / 1000).normalize():f} t"
    return f"{kg.normalize():f} kg"


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or an exponent: 97.00 → 97, 1E+2 → 100."""
    value = value.normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))


def distance_km(text: str) -> int | float | None:
    """The one distance in km a scenario's text gives ("Truck, 100 km to the scrap yard" → 100); None if none or several."""
    found = {Decimal(n.replace(",", ".")) for n in re.findall(r"(\d+(?:[.,]\d+)?)\s*km\b", text or "")}
    if len(found) != 1:
        return None
    (value,) = found
    return int(value) if value == value.to_integral_value() else float(value)


def respelled_module(given: str, module: str, **where) -> Finding:
    return Finding(
        INFO,
        "module",
        _("“%(given)s” was read as module %(module)s, as EN 15804 writes it.") % {"given": given[:40], "module": module},
        **where,
    )


def declared_modules_of(cells: list[ResultCell], not_declared: set[str]) -> list[str]:
    """Modules with at least one cell, minus those marked MND, in catalogue order."""
    present = {c.module for c in cells} - not_declared
    return [m for m in catalogue.module_codes() if m in present]


def read_json_results(data: object) -> ParsedResults:
    """The API's JSON: {"results": [{"indicator", "module", "value", "unit"?}, ...] or
    {"GWP-total": {"A1-A3": "2150", ...}, ...}, "declared_modules": [...]?}.

    A value of "MND" marks the module as not declared; null or "ND" is "not declared" for that indicator.
    """
    parsed = ParsedResults()
    if not isinstance(data, dict) or "results" not in data:
        parsed.findings.append(Finding(ERROR, "format", _("Send an object with a “results” list or matrix."), field="results"))
        return parsed
    raw = data["results"]
    entries: list[tuple[str, object, object, object, str]] = []  # indicator, module, value, unit, field path
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            path = f"results[{index}]"
            if not isinstance(item, dict):
                parsed.findings.append(
                    Finding(ERROR, "format", _("Each result is an object with indicator, module and value."), field=path)
                )
                continue
            entries.append((item.get("indicator"), item.get("module"), item.get("value"), item.get("unit"), path))
    elif isinstance(raw, dict):
        for code, row in raw.items():
            if not isinstance(row, dict):
                parsed.findings.append(
                    Finding(ERROR, "format", _("Give %(code)s as an object of module: value.") % {"code": code}, field=f"results.{code}")
                )
                continue
            unit = row.get("unit")
            for module, value in row.items():
                if module != "unit":
                    entries.append((code, module, value, unit, f"results.{code}.{module}"))
    else:
        parsed.findings.append(Finding(ERROR, "format", _("“results” must be a list or an object."), field="results"))
        return parsed

    not_declared: set[str] = set()
    for code, raw_module, value, unit, path in entries:
        indicator = catalogue.indicator_by_identity(str(code)) if isinstance(code, str) else None
        if indicator is None:
            parsed.findings.append(
                Finding(
                    ERROR,
                    "P22",
                    _("“%(code)s” is not an EN 15804+A2 indicator code (use e.g. GWP-total, PENRT, or its ILCD UUID).") % {"code": code},
                    field=path,
                )
            )
            continue
        module = parsed.module(raw_module, path)
        if module is None:
            parsed.findings.append(
                Finding(
                    ERROR,
                    "module",
                    _("“%(module)s” is not an EN 15804 module (A1-A3, A4, A5, B1-B7, C1-C4, D).") % {"module": raw_module},
                    field=path,
                    indicator=indicator.code,
                )
            )
            continue
        if is_module_not_declared(value):
            not_declared.add(module)
            continue
        number, problem = parse_value(value)
        if problem:
            parsed.findings.append(
                Finding(
                    ERROR,
                    "value",
                    _("%(code)s in %(module)s: %(problem)s.") % {"code": indicator.code, "module": module, "problem": problem},
                    field=path,
                    indicator=indicator.code,
                    module=module,
                )
            )
            continue
        parsed.add_once(ResultCell(indicator.code, module, number, unit=str(unit or ""), field=path), path)

    explicit = data.get("declared_modules")
    named = [parsed.module(m, "declared_modules") for m in explicit] if isinstance(explicit, list) else []
    if explicit is None:
        parsed.declared_modules = declared_modules_of(parsed.cells, not_declared)
    elif isinstance(explicit, list) and None not in named:
        parsed.declared_modules = [m for m in catalogue.module_codes() if m in named]
    else:
        parsed.findings.append(
            Finding(
                ERROR,
                "module",
                _('“declared_modules” must list EN 15804 module codes, e.g. ["A1-A3", "C1", "C2", "C3", "C4", "D"].'),
                field="declared_modules",
            )
        )
    return parsed


# ---------------------------------------------------------------- files: the format is read from the bytes, not the name

ILCD_MARKERS = (b"lca.jrc.it/ILCD", b"iai.kit.edu/EPD", b"indata.network/EPD")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def _display(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1][:100]


def _zip_kind(name: str, content: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" in names:
                return "xlsx"
            xml_names = [n for n in names if n.lower().endswith(".xml")]
            if any("processes/" in n.lower() for n in xml_names):
                return "ilcd"
            for member in xml_names[:20]:
                with archive.open(member) as stream:
                    if any(marker in stream.read(4096) for marker in ILCD_MARKERS):
                        return "ilcd"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        raise InvalidFile(_("“%(name)s” is a damaged ZIP file.") % {"name": _display(name)})
    raise InvalidFile(
        _("“%(name)s” is a ZIP archive, but neither an Excel workbook (.xlsx) nor an ILCD+EPD archive.") % {"name": _display(name)}
    )


def sniff_format(name: str, content: bytes) -> str:
    """Which reader a file needs (xlsx, ilcd, json or csv), told by its content; the name only sharpens the errors."""
    if content.startswith(ZIP_MAGICS):
        return _zip_kind(name, content)
    head = content[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        if any(marker in head for marker in ILCD_MARKERS):
            return "ilcd"
        raise InvalidFile(_("“%(name)s” is an XML file, but not an ILCD+EPD data set.") % {"name": _display(name)})
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"%PDF"):
        raise InvalidFile(
            _(
                "“%(name)s” is a PDF. Import the results as the spreadsheet template, openEPD JSON or ILCD+EPD; "
                "attach the PDF as the LCA report."
            )
            % {"name": _display(name)}
        )
    return "csv"  # the spreadsheet reader refuses binary files and .xlsx names that are not workbooks


def _read_json_file(name: str, content: bytes, *, declared_unit: str, take_declared_unit: bool = False) -> ParsedResults:
    try:
        data = json.loads(content.decode("utf-8-sig"), parse_float=json_number)  # 2.40 keeps its digits
    except UnicodeDecodeError:
        raise InvalidFile(_("“%(name)s” is not UTF-8 encoded JSON.") % {"name": _display(name)})
    except RecursionError:
        raise InvalidFile(_("“%(name)s” nests deeper than %(max)d levels.") % {"name": _display(name), "max": MAX_JSON_DEPTH})
    except json.JSONDecodeError as exc:
        raise InvalidFile(
            _("“%(name)s” is not valid JSON: %(problem)s at line %(line)s, column %(column)s.")
            % {"name": _display(name), "problem": exc.msg, "line": exc.lineno, "column": exc.colno},
            [Finding(ERROR, "format", exc.msg, row=exc.lineno, column=str(exc.colno))],
        )
    # Nesting past any document of ours, or NUL (PostgreSQL cannot store it): refused as the API refuses a body.
    problem = json_problem(data)
    if problem is not None:
        message, path = problem
        raise InvalidFile(
            _("“%(name)s” cannot be imported: %(problem)s") % {"name": _display(name), "problem": message},
            [Finding(ERROR, "format", message, field=path or "")],
        )
    if not isinstance(data, dict):
        raise InvalidFile(_("“%(name)s” must hold one JSON object (an openEPD document).") % {"name": _display(name)})
    if "results" in data and "impacts" not in data:
        # The platform's own JSON: the API's results body, or a published EPD's full document (epd.json).
        modules = data.get("declared_modules")
        if modules is None and isinstance(data.get("lca"), dict):
            modules = data["lca"].get("declared_modules")
        return read_json_results({"results": data["results"], **({"declared_modules": modules} if modules is not None else {})})
    from . import openepd_io  # imports ParsedResults from here

    return openepd_io.read_openepd(data, declared_unit=declared_unit, take_declared_unit=take_declared_unit)


def read_results_file(name: str, content: bytes, *, declared_unit: str, take_declared_unit: bool = False) -> ParsedResults:
    """Results from an uploaded file: the spreadsheet template (XLSX or CSV), openEPD JSON or ILCD+EPD (XML or ZIP).

    The format is recognised from the content; a file that cannot be read at all raises InvalidFile,
    one that is too big FileTooLarge. Everything else comes back as findings that name where it is.
    ILCD+EPD and openEPD files also bring what they state about the declaration (ParsedResults.stated); with
    `take_declared_unit` their results are read per the file's own declared unit, unconverted, and that unit is
    stated. The spreadsheet and the platform's JSON are read per `declared_unit` whatever it is.
    """
    cap = settings.MAX_RESULTS_FILE_BYTES
    if len(content) > cap:
        raise FileTooLarge(_("The file is %(size).1f MB; the limit is %(limit).1f MB.") % {"size": len(content) / 1e6, "limit": cap / 1e6})
    if not content.strip():
        raise InvalidFile(_("“%(name)s” is empty.") % {"name": _display(name)})
    # The readers import ParsedResults from this module, so they are imported here, not at the top.
    kind = sniff_format(name, content)
    if kind in ("xlsx", "csv"):
        from . import spreadsheet

        return spreadsheet.read_spreadsheet(_display(name), content, declared_unit=declared_unit)
    if kind == "ilcd":
        from . import ilcd, spreadsheet

        if content.startswith(ZIP_MAGICS):
            spreadsheet.check_zip_container(content, _display(name))
        return ilcd.read_ilcd(content, declared_unit=declared_unit, take_declared_unit=take_declared_unit)
    return _read_json_file(name, content, declared_unit=declared_unit, take_declared_unit=take_declared_unit)
