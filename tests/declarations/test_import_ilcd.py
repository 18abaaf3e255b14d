"""ILCD+EPD datasets in: indicators by UUID, modules and scenarios, units, and hostile files."""

import io
import zipfile
from decimal import Decimal

import pytest

from declarations import catalogue
from declarations.ilcd import read_ilcd
from declarations.samples import sample_document
from declarations.validation import ERROR, WARNING, normalise_unit
from registry.ilcd_export import write_ilcd

IND = catalogue.indicators()
KG_CO2 = "1ebf3012-d0db-4de2-aefd-ef30cedb0be1"
KG = "ad38d542-3fe9-439d-9b95-2f5f7752acaf"


def lcia_result(uuid: str, label: str, amounts: str, unit_group: str = KG_CO2, unit_label: str = "kg CO2 eqv.") -> str:
    return f"""
    <LCIAResult>
      <referenceToLCIAMethodDataSet type="LCIA method data set" refObjectId="{uuid}">
        <common:shortDescription xml:lang="en">{label}</common:shortDescription>
      </referenceToLCIAMethodDataSet>
      <meanAmount>0.0</meanAmount>
      <common:other>{amounts}
        <epd:referenceToUnitGroupDataSet type="unit group data set" refObjectId="{unit_group}">
          <common:shortDescription>{unit_label}</common:shortDescription>
        </epd:referenceToUnitGroupDataSet>
      </common:other>
    </LCIAResult>"""


def dataset(results: str = "", exchanges: str = "", scenarios: str = "") -> bytes:
    """An ILCD+EPD v1.2 process dataset as ÖKOBAUDAT publishes them, trimmed to what matters here."""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<processDataSet xmlns="http://lca.jrc.it/ILCD/Process" xmlns:common="http://lca.jrc.it/ILCD/Common"
    xmlns:epd="http://www.iai.kit.edu/EPD/2013" xmlns:epd2="http://www.indata.network/EPD/2019" version="1.1" epd2:epd-version="1.2">
  <processInformation>
    <dataSetInformation>
      <common:UUID>57a4ae65-d305-421e-b21f-a3f0c35b8abe</common:UUID>
      <name><baseName xml:lang="en">Reinforcing steel</baseName></name>
      <common:other><epd:scenarios>{scenarios}</epd:scenarios></common:other>
    </dataSetInformation>
    <quantitativeReference type="Reference flow(s)"><referenceToReferenceFlow>1</referenceToReferenceFlow></quantitativeReference>
  </processInformation>
  <modellingAndValidation><LCIMethodAndAllocation><typeOfDataSet>EPD</typeOfDataSet></LCIMethodAndAllocation></modellingAndValidation>
  <exchanges>
    <exchange dataSetInternalID="1">
      <referenceToFlowDataSet type="flow data set" refObjectId="a7432abd-0881-4977-a817-f8aaf627fb91"/>
      <meanAmount>1000.0</meanAmount>
    </exchange>{exchanges}
  </exchanges>
  <LCIAResults>{results}
  </LCIAResults>
