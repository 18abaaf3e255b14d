"""openEPD documents in: our own export read back, a hand-written rebar EPD, and broken documents."""

import copy
import json
from decimal import Decimal

import pytest

from declarations import imports
from declarations.openepd_io import read_openepd
from declarations.samples import sample_document
from declarations.validation import ERROR, INFO, WARNING, normalise_unit
from registry.exports import openepd_document

# Reading a document matches its PCR against the catalogue.
pytestmark = pytest.mark.django_db

SCOPES = ("A1A2A3", "C1", "C2", "C3", "C4", "D")


def scopes(unit: str, *values: float) -> dict:
    return {scope: {"mean": value, "unit": unit} for scope, value in zip(SCOPES, values, strict=True)}


def rebar_epd() -> dict:
    """A scrap-EAF rebar EPD shaped like the openEPD documents EC3 hands out, EF 3.1 impacts."""
    return {
        "doctype": "openEPD",
        "openepd_version": "0.1",
        "language": "en",
        "product_name": "B500B reinforcing bar, 8-40 mm",
        "date_of_issue": "2025-03-01T00:00:00Z",
        "valid_until": "2030-02-28T00:00:00Z",
        "declared_unit": {"qty": 1, "unit": "t"},
        "kg_per_declared_unit": {"qty": 1000, "unit": "kg"},
        "manufacturer": {"name": "Acme Rebar S.A.", "web_domain": "acme-rebar.example"},
        "plants": [{"name": "Rebar mill Bilbao", "location": {"country": "ES", "address": "Bilbao"}}],
        "program_operator": {"name": "EPD International AB", "web_domain": "environdec.com"},
        "program_operator_doc_id": "S-P-01234",
        "third_party_verifier": {"name": "Independent Verifier Ltd."},
        "pcr": {"name": "PCR 2019:14 Construction products", "version": "1.3.4"},
        "compliance": [{"short_name": "EN 15804+A2"}],
        "product_classes": {"io.cqd.ec3": "Steel >> RebarSteel"},
        "specs": {
            "Steel": {
                "recycled_content": 0.97,
                "making_route": {"eaf": True},
                "yield_tensile_str": "500 MPa",
                "RebarSteel": {"diameter_min": "8 mm"},
            }
        },
        "impacts": {
            "EF 3.1": {
                "gwp": {**scopes("kgCO2e", 616.03, 4.222, 8.06, 1.944, 0.4815, -271.92), "C_scenarios": []},
                "gwp-fossil": scopes("kgCO2e", 612, 4.21, 8.05, 1.92, 0.48, -271),
                "gwp-biogenic": scopes("kgCO2e", 3.4, 0.01, 0.004, 0.02, 0.001, -0.8),
                "gwp-luluc": scopes("kgCO2e", 0.63, 0.002, 0.006, 0.004, 0.0005, -0.12),
                "GWP_GHG": scopes("kgCO2e", 612.63, 4.212, 8.056, 1.924, 0.4805, -271.12),
                "odp": scopes("kgCFC11e", 2.1e-8, 8.3e-10, 1.7e-9, 3.1e-10, 1.1e-10, -6.2e-9),
                "ap": scopes("molHe", 2.45, 0.042, 0.028, 0.011, 0.0034, -1.12),
                "ep-fresh": scopes("kgPe", 8.9e-4, 1.3e-5, 6.1e-6, 4.4e-6, 3.2e-7, -3.1e-4),
                "ep-marine": scopes("kgNe", 0.51, 0.019, 0.012, 0.0041, 0.0012, -0.21),
                "ep-terr": scopes("molNe", 5.62, 0.21, 0.13, 0.045, 0.013, -2.3),
                "pocp": scopes("kgNMVOCe", 1.93, 0.057, 0.039, 0.012, 0.0036, -0.88),
                "ADP-mineral": scopes("kgSbe", 3.1e-3, 1.9e-7, 2.6e-7, 9.4e-8, 2.2e-8, -1.2e-3),
                "ADP-fossil": scopes("MJ", 7150, 56.9, 112, 25.4, 6.8, -2980),
                "WDP": scopes("m3AWARE", 38.2, 0.11, 0.09, 0.31, 0.02, -11.5),
            },
            "TRACI 2.1": {"gwp": {"A1A2A3": {"mean": 598, "unit": "kgCO2e"}}},
        },
        "resource_uses": {
            "pere": scopes("MJ", 1210, 0.38, 1.56, 3.9, 0.12, -215),
            "perm": scopes("MJ", 0, 0, 0, 0, 0, 0),
            "pert": scopes("MJ", 1210, 0.38, 1.56, 3.9, 0.12, -215),
            "penre": scopes("MJ", 7290, 57.1, 112.5, 25.6, 6.85, -3010),
            "penrm": scopes("MJ", 12.5, 0, 0, 0, 0, 0),
            "penrt": scopes("MJ", 7302.5, 57.1, 112.5, 25.6, 6.85, -3010),
            "sm": scopes("t", 1.085, 0, 0, 0, 0, 0),
            "rsf": scopes("MJ", 0, 0, 0, 0, 0, 0),
            "nrsf": scopes("MJ", 15.2, 0, 0, 0, 0, 0),
            "fw": scopes("m3", 3.12, 0.0041, 0.011, 0.021, 0.0009, -0.84),
        },
        "output_flows": {
            "hwd": scopes("kg", 0.021, 1e-6, 2e-6, 3e-5, 1e-6, -0.004),
            "nhwd": scopes("kg", 12.4, 0.002, 0.006, 0.4, 50, -3.1),
            "rwd": scopes("kg", 0.012, 3e-5, 2.2e-5, 1.1e-4, 6e-6, -0.0031),
            "cru": scopes("kg", 0, 0, 0, 0, 0, 0),
            "mfr": scopes("kg", 41.5, 0, 0, 950, 0, 0),
            "mer": scopes("kg", 0, 0, 0, 0, 0, 0),
            "ee": scopes("MJ", 0, 0, 0, 0, 0, 0),
            "eh": scopes("MJ", 0, 0, 0, 0, 0, 0),
        },
    }


