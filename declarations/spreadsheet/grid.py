"""From uploaded bytes to a grid of cell values: XLSX opened safely, CSV decoded and split.

Workbooks are opened read-only and nothing in them is evaluated: formula cells become `Formula`
markers that the readers refuse, and the ZIP container is measured before openpyxl parses it.
"""

import csv
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal
from xml.etree import ElementTree

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from ..errors import FileTooLarge, InvalidFile
from ..validation import ERROR, INFO, Finding

# A filled template unpacks to well under 1 MB; these bounds leave room for styling and still stop a zip bomb.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 200
# openpyxl keeps every shared string in memory even in read-only mode; 500 rows by 64 columns of text fit in far less.
MAX_SHARED_STRINGS_BYTES = 8 * 1024 * 1024
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
# A DTD has no place in any part of a workbook, and it is how XML entity bombs start. Parts may be named anything
# ([Content_Types].xml maps them), so every part is scanned, in the encodings XML allows.
DTD_MARKERS = tuple(marker.encode(codec) for marker in ("<!DOCTYPE", "<!ENTITY") for codec in ("ascii", "utf-16-le", "utf-16-be"))
MAX_ROWS = 500
MAX_COLUMNS = 64
HEADER_SEARCH_ROWS = 30

# openpyxl parses workbook parts with defusedxml (entities and external references refused) only when it is
# importable and OPENPYXL_DEFUSEDXML is not "False"; without it a DTD that slipped past the scan would expand.
if not openpyxl.DEFUSEDXML:
    raise ImproperlyConfigured("openpyxl must read workbooks through defusedxml: install it and leave OPENPYXL_DEFUSEDXML unset.")

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx


class Formula:
    """Marks a formula cell in a grid; the text is kept only to quote it back."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


@dataclass
class Grid:
    """A sheet's cells as plain values, rows[0] being row 1 as Excel numbers it."""

    sheet: str
    rows: list[list[object]]
    truncated: bool = False
    findings: list[Finding] = field(default_factory=list)

    def value(self, row: int, column: int) -> object:
        if row < 1 or row > len(self.rows) or column < 1 or column > len(self.rows[row - 1]):
            return None
        return self.rows[row - 1][column - 1]


def cell_name(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def text_of(value: object) -> str:
    if value is None or isinstance(value, Formula):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def formula_finding(grid: Grid, row: int, column: int, formula: Formula, **where) -> Finding:
    return Finding(
        ERROR,
        "formula",
        _(
            "Cell %(cell)s on sheet “%(sheet)s” holds a formula (%(formula)s). The platform never evaluates formulas: "
            "copy the cells and paste values only."
        )
        % {"cell": cell_name(row, column), "sheet": grid.sheet, "formula": formula.text[:60]},
        row=row,
        column=get_column_letter(column),
        **where,
    )


def check_zip_container(content: bytes, name: str) -> None:
    """Refuse a ZIP that would unpack to more than we read (a zip bomb), before any parser opens it.

    zipfile never yields more than an entry's declared size, so bounding the declared sizes bounds the work.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise InvalidFile(_("“%(name)s” is not a valid Excel workbook (.xlsx): the file is damaged.") % {"name": name[:100]})
    too_big = InvalidFile(
        _("“%(name)s” unpacks to far more data than a results workbook holds; it was refused as unsafe.") % {"name": name[:100]}
    )
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
            raise too_big
        for entry in entries:
            if entry.flag_bits & 0x1:
                raise InvalidFile(_("“%(name)s” is encrypted; save it without a password.") % {"name": name[:100]})
            if entry.file_size > RATIO_CHECK_FROM_BYTES and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
                raise too_big
        try:
            for entry in entries:
                if _has_dtd(archive, entry):
                    raise InvalidFile(
                        _("“%(name)s” contains an XML document type declaration; it was refused as unsafe.") % {"name": name[:100]}
                    )
            strings = _shared_strings_part(archive)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, OSError, RuntimeError, ElementTree.ParseError, DefusedXmlException):
            raise InvalidFile(_("“%(name)s” is not a valid Excel workbook (.xlsx): the file is damaged.") % {"name": name[:100]})
        if strings is not None and strings.file_size > MAX_SHARED_STRINGS_BYTES:
            raise too_big


def _has_dtd(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(entry) as stream:
        while chunk := stream.read(256 * 1024):
            window = tail + chunk
            if any(marker in window for marker in DTD_MARKERS):
                return True
            tail = chunk[-32:]
    return False


def _shared_strings_part(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The shared-strings part as openpyxl finds it: by its content type, whatever its name."""
    try:
        types = defused_etree.fromstring(archive.read("[Content_Types].xml"))
    except KeyError:
        return None
    for override in types:
        if override.get("ContentType") == SHARED_STRINGS_TYPE:
            try:
                return archive.getinfo((override.get("PartName") or "").lstrip("/"))
            except KeyError:
                return None
    return None


def open_workbook(name: str, content: bytes):
    check_zip_container(content, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read (slicers, conditional formats)
            return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises KeyError, ValueError, XML errors… for a broken file: all mean the same to the mill
        raise InvalidFile(_("“%(name)s” could not be opened as an Excel workbook (.xlsx).") % {"name": name[:100]})


def sheet_grid(workbook, title: str, name: str) -> Grid:
    sheet = workbook[title]
    grid = Grid(sheet=title, rows=[])
    try:
        for row in sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS):
            values: list[object] = []
            for cell in row:
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    value = Formula(str(value))
                elif getattr(cell, "data_type", None) == "e":
                    value = str(value)  # "#DIV/0!": reported as not a number
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    value = as_shown(value, getattr(cell, "number_format", None))
                values.append(value)
            grid.rows.append(values)
    except Exception:  # a damaged sheet surfaces only while it is parsed (read-only mode is lazy)
        raise InvalidFile(_("Sheet “%(sheet)s” of “%(name)s” is damaged and could not be read.") % {"sheet": title, "name": name[:100]})
    if len(grid.rows) > MAX_ROWS:
        grid.truncated = any(not is_blank(v) for v in grid.rows[MAX_ROWS])
        del grid.rows[MAX_ROWS:]
    return grid


_SCIENTIFIC = re.compile(r"0(?:\.(0+))?E\+0+", re.IGNORECASE)


def as_shown(number: int | float, number_format: str | None) -> int | float | Decimal:
    """A number cell in scientific format keeps the digits it shows: "2.16E+03" typed into Excel is stored as 2160
    with the format 0.00E+00, and those three significant digits are what the EPD printed. A cell holding more
    digits than it shows keeps them all (nothing is rounded away)."""
    match = _SCIENTIFIC.fullmatch((number_format or "").strip())
    if not match or number == 0 or not math.isfinite(number):
        return number
    exact = Decimal(int(number)) if float(number).is_integer() else Decimal(repr(number))
    digits = 1 + len(match.group(1) or "")
    shown = exact.quantize(Decimal(1).scaleb(exact.adjusted() - digits + 1), context=Context(prec=60))
    return shown if shown == exact else number


def find_sheet(titles: Iterable[str], prefixes: tuple[str, ...]) -> str | None:
    for title in titles:
        if title.strip().lower().startswith(prefixes):
            return title
    return None


def results_sheet_title(workbook, name: str) -> str:
    titles = list(workbook.sheetnames)
    title = find_sheet(titles, ("results", "结果"))
    if title is None:
        others = [t for t in titles if not t.strip().lower().startswith(("instructions", "说明", "declaration", "声明", "lists"))]
        if not others:
            raise InvalidFile(_("“%(name)s” has no results sheet: use the platform's template.") % {"name": name[:100]})
        title = others[0]
    return title


def _decode_text(content: bytes, name: str) -> tuple[str, list[Finding]]:
    findings = []
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        text = content.decode("utf-16", errors="replace")
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise InvalidFile(
                    _("“%(name)s” is neither a workbook nor a text (CSV) file we can read; save it as .xlsx or as CSV UTF-8.")
                    % {"name": name[:100]}
                )
            findings.append(
                Finding(INFO, "format", _("The CSV file is not UTF-8; it was read as GB18030 (Chinese Excel). Check the labels."))
            )
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or controls > 10:
        raise InvalidFile(_("“%(name)s” is a binary file, not a CSV text file or an Excel workbook (.xlsx).") % {"name": name[:100]})
    return text, findings


def _csv_rows(text: str, delimiter: str, limit: int) -> tuple[list[list[str]], bool]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) == limit:
                return rows, any(cell.strip() for cell in row)
            rows.append(row[:MAX_COLUMNS])
    except csv.Error as exc:
        raise InvalidFile(_("The CSV file cannot be read at line %(line)s: %(problem)s.") % {"line": reader.line_num, "problem": exc})
    return rows, False