</processDataSet>""".encode()


def amount(module: str, value: str, scenario: str | None = None) -> str:
    extra = f' epd:scenario="{scenario}"' if scenario else ""
    return f'<epd:amount epd:module="{module}"{extra}>{value}</epd:amount>'


def gwp_total(amounts: str, uuid: str | None = None, label: str = "Global Warming Potential - total (GWP-total)") -> str:
    return lcia_result(uuid or IND["GWP-total"].ilcd_uuid_ef31, label, amounts)


def cells(parsed) -> dict:
    return {(c.indicator, c.module): c for c in parsed.cells}


def errors(parsed) -> list:
    return [f for f in parsed.findings if f.severity == ERROR]


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading results


def test_reads_impacts_and_flows_by_uuid_with_exact_decimals():
    exchange = f"""
    <exchange dataSetInternalID="7">
      <referenceToFlowDataSet type="flow data set" refObjectId="c6a1f35f-2d09-4f54-8dfb-97e502e1ce92">
        <common:shortDescription xml:lang="en">Use of secondary material (SM)</common:shortDescription>
      </referenceToFlowDataSet>
      <exchangeDirection>Input</exchangeDirection>
      <meanAmount>0.0</meanAmount>
      <common:other>
        <epd:amount epd:module="A1-A3">1085</epd:amount><epd:amount epd:module="B1"/><epd:amount epd:module="C1">0.0</epd:amount>
        <epd:referenceToUnitGroupDataSet type="unit group data set" refObjectId="{KG}">
          <common:shortDescription>kg</common:shortDescription>
        </epd:referenceToUnitGroupDataSet>
      </common:other>
    </exchange>"""
    content = dataset(gwp_total(amount("A1-A3", "616.03") + amount("C1", "4.222") + amount("D", "-2.7192E2")), exchange)

    parsed = read_ilcd(content)

    assert parsed.findings == []
    got = cells(parsed)
    assert got[("GWP-total", "A1-A3")].value == Decimal("616.03")
    assert got[("GWP-total", "D")].value == Decimal("-271.92")
    assert got[("SM", "A1-A3")].value == Decimal("1085")
    assert got[("SM", "C1")].value == 0
    assert ("SM", "B1") not in got  # an empty amount is not a value
    assert parsed.declared_modules == ["A1-A3", "C1", "D"]
    assert got[("GWP-total", "C1")].field == "LCIAResults/LCIAResult[1]/epd:amount[@module='C1']"
    assert all(normalise_unit(c)[1] == [] for c in parsed.cells)


def test_ef30_and_ef31_uuids_are_both_read_but_mixing_them_warns():
    ef30 = lcia_result(IND["GWP-fossil"].ilcd_uuid_ef30, "GWP-fossil", amount("A1-A3", "600"))
    ef31 = gwp_total(amount("A1-A3", "616"))

    parsed = read_ilcd(dataset(ef30 + ef31))

    assert set(cells(parsed)) == {("GWP-fossil", "A1-A3"), ("GWP-total", "A1-A3")}
    assert [(f.severity, f.check) for f in parsed.findings] == [(WARNING, "P22")]


def test_indicator_is_known_by_uuid_and_a_contradicting_label_only_warns():
    parsed = read_ilcd(dataset(gwp_total(amount("A1-A3", "616"), label="Global Warming Potential - fossil fuels (GWP-fossil)")))

    assert list(cells(parsed)) == [("GWP-total", "A1-A3")]
    (finding,) = parsed.findings
    assert (finding.severity, finding.check, finding.indicator) == (WARNING, "P22", "GWP-total")
    assert "GWP-fossil" in finding.message


def test_a_label_alone_identifies_nothing():
    parsed = read_ilcd(dataset(gwp_total(amount("A1-A3", "616"), uuid="00000000-0000-0000-0000-000000000000")))

    assert parsed.cells == []
    assert [(f.severity, f.field) for f in parsed.findings] == [(WARNING, "LCIAResults/LCIAResult[1]")]


def test_en15804_a1_indicator_is_an_error():
    legacy = catalogue.a1_legacy_indicators()["GWP"]["uuid"]

    parsed = read_ilcd(dataset(lcia_result(legacy, "Global warming potential (GWP)", amount("A1-A3", "616"))))

    (finding,) = errors(parsed)
    assert finding.field == "LCIAResults/LCIAResult[1]"
    assert "EN 15804+A1" in finding.message


def test_unknown_module_and_bad_number_name_where_they_are():
    parsed = read_ilcd(dataset(gwp_total(amount("A6", "616") + amount("C3", "1,5e") + amount("C4", "0.48"))))

    assert [(f.check, f.field, f.indicator, f.module) for f in errors(parsed)] == [
        ("module", "LCIAResults/LCIAResult[1]/epd:amount[@module='A6']", "GWP-total", ""),
        ("value", "LCIAResults/LCIAResult[1]/epd:amount[@module='C3']", "GWP-total", "C3"),
    ]
    assert list(cells(parsed)) == [("GWP-total", "C4")]


def test_of_several_scenarios_the_default_one_is_read():
    scenarios = """
      <epd:scenario epd:default="true" epd:group="EoL" epd:name="100% recycling">
        <epd:description xml:lang="en">recycled</epd:description>
      </epd:scenario>
      <epd:scenario epd:group="EoL" epd:name="landfill"><epd:description xml:lang="en">landfilled</epd:description></epd:scenario>"""
    amounts = amount("C3", "1.9", "100% recycling") + amount("C3", "0.2", "landfill") + amount("A1-A3", "616")

    parsed = read_ilcd(dataset(gwp_total(amounts), scenarios=scenarios))

    assert parsed.findings == []
    assert cells(parsed)[("GWP-total", "C3")].value == Decimal("1.9")


def test_several_scenarios_without_a_default_are_an_error():
    amounts = amount("C3", "1.9", "recycling") + amount("C3", "0.2", "landfill")

    parsed = read_ilcd(dataset(gwp_total(amounts)))

    (finding,) = errors(parsed)
    assert (finding.indicator, finding.module) == ("GWP-total", "C3")
    assert "recycling" in finding.message and "landfill" in finding.message


def test_units_come_from_the_unit_group():
    german = lcia_result(
        IND["GWP-fossil"].ilcd_uuid_ef31, "GWP-fossil", amount("A1-A3", "600"), "0000aaaa-0000-0000-0000-000000000000", "kg CO2-Äqv."
    )
    a1_unit = lcia_result(IND["AP"].ilcd_uuid_ef30, "AP", amount("A1-A3", "2.4"), "bc50c624-a9bc-45b1-a9b0-e6b10d00476f", "kg SO2-Äqv.")

    parsed = read_ilcd(dataset(german + a1_unit))

    got = cells(parsed)
    assert got[("GWP-fossil", "A1-A3")].unit == "kg CO2 eq."
    assert normalise_unit(got[("GWP-fossil", "A1-A3")])[1] == []
    assert got[("AP", "A1-A3")].unit == "kg SO2 eq."
    (finding,) = normalise_unit(got[("AP", "A1-A3")])[1]
    assert (finding.severity, finding.check, finding.field) == (ERROR, "P20", "LCIAResults/LCIAResult[2]/epd:amount[@module='A1-A3']")


def test_not_a_process_dataset_is_refused():
    parsed = read_ilcd(b'<?xml version="1.0"?><flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow"/>')

    assert parsed.cells == []
    assert "flowDataSet" in errors(parsed)[0].message


# ---------------------------------------------------------------- archives


@pytest.mark.django_db  # the dataset's PCR is looked up in the catalogue
def test_reads_the_one_process_of_an_archive_and_converts_to_the_declared_unit():
    archive = write_ilcd(sample_document(), archive=True)

    per_tonne = read_ilcd(archive, declared_unit="1 t")
    per_kg = read_ilcd(archive, declared_unit="1 kg")

    assert per_tonne.findings == []
    tonne, kg = cells(per_tonne), cells(per_kg)
    assert kg[("GWP-total", "A1-A3")].value * 1000 == tonne[("GWP-total", "A1-A3")].value
    (warning,) = per_kg.findings
    assert (warning.severity, warning.check, warning.field) == (WARNING, "P1", "exchanges/exchange[@dataSetInternalID='0']")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"ILCD/flows/a.xml": b"<x/>"}, "no processes"),
        ({"ILCD/processes/a.xml": dataset(), "ILCD/processes/b.xml": dataset()}, "2 process datasets"),
    ],
)
def test_archive_must_hold_exactly_one_process(files, expected):
    parsed = read_ilcd(zipped(files))

    assert expected in errors(parsed)[0].message


# ---------------------------------------------------------------- hostile input


def test_entity_bomb_is_refused_quickly():
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE p [{entities}]><processDataSet xmlns="http://lca.jrc.it/ILCD/Process">&a9;</processDataSet>'

    parsed = read_ilcd(bomb.encode())

    assert parsed.cells == []
    assert "DTD" in errors(parsed)[0].message


def test_external_entity_is_never_resolved():
    xxe = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]><processDataSet xmlns="http://lca.jrc.it/ILCD/Process">&e;</processDataSet>'

    parsed = read_ilcd(xxe)

    assert "root:" not in str(parsed.findings)
    assert "DTD" in errors(parsed)[0].message


def test_zip_bomb_is_refused_without_inflating_it():
    bomb = zipped({"ILCD/processes/a.xml": b" " * (200 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024

    parsed = read_ilcd(bomb)

    assert "too large" in errors(parsed)[0].message


@pytest.mark.parametrize("content", [b"", b"not xml", b"PK\x03\x04broken", b"<processDataSet"])
def test_garbage_gives_a_finding_not_an_exception(content):
    parsed = read_ilcd(content)

    assert parsed.cells == []
    assert errors(parsed)


def test_damaged_archive_member_gives_a_finding():
    archive = bytearray(write_ilcd(sample_document(), archive=True))
    start = archive.find(b"ILCD/processes/") + 60
    archive[start : start + 200] = b"\x00" * 200

    parsed = read_ilcd(bytes(archive))

    assert parsed.cells == []
    assert "damaged" in errors(parsed)[0].message


# ---------------------------------------------------------------- through the API


@pytest.mark.django_db
def test_api_imports_an_ilcd_archive(client_for, make_declaration, mill_alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    declaration = make_declaration(results=False)
    document = sample_document("scrap_eaf", "long.rebar")
    upload = SimpleUploadedFile("epd-ilcd.zip", write_ilcd(document, archive=True), content_type="application/zip")

    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/results/import/", {"file": upload}, format="multipart")

    assert response.status_code == 200, response.json()
    saved = {(r.indicator, r.module): r.value for r in declaration.results.all()}
    expected = {(code, module): Decimal(value) for code, row in document["results"].items() for module, value in row.items()}
    assert saved == expected


@pytest.mark.django_db
def test_api_refuses_an_a1_dataset_and_saves_nothing(client_for, make_declaration, mill_alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    declaration = make_declaration()
    before = declaration.results.count()
    legacy = catalogue.a1_legacy_indicators()["GWP"]["uuid"]
    content = dataset(lcia_result(legacy, "Global warming potential (GWP)", amount("A1-A3", "616")))

    response = client_for(mill_alice).post(
        f"/api/v1/declarations/{declaration.pk}/results/import/",
        {"file": SimpleUploadedFile("epd.xml", content, content_type="application/xml")},
        format="multipart",
    )

    assert response.status_code == 400
    assert any(
        f.get("field") == "LCIAResults/LCIAResult[1]" and "EN 15804+A1" in f["message"] for f in response.json()["error"]["findings"]
    )
    assert declaration.results.count() == before


def test_a_value_given_twice_is_reported_where_the_second_one_is_and_the_first_kept():
    parsed = read_ilcd(dataset(gwp_total(amount("A1-A3", "616") + amount("C4", "0.48")) + gwp_total(amount("A1-A3", "999"))))

    assert [(f.check, f.field, f.indicator, f.module) for f in errors(parsed)] == [
        ("value", "LCIAResults/LCIAResult[2]/epd:amount[@module='A1-A3']", "GWP-total", "A1-A3"),
    ]
    assert "given twice" in errors(parsed)[0].message
    assert cells(parsed)[("GWP-total", "A1-A3")].value == Decimal("616")