def by_cell(parsed) -> dict:
    return {(c.indicator, c.module): c for c in parsed.cells}


def errors(parsed) -> list:
    return [f for f in parsed.findings if f.severity == ERROR]


# ---------------------------------------------------------------- our own export, read back


@pytest.mark.parametrize(("route", "category"), [("bf_bof", "flat.hrc"), ("scrap_eaf", "long.rebar"), ("dri_eaf", "stainless.flat")])
def test_own_export_reads_back_to_the_same_values(route, category):
    document = sample_document(route, category)
    exported = json.loads(json.dumps(openepd_document(document)))

    parsed = read_openepd(exported, declared_unit="1 t")

    assert parsed.findings == []
    assert parsed.declared_modules == document["lca"]["declared_modules"]
    expected = {(code, module): Decimal(value) for code, row in document["results"].items() for module, value in row.items()}
    normalised = {key: normalise_unit(cell) for key, cell in by_cell(parsed).items()}
    assert {key: cell.value for key, (cell, _findings) in normalised.items()} == expected
    # The export sends EP-freshwater in kgPO4e (the unit openepd allows): reading it back converts, with P20's warning.
    warned = {key: [(f.severity, f.check) for f in findings] for key, (_cell, findings) in normalised.items() if findings}
    assert warned == {key: [(WARNING, "P20")] for key in expected if key[0] == "EP-freshwater"}


# ---------------------------------------------------------------- a real-world-shaped document


def test_rebar_epd_with_ef31_impacts_imports():
    parsed = read_openepd(rebar_epd(), declared_unit="1 t")

    assert errors(parsed) == []
    cells = by_cell(parsed)
    assert cells[("GWP-total", "A1-A3")].value == Decimal("616.03")
    assert cells[("GWP-total", "A1-A3")].field == "impacts.EF 3.1.gwp.A1A2A3"
    assert cells[("GWP-GHG", "D")].value == Decimal("-271.12")
    assert cells[("ODP", "C1")].value == Decimal("8.3E-10")
    assert cells[("SM", "A1-A3")].value == Decimal("1085")  # 1.085 t in kg
    assert cells[("EEE", "C3")].value == 0
    assert len(parsed.cells) == 32 * 6
    assert parsed.declared_modules == ["A1-A3", "C1", "C2", "C3", "C4", "D"]
    # The TRACI set is not EN 15804+A2; it is named, not silently dropped. EAF alone does not tell scrap from DRI.
    assert [(f.severity, f.field) for f in parsed.findings] == [(WARNING, "impacts.TRACI 2.1"), (INFO, "specs.Steel.making_route")]


