"""Exports of a published EPD: openEPD JSON (validated by openepd) and ILCD+EPD XML / ZIP."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from lxml import etree
from openepd.model.epd import Epd

from declarations import catalogue, ilcd, ilcd_master
from declarations.samples import sample_document
from registry import ilcd_export as ilcd_writer
from registry.exports import ExportError, ilcd_export, openepd_document

ROUTES_AND_CATEGORIES = [
    ("bf_bof", "flat.hrc", {"bof": True}, ["Steel", "CoilSteel"]),
    ("scrap_eaf", "long.rebar", {"eaf": True}, ["Steel", "RebarSteel"]),
    ("dri_eaf", "flat.plate", {"eaf": True}, ["Steel", "StructuralSteel", "PlateSteel"]),
    ("mixed", "long.sections", {"bof": True, "eaf": True}, ["Steel", "StructuralSteel", "HotRolledSections"]),
    ("scrap_eaf", "stainless.tube", {"eaf": True}, ["Steel", "StructuralSteel", "HollowSections"]),
    ("bf_bof", "semi.slab", {"bof": True}, ["Steel", "CrudeSteel"]),
]
P = {"p": ilcd.PROCESS, "common": ilcd.COMMON, "epd": ilcd.EPD}


def expected_values(document: dict) -> dict[tuple[str, str], Decimal]:
    return {(code, module): Decimal(value) for code, row in document["results"].items() for module, value in row.items()}


def openepd_values(exported: dict) -> dict[tuple[str, str], Decimal]:
    """(indicator, module) → value, walking the export by the catalogue's openEPD keys."""
    method = next(iter(exported["impacts"]))
    sets = {"impacts": exported["impacts"][method], "resource_uses": exported["resource_uses"], "output_flows": exported["output_flows"]}
    found = {}
    for code, indicator in catalogue.indicators().items():
        section = (
            "impacts" if "impact" in indicator.category else ("resource_uses" if indicator.category == "resource use" else "output_flows")
        )
        for scope, measurement in sets[section].get(indicator.openepd_key, {}).items():
            module = "A1-A3" if scope == "A1A2A3" else scope
            found[(code, module)] = Decimal(repr(measurement["mean"]))
    return found


# ---------------------------------------------------------------- openEPD


@pytest.mark.parametrize(("route", "category", "making_route", "path"), ROUTES_AND_CATEGORIES)
def test_openepd_export_validates_with_the_steel_extension(route, category, making_route, path):
    document = sample_document(route, category)

    exported = json.loads(json.dumps(openepd_document(document)))

    epd = Epd.model_validate(exported)
    steel = exported["specs"]["Steel"]
    assert steel["making_route"] == making_route
    assert steel["recycled_content"] == pytest.approx(float(document["product"]["recycled_content_percent"]) / 100)
    assert 0 < steel["recycled_content"] <= 1
    nested = steel
    for name in path[1:]:
        nested = nested[name]
    assert exported["product_classes"]["io.cqd.ec3"] == " >> ".join(path)
    assert steel.get("stainless") is (True if catalogue.CATEGORY_BY_CODE[category].stainless else None)
    assert exported["ext"]["steel_epd_platform"]["production_route"] == route
    assert epd.declared_unit.qty == 1 and epd.declared_unit.unit == "t"
    assert epd.kg_per_declared_unit.qty == 1000
    assert epd.program_operator_doc_id == document["registration_number"]
    assert epd.manufacturer.name == document["manufacturer"]["name"]
    assert [p.name for p in epd.plants] == ["Baoshan works, Shanghai"]
    assert epd.third_party_verifier.name == document["verification"]["body"]
    assert epd.pcr.name == document["lca"]["pcr"]["name"]
    assert epd.date_of_issue.date().isoformat() == document["issued"]
    assert epd.valid_until.date().isoformat() == document["valid_until"]


@pytest.mark.parametrize("method", ["EF 3.0", "EF 3.1"])
def test_openepd_export_keeps_every_indicator_and_module_value(method):
    document = sample_document("scrap_eaf", "long.rebar")
    document["lca"]["characterisation_method"] = method

    exported = openepd_document(document)

    assert list(exported["impacts"]) == [method]
    # EP-freshwater goes out in kgPO4e, the one unit openepd allows for it (test_openepd_export.py).
    expected = {key: value * (Decimal("3.07") if key[0] == "EP-freshwater" else 1) for key, value in expected_values(document).items()}
    assert openepd_values(exported) == expected
    assert exported["impacts"][method]["ep-fresh"]["A1A2A3"]["unit"] == "kgPO4e"
    assert exported["impacts"][method]["ap"]["C1"]["unit"] == "molHe"


def test_not_declared_values_are_left_out_not_zeroed():
    document = sample_document()
    document["results"]["PM"]["C1"] = None

    exported = openepd_document(document)

    assert "C1" not in exported["impacts"]["EF 3.1"]["PM"]
    assert exported["impacts"]["EF 3.1"]["PM"]["C2"]["mean"] == float(document["results"]["PM"]["C2"])


def test_an_export_that_does_not_validate_is_refused():
    document = sample_document()
    document["product"]["recycled_content_percent"] = "150"  # openEPD's recycled_content is a fraction ≤ 1

    with pytest.raises(ExportError, match="recycled_content"):
        openepd_document(document)


def test_a_method_other_than_ef_is_refused():
    document = sample_document()
    document["lca"]["characterisation_method"] = "CML 2001"

    with pytest.raises(ExportError):
        openepd_document(document)


# ---------------------------------------------------------------- ILCD+EPD


