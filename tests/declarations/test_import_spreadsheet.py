"""Results import from the spreadsheet template: download it, fill it in, upload it; bad files are refused
with every problem named by row and column, and nothing of them is saved."""

import csv
import io
import json
import random
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from declarations import catalogue
from declarations.models import Result
from declarations.samples import plausible_results

pytestmark = pytest.mark.django_db

HEADER_ROW = 3  # the template's layout: declared unit, legend, heading


def download(client, fmt: str) -> bytes:
    response = client.get(f"/api/v1/templates/results.{fmt}")
    assert response.status_code == 200
    return response.content


def sample(route: str = "scrap_eaf", category: str = "long.rebar", seed: int = 7):
    return plausible_results(route, category, rng=random.Random(seed))


class Workbook:
    """The downloaded template opened as a mill's engineer would, addressed by indicator code and module."""

    def __init__(self, content: bytes):
        self.book = openpyxl.load_workbook(io.BytesIO(content))
        self.sheet = self.book.worksheets[0]
        header = [c.value for c in self.sheet[HEADER_ROW]]
        self.columns = {value: index for index, value in enumerate(header, start=1) if value}
        self.rows = {self.sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, self.sheet.max_row + 1)}

    def cell(self, code: str, module: str):
        return self.sheet.cell(self.rows[code], self.columns[module])

    def fill(self, results: dict[str, dict[str, Decimal]]) -> "Workbook":
        for code, row in results.items():
            for module, value in row.items():
                self.cell(code, module).value = float(value)
        return self

    def column_letter(self, module: str) -> str:
        return openpyxl.utils.get_column_letter(self.columns[module])

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def upload(client, declaration, content: bytes, name: str = "results.xlsx"):
    return client.post(
        f"/api/v1/declarations/{declaration.pk}/results/import/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def saved(declaration) -> list[tuple]:
    return list(Result.objects.filter(declaration=declaration).order_by("pk").values_list("indicator", "module", "value"))


def findings_of(response) -> list[dict]:
    return response.json()["error"].get("findings", [])


@pytest.fixture
def client(client_for, mill_alice):
    return client_for(mill_alice)


@pytest.fixture
def declaration(make_declaration):
    """A draft that already has results, so that a refused import must leave them as they were."""
    return make_declaration()


@pytest.fixture
def filled(client):
    return Workbook(download(client, "xlsx")).fill(sample().results)


def refused(client, declaration, content: bytes, name: str = "results.xlsx", status: int = 400) -> list[dict]:
    before = saved(declaration)
    response = upload(client, declaration, content, name)
    assert response.status_code == status, response.content
    assert saved(declaration) == before
    return findings_of(response)


# ---------------------------------------------------------------- the template


def test_template_lists_every_indicator_and_module_with_units(client):
    book = Workbook(download(client, "xlsx"))
    assert list(book.columns)[:3] == ["Code", "Indicator (* = mandatory / 必填)", "Unit"]
    assert list(book.columns)[3:] == catalogue.module_codes()
    assert list(book.rows) == list(catalogue.indicators())
    for code, indicator in catalogue.indicators().items():
        row = book.rows[code]
        assert book.sheet.cell(row, 3).value == indicator.unit
        assert book.sheet.cell(row, 2).value.endswith(" *") == indicator.mandatory
    assert book.sheet["A1"].value.startswith("Declared unit") and book.sheet["B1"].value == "1 t"
    assert book.sheet.freeze_panes == f"D{HEADER_ROW + 1}"
    assert book.sheet.cell(HEADER_ROW, 1).font.b
    assert any(s.title.startswith("Instructions") for s in book.book.worksheets)
    instructions = next(s for s in book.book.worksheets if s.title.startswith("Instructions"))
    text = "\n".join(str(c.value) for c in instructions["A"] if c.value)
    assert "MND" in text and "ND" in text and "公式" in text and "formula" in text


def test_csv_template_has_the_same_rows(client):
    content = download(client, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[HEADER_ROW - 1][3:] == catalogue.module_codes()
    assert [r[0] for r in rows[HEADER_ROW:]] == list(catalogue.indicators())


# ---------------------------------------------------------------- good files


def test_filled_template_imports(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    response = upload(client, declaration, filled.bytes())
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = sample()
    assert body["declared_modules"] == expected.declared_modules
    assert Decimal(body["results"]["GWP-total"]["A1-A3"]) == expected.results["GWP-total"]["A1-A3"]
    assert len(saved(declaration)) == len(expected.cells())
    stored = {(i, m): v for i, m, v in saved(declaration)}
    assert all(stored[(c.indicator, c.module)] == c.value for c in expected.cells())


def test_import_replaces_existing_results(client, declaration, filled):
    response = upload(client, declaration, filled.bytes())
    assert response.status_code == 200, response.json()
    assert Result.objects.get(declaration=declaration, indicator="GWP-total", module="A1-A3").value == sample().gwp_a1a3


def test_mnd_in_an_optional_module_and_nd_for_an_optional_indicator(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    for code in catalogue.indicators():
        filled.cell(code, "A4").value = "MND"
    filled.cell("PM", "A1-A3").value = "ND"
    response = upload(client, declaration, filled.bytes())
    assert response.status_code == 200, response.json()
    assert "A4" not in response.json()["declared_modules"]
    assert Result.objects.get(declaration=declaration, indicator="PM", module="A1-A3").value is None


def decimal_comma(value: Decimal) -> str:
    """As a European Excel writes it; "150,456" could mean 150456, so such values go in E notation ("1,50456E+2")."""
    text = format(value, "f").replace(".", ",")
    whole, _comma, fraction = text.lstrip("-").partition(",")
    if len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0"):
        return format(value, "E").replace(".", ",")
    return text


def test_csv_with_semicolons_and_decimal_commas(client, make_declaration):
    declaration = make_declaration(results=False)
    rows = list(csv.reader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    columns = {module: index for index, module in enumerate(rows[HEADER_ROW - 1])}
    for row in rows[HEADER_ROW:]:
        for module, value in sample().results.get(row[0], {}).items():
            row[columns[module]] = decimal_comma(value)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    response = upload(client, declaration, out.getvalue().encode("utf-8"), "results.csv")
    assert response.status_code == 200, response.json()
    assert Result.objects.get(declaration=declaration, indicator="GWP-total", module="A1-A3").value == sample().gwp_a1a3


def test_excel_unicode_text_export_utf16_with_tabs(client, make_declaration):
    declaration = make_declaration(results=False)
    rows = list(csv.reader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    columns = {module: index for index, module in enumerate(rows[HEADER_ROW - 1])}
    for row in rows[HEADER_ROW:]:
        for module, value in sample().results.get(row[0], {}).items():
            row[columns[module]] = format(value, "f")
    out = io.StringIO()
    csv.writer(out, delimiter="\t").writerows(rows)
    response = upload(client, declaration, out.getvalue().encode("utf-16"), "results.txt")
    assert response.status_code == 200, response.json()
    assert len(saved(declaration)) == len(sample().cells())


def test_gb18030_csv_from_chinese_excel(client, make_declaration):
    declaration = make_declaration(results=False)
    rows = [["声明单位", "1 吨"], [], ["代码", "指标", "单位", *catalogue.module_codes()]]
    for code, indicator in catalogue.indicators().items():
        values = sample().results.get(code, {})
        rows.append(
            [code, indicator.name_zh, indicator.unit, *(format(values[m], "f") if m in values else "" for m in catalogue.module_codes())]
        )
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = upload(client, declaration, out.getvalue().encode("gb18030"), "结果.csv")
    assert response.status_code == 200, response.json()
    assert any("GB18030" in w["message"] for w in response.json()["warnings"])
    assert len(saved(declaration)) == len(sample().cells())


def test_ep_freshwater_in_kg_po4_is_converted_with_a_warning(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    row = filled.rows["EP-freshwater"]
    filled.sheet.cell(row, 3).value = "kg PO4 eq."
    value = sample().results["EP-freshwater"]["A1-A3"]
    response = upload(client, declaration, filled.bytes())
    assert response.status_code == 200, response.json()
    warning = next(w for w in response.json()["warnings"] if w["check"] == "P20")
    assert warning["row"] == row and warning["indicator"] == "EP-freshwater"
    stored = Result.objects.get(declaration=declaration, indicator="EP-freshwater", module="A1-A3")
    # Converted, and given to as many significant digits as the value was: a conversion adds no precision.
    digits = len(value.as_tuple().digits)
    assert len(stored.given_value.as_tuple().digits) == digits
    assert abs(stored.value - value / Decimal("3.07")) <= Decimal(1).scaleb((value / Decimal("3.07")).adjusted() - digits + 1) / 2


def test_a_declared_unit_of_1000_kg_is_one_tonne(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    filled.sheet["B1"] = "1000 kg"
    assert upload(client, declaration, filled.bytes()).status_code == 200


# ---------------------------------------------------------------- bad files: 4xx, row and column named, nothing saved


def test_non_number_names_row_and_column(client, declaration, filled):
    filled.cell("GWP-total", "C1").value = "about 5"
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "value")
    assert (finding["row"], finding["column"]) == (filled.rows["GWP-total"], filled.column_letter("C1"))
    assert (finding["indicator"], finding["module"]) == ("GWP-total", "C1")
    assert "about 5" in finding["message"] and f"{filled.column_letter('C1')}{filled.rows['GWP-total']}" in finding["message"]
    about_the_cell = [f for f in findings if (f["indicator"], f["module"]) == ("GWP-total", "C1")]
    assert about_the_cell == [finding], "the bad number is reported once, not again as a missing value"


def test_wrong_unit_is_refused(client, declaration, filled):
    filled.sheet.cell(filled.rows["EP-marine"], 3).value = "mol H+ eq."
    findings = refused(client, declaration, filled.bytes())
    unit = [f for f in findings if f["check"] == "P20"]
    assert unit and all(f["indicator"] == "EP-marine" and f["row"] == filled.rows["EP-marine"] for f in unit)
    assert {f["column"] for f in unit} == {filled.column_letter(m) for m in sample().declared_modules}
    assert "kg N eq." in unit[0]["message"]


def test_en15804_a1_unit_is_refused(client, declaration, filled):
    filled.sheet.cell(filled.rows["AP"], 3).value = "kg SO2 eq."
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "P20")
    assert finding["row"] == filled.rows["AP"] and finding["column"] == filled.column_letter("A1-A3")
    assert "EN 15804+A1" in finding["message"]


def test_label_only_row_is_refused(client, declaration, filled):
    filled.sheet.cell(filled.rows["POCP"], 1).value = None
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "P22" and f["severity"] == "error")
    assert (finding["row"], finding["column"]) == (filled.rows["POCP"], "A")
    assert finding["indicator"] == "POCP" and "POCP" in finding["message"]


def test_code_and_label_disagreeing_is_a_warning(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    filled.sheet.cell(filled.rows["POCP"], 2).value = catalogue.indicators()["AP"].name
    response = upload(client, declaration, filled.bytes())
    assert response.status_code == 200, response.json()
    warning = next(w for w in response.json()["warnings"] if w["check"] == "P22")
    assert (warning["row"], warning["column"], warning["indicator"]) == (filled.rows["POCP"], "B", "POCP")


def test_formula_cell_is_refused(client, declaration, filled):
    filled.cell("GWP-total", "C2").value = "=R5+R6+R7"
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "formula")
    assert (finding["row"], finding["column"]) == (filled.rows["GWP-total"], filled.column_letter("C2"))
    assert (finding["indicator"], finding["module"]) == ("GWP-total", "C2")
    assert "=R5+R6+R7" in finding["message"]


def test_unknown_module_heading_is_refused(client, declaration, filled):
    column = filled.columns["B5"]
    filled.sheet.cell(HEADER_ROW, column).value = "B8"
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "module")
    assert (finding["row"], finding["column"]) == (HEADER_ROW, openpyxl.utils.get_column_letter(column))
    assert "B8" in finding["message"]


def test_missing_mandatory_module_is_refused(client, declaration, filled):
    for code in catalogue.indicators():
        filled.cell(code, "C4").value = "MND"
    findings = refused(client, declaration, filled.bytes())
    located = next(f for f in findings if f["check"] == "P18" and f.get("column"))
    assert (located["row"], located["column"], located["module"]) == (HEADER_ROW, filled.column_letter("C4"), "C4")


def test_blank_mandatory_cell_is_named(client, declaration, filled):
    filled.cell("PENRT", "C3").value = None
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if f["check"] == "P18")
    assert (finding["row"], finding["column"], finding["indicator"], finding["module"]) == (
        filled.rows["PENRT"],
        filled.column_letter("C3"),
        "PENRT",
        "C3",
    )


def test_declared_unit_different_from_the_declaration_is_refused(client, declaration, filled):
    filled.sheet["B1"] = "1 kg"
    findings = refused(client, declaration, filled.bytes())
    assert any(f["check"] == "P1" and (f["row"], f["column"]) == (1, "B") for f in findings)


def test_duplicated_row_is_refused(client, declaration, filled):
    filled.sheet.append(["GWP-total", "again", "kg CO2 eq.", *([None] * len(catalogue.module_codes()))])
    findings = refused(client, declaration, filled.bytes())
    finding = next(f for f in findings if "both give GWP-total" in f["message"])
    assert finding["row"] == filled.sheet.max_row and finding["column"] == "A"


def test_every_problem_is_listed_at_once(client, declaration, filled):
    filled.cell("GWP-total", "C1").value = "abc"
    filled.cell("AP", "C2").value = "=1+1"
    filled.sheet.cell(HEADER_ROW, filled.columns["B7"]).value = "Z9"
    filled.sheet.cell(filled.rows["ODP"], 1).value = "ODPX"
    findings = refused(client, declaration, filled.bytes())
    assert {"value", "formula", "module", "P22"} <= {f["check"] for f in findings}


def test_sheet_without_heading_is_refused(client, declaration):
    book = openpyxl.Workbook()
    book.active.append(["GWP-total", 2100, 5])
    out = io.BytesIO()
    book.save(out)
    refused(client, declaration, out.getvalue())


def test_empty_csv_is_refused(client, declaration):
    refused(client, declaration, b"\r\n ;;\r\n", "results.csv")


def test_random_bytes_named_xlsx_are_refused(client, declaration):
    body = random.Random(1).randbytes(4000)
    response = upload(client, declaration, body, "results.xlsx")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"
    assert "results.xlsx" in response.json()["error"]["message"]


def test_random_bytes_named_csv_are_refused(client, declaration):
    response = upload(client, declaration, random.Random(2).randbytes(4000), "results.csv")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("size", [60 * 1024 * 1024, 8 * 1024 * 1024], ids=["over-total-cap", "absurd-ratio"])
def test_zip_bomb_is_refused_before_parsing(client, declaration, size):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * size})
    assert len(bomb) < 100_000
    response = upload(client, declaration, bomb)
    assert response.status_code == 400
    assert "unsafe" in response.json()["error"]["message"]


def test_xml_entity_declarations_are_refused(client, declaration, filled):
    content = filled.bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["xl/sharedStrings.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sst/>'
    response = upload(client, declaration, _zip(entries))
    assert response.status_code == 400
    assert "unsafe" in response.json()["error"]["message"]


def test_file_over_the_size_cap_is_413(client, declaration, settings):
    body = b"Code,Indicator,Unit,A1-A3\r\n" + b"x" * settings.MAX_RESULTS_FILE_BYTES
    findings = refused(client, declaration, body, "results.csv", status=413)
    assert findings == []


# ---------------------------------------------------------------- the format is told by the content, not the name


def test_workbook_named_csv_is_read_as_a_workbook(client, make_declaration, filled):
    declaration = make_declaration(results=False)
    assert upload(client, declaration, filled.bytes(), "results.csv").status_code == 200


def test_platform_json_matrix_as_a_file(client, make_declaration):
    declaration = make_declaration(results=False)
    results = {code: {m: format(v, "f") for m, v in row.items()} for code, row in sample().results.items()}
    body = json.dumps({"results": results, "lca": {"declared_modules": sample().declared_modules}}).encode()
    response = upload(client, declaration, body, "epd.json")
    assert response.status_code == 200, response.json()
    assert response.json()["declared_modules"] == sample().declared_modules


def test_json_object_goes_to_the_openepd_reader(client, declaration):
    before = saved(declaration)
    response = upload(client, declaration, json.dumps({"doctype": "openEPD", "impacts": {}}).encode(), "epd.json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_declaration"
    assert saved(declaration) == before


def test_ilcd_xml_goes_to_the_ilcd_reader(client, declaration):
    xml = b'<?xml version="1.0"?><flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow" xmlns:c="http://lca.jrc.it/ILCD/Common"/>'
    response = upload(client, declaration, xml, "process.xml")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_declaration"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"<html><body>results</body></html>", "XML"),
        (b'{"results": ', "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
    ],
    ids=["pdf", "html", "broken-json", "json-list"],
)
def test_files_of_other_kinds_are_refused_by_name(client, declaration, content, words):
    response = upload(client, declaration, content, "upload.bin")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"
    assert words in response.json()["error"]["message"]


def test_zip_that_is_not_a_workbook_is_refused(client, declaration):
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})
    response = upload(client, declaration, docx, "results.xlsx")
    assert response.status_code == 400
    assert "neither an Excel workbook" in response.json()["error"]["message"]