def csv_grid(content: bytes, name: str) -> Grid:
    text, findings = _decode_text(content, name)
    if not text.strip():
        raise InvalidFile(_("“%(name)s” is empty.") % {"name": name[:100]})
    # The delimiter is the one that splits the header row into the most cells (Excel writes ";" where "," is the decimal mark).
    best, best_width = ",", -1
    for delimiter in (",", ";", "\t"):
        rows, _more = _csv_rows(text, delimiter, HEADER_SEARCH_ROWS)
        header = find_header_row(Grid(sheet="", rows=list(rows)))
        width = len([c for c in rows[header - 1] if c.strip()]) if header else 0
        if width > best_width:
            best, best_width = delimiter, width
    rows, truncated = _csv_rows(text, best, MAX_ROWS)
    cells: list[list[object]] = [[Formula(v) if v.startswith("=") and len(v) > 1 else v for v in row] for row in rows]
    return Grid(sheet=name, rows=cells, truncated=truncated, findings=findings)


def _is_xlsx_name(name: str) -> bool:
    return name.lower().endswith((".xlsx", ".xlsm", ".xls"))


def check_size(content: bytes) -> None:
    cap = settings.MAX_RESULTS_FILE_BYTES
    if len(content) > cap:
        raise FileTooLarge(_("The file is %(size).1f MB; the limit is %(limit).1f MB.") % {"size": len(content) / 1e6, "limit": cap / 1e6})


def refuse_non_workbook(name: str, content: bytes) -> None:
    if content.startswith(OLE2_MAGIC):
        raise InvalidFile(
            _("“%(name)s” is an old Excel file (.xls) or a password-protected workbook: save it as .xlsx without a password.")
            % {"name": name[:100]}
        )
    if _is_xlsx_name(name) and not content.startswith(XLSX_MAGIC):
        raise InvalidFile(_("“%(name)s” is named like an Excel workbook but is not one (.xlsx).") % {"name": name[:100]})


CODE_HEADERS = {"code", "代码", "indicator code", "指标代码", "uuid", "code / 代码"}


def norm(value: object) -> str:
    return text_of(value).lower().replace("*", "").strip()


def find_header_row(grid: Grid) -> int | None:
    for row in range(1, min(len(grid.rows), HEADER_SEARCH_ROWS) + 1):
        if any(norm(v) in CODE_HEADERS for v in grid.rows[row - 1]):
            return row
    return None
