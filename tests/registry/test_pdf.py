"""The published EPD PDF: real WeasyPrint output, read back with poppler (pdftotext, pdffonts, pdfinfo)."""

import copy
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
from django.test import override_settings

from declarations import catalogue
from declarations.samples import sample_document
from registry.charts import compact_number, gwp_by_module_svg
from registry.pdf import (
    ExternalResourceRefused,
    LocalOnlyFetcher,
    epd_type,
    format_value,
    html_to_pdf,
    module_ranges,
    render_pdf,
)

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext, pdffonts, pdfinfo)")

REGISTRATION_NUMBER = "EPD-STEEL-2026-000123"
VALID_UNTIL = "2031-11-23"
SVG = "{http://www.w3.org/2000/svg}"


def poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_count(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(path)), re.MULTILINE).group(1))


def page_text(path: Path, page: int, *, layout: bool = True) -> str:
    """The page's text; with layout, table rows stay on one line, without it, columns stay together."""
    return poppler("pdftotext", "-f", str(page), "-l", str(page), *(["-layout"] if layout else []), str(path), "-")


def row(text: str, label: str) -> list[str]:
    """The words of the results-table row that starts with an indicator's code and English name."""
    return next(line for line in text.splitlines() if line.strip().startswith(label)).split()


def all_text(path: Path) -> str:
    return poppler("pdftotext", "-layout", str(path), "-")


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "epd.pdf"
    path.write_bytes(render_pdf(sample_document()))
    return path