@pytest.mark.django_db  # reading matches the dataset's PCR against the catalogue
@pytest.mark.parametrize("archive", [False, True], ids=["xml", "zip"])
@pytest.mark.parametrize(("route", "category"), [("bf_bof", "flat.hrc"), ("scrap_eaf", "long.rebar")])
def test_ilcd_export_reads_back_every_indicator_and_module_value(route, category, archive):
    document = sample_document(route, category)

    parsed = ilcd.read_ilcd(ilcd_export(document, archive=archive), declared_unit="1 t")

    assert parsed.findings == []
    assert parsed.declared_modules == document["lca"]["declared_modules"]
    assert {(c.indicator, c.module): c.value for c in parsed.cells} == expected_values(document)
    # GWP-GHG travels as the master data's country-specific "GWP-IOBC/GHG" indicator.
    assert {code for code in document["results"] if not catalogue.indicators()[code].ilcd_uuid_ef30} == set()


def uuids_in(xml: bytes) -> set[str]:
    root = etree.fromstring(xml)
    return {e.get("refObjectId") for e in root.iter() if e.get("refObjectId")}


@pytest.mark.parametrize("method", ["EF 3.0", "EF 3.1"])
def test_ilcd_xml_is_well_formed_and_uses_the_uuids_of_its_method(method):
    document = sample_document()
    document["lca"]["characterisation_method"] = method
    other = "EF 3.0" if method == "EF 3.1" else "EF 3.1"

    xml = ilcd_export(document)

    root = etree.fromstring(xml)  # raises on anything not well-formed
    assert root.tag == f"{{{ilcd.PROCESS}}}processDataSet"
    present = uuids_in(xml)
    indicators = [ind for code, ind in catalogue.indicators().items() if code in document["results"] and ind.ilcd_uuid_ef30]
    assert {ilcd_writer.ilcd_uuid(ind, method) for ind in indicators} <= present
    only_other = {ilcd_writer.ilcd_uuid(ind, other) for ind in indicators} - {ilcd_writer.ilcd_uuid(ind, method) for ind in indicators}
    assert only_other and not (only_other & present)
    compliance = catalogue.ilcd_compliance_sources()
    assert compliance[f"EN 15804+A2 ({method})"] in present
    assert compliance[f"EN 15804+A2 ({other})"] not in present


def test_ilcd_process_carries_the_publication_facts():
    document = sample_document()
    root = etree.fromstring(ilcd_export(document))

    def text(path: str) -> str:
        return root.findtext(path, namespaces=P)

    assert text("p:administrativeInformation/p:publicationAndOwnership/common:registrationNumber") == document["registration_number"]
    assert text("p:administrativeInformation/p:publicationAndOwnership/common:dataSetVersion") == "01.00.000"
    assert text("p:processInformation/p:time/common:referenceYear") == "2025"
    assert text("p:processInformation/p:time/common:dataSetValidUntil") == "2031"
    assert text("p:modellingAndValidation/p:LCIMethodAndAllocation/p:typeOfDataSet") == "EPD"
    review = root.find("p:modellingAndValidation/p:validation/p:review", P)
    assert review.get("type") == "Independent external review"
    reviewers = [r.text for r in review.iterfind("common:referenceToNameOfReviewerAndInstitution/common:shortDescription", P)]
    assert reviewers == ["Veritas Certification GmbH", "Vera Verifier"]  # the body first: readers take the first as the verifier
    pcr = root.find("p:modellingAndValidation/p:LCIMethodAndAllocation/p:referenceToLCAMethodDetails/common:shortDescription", P)
    assert pcr.text.startswith("EN 17662:2021")
    reference = root.find("p:exchanges/p:exchange[@dataSetInternalID='0']", P)
    assert reference.findtext("p:meanAmount", namespaces=P) == "1000"


def test_ilcd_archive_holds_the_process_and_what_it_refers_to():
    document = sample_document()

    archive = zipfile.ZipFile(io.BytesIO(ilcd_export(document, archive=True)))

    names = archive.namelist()
    assert len([n for n in names if n.startswith("ILCD/processes/")]) == 1
    for name in names:
        etree.fromstring(archive.read(name))
    process = etree.fromstring(archive.read(next(n for n in names if n.startswith("ILCD/processes/"))))
    local = {n.rsplit("/", 1)[-1].removesuffix(".xml") for n in names}
    for reference in process.iter():
        kind = reference.get("type")
        if kind in ("contact data set", "flow data set") and reference.get("refObjectId") not in {
            ind.ilcd_uuid_ef30 for ind in catalogue.indicators().values()
        }:
            assert reference.get("refObjectId") in local, reference.get("refObjectId")
    flow = next(n for n in names if n.startswith("ILCD/flows/"))
    assert ilcd_master.flow_properties()["Mass"].uuid in archive.read(flow).decode()


def test_ilcd_export_is_the_same_bytes_every_time_and_new_versions_keep_the_uuid():
    first, again = ilcd_export(sample_document(), archive=True), ilcd_export(sample_document(), archive=True)
    second_version = ilcd_export(sample_document(version=2))

    assert first == again
    root = etree.fromstring(second_version)
    assert root.findtext("p:processInformation/p:dataSetInformation/common:UUID", namespaces=P) == ilcd_writer.process_uuid(
        "EPD-STEEL-2026-000123"
    )
    preceding = root.find("p:administrativeInformation/p:publicationAndOwnership/common:referenceToPrecedingDataSetVersion", P)
    assert preceding.get("version") == "01.00.000"