def test_ep_freshwater_in_phosphate_is_passed_on_for_conversion():
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["ep-fresh"] = scopes("kgPO4e", 3.07e-3, 3.07e-5, 0, 0, 0, 0)

    parsed = read_openepd(document, declared_unit="1 t")

    cell = by_cell(parsed)[("EP-freshwater", "A1-A3")]
    assert cell.unit == "kg PO4 eq."
    converted, findings = normalise_unit(cell)
    assert converted.value == Decimal("0.001")
    assert [(f.severity, f.check, f.field) for f in findings] == [(WARNING, "P20", "impacts.EF 3.1.ep-fresh.A1A2A3")]


def test_document_per_kg_is_converted_to_the_tonne_with_a_warning():
    document = rebar_epd()
    document["declared_unit"] = {"qty": 1, "unit": "kg"}

    parsed = read_openepd(document, declared_unit="1 t")

    assert by_cell(parsed)[("GWP-total", "A1-A3")].value == Decimal("616030")
    warning = next(f for f in parsed.findings if f.field == "declared_unit")
    assert warning.severity == WARNING
    assert "1 kg" in warning.message and "1 t" in warning.message


def test_declared_unit_that_is_not_a_mass_is_an_error():
    document = rebar_epd()
    document["declared_unit"] = {"qty": 1, "unit": "m2"}

    parsed = read_openepd(document, declared_unit="1 t")

    assert parsed.cells == []
    assert [(f.check, f.field) for f in errors(parsed)] == [("P1", "declared_unit")]


# ---------------------------------------------------------------- bad documents


def test_wrong_unit_names_the_json_path_and_indicator():
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["gwp-fossil"]["C2"]["unit"] = "kgSO2e"

    parsed = read_openepd(document, declared_unit="1 t")

    (finding,) = errors(parsed)
    assert (finding.check, finding.field, finding.indicator, finding.module) == ("P20", "impacts.EF 3.1.gwp-fossil.C2", "GWP-fossil", "C2")
    assert "kgSO2e" in finding.message and "kgCO2e" in finding.message
    assert parsed.cells == []


def test_a1_unit_openepd_allows_is_refused_by_our_unit_check():
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["ap"] = scopes("kgSO2e", 1.9, 0.03, 0.02, 0.01, 0.003, -0.9)

    parsed = read_openepd(document, declared_unit="1 t")

    cell = by_cell(parsed)[("AP", "C1")]
    _cell, findings = normalise_unit(cell)
    assert [(f.severity, f.check, f.field, f.indicator, f.module) for f in findings] == [(ERROR, "P20", "impacts.EF 3.1.ap.C1", "AP", "C1")]
    assert "EN 15804+A1" in findings[0].message


def test_unknown_unit_is_refused():
    document = rebar_epd()
    document["output_flows"]["mfr"]["C3"]["unit"] = "tonnes"

    parsed = read_openepd(document, declared_unit="1 t")

    assert [(f.field, f.indicator, f.module) for f in errors(parsed)] == [("output_flows.mfr.C3", "MFR", "C3")]
    assert "tonnes" in errors(parsed)[0].message


def test_unknown_scope_names_the_json_path():
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["gwp"]["A1-A3"] = document["impacts"]["EF 3.1"]["gwp"].pop("A1A2A3")

    parsed = read_openepd(document, declared_unit="1 t")

    (finding,) = errors(parsed)
    assert (finding.check, finding.field, finding.indicator) == ("module", "impacts.EF 3.1.gwp.A1-A3", "GWP-total")
    assert "A1A2A3" in finding.message


