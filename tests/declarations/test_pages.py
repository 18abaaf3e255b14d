"""The producer's web pages: dashboard, editor, results grid, import, declaration page, language."""

import random
import re

import pytest
from django.test import Client

from declarations import catalogue, editing, workflow
from declarations.forms import cell_anchor
from declarations.models import Declaration, Result
from declarations.samples import minimal_pdf, plausible_results
from tests.conftest import complete_fields

pytestmark = pytest.mark.django_db

PAGES = ["", "edit/", "results/", "import/"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grid_post(declared_modules: list[str], values: dict[tuple[str, str], object]) -> dict:
    """What the results page posts: every value typed, and an MND box for each optional module not declared."""
    data = {f"v|{code}|{module}": str(value) for (code, module), value in values.items()}
    for module in catalogue.module_codes():
        if module not in declared_modules and module not in catalogue.MANDATORY_MODULES_BEYOND_GATE:
            data[f"mnd|{module}"] = "on"
    return data


def sample_values(route: str = "scrap_eaf", category: str = "long.rebar", seed: int = 1):
    sample = plausible_results(route, category, rng=random.Random(seed))
    values = {(code, module): value for code, row in sample.results.items() for module, value in row.items()}
    return sample, values


def cell_html(html: str, indicator: str, module: str) -> str:
    match = re.search(rf'<td id="{cell_anchor(indicator, module)}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell {indicator} {module}"
    return match.group(0)


def editor_post(**overrides) -> dict:
    data = {
        "product_name": "Hot-rolled coil S235JR",
        "product_name_zh": "热轧卷板 S235JR",
        "description": "",
        "category": "flat.hrc",
        "production_route": "bf_bof",
        "standards": "EN 10025-2, GB/T 700",
        "grades": "S235JR，Q235B",
        "recycled_content": "15",
        "declared_unit": "1 t",
        "pcr": "",
        "lca_software": "LCA for Experts 10.7",
        "background_database": "Sphera MLC 2024.1",
        "characterisation_method": "EF 3.1",
        "reference_year": "2025",
        "scenario-C2": "Truck to the scrap yard",
        "scenario-C2_km": "120",
        "scenario-C3": "Sorting and shredding",
        "plants-TOTAL_FORMS": "2",
        "plants-INITIAL_FORMS": "0",
        "plants-MIN_NUM_FORMS": "0",
        "plants-MAX_NUM_FORMS": "50",
        "plants-0-name": "Baoshan works",
        "plants-0-country": "cn",
        "plants-0-city": "Shanghai",
        "plants-0-olc": "8q33cf4q+qr",
        "plants-1-name": "",
        "plants-1-country": "",
        "plants-1-city": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- who sees what


def test_home_page_says_what_the_platform_is(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "EN 15804+A2" in response.content.decode()


def test_pages_need_a_login(client, make_declaration):
    declaration = make_declaration()
    for url in ["/dashboard/", "/declarations/new/", *(f"/declarations/{declaration.pk}/{page}" for page in PAGES)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["mill_alice", "operator_olga", "verifier_vera"])
def test_dashboard_renders_for_each_role(request, role, make_declaration):
    make_declaration(product_name="Rebar for the dashboard")
    user = request.getfixturevalue(role)
    response = logged_in(user).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ("Rebar for the dashboard" in html) == (role != "verifier_vera")
    assert ("New declaration" in html) == (role == "mill_alice")


@pytest.mark.parametrize("page", PAGES)
def test_producer_sees_every_page_of_its_declaration(page, make_declaration, mill_alice):
    declaration = make_declaration()
    response = logged_in(mill_alice).get(f"/declarations/{declaration.pk}/{page}")
    assert response.status_code == 200
    assert "Reinforcing steel B500B" in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_operator_reads_but_cannot_change(page, make_declaration, operator_olga):
    declaration = make_declaration()
    client = logged_in(operator_olga)
    response = client.get(f"/declarations/{declaration.pk}/{page}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "staff can change it" in html
    for label in ("Save changes", "Save results", "Import results", "Submit for verification"):
        assert label not in html
    if page:
        assert client.post(f"/declarations/{declaration.pk}/{page}", {}).status_code == 403


@pytest.mark.parametrize("user", ["mill_bob", "verifier_vera"])
def test_another_mill_or_a_verifier_gets_404(request, user, make_declaration):
    declaration = make_declaration()
    client = logged_in(request.getfixturevalue(user))
    for page in [*PAGES, "report/"]:
        assert client.get(f"/declarations/{declaration.pk}/{page}").status_code == 404, page
    for page in ["edit/", "results/", "import/", "report/", "submit/", "withdraw/"]:
        assert client.post(f"/declarations/{declaration.pk}/{page}", {}).status_code == 404, page
    declaration.refresh_from_db()
    assert declaration.status == "draft"


def test_only_producers_start_declarations(operator_olga, verifier_vera):
    for user in (operator_olga, verifier_vera):
        assert logged_in(user).get("/declarations/new/").status_code == 403


# ---------------------------------------------------------------- dashboard


def test_dashboard_groups_by_status_with_gwp(make_declaration, mill_alice):
    draft = make_declaration(product_name="Rebar draft")
    submitted = make_declaration(product_name="Rebar sent", seed=2)
    workflow.submit(submitted, actor=mill_alice)
    html = logged_in(mill_alice).get("/dashboard/").content.decode()
    assert html.index('id="status-draft"') < html.index("Rebar draft") < html.index('id="status-submitted"') < html.index("Rebar sent")
    gwp = f"{draft.gwp_a1a3():,.0f}"
    assert gwp in html
    assert "Reinforcing bar and coil" in html
    assert "Scrap EAF" in html


def _add_declarations(user, count: int) -> None:
    for index in range(count):
        declaration = editing.create_declaration(
            user.organization, actor=user, plants=[{"name": f"P{index}", "country": "CN"}], **complete_fields(product_name=f"Rebar {index}")
        )
        sample = plausible_results("scrap_eaf", rng=random.Random(index))
        editing.replace_results(declaration, sample.cells(), sample.declared_modules, actor=user)


def test_dashboard_queries_do_not_grow(mill_alice, django_assert_max_num_queries):
    client = logged_in(mill_alice)
    _add_declarations(mill_alice, 2)
    with django_assert_max_num_queries(10) as small:
        assert client.get("/dashboard/").status_code == 200
    _add_declarations(mill_alice, 25)
    with django_assert_max_num_queries(10) as large:
        response = client.get("/dashboard/")
    assert response.content.decode().count("/declarations/") >= 27
    assert len(small.captured_queries) == len(large.captured_queries)


# ---------------------------------------------------------------- editor


def test_editor_creates_a_draft(mill_alice):
    response = logged_in(mill_alice).post("/declarations/new/", editor_post())
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{declaration.pk}/import/"
    assert declaration.status == "draft"
    assert declaration.organization == mill_alice.organization
    assert declaration.standards == ["EN 10025-2", "GB/T 700"]
    assert declaration.grades == ["S235JR", "Q235B"]
    assert declaration.scenarios == {"C2": {"description": "Truck to the scrap yard", "distance_km": 120}, "C3": "Sorting and shredding"}
    assert [(p.name, p.country, p.city, p.olc) for p in declaration.plants.all()] == [("Baoshan works", "CN", "Shanghai", "8Q33CF4Q+QR")]


def test_editor_shows_errors_next_to_fields_and_saves_nothing(mill_alice):
    response = logged_in(mill_alice).post(
        "/declarations/new/",
        editor_post(
            product_name="", recycled_content="150", **{"plants-0-country": "China", "plants-0-olc": "by the river", "scenario-A4_km": "-5"}
        ),
    )
    assert response.status_code == 400
    assert Declaration.objects.count() == 0
    html = response.content.decode()
    for field_id in ("id_product_name", "id_recycled_content", "id_plants-0-country", "id_plants-0-olc", "id_scenario-A4_km"):
        field = re.search(rf'<div class="field has-error[^"]*">((?:(?!</div>).)*id="{field_id}"(?:(?!</div>).)*)</div>', html, re.S)
        assert field, field_id
        assert 'class="errorlist' in field.group(1), field_id
    assert 'value="热轧卷板 S235JR"' in html


def test_editor_saves_changes(make_declaration, mill_alice):
    declaration = make_declaration()
    data = editor_post(
        product_name="Rebar B500B, coils",
        **{"plants-TOTAL_FORMS": "1", "plants-0-name": "Changzhou works", "plants-0-country": "CN", "plants-0-city": "Changzhou"},
    )
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/edit/", data)
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.product_name == "Rebar B500B, coils"
    assert [p.name for p in declaration.plants.all()] == ["Changzhou works"]


def test_editor_refuses_a_submitted_declaration_in_words(make_declaration, mill_alice):
    declaration = make_declaration()
    workflow.submit(declaration, actor=mill_alice)
    client = logged_in(mill_alice)
    page = client.get(f"/declarations/{declaration.pk}/edit/").content.decode()
    assert "read-only" in page
    assert "Save changes" not in page
    response = client.post(f"/declarations/{declaration.pk}/edit/", editor_post(product_name="changed"))
    assert response.status_code == 409
    assert "only a draft (or one with changes requested) can be changed" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.product_name == "Reinforcing steel B500B"


def test_report_upload_and_download(make_declaration, mill_alice):
    declaration = make_declaration(report=False)
    client = logged_in(mill_alice)
    pdf = minimal_pdf("My LCA report")
    response = client.post(f"/declarations/{declaration.pk}/report/", {"report": _upload("lca.pdf", pdf)})
    assert response.status_code == 302
    page = client.get(f"/declarations/{declaration.pk}/edit/").content.decode()
    assert f'href="/declarations/{declaration.pk}/report/">lca.pdf</a>' in page
    download = client.get(f"/declarations/{declaration.pk}/report/")
    assert b"".join(download.streaming_content) == pdf


def test_report_upload_refuses_a_non_pdf(make_declaration, mill_alice):
    declaration = make_declaration(report=False)
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/report/", {"report": _upload("report.pdf", b"PK\x03\x04 zip")})
    assert response.status_code == 400
    assert "must be a PDF file that opens; “report.pdf” does not" in response.content.decode()
    declaration.refresh_from_db()
    assert not declaration.report


def test_report_upload_refuses_a_big_file(make_declaration, mill_alice, settings):
    settings.MAX_REPORT_BYTES = 100
    declaration = make_declaration(report=False)
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/report/", {"report": _upload("big.pdf", minimal_pdf())})
    assert response.status_code == 413
    assert "the limit is 0 MB" in response.content.decode()


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ---------------------------------------------------------------- results grid


def test_grid_shows_saved_values_and_mnd_columns(make_declaration, mill_alice):
    declaration = make_declaration()
    html = logged_in(mill_alice).get(f"/declarations/{declaration.pk}/results/").content.decode()
    value = declaration.results.get(indicator="GWP-total", module="A1-A3").value
    assert f'value="{value.normalize():f}"' in cell_html(html, "GWP-total", "A1-A3")
    assert 'name="mnd|A4" data-module="A4" checked' in html
    assert 'name="mnd|C1"' not in html  # mandatory module: no MND box
    assert "kg CO2 eq." in html


def test_grid_saves_the_whole_matrix(make_declaration, mill_alice):
    declaration = make_declaration(results=False)
    sample, values = sample_values()
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/results/", grid_post(sample.declared_modules, values))
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.declared_modules == sample.declared_modules
    assert declaration.results.count() == len(values)
    assert declaration.gwp_a1a3() == sample.gwp_a1a3


def test_grid_errors_are_shown_next_to_cells_and_nothing_is_saved(make_declaration, mill_alice):
    declaration = make_declaration()
    before = list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value"))
    sample, values = sample_values()
    values[("GWP-total", "A1-A3")] = "12,34.5x"
    values[("AP", "C1")] = "-3"
    values[("EP-marine", "A4")] = "0.2"  # a value in a module marked MND
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/results/", grid_post(sample.declared_modules, values))
    assert response.status_code == 400
    html = response.content.decode()
    assert "problem(s) to fix; nothing was saved" in html
    bad = cell_html(html, "GWP-total", "A1-A3")
    assert "has-error" in bad and "“12,34.5x” is not a number" in bad and 'value="12,34.5x"' in bad
    negative = cell_html(html, "AP", "C1")
    assert "has-error" in negative and "is negative" in negative and 'value="-3"' in negative
    assert "marked as not declared (MND)" in cell_html(html, "EP-marine", "A4")
    assert "has-error" not in cell_html(html, "GWP-fossil", "A1-A3")
    assert f'href="#{cell_anchor("AP", "C1")}"' in html  # the list at the top links to the cell
    assert list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value")) == before


def test_grid_names_a_missing_mandatory_module_at_its_column(make_declaration, mill_alice):
    declaration = make_declaration(results=False)
    _sample, values = sample_values()
    values = {key: value for key, value in values.items() if key[1] != "A1-A3"}
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/results/", grid_post(["C1", "C2", "C3", "C4", "D"], values))
    assert response.status_code == 400
    header = re.search(r'<th scope="col" id="col-A1_A3".*?</th>', response.content.decode(), re.S).group(0)
    assert "Module A1-A3 (or A1, A2 and A3) is mandatory" in header


# ---------------------------------------------------------------- the declaration page


def test_declaration_page_lists_findings_with_fix_links(make_declaration, mill_alice):
    declaration = make_declaration(results=False, report=False)
    html = logged_in(mill_alice).get(f"/declarations/{declaration.pk}/").content.decode()
    assert "Attach the LCA project report (PDF) for the verifier." in html
    assert f'href="/declarations/{declaration.pk}/edit/#report"' in html
    assert f'href="/declarations/{declaration.pk}/import/"' in html
    assert "Module C1 is mandatory" in html
    assert f'href="/declarations/{declaration.pk}/results/#col-C1"' in html


def test_submit_and_withdraw_buttons_follow_allowed_moves(make_declaration, mill_alice):
    declaration = make_declaration()
    client = logged_in(mill_alice)
    html = client.get(f"/declarations/{declaration.pk}/").content.decode()
    assert f'action="/declarations/{declaration.pk}/submit/"' in html
    assert f'action="/declarations/{declaration.pk}/withdraw/"' in html
    response = client.post(f"/declarations/{declaration.pk}/submit/", {"comment": "first submission"}, follow=True)
    html = response.content.decode()
    assert "Submitted for verification" in html
    assert 'data-status="submitted"' in html
    assert "first submission" in html  # the audit trail
    assert f'action="/declarations/{declaration.pk}/submit/"' not in html
    declaration.refresh_from_db()
    assert declaration.status == "submitted"


def test_refused_submission_shows_the_reason(make_declaration, mill_alice):
    declaration = make_declaration(report=False)
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/submit/", follow=True)
    html = response.content.decode()
    assert "The declaration cannot be submitted yet: fix the errors listed." in html
    assert "Attach the LCA project report (PDF) for the verifier." in html
    declaration.refresh_from_db()
    assert declaration.status == "draft"


def test_withdraw(make_declaration, mill_alice):
    declaration = make_declaration()
    client = logged_in(mill_alice)
    html = client.post(f"/declarations/{declaration.pk}/withdraw/", follow=True).content.decode()
    assert "The declaration was withdrawn." in html
    html = client.post(f"/declarations/{declaration.pk}/withdraw/", follow=True).content.decode()
    assert "cannot become" in html
    declaration.refresh_from_db()
    assert declaration.status == "withdrawn"


# ---------------------------------------------------------------- language


def test_language_switch_translates_pages_and_errors(make_declaration, mill_alice):
    declaration = make_declaration(product_name_zh="钢筋 B500B")
    client = logged_in(mill_alice)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/dashboard/"})
    assert response.status_code == 302
    html = client.get("/dashboard/").content.decode()
    assert 'lang="zh-Hans"' in html
    assert "新建声明" in html  # "New declaration"
    assert "钢筋 B500B" in html
    sample, values = sample_values()
    values[("GWP-total", "A1-A3")] = "abc"
    html = client.post(f"/declarations/{declaration.pk}/results/", grid_post(sample.declared_modules, values)).content.decode()
    assert "“abc”不是数字" in cell_html(html, "GWP-total", "A1-A3")
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert "New declaration" in client.get("/dashboard/").content.decode()


# ---------------------------------------------------------------- import


def results_csv(values: dict[tuple[str, str], object]) -> bytes:
    from declarations import spreadsheet

    results: dict[str, dict[str, str]] = {}
    for (code, module), value in values.items():
        results.setdefault(code, {})[module] = str(value)
    return spreadsheet.build_template("csv", results=results)


def test_import_page_offers_the_templates(make_declaration, mill_alice):
    declaration = make_declaration(results=False)
    html = logged_in(mill_alice).get(f"/declarations/{declaration.pk}/import/").content.decode()
    assert 'href="/api/v1/templates/results.xlsx"' in html
    assert 'href="/api/v1/templates/results.csv"' in html
    assert 'enctype="multipart/form-data"' in html


def test_import_saves_a_good_file(make_declaration, mill_alice):
    declaration = make_declaration(results=False)
    sample, values = sample_values()
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/import/", {"file": _upload("results.csv", results_csv(values))})
    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{declaration.pk}/"
    declaration.refresh_from_db()
    assert declaration.declared_modules == sample.declared_modules
    assert declaration.gwp_a1a3() == sample.gwp_a1a3


def test_import_lists_every_problem_with_row_and_column_and_saves_nothing(make_declaration, mill_alice):
    declaration = make_declaration()
    before = list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value"))
    _sample, values = sample_values()
    values[("GWP-total", "A1-A3")] = "abc"
    values[("AP", "C1")] = "1,234.5"
    values[("PENRT", "C3")] = "-2"
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/import/", {"file": _upload("results.csv", results_csv(values))})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“results.csv” was not imported." in html
    table = re.search(r'<table class="data" id="import-findings">.*?</table>', html, re.S).group(0)
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert any(row.startswith("error 4 G GWP-total A1-A3 Cell G4 (GWP-total, A1-A3): “abc” is not a number.") for row in rows), rows
    assert any(row.startswith("error 9 Q AP C1") for row in rows), rows
    assert any(" PENRT C3 " in row and "is negative" in row for row in rows), rows
    assert list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value")) == before


def test_import_refuses_a_file_that_is_not_results(make_declaration, mill_alice):
    declaration = make_declaration()
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/import/", {"file": _upload("report.pdf", minimal_pdf())})
    assert response.status_code == 400
    assert "attach the PDF as the LCA report" in response.content.decode()


def test_import_refuses_a_big_file_before_reading_it(make_declaration, mill_alice, settings):
    settings.MAX_RESULTS_FILE_BYTES = 1000
    declaration = make_declaration()
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/import/", {"file": _upload("big.csv", b"x" * 5000)})
    assert response.status_code == 413
    assert "the limit is 0.0 MB" in response.content.decode()


def test_import_into_a_submitted_declaration_is_refused(make_declaration, mill_alice):
    declaration = make_declaration()
    workflow.submit(declaration, actor=mill_alice)
    _, values = sample_values()
    response = logged_in(mill_alice).post(f"/declarations/{declaration.pk}/import/", {"file": _upload("results.csv", results_csv(values))})
    assert response.status_code == 409
    assert "only a draft (or one with changes requested) can be changed" in response.content.decode()
