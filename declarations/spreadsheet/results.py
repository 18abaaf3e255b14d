"""The results sheet: one row per indicator (identified by its code), one column per module.

The reader only reads: every cell becomes a `ResultCell` that remembers its row and column, what
cannot be read becomes a finding naming the cell, and every rule about the values is left to
`validation`. It collects every problem rather than stopping at the first.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .. import catalogue, imports
from ..errors import InvalidFile
from ..imports import respelled_module
from ..validation import ERROR, WARNING, Finding, ResultCell, declared_mass_kg, is_module_not_declared, parse_value
from .grid import (
    CODE_HEADERS,
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    XLSX_MAGIC,
    Formula,
    Grid,
    cell_name,
    check_size,
    csv_grid,
    find_header_row,
    formula_finding,
    is_blank,
    norm,
    open_workbook,
    refuse_non_workbook,
    results_sheet_title,
    sheet_grid,
    text_of,
)


def read_spreadsheet(name: str, content: bytes, *, declared_unit: str | None = None) -> "imports.ParsedResults":
    """Results from the platform's template, as XLSX or CSV (recognised from the bytes, not the name).

    With `declared_unit` (the declaration's), a different declared unit in the file is an error.
    """
    check_size(content)
    if not content.strip():
        raise InvalidFile(_("“%(name)s” is empty.") % {"name": name[:100]})
    refuse_non_workbook(name, content)
    if content.startswith(XLSX_MAGIC):
        workbook = open_workbook(name, content)
        try:
            grid = sheet_grid(workbook, results_sheet_title(workbook, name), name)
        finally:
            workbook.close()
    else:
        grid = csv_grid(content, name)
    return parse_results_grid(grid, declared_unit=declared_unit)


_LABEL_HEADERS = ("indicator", "指标", "name", "名称", "parameter", "参数")
_UNIT_HEADERS = ("unit", "单位")
# Columns a mill may add for its own reading; their cells are not read.
_NOTE_HEADERS = ("uuid", "note", "comment", "remark", "source", "category", "disclaimer", "备注", "说明", "注释", "类别")
@dataclass
class _Columns:
    code: int
    label: int | None = None
    unit: int | None = None
    modules: dict[int, str] = field(default_factory=dict)
    ignored: set[int] = field(default_factory=set)  # notes, and unknown or repeated headings (reported once)


def _read_header(grid: Grid, row: int, findings: list[Finding]) -> _Columns:
    cells = grid.rows[row - 1]
    columns = _Columns(code=next(c for c, v in enumerate(cells, start=1) if norm(v) in CODE_HEADERS))
    seen: dict[str, int] = {}
    for column, value in enumerate(cells, start=1):
        if column == columns.code or is_blank(value):
            continue
        text = norm(value)
        if columns.label is None and text.startswith(_LABEL_HEADERS):
            columns.label = column
        elif columns.unit is None and text.startswith(_UNIT_HEADERS):
            columns.unit = column
        elif text.startswith(_NOTE_HEADERS):
            columns.ignored.add(column)
        elif isinstance(value, Formula):
            columns.ignored.add(column)
            findings.append(formula_finding(grid, row, column, value))
        elif (module := catalogue.module_code(text_of(value))) is None:
            columns.ignored.add(column)
            findings.append(
                Finding(
                    ERROR,
                    "module",
                    _(
                        "Cell %(cell)s: the column heading “%(text)s” is not an EN 15804 module. Use A1, A2, A3, A1-A3, A4, A5, "
                        "B1 to B7, C1 to C4 or D."
                    )
                    % {"cell": cell_name(row, column), "text": text_of(value)[:40]},
                    row=row,
                    column=get_column_letter(column),
                )
            )
        elif module in seen:
            columns.ignored.add(column)
            findings.append(
                Finding(
                    ERROR,
                    "module",
                    _("Columns %(first)s and %(second)s are both headed %(module)s; keep one.")
                    % {"first": get_column_letter(seen[module]), "second": get_column_letter(column), "module": module},
                    row=row,
                    column=get_column_letter(column),
                    module=module,
                )
            )
        else:
            seen[module] = column
            columns.modules[column] = module
            if text_of(value) != module:
                findings.append(respelled_module(text_of(value), module, row=row, column=get_column_letter(column)))
    return columns


def _read_declared_unit(grid: Grid, header_row: int, findings: list[Finding]) -> tuple[str, int | None, int | None]:
    for row in range(1, header_row):
        cells = grid.rows[row - 1]
        for column, value in enumerate(cells, start=1):
            if not norm(value).startswith(("declared unit", "声明单位")):
                continue
            for value_column in range(column + 1, len(cells) + 1):
                unit = cells[value_column - 1]
                if isinstance(unit, Formula):
                    findings.append(formula_finding(grid, row, value_column, unit))
                    return "", row, value_column
                if not is_blank(unit):
                    return text_of(unit), row, value_column
            return "", row, column + 1
    return "", None, None


def _indicator_from_label(label: str) -> catalogue.Indicator | None:
    text = label.replace("*", "").strip()
    for part in (text, *(p.strip() for p in text.split(" / "))):
        if not part:
            continue
        found = catalogue.indicator_by_label(part)
        if found is None:
            found = next((i for i in catalogue.indicators().values() if i.name_zh == part), None)
        if found is not None:
            return found
    return None


@dataclass
class _Entry:
    row: int
    column: int
    indicator: catalogue.Indicator
    module: str
    raw: object
    unit: str


def _read_indicator_rows(grid: Grid, header_row: int, columns: _Columns, findings: list[Finding]) -> list[_Entry]:
    entries: list[_Entry] = []
    first_row: dict[str, int] = {}
    known = {columns.code, columns.label, columns.unit, *columns.modules, *columns.ignored}
    for row in range(header_row + 1, len(grid.rows) + 1):
        cells = grid.rows[row - 1]
        if all(is_blank(v) for v in cells):
            continue
        code_value = grid.value(row, columns.code)
        label = text_of(grid.value(row, columns.label)) if columns.label else ""
        has_values = any(not is_blank(grid.value(row, c)) for c in columns.modules)
        for column, value in enumerate(cells, start=1):
            if column not in known and not is_blank(value):
                known.add(column)  # reported once per column
                findings.append(
                    Finding(
                        ERROR,
                        "module",
                        _("Cell %(cell)s: column %(column)s has values but no module in its heading (row %(header)s).")
                        % {"cell": cell_name(row, column), "column": get_column_letter(column), "header": header_row},
                        row=row,
                        column=get_column_letter(column),
                    )
                )
        if isinstance(code_value, Formula):
            findings.append(formula_finding(grid, row, columns.code, code_value))
            continue
        code = text_of(code_value).rstrip("*").strip()
        if not code:
            guess = _indicator_from_label(label) if label else None
            if label and (has_values or guess):
                hint = (
                    _(" It looks like %(code)s: write that code in column %(column)s.")
                    % {
                        "code": guess.code,
                        "column": get_column_letter(columns.code),
                    }
                    if guess
                    else ""
                )
                findings.append(
                    Finding(
                        ERROR,
                        "P22",
                        _(
                            "Row %(row)s has no indicator code, only the label “%(label)s”. Identify each indicator by its code "
                            "(e.g. GWP-total) or ILCD UUID, not by its label: labels differ between tools and languages."
                        )
                        % {"row": row, "label": label[:60]}
                        + hint,
                        row=row,
                        column=get_column_letter(columns.code),
                        indicator=guess.code if guess else "",
                    )
                )
            elif has_values:
                findings.append(
                    Finding(
                        ERROR,
                        "P22",
                        _("Row %(row)s has values but no indicator code in column %(column)s.")
                        % {"row": row, "column": get_column_letter(columns.code)},
                        row=row,
                        column=get_column_letter(columns.code),
                    )
                )
            continue
        indicator = catalogue.indicator_by_identity(code)
        if indicator is None:
            guess = _indicator_from_label(code)
            hint = _(" Did you mean %(code)s?") % {"code": guess.code} if guess else ""
            findings.append(
                Finding(
                    ERROR,
                    "P22",
                    _("Cell %(cell)s: “%(code)s” is not an EN 15804+A2 indicator code (e.g. GWP-total, PENRT) or ILCD UUID.")
                    % {"cell": cell_name(row, columns.code), "code": code[:60]}
                    + hint,
                    row=row,
                    column=get_column_letter(columns.code),
                )
            )
            continue
        by_label = _indicator_from_label(label) if label else None
        if by_label is not None and by_label.code != indicator.code:
            findings.append(
                Finding(
                    WARNING,
                    "P22",
                    _(
                        "Row %(row)s: the code says %(code)s but the label “%(label)s” is that of %(other)s. The code counts: "
                        "check that the values in this row are those of %(code)s."
                    )
                    % {"row": row, "code": indicator.code, "label": label[:60], "other": by_label.code},
                    row=row,
                    column=get_column_letter(columns.label),
                    indicator=indicator.code,
                )
            )
        if indicator.code in first_row:
            findings.append(
                Finding(
                    ERROR,
                    "value",
                    _("Rows %(first)s and %(row)s both give %(code)s; keep one.")
                    % {"first": first_row[indicator.code], "row": row, "code": indicator.code},
                    row=row,
                    column=get_column_letter(columns.code),
                    indicator=indicator.code,
                )
            )
            continue
        first_row[indicator.code] = row
        unit_value = grid.value(row, columns.unit) if columns.unit else None
        if isinstance(unit_value, Formula):
            findings.append(formula_finding(grid, row, columns.unit, unit_value, indicator=indicator.code))
        unit = text_of(unit_value)
        entries += [_Entry(row, column, indicator, module, grid.value(row, column), unit) for column, module in columns.modules.items()]
    return entries


def _module_status(entries: list[_Entry]) -> tuple[set[str], set[str]]:
    """(declared, marked MND). A module with any "MND" is not declared, as in the JSON import."""
    marked = {e.module for e in entries if is_module_not_declared(e.raw)}
    filled = {e.module for e in entries if not is_blank(e.raw) and not is_module_not_declared(e.raw)}
    return filled - marked, marked


def _mandatory_module_findings(columns: _Columns, header_row: int, declared: set[str], marked: set[str]) -> list[Finding]:
    """Name the column of a mandatory module left empty or MND (the validator names the module only)."""
    by_module = {module: column for column, module in columns.modules.items()}
    missing = [m for m in catalogue.MANDATORY_MODULES_BEYOND_GATE if m not in declared]
    product_stage = catalogue.AGGREGATED_PRODUCT_MODULE
    if product_stage not in declared and not all(m in declared for m in catalogue.INDIVIDUAL_PRODUCT_MODULES):
        missing.insert(0, product_stage)
    findings = []
    for module in missing:
        if module not in by_module:
            continue
        column = get_column_letter(by_module[module])
        how = _("is marked MND") if module in marked else _("is empty")
        findings.append(
            Finding(
                ERROR,
                "P18",
                _(
                    "Column %(column)s (%(module)s) %(how)s, but %(module)s is mandatory for steel under EN 15804+A2: "
                    "give its values (0 is allowed)."
                )
                % {"column": column, "module": module, "how": how},
                row=header_row,
                column=column,
                module=module,
            )
        )
    return findings


def _cells_from_entries(grid: Grid, entries: list[_Entry], declared: set[str], findings: list[Finding]) -> list[ResultCell]:
    cells = []
    for entry in entries:
        where = {"row": entry.row, "column": get_column_letter(entry.column), "indicator": entry.indicator.code, "module": entry.module}
        if isinstance(entry.raw, Formula):
            findings.append(formula_finding(grid, entry.row, entry.column, entry.raw, indicator=entry.indicator.code, module=entry.module))
            continue
        if is_module_not_declared(entry.raw):
            continue
        if is_blank(entry.raw):
            # A blank mandatory cell becomes an empty cell so that the completeness check names it.
            if entry.module in declared and entry.indicator.mandatory:
                cells.append(ResultCell(entry.indicator.code, entry.module, None, unit=entry.unit, row=entry.row, column=where["column"]))
            continue
        number, problem = parse_value(entry.raw)
        if problem:
            findings.append(
                Finding(
                    ERROR,
                    "value",
                    _("Cell %(cell)s (%(code)s, %(module)s): %(problem)s.")
                    % {
                        "cell": cell_name(entry.row, entry.column),
                        "code": entry.indicator.code,
                        "module": entry.module,
                        "problem": problem,
                    },
                    **where,
                )
            )
            continue
        if number is None and entry.module not in declared:
            continue
        cells.append(ResultCell(entry.indicator.code, entry.module, number, unit=entry.unit, row=entry.row, column=where["column"]))
    return cells


def _declared_unit_findings(found: str, expected: str | None, row: int | None, column: int | None) -> list[Finding]:
    if not found or expected is None or found.strip().lower() == expected.strip().lower():
        return []
    mass = declared_mass_kg(found)
    if mass is not None and mass == declared_mass_kg(expected):
        return []
    return [
        Finding(
            ERROR,
            "P1",
            _(
                "Cell %(cell)s says the values are per “%(found)s”, but the declaration's declared unit is “%(expected)s”. "
                "Convert the values, or change the declared unit of the declaration first."
            )
            % {"cell": cell_name(row, column) if row and column else "", "found": found[:40], "expected": expected},
            field="declared_unit",
            row=row,
            column=get_column_letter(column) if column else "",
        )
    ]


def parse_results_grid(grid: Grid, *, declared_unit: str | None = None) -> "imports.ParsedResults":
    """Turn a results sheet into cells, collecting every problem rather than stopping at the first."""
    parsed = imports.ParsedResults(findings=list(grid.findings))
    findings = parsed.findings
    if all(all(is_blank(v) for v in row) for row in grid.rows):
        raise InvalidFile(_("The sheet “%(sheet)s” is empty: fill in the platform's template.") % {"sheet": grid.sheet})
    header_row = find_header_row(grid)
    if header_row is None:
        raise InvalidFile(
            _(
                "No heading row found in the first %(rows)s rows of “%(sheet)s”: the template's heading reads "
                "Code | Indicator | Unit | A1 | A2 | A3 | A1-A3 | … | D. Use the platform's template."
            )
            % {"rows": HEADER_SEARCH_ROWS, "sheet": grid.sheet},
            [Finding(ERROR, "format", _("no heading row with “Code” found"), row=1, column="A")],
        )
    parsed.declared_unit, unit_row, unit_column = _read_declared_unit(grid, header_row, findings)
    findings += _declared_unit_findings(parsed.declared_unit, declared_unit, unit_row, unit_column)
    columns = _read_header(grid, header_row, findings)
    if not columns.modules:
        findings.append(
            Finding(
                ERROR,
                "module",
                _("Row %(row)s has no module columns (A1-A3, C1…); use the platform's template.") % {"row": header_row},
                row=header_row,
            )
        )
    entries = _read_indicator_rows(grid, header_row, columns, findings)
    declared, marked = _module_status(entries)
    findings += _mandatory_module_findings(columns, header_row, declared, marked)
    parsed.cells = _cells_from_entries(grid, entries, declared, findings)
    parsed.declared_modules = [m for m in catalogue.module_codes() if m in declared]
    if grid.truncated:
        findings.append(
            Finding(
                ERROR,
                "format",
                _("The sheet has more than %(rows)s rows; a results sheet has one row per indicator. Remove the extra rows.")
                % {"rows": MAX_ROWS},
                row=MAX_ROWS + 1,
                column="A",
            )
        )
    return parsed