def test_broken_structure_lists_pydantic_errors_with_their_paths():
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["odp"]["C1"]["mean"] = "lots"
    document["output_flows"] = ["hwd", 1]

    parsed = read_openepd(document, declared_unit="1 t")

    assert {f.field for f in errors(parsed)} == {"output_flows"}
    assert parsed.cells == []

    document["output_flows"] = {"hwd": [1, 2]}
    parsed = read_openepd(document, declared_unit="1 t")
    assert {f.field for f in errors(parsed)} == {"output_flows.hwd"}

    del document["output_flows"]
    parsed = read_openepd(document, declared_unit="1 t")
    (odp,) = errors(parsed)
    assert odp.field == "impacts.EF 3.1.odp.C1.mean"
    assert (odp.indicator, odp.module) == ("ODP", "C1")
    assert "does not fit the openEPD format" in odp.message
    assert parsed.cells == []


def test_missing_unit_is_refused():
    document = rebar_epd()
    del document["impacts"]["EF 3.1"]["pocp"]["D"]["unit"]

    parsed = read_openepd(document, declared_unit="1 t")

    assert [(f.field, f.indicator, f.module) for f in errors(parsed)] == [("impacts.EF 3.1.pocp.D", "POCP", "D")]


@pytest.mark.parametrize(
    "data",
    [
        [{"doctype": "openEPD"}],
        {"doctype": "openIndustryEpd", "impacts": {}},
        {"registration_number": "EPD-STEEL-2026-000123", "results": {"GWP-total": {"A1-A3": "2150"}}},
    ],
    ids=["a list", "an industry EPD", "the platform's own JSON"],
)
def test_a_document_that_is_not_an_openepd_epd_is_refused(data):
    parsed = read_openepd(data, declared_unit="1 t")

    assert parsed.cells == []
    (finding,) = parsed.findings
    assert finding.severity == ERROR
    assert finding.field in ("", "doctype")


def test_impacts_under_both_ef_versions_are_refused():
    document = rebar_epd()
    document["impacts"]["EF 3.0"] = copy.deepcopy(document["impacts"]["EF 3.1"])

    parsed = read_openepd(document, declared_unit="1 t")

    assert [f.field for f in errors(parsed)] == ["impacts"]
    assert not any(c.indicator == "GWP-total" for c in parsed.cells)


def test_reading_leaves_the_document_unchanged():
    document = rebar_epd()
    before = copy.deepcopy(document)

    read_openepd(document, declared_unit="1 t")

    assert document == before


# ---------------------------------------------------------------- through the API

needs_dispatcher = pytest.mark.skipif(
    not hasattr(imports, "read_results_file"), reason="imports.read_results_file (the file dispatcher) is not written yet"
)


def upload(client, declaration, data: dict, name: str = "epd.openepd.json"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = json.dumps(data).encode()
    return client.post(
        f"/api/v1/declarations/{declaration.pk}/results/import/",
        {"file": SimpleUploadedFile(name, content, content_type="application/json")},
        format="multipart",
    )


@needs_dispatcher
@pytest.mark.django_db
def test_api_imports_an_openepd_file(client_for, make_declaration, mill_alice):
    declaration = make_declaration(results=False)

    response = upload(client_for(mill_alice), declaration, rebar_epd())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["declared_modules"] == ["A1-A3", "C1", "C2", "C3", "C4", "D"]
    assert Decimal(body["results"]["GWP-total"]["A1-A3"]) == Decimal("616.03")
    assert Decimal(body["results"]["SM"]["A1-A3"]) == Decimal("1085")
    assert declaration.results.count() == 32 * 6


@needs_dispatcher
@pytest.mark.django_db
def test_api_import_with_a_wrong_unit_saves_nothing_and_names_the_path(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    before = list(declaration.results.values_list("indicator", "module", "value"))
    document = rebar_epd()
    document["impacts"]["EF 3.1"]["ap"]["C3"]["unit"] = "kgSO2e"
    document["impacts"]["EF 3.1"]["ap"] = scopes("kgSO2e", 1.9, 0.03, 0.02, 0.01, 0.003, -0.9)

    response = upload(client_for(mill_alice), declaration, document)

    assert response.status_code == 400
    findings = response.json()["error"]["findings"]
    assert {"field": "impacts.EF 3.1.ap.A1A2A3", "indicator": "AP", "module": "A1-A3"}.items() <= next(
        f for f in findings if f.get("field") == "impacts.EF 3.1.ap.A1A2A3"
    ).items()
    assert list(declaration.results.values_list("indicator", "module", "value")) == before