@pytest.fixture
def request_log():
    """A local HTTP server that records every request; the renderer must never call it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.end_headers()
            self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_a_normal_epd_fills_about_three_a4_pages(sample_pdf):
    assert 3 <= page_count(sample_pdf) <= 4
    assert "595.276 x 841.89 pts (A4)" in poppler("pdfinfo", str(sample_pdf))


def test_every_page_shows_registration_number_version_validity_and_page_of(sample_pdf):
    pages = page_count(sample_pdf)
    for page in range(1, pages + 1):
        text = page_text(sample_pdf, page)
        assert REGISTRATION_NUMBER in text, page
        assert "Version 版本 1" in text, page
        assert f"Valid until 有效期至 {VALID_UNTIL}" in text, page
        assert f"Page {page} of {pages}" in text, page
        assert f"第 {page} 页，共 {pages} 页" in text, page


def test_labels_are_bilingual(sample_pdf):
    text = all_text(sample_pdf)
    for label in (
        "Environmental Product Declaration",
        "环境产品声明",
        "全球变暖潜势",
        "系统边界",
        "生产商",
        "声明单位",
        "有效期至",
        "验证",
    ):
        assert label in text, label
    assert "热轧卷板 S355MC" in text
    assert "BF-BOF（长流程：高炉—转炉）" in text


def test_every_mandatory_indicator_code_and_its_unit_is_printed(sample_pdf):
    text = all_text(sample_pdf)
    for code in catalogue.mandatory_indicator_codes():
        indicator = catalogue.indicators()[code]
        assert re.search(rf"(^|\s){re.escape(code)}\s", text, re.MULTILINE), code
        assert indicator.name_zh in text.replace("\n", ""), code
    assert "kg CO2 eq." in text
    assert "mol H+ eq." in text


def test_optional_indicators_appear_when_declared_with_their_disclaimers(sample_pdf):
    text = " ".join(all_text(sample_pdf).split())
    for code in ("PM", "IRP", "ETP-fw", "HTP-c", "HTP-nc", "SQP"):
        assert f" {code} " in text, code
    rules = catalogue.rules()["disclaimers"]
    assert "1 " + rules["disclaimer_1_IRP"][:60] in text
    assert "2 " + rules["disclaimer_2"][:60] in text


def test_system_boundary_marks_declared_modules_x_and_the_others_mnd(sample_pdf):
    text = page_text(sample_pdf, 2)
    status_row = next(line for line in text.splitlines() if "MND" in line)
    assert status_row.split() == ["X", "X", "X"] + ["MND"] * 9 + ["X"] * 5
    assert "MND = module not declared" in text
    assert "(A4–A5, B1–B7)" in text


def test_results_print_the_digits_given_and_separate_nd_from_zero():
    assert format_value("2897.5") == "2897.5"  # neither rounded to 2.90E+03 …
    assert format_value("2.40") == "2.40"  # … nor stripped of the zero the source printed
    assert format_value("2.16E+3") == "2.16E+03"  # given in E notation: three digits, not 2160
    assert format_value("0.0000000609") == "6.09E-08"
    assert format_value("-990.56") == "-990.56"
    assert format_value("1234567") == "1.234567E+06"
    assert format_value("0") == "0"
    assert format_value("0.000") == "0"
    assert format_value(None) == "ND"


def test_results_table_prints_values_per_module_with_module_d_last(sample_pdf):
    text = all_text(sample_pdf)
    header = next(line for line in text.splitlines() if "A1-A3" in line and "C4" in line)
    assert header.split()[-6:] == ["A1-A3", "C1", "C2", "C3", "C4", "D"]
    gwp = sample_document()["results"]["GWP-total"]
    assert row(text, "GWP-total Global")[-6:] == [gwp[m] for m in ("A1-A3", "C1", "C2", "C3", "C4", "D")]


def test_a_declared_module_without_values_shows_nd_and_leaves_mnd(tmp_path):
    document = sample_document()
    document["lca"]["declared_modules"] = ["A1-A3", "A4", "C1", "C2", "C3", "C4", "D"]
    document["results"]["GWP-total"]["A4"] = "21.3"
    path = tmp_path / "a4.pdf"
    path.write_bytes(render_pdf(document))
    text = all_text(path)
    gwp = document["results"]["GWP-total"]
    assert row(text, "GWP-total Global")[-7:] == [gwp[m] for m in ("A1-A3", "A4", "C1", "C2", "C3", "C4", "D")]
    assert row(text, "GWP-fossil Global")[-6] == "ND"
    status_row = next(line for line in text.splitlines() if "MND" in line and "X" in line)
    assert status_row.split() == ["X", "X", "X", "X"] + ["MND"] * 8 + ["X"] * 5
    assert "Cradle to gate with options (A4)" in text


@pytest.mark.parametrize(
    "extra_modules",
    [[], ["A4"], ["A4", "A5"]],
    ids=["cradle-to-gate", "with-A4", "with-A4-A5"],
)
def test_the_last_page_is_no_stub_of_a_few_lines(tmp_path, extra_modules):
    # With A4, the normal layout put the last two references alone on a fourth page (about 350 characters).
    document = sample_document()
    document["lca"]["declared_modules"] = ["A1-A3", *extra_modules, "C1", "C2", "C3", "C4", "D"]
    for module in extra_modules:
        document["results"]["GWP-total"][module] = "21.3"
    path = tmp_path / "fill.pdf"
    path.write_bytes(render_pdf(document))
    pages = page_count(path)
    last = "".join(page_text(path, pages, layout=False).split())
    assert len(last) > 1500, (pages, last)
    assert "EN ISO 14025:2010" in all_text(path)  # the references, the end of the document, are all there


def test_a_sparse_declaration_still_renders_with_placeholders(tmp_path):
    document = sample_document(route="scrap_eaf", category="long.rebar")
    document["lca"].update(pcr=None, data_period=[None, None], scenarios={}, declared_unit_mass_kg=None)
    document["product"].update(name_zh="", recycled_content_percent=None, grades=[])
    document["plants"] = []
    path = tmp_path / "sparse.pdf"
    path.write_bytes(render_pdf(document))
    text = " ".join(all_text(path).split())
    assert "None" not in text
    assert "No scenarios declared" in text
    assert "Reinforcing bar and coil" in text
    assert "废钢 EAF" in text
    assert 3 <= page_count(path) <= 4


def test_a_cradle_to_grave_epd_puts_its_fifteen_module_columns_on_landscape_pages(tmp_path):
    document = sample_document()
    modules = [code for code in catalogue.module_codes() if code not in catalogue.INDIVIDUAL_PRODUCT_MODULES]
    document["lca"]["declared_modules"] = modules
    for values in document["results"].values():
        for module in modules:
            values.setdefault(module, values["C2"])
    path = tmp_path / "grave.pdf"
    path.write_bytes(render_pdf(document))
    pages = page_count(path)
    sizes = re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", "-f", "1", "-l", str(pages), str(path)))
    landscape = [number for number, (width, height) in enumerate(sizes, start=1) if float(width) > float(height)]
    assert landscape and landscape[0] > 1
    header = next(line for line in page_text(path, landscape[0]).splitlines() if "A1-A3" in line and "B7" in line)
    assert header.split()[-15:] == modules
    status_row = next(line for line in page_text(path, 2).splitlines() if line.split()[:3] == ["X", "X", "X"])
    assert status_row.split() == ["X"] * 17
    assert "Cradle to grave and module D" in all_text(path)
    for page in range(1, pages + 1):
        assert REGISTRATION_NUMBER in page_text(path, page)


def test_verification_block_comparability_statement_and_references(sample_pdf):
    text = " ".join(page_text(sample_pdf, 1).split())
    assert "CEN standard EN 15804 serves as the core PCR" in text
    assert "Independent verification of the declaration and data according to EN ISO 14025:2010" in text
    assert "☐ internal 内部" in text
    assert "☒ external 外部" in text
    assert "Vera Verifier" in text
    assert "Veritas Certification GmbH" in text
    assert "DAkkS D-ZE-12345-01-00" in text
    assert "I hereby confirm that" in text
    assert "EPDs of construction products may not be comparable if they do not comply with EN 15804" in text
    last = " ".join(page_text(sample_pdf, page_count(sample_pdf)).split())
    assert "ISO 14025" in last and "EN 17662:2021" in last


def test_general_information_names_operator_manufacturer_plants_and_lca_data(sample_pdf):
    text = " ".join(page_text(sample_pdf, 1, layout=False).split())
    for expected in (
        "Steel EPD Platform",
        "Huadong Iron & Steel Co.",
        "1 Steel Road, Baoshan District, Shanghai",
        "Baoshan works, Shanghai, CN",
        "EN 10149-2, GB/T 3274",
        "15.0 %",
        "1 t (1000 kg)",
        "2026-11-24",
        "LCA for Experts 10.7; Sphera MLC 2024.1; EF 3.1",
        "and EN 15804+A2, characterisation factors EF 3.1",
        "2025-01-01 – 2025-12-31",
        "GreenLCA Consulting Ltd.",
    ):
        assert expected in text, expected


OPERATOR = {
    "name": "Baltic Steel EPD Programme",
    "address": "Laisvės al. 10, LT-44240 Kaunas, Lithuania",
    "website": "https://epd.baltic-steel.lt",
    "email": "registry@baltic-steel.lt",
}


def operator_block(path: Path) -> list[str]:
    """The lines of the programme-operator cell of the general information (page 1, text in reading order; the
    label's Chinese line comes before or after the cell, as poppler orders the columns)."""
    cells = re.findall(r"\nProgramme operator\n(?:项目运营方\n)?\n((?:.+\n)+)", page_text(path, 1, layout=False))
    return cells[-1].splitlines()  # the first is the cover's table of registration number, version, dates


@override_settings(PROGRAMME_OPERATOR=OPERATOR)
def test_the_programme_operator_block_prints_the_settings(tmp_path):
    path = tmp_path / "operator.pdf"
    path.write_bytes(render_pdf(sample_document()))
    assert operator_block(path) == list(OPERATOR.values())
    assert "Baltic Steel EPD Programme · EN 15804+A2 · ISO 14025" in page_text(path, 2)  # every page's footer


def test_the_embedded_default_operator_has_no_placeholder_and_leaves_off_what_is_not_set(tmp_path, settings):
    path = tmp_path / "embedded.pdf"
    path.write_bytes(render_pdf(sample_document()))
    assert operator_block(path) == ["Steel EPD Platform", settings.SITE_URL]
    for value in settings.PROGRAMME_OPERATOR.values():
        assert "example" not in value and "TBD" not in value


def test_scenarios_and_biogenic_carbon_are_printed(sample_pdf):
    text = " ".join(page_text(sample_pdf, 2).split())
    assert "Truck, 100 km to the scrap yard" in text
    assert "Distance · 运输距离: 100 km" in text
    assert "in packaging · 包装中: 0.8 kg C" in text


def test_fonts_are_embedded_cjk_subsets(sample_pdf):
    fonts = [line.split() for line in poppler("pdffonts", str(sample_pdf)).splitlines()[2:]]
    cjk = [row for row in fonts if "Noto-Sans-CJK-SC" in row[0]]
    assert cjk, fonts
    for row in fonts:
        assert re.match(r"^[A-Z]{6}\+", row[0]), row  # subset prefix
        assert row[-5:-2] == ["yes", "yes", "yes"], row  # emb, sub, uni


def test_weasyprint_subsets_fonts_with_harfbuzz():
    # Without libharfbuzz-subset WeasyPrint falls back to fontTools, about fifteen times slower with CJK fonts.
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert harfbuzz_subset is not None
    assert harfbuzz.hb_version_atleast(4, 1, 0)


def test_pdf_metadata_names_the_epd(sample_pdf):
    info = poppler("pdfinfo", str(sample_pdf))
    assert f"Title:           {REGISTRATION_NUMBER} version 1 — Hot-rolled coil S355MC" in info
    assert "Author:          Huadong Iron & Steel Co." in info


def structure_elements(pdf: Path) -> list[dict]:
    """Every element of the PDF's structure tree, depth first, read with pypdf."""
    found = []

    def walk(node) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return  # a marked-content id
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(pypdf.PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return found


def test_the_pdf_is_tagged_for_screen_readers(sample_pdf):
    catalog = pypdf.PdfReader(sample_pdf).trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "en"
    assert "Tagged:          yes" in poppler("pdfinfo", str(sample_pdf))
    kinds = [element["/S"] for element in structure_elements(sample_pdf)]
    assert kinds.count("/H1") == 1
    assert kinds.count("/H2") == 6  # the numbered sections
    assert kinds.count("/Table") >= 5 and kinds.count("/TH") > 50 and kinds.count("/TD") > 200
    figures = [str(element.get("/Alt")) for element in structure_elements(sample_pdf) if element["/S"] == "/Figure"]
    assert figures == [f"QR code of {sample_document()['links']['registry']}", "GWP-total (kg CO2 eq.) by module"]


def test_the_same_document_renders_to_the_same_bytes():
    document = sample_document(seed=3)
    assert render_pdf(document) == render_pdf(document)


def test_fetcher_refuses_everything_but_data_uris():
    fetcher = LocalOnlyFetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.com/a.css", "file:///etc/passwd", "ftp://example.com/f"):
        with pytest.raises(ExternalResourceRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 4
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"


def test_markup_in_a_product_description_is_printed_as_text_and_fetches_nothing(tmp_path, request_log):
    base, hits = request_log
    document = copy.deepcopy(sample_document())
    document["product"]["description"] = f'Coil <img src="{base}/tracker.svg"> for forming'
    path = tmp_path / "injected.pdf"
    path.write_bytes(render_pdf(document))
    assert hits == []
    text = "".join(page_text(path, 1, layout=False).split())
    assert f'Coil<imgsrc="{base}/tracker.svg">forforming' in text


def test_external_resources_in_the_html_are_refused_and_the_pdf_still_renders(request_log):
    base, hits = request_log
    fetcher = LocalOnlyFetcher()
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f"<style>@import url({base}/import.css); body {{ background: url(file:///etc/hostname) }}</style></head>"
        f'<body><p>EPD 环境产品声明</p><img src="{base}/logo.svg">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%224%22 height=%224%22/%3E"></body></html>'
    )
    pdf = html_to_pdf(html, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert hits == []
    assert set(fetcher.refused) >= {f"{base}/style.css", f"{base}/import.css", f"{base}/logo.svg", "file:///etc/hostname"}


def chart_bars(svg: str) -> tuple[list[ElementTree.Element], float]:
    root = ElementTree.fromstring(svg)
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    axis = next(line for line in root.iter(f"{SVG}line") if line.get("y1") == line.get("y2"))
    return bars, float(axis.get("y1"))


def test_chart_has_one_bar_per_declared_module_with_credits_below_the_axis():
    document = sample_document()
    svg = gwp_by_module_svg(document["results"], document["lca"]["declared_modules"])
    bars, axis_y = chart_bars(svg)
    assert [bar.get("data-module") for bar in bars] == ["A1-A3", "C1", "C2", "C3", "C4", "D"]
    for bar in bars:
        top, height = float(bar.get("y")), float(bar.get("height"))
        if float(bar.get("data-value")) < 0:
            assert top == pytest.approx(axis_y, abs=0.1), bar.attrib
        else:
            assert top + height == pytest.approx(axis_y, abs=0.15), bar.attrib
    assert float(bars[-1].get("data-value")) < 0
    heights = {bar.get("data-module"): float(bar.get("height")) for bar in bars}
    assert heights["A1-A3"] > heights["D"] > heights["C1"]
    assert "2,900" in svg and "-991" in svg


def test_chart_orders_modules_and_leaves_a_module_without_value_unbarred():
    results = {"GWP-total": {"D": "-120", "A1-A3": "850.5", "C3": None}}
    svg = gwp_by_module_svg(results, ["D", "C3", "A1-A3"])
    bars, _ = chart_bars(svg)
    assert [bar.get("data-module") for bar in bars] == ["A1-A3", "D"]
    assert ">ND</text>" in svg


def test_chart_numbers_are_short():
    from decimal import Decimal

    assert compact_number(Decimal("2897.5")) == "2,900"
    assert compact_number(Decimal("7.7025")) == "7.70"
    assert compact_number(Decimal("0.95837")) == "0.958"
    assert compact_number(Decimal("-990.56")) == "-991"
    assert compact_number(Decimal("0.0000123")) == "1.23E-05"


def test_not_declared_modules_are_summarised_as_ranges():
    assert module_ranges(["A4", "A5", "B1", "B2", "B3", "B4", "B5", "B6", "B7"]) == "A4–A5, B1–B7"
    assert module_ranges(["A5", "B2", "B4", "B5"]) == "A5, B2, B4–B5"
    assert module_ranges([]) == ""


def test_epd_type_follows_the_declared_modules():
    gate = ["A1-A3", "C1", "C2", "C3", "C4", "D"]
    assert epd_type(gate)["en"] == "Cradle to gate with modules C1–C4 and D"
    assert epd_type(["A1-A3"])["en"] == "Cradle to gate"
    everything = [code for code in catalogue.module_codes() if code not in ("A1", "A2", "A3")]
    assert epd_type(everything)["en"] == "Cradle to grave and module D"
