"""`manage.py import_declarations`: many workbooks, one declaration each; a bad file creates nothing."""

import io
import random
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from declarations import spreadsheet
from declarations.models import EPD, Declaration, Plant, Result
from declarations.samples import SampleResults, plausible_results

pytestmark = pytest.mark.django_db

PRODUCTS = [
    ("long.rebar", "scrap_eaf", "Rebar B500B"),
    ("flat.hrc", "bf_bof", "HRC S235JR"),
    ("long.sections", "mixed", "Sections S355J2"),
    ("stainless.flat", "scrap_eaf", "Stainless 1.4301"),
    ("flat.plate", "dri_eaf", "Plate S355N"),
]


def workbook(index: int, **overrides) -> tuple[bytes, SampleResults]:
    category, route, product = PRODUCTS[index % len(PRODUCTS)]
    sample = plausible_results(route, category, rng=random.Random(index))
    declaration = {
        "product_name": product,
        "category": category,
        "production_route": route,
        "recycled_content": sample.recycled_content,
        "pcr": "en17662",
        "reference_year": 2025,
        "data_period_start": "2025-01-01",
        "renewable_electricity_claim": "no",
        "c2_distance_km": 120,
        "standards": "EN 10080; GB/T 1499.2",
        "plant_name": f"Works {index}",
        "plant_country": "cn",
        "plant_city": "Tangshan",
        **overrides,
    }
    return spreadsheet.build_template("xlsx", results=sample.results, declaration=declaration), sample


def run(source, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_declarations", str(source), no_progress=True, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def bad_workbook() -> bytes:
    content, _sample = workbook(4, product_name="Plate with errors", category="flat.nonsense")
    book = openpyxl.load_workbook(io.BytesIO(content))
    book.worksheets[0]["Q4"] = "n/a?"  # GWP-total in C1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "two-readers"])
def test_folder_with_one_bad_file_creates_the_good_ones(tmp_path, mill_alice, jobs):
    samples = {}
    for index in range(4):
        content, samples[f"good-{index}.xlsx"] = workbook(index)
        (tmp_path / f"good-{index}.xlsx").write_bytes(content)
    (tmp_path / "bad.xlsx").write_bytes(bad_workbook())

    with pytest.raises(CommandError, match="1 of 5"):
        run(tmp_path, user="mill_alice", organization="Huadong Iron & Steel Co.", jobs=jobs)

    declarations = Declaration.objects.filter(epd__organization=mill_alice.organization).order_by("pk")
    assert declarations.count() == 4 == EPD.objects.count()
    assert not Declaration.objects.filter(product_name="Plate with errors").exists()
    assert Plant.objects.count() == 4
    first = declarations.get(plants__name="Works 0")
    assert (first.product_name, first.category, first.production_route, first.status) == ("Rebar B500B", "long.rebar", "scrap_eaf", "draft")
    assert first.pcr.code == "en17662" and first.reference_year == 2025 and first.standards == ["EN 10080", "GB/T 1499.2"]
    assert first.scenarios == {"C2": {"description": "", "distance_km": 120.0}}
    assert first.plants.get().country == "CN"
    assert first.created_by == mill_alice
    assert first.declared_modules == samples["good-0.xlsx"].declared_modules
    assert Result.objects.filter(declaration=first).count() == len(samples["good-0.xlsx"].cells())
    assert first.gwp_a1a3() == samples["good-0.xlsx"].gwp_a1a3


def test_errors_of_a_bad_file_are_listed_with_their_cells(tmp_path, mill_alice):
    (tmp_path / "bad.xlsx").write_bytes(bad_workbook())
    (tmp_path / "good.xlsx").write_bytes(workbook(1)[0])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("import_declarations", str(tmp_path), user="mill_alice", no_progress=True, stdout=out, stderr=err)
    # The summary and every error are written before the command fails.
    assert "Created 1 declaration(s); 1 file(s) failed and created nothing" in out.getvalue()
    assert "bad.xlsx" in err.getvalue() and "good.xlsx" not in err.getvalue()
    assert "[Q4, GWP-total, C1]" in err.getvalue()
    assert "flat.nonsense" in err.getvalue()
    assert Declaration.objects.count() == 1


def test_zip_archive_of_workbooks(tmp_path, mill_alice):
    archive = tmp_path / "declarations.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for index in range(3):
            out.writestr(f"mill/decl-{index}.xlsx", workbook(index)[0])
        out.writestr("__MACOSX/mill/._decl-0.xlsx", b"junk")
    out, _err = run(archive, user="mill_alice")
    assert "Created 3 declaration(s); 0 file(s) failed" in out
    assert Declaration.objects.count() == 3


def test_a_file_that_is_not_a_workbook_fails_alone(tmp_path, mill_alice):
    (tmp_path / "good.xlsx").write_bytes(workbook(0)[0])
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook at all")
    with pytest.raises(CommandError):
        run(tmp_path, user="mill_alice")
    assert Declaration.objects.count() == 1


def test_user_of_another_mill_is_refused(tmp_path, mill_alice, mill_bob):
    (tmp_path / "good.xlsx").write_bytes(workbook(0)[0])
    with pytest.raises(CommandError, match="does not belong"):
        run(tmp_path, user="mill_bob", organization="Huadong Iron & Steel Co.")
    assert Declaration.objects.count() == 0


def test_declared_unit_disagreeing_between_sheets_is_refused(tmp_path, mill_alice):
    content, _sample = workbook(0, declared_unit="1 t")
    book = openpyxl.load_workbook(io.BytesIO(content))
    book.worksheets[0]["B1"] = "1 kg"
    out = io.BytesIO()
    book.save(out)
    (tmp_path / "units.xlsx").write_bytes(out.getvalue())
    with pytest.raises(CommandError):
        run(tmp_path, user="mill_alice")
    assert Declaration.objects.count() == 0


def test_template_downloaded_from_the_api_serves_bulk_import(client_for, tmp_path, mill_alice):
    content = client_for(mill_alice).get("/api/v1/templates/results.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = next(s for s in book.worksheets if s.title.startswith("Declaration"))
    values = {"product_name": "Wire rod SAE 1008", "category": "long.wirerod", "production_route": "Scrap EAF"}
    values |= {"plant_name": "Works", "plant_country": "CN"}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in values:
            row[3].value = values[row[0].value]
    results = book.worksheets[0]
    sample = plausible_results("scrap_eaf", "long.wirerod", rng=random.Random(5))
    codes = {results.cell(r, 1).value: r for r in range(4, results.max_row + 1)}
    modules = {results.cell(3, c).value: c for c in range(4, results.max_column + 1)}
    for code, row in sample.results.items():
        for module, value in row.items():
            results.cell(codes[code], modules[module]).value = float(value)
    out = io.BytesIO()
    book.save(out)
    (tmp_path / "wirerod.xlsx").write_bytes(out.getvalue())
    run(tmp_path, user="mill_alice")
    declaration = Declaration.objects.get()
    assert (declaration.production_route, declaration.declared_unit) == ("scrap_eaf", "1 t")
