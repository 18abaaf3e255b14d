"""Issue 9, parts 2 and 4: real EPDs come in as printed, and claims follow the data.

Ambiguous separators are refused on every path with both readings (never a silent 1000× error); module names as
real files write them are read as A1-A3 with one note; the characterisation method is declared (no default), checked
against the imported results, and named in every artefact; the standard claimed is the PCR's.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from declarations import catalogue, checks, editing
from declarations.models import PCR, Declaration
from declarations.samples import sample_document
from declarations.validation import INFO, WARNING
from registry.exports import ilcd_export, openepd_document
from registry.ilcd_export import write_ilcd
from registry.pdf import render_pdf
from tests.declarations.test_import_spreadsheet import Workbook, download, sample, upload

AMBIGUOUS = [("25,140", ["25140", "25.140"]), ("1.234,5", ["1234.5", "no number"]), ("1,234,567", ["1234567", "no number"])]


def findings_of(response) -> list[dict]:
    return response.json()["error"]["findings"]


@pytest.fixture
def draft(make_declaration):
    return make_declaration(results=False)


@pytest.fixture
def mill(client_for, mill_alice):
    return client_for(mill_alice)


# ---------------------------------------------------------------- part 2: separators, on every path


@pytest.mark.parametrize(("given", "readings"), AMBIGUOUS)
def test_json_strings_with_ambiguous_separators_are_refused_with_both_readings(mill, draft, given, readings):
    matrix = {code: {m: str(v) for m, v in row.items()} for code, row in sample().results.items()}
    matrix["GWP-total"]["A1-A3"] = given
    response = mill.put(f"/api/v1/declarations/{draft.pk}/results/", {"results": matrix}, format="json")
    assert response.status_code == 400
    (finding,) = [f for f in findings_of(response) if f["check"] == "value"]
    assert finding["field"] == "results.GWP-total.A1-A3"
    assert all(reading in finding["message"] for reading in readings), finding["message"]
    assert not draft.results.exists()


@pytest.mark.parametrize(("given", "readings"), AMBIGUOUS)
def test_xlsx_text_cells_with_ambiguous_separators_are_refused_naming_the_cell(client, mill, draft, given, readings):
    book = Workbook(download(client, "xlsx")).fill(sample().results)
    cell = book.cell("GWP-total", "A1-A3")
    cell.value = given  # a text cell, as typed with an apostrophe or pasted from a PDF
    response = upload(mill, draft, book.bytes())
    assert response.status_code == 400
    (finding,) = [f for f in findings_of(response) if f["check"] == "value"]
    assert (finding["row"], finding["column"]) == (cell.row, cell.column_letter)
    assert finding["message"].startswith(f"Cell {cell.coordinate} (GWP-total, A1-A3): “{given}” can be read two ways")
    assert all(reading in finding["message"] for reading in readings)


def test_xlsx_number_cells_are_taken_as_they_are(client, mill, draft):
    book = Workbook(download(client, "xlsx")).fill(sample().results)
    book.cell("GWP-total", "A1-A3").value = 25140.0  # a number cell has no separators to misread
    book.cell("GWP-total", "A1-A3").number_format = "#,##0"  # shown as 25,140
    response = upload(mill, draft, book.bytes())
    assert response.status_code == 400  # refused, but for the right reason: P4/P2, not the separators
    assert not [f for f in findings_of(response) if f["check"] == "value"]
    assert {"P4", "P19", "P2"} & {f["check"] for f in findings_of(response)}


def test_csv_cells_with_a_thousands_comma_are_refused_never_read_as_decimals(client, mill, draft):
    rows = list(csv.reader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    header = rows[2]
    for row in rows[3:]:
        for module, value in sample().results.get(row[0], {}).items():
            row[header.index(module)] = str(value)
    gwp_row = next(r for r in rows if r[0] == "GWP-total")
    gwp_row[header.index("A1-A3")] = "2,150"  # 2150 kg, the English way; 2.150 the German way
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = upload(mill, draft, out.getvalue().encode(), "results.csv")
    assert response.status_code == 400
    (finding,) = [f for f in findings_of(response) if f["check"] == "value"]
    assert "2150" in finding["message"] and "2.150" in finding["message"] and finding["indicator"] == "GWP-total"
    assert not Declaration.objects.get(pk=draft.pk).results.exists()


def test_the_results_grid_refuses_an_ambiguous_cell_and_keeps_what_was_typed(mill, draft):
    data = {f"v|{code}|{m}": str(v) for code, row in sample().results.items() for m, v in row.items()}
    data["v|GWP-total|A1-A3"] = "25,140"
    data.update({f"mnd|{m}": "on" for m in catalogue.module_codes() if m not in sample().declared_modules})
    response = mill.post(f"/declarations/{draft.pk}/results/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "can be read two ways: 25140 the English way" in page
    assert 'value="25,140"' in page  # the grid shows what the mill typed, to correct it there
    assert not draft.results.exists()


# ---------------------------------------------------------------- part 2: module names as real files write them


@pytest.mark.parametrize("spelling", ["A1–A3", "A1A2A3", "A1+A2+A3", "A1-3", "a1 - a3"])
def test_json_module_spellings_are_read_as_a1_a3_with_one_note(mill, draft, spelling):
    matrix = {code: {(spelling if m == "A1-A3" else m): str(v) for m, v in row.items()} for code, row in sample().results.items()}
    response = mill.put(f"/api/v1/declarations/{draft.pk}/results/", {"results": matrix}, format="json")
    assert response.status_code == 200, response.json()
    notes = [w for w in response.json()["warnings"] if w["check"] == "module"]
    assert [(n["severity"], spelling in n["message"], "A1-A3" in n["message"]) for n in notes] == [(INFO, True, True)]
    assert set(response.json()["results"]["GWP-total"]) == set(sample().declared_modules)


def test_ilcd_amounts_for_a1_a3_with_an_en_dash_are_read_with_one_note(mill, draft):
    document = sample_document()
    xml = write_ilcd(document).decode().replace('epd:module="A1-A3"', 'epd:module="A1–A3"')
    assert xml.count("A1–A3") > 30
    response = mill.post(
        f"/api/v1/declarations/{draft.pk}/results/import/", {"file": SimpleUploadedFile("epd.xml", xml.encode())}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    notes = [w for w in response.json()["warnings"] if w["check"] == "module"]
    assert len(notes) == 1 and "A1–A3" in notes[0]["message"]
    assert "A1-A3" in response.json()["results"]["GWP-total"]


def test_spreadsheet_heading_a1_plus_a2_plus_a3_is_read_with_one_note(client, mill, draft):
    book = Workbook(download(client, "xlsx")).fill(sample().results)
    heading = book.sheet.cell(3, 4 + catalogue.module_codes().index("A1-A3"))
    heading.value = "A1+A2+A3"
    response = upload(mill, draft, book.bytes())
    assert response.status_code == 200, response.json()
    notes = [w for w in response.json()["warnings"] if w["check"] == "module"]
    assert len(notes) == 1 and notes[0]["column"] == heading.column_letter


# ---------------------------------------------------------------- part 4: the method is declared and checked


def test_a_draft_without_a_characterisation_method_cannot_be_submitted(make_declaration, mill_alice):
    declaration = make_declaration(characterisation_method="")
    report = checks.check_declaration(declaration)
    assert [f.field for f in report.errors] == ["characterisation_method"]
    assert not Declaration._meta.get_field("characterisation_method").has_default()  # EF 3.1 was once the default


def test_results_identified_by_ef30_uuids_warn_against_a_declared_ef31(mill, make_declaration, mill_alice):
    declaration = make_declaration(results=False, characterisation_method="EF 3.1")
    document = sample_document()
    document["lca"]["characterisation_method"] = "EF 3.0"  # the file declares EF 3.0, and its indicators carry EF 3.0 UUIDs
    response = mill.post(
        f"/api/v1/declarations/{declaration.pk}/results/import/",
        {"file": SimpleUploadedFile("epd.xml", write_ilcd(document))},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    taken = {t["field"]: (t["before"], t["after"]) for t in response.json()["taken"]}
    assert taken["characterisation_method"] == ("EF 3.1", "EF 3.0")  # what the file declares, said aloud
    declaration.refresh_from_db()
    assert (declaration.characterisation_method, declaration.results_method) == ("EF 3.0", "EF 3.0")
    assert not [f for f in checks.check_declaration(declaration).findings if f.check == "method"]

    # The mill sets it back to EF 3.1 by hand: the results' own identifiers disagree, and the verifier will see it.
    declaration = editing.update_declaration(declaration, actor=mill_alice, characterisation_method="EF 3.1")
    warnings = [f for f in checks.check_declaration(declaration).findings if f.check == "method"]
    assert len(warnings) == 1 and warnings[0].severity == WARNING and warnings[0].field == "characterisation_method"
    assert "EF 3.1" in warnings[0].message and "EF 3.0" in warnings[0].message
    page = mill.get(f"/declarations/{declaration.pk}/").content.decode()
    assert "the imported results identify as EF 3.0" in page


@pytest.mark.parametrize("method", ["EF 3.0", "EF 3.1"])
def test_every_artefact_names_the_declared_method(method):
    document = sample_document()
    document["lca"]["characterisation_method"] = method
    other = "EF 3.1" if method == "EF 3.0" else "EF 3.0"
    openepd = openepd_document(document)
    assert list(openepd["impacts"]) == [method]
    process = etree.fromstring(ilcd_export(document))
    compliance = [e.text for e in process.iter("{http://lca.jrc.it/ILCD/Common}shortDescription") if "EN 15804" in (e.text or "")]
    assert compliance and all(other not in text for text in compliance), compliance
    pdf_text = _pdf_text(render_pdf(document))
    assert method in pdf_text and other not in pdf_text


# ---------------------------------------------------------------- part 4: the standard is the PCR's


def test_a_pcr_under_iso_21930_is_refused_at_submission(make_declaration):
    ul = PCR.objects.get(code="ul-steel-part-b")
    assert ul.standard == "ISO 21930:2017" and not ul.is_en15804_a2
    declaration = make_declaration(pcr=ul)
    errors = checks.check_declaration(declaration).errors
    assert [(f.check, f.field) for f in errors] == [("standard", "pcr")]
    assert "ISO 21930" in errors[0].message and "EN 15804+A2" in errors[0].message


def test_an_en_15804_a1_pcr_is_refused_too(make_declaration):
    a1 = PCR.objects.create(code="old-a1", name="Old steel PCR", programme="X", core_standard="EN 15804:2012+A1:2013")
    errors = checks.check_declaration(make_declaration(pcr=a1)).errors
    assert [(f.check, "EN 15804+A1" in f.message) for f in errors] == [("standard", True)]


def test_claims_follow_the_pcr_core_standard_in_every_artefact():
    document = sample_document()
    pdf_text = _pdf_text(render_pdf(document))
    assert "according to ISO 14025 and EN 15804+A2" in pdf_text
    assert "· EN 15804+A2 · ISO 14025" in pdf_text  # the footer of every page
    assert next(c["short_name"] for c in openepd_document(document)["compliance"]).startswith("EN 15804+A2")


def _pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
