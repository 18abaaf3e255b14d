"""The openEPD document of a published EPD, read as EC3 reads it: openepd's models in strict mode with exact
units, the identifiers EC3 links by (document id, plants, manufacturer, PCR, verifier), units openepd allows
for each key, and the openEPD category of every steel product category."""

import json
import typing
from decimal import Decimal

import pytest
from cqd import open_xpd_uuid
from openepd.category.base import CATEGORY_TREE
from openepd.model.lcia import ImpactSet, OutputFlowSet, ResourceUseSet
from openlocationcode import openlocationcode

from declarations import catalogue
from declarations.samples import sample_document
from registry.exports import ExportError, openepd_document
from registry.openxpd import openxpd_id
from tests.openepd_strict import strict_epd

ROUTES = catalogue.ProductionRoute.values
SECTIONS = {"impacts": ImpactSet, "resource_uses": ResourceUseSet, "output_flows": OutputFlowSet}


def exported_text(document: dict) -> str:
    return json.dumps(openepd_document(document))


def allowed_units(model: type, key: str) -> tuple[str, ...]:
    """What openepd's model declares for a key (read here from the model, not from the platform's tables)."""
    info = next(info for name, info in model.model_fields.items() if key in (name, info.alias))
    scope_set = next(arg for arg in typing.get_args(info.annotation) if arg is not type(None))
    allowed = scope_set.allowed_units
    return allowed if isinstance(allowed, tuple) else (allowed,)


# ---------------------------------------------------------------- strict validation


@pytest.mark.parametrize("category", [c.code for c in catalogue.CATEGORIES])
def test_every_category_and_route_exports_a_document_openepd_reads_strictly(category):
    for route in ROUTES:
        document = sample_document(route, category, seed=len(route))

        epd = strict_epd(exported_text(document))
        # The unvalidated build (bulk-generated registries) is as good.
        unchecked = strict_epd(json.dumps(openepd_document(document, validate=False)))

        assert epd.product_name == document["product"]["name"]
        assert epd.product_classes["io.cqd.ec3"].split(" >> ")[-1] == catalogue.CATEGORY_BY_CODE[category].openepd_class
        assert unchecked.impacts == epd.impacts and unchecked.plants == epd.plants


def test_the_strict_reader_refuses_freshwater_eutrophication_in_kg_p_eq():
    """What independent tools found in the earlier export: openepd allows ep-fresh in kgPO4e only."""
    exported = openepd_document(sample_document())
    for measurement in exported["impacts"]["EF 3.1"]["ep-fresh"].values():
        measurement["unit"] = "kgPe"

    with pytest.raises(ValueError, match="kgPO4e"):
        strict_epd(json.dumps(exported))


# ---------------------------------------------------------------- units


def test_every_unit_is_one_openepd_allows_for_its_key():
    exported = openepd_document(sample_document("dri_eaf", "long.rebar"))

    sets = {"impacts": exported["impacts"]["EF 3.1"], "resource_uses": exported["resource_uses"], "output_flows": exported["output_flows"]}
    checked = 0
    for section, by_key in sets.items():
        for key, scopes in by_key.items():
            units = {measurement["unit"] for measurement in scopes.values()}
            assert units <= set(allowed_units(SECTIONS[section], key)), (section, key, units)
            checked += 1
    assert checked == len(sample_document()["results"])


def test_freshwater_eutrophication_is_converted_to_kg_po4_eq_and_said_so():
    document = sample_document("scrap_eaf", "long.rebar")

    exported = openepd_document(document)

    declared = document["results"]["EP-freshwater"]
    sent = exported["impacts"]["EF 3.1"]["ep-fresh"]
    assert sent["A1A2A3"]["unit"] == "kgPO4e"
    assert {scope: Decimal(repr(m["mean"])) for scope, m in sent.items()} == {
        ("A1A2A3" if module == "A1-A3" else module): Decimal(value) * Decimal("3.07") for module, value in declared.items()
    }
    assert exported["ext"]["steel_epd_platform"]["unit_conversions"] == [
        {"indicator": "EP-freshwater", "openepd_key": "ep-fresh", "declared_in": "kg P eq.", "exported_in": "kgPO4e", "factor": "3.07"}
    ]
    # Everything else goes out as declared.
    assert Decimal(repr(exported["impacts"]["EF 3.1"]["ep-marine"]["C1"]["mean"])) == Decimal(document["results"]["EP-marine"]["C1"])


# ---------------------------------------------------------------- categories


@pytest.mark.parametrize("category", catalogue.CATEGORIES, ids=lambda c: c.code)
def test_each_category_maps_to_an_openepd_steel_category(category):
    node = CATEGORY_TREE.find_one(category.openepd_class)

    assert node is not None and node.unique_name == category.openepd_class
    assert "Steel" in {node.unique_name, *(a.unique_name for a in node.ancestors)}
    assert node.declared_unit.unit == "t"  # a mass, as steel EPDs declare


@pytest.mark.parametrize(
    ("code", "path", "flags"),
    [
        ("long.rebar", "Steel >> RebarSteel", {}),
        ("long.wirerod", "Steel >> WireMeshSteel", {}),  # wire rod is not rebar
        ("long.mesh", "Steel >> WireMeshSteel", {"fabricated": True}),
        ("long.merchant", "Steel >> MBQSteel", {}),
        ("long.sections", "Steel >> StructuralSteel >> HotRolledSections", {}),
        ("long.sheetpile", "Steel >> StructuralSteel >> HotRolledSections", {}),
        ("flat.plate", "Steel >> StructuralSteel >> PlateSteel", {}),
        ("flat.hrc", "Steel >> CoilSteel", {}),
        ("flat.crc", "Steel >> CoilSteel", {"cold_finished": True}),
        ("flat.coated.metallic", "Steel >> CoilSteel", {"galvanized": True}),
        ("semi.billet", "Steel >> CrudeSteel", {}),
        ("tube.shs.cold", "Steel >> StructuralSteel >> HollowSections", {}),
        ("prestressing", "Steel >> PostTensioningSteel", {}),
        ("coldformed", "Steel >> ColdFormedSteel", {}),
        ("fabricated", "Steel >> StructuralSteel >> HotRolledSections", {"fabricated": True}),
        ("flat.packaging", "Steel >> OtherSteel", {"cold_finished": True}),
        ("long.rail", "Steel >> OtherSteel", {}),
        ("tube.seamless", "Steel >> OtherSteel", {}),
        ("stainless.rebar", "Steel >> RebarSteel", {"stainless": True}),
    ],
)
def test_product_categories_that_matter_land_where_ec3_looks(code, path, flags):
    epd = strict_epd(exported_text(sample_document("scrap_eaf", code)))

    assert epd.product_classes["io.cqd.ec3"] == path
    assert CATEGORY_TREE.find_one(path.split(" >> ")[-1]).hierarchical_name == path
    steel = epd.specs.Steel
    leaf = steel
    for name in path.split(" >> ")[1:]:
        leaf = getattr(leaf, name)
        assert leaf is not None, name
    assert getattr(leaf, "fabricated", None) is flags.get("fabricated")
    assert steel.cold_finished is flags.get("cold_finished")
    assert steel.galvanized is flags.get("galvanized")
    assert steel.stainless is flags.get("stainless")


# ---------------------------------------------------------------- what EC3 links by


def linked_document() -> dict:
    document = sample_document("scrap_eaf", "long.rebar", registration_number="EPD-STEEL-2026-000042", version=3)
    document["lca"]["pcr"].update(
        name="PCR 2019:14 Construction products",
        programme="International EPD System",
        version="1.3.4",
        registration_id="PCR 2019:14",
        url="https://www.environdec.com/PCR/Detail/?Pcr=14759",
        openepd_id="ec3e-432h",
    )
    document["manufacturer"]["website"] = "https://www.huadong-steel.example/en/"
    return document


def test_documents_carry_the_identifiers_ec3_links_by():
    document = linked_document()

    epd = strict_epd(exported_text(document))

    assert epd.id == openxpd_id("EPD-STEEL-2026-000042", 3)
    open_xpd_uuid.validate(epd.id)
    assert epd.program_operator_doc_id == "EPD-STEEL-2026-000042" and epd.program_operator_version == "3"
    assert epd.manufacturer.web_domain == "huadong-steel.example"
    (plant,) = epd.plants
    assert plant.id == "8Q33CF4Q+QR.huadong-steel.example"  # openepd's Plant model checked the form
    assert plant.owner.web_domain == "huadong-steel.example"
    area = openlocationcode.decode("8Q33CF4Q+QR")
    assert area.latitudeLo <= plant.location.latlng.lat <= area.latitudeHi
    assert area.longitudeLo <= plant.location.latlng.lng <= area.longitudeHi
    assert epd.pcr.issuer_doc_id == "PCR 2019:14"
    assert epd.pcr.doc == "https://www.environdec.com/PCR/Detail/?Pcr=14759"
    assert epd.pcr.id == "EC3E432H"
    assert epd.pcr.parent.name == "EN 15804:2012+A2:2019"
    assert epd.pcr.issuer.name == "International EPD System"
    assert str(epd.attachments["PCR"]) == "https://www.environdec.com/PCR/Detail/?Pcr=14759"
    assert epd.third_party_verifier.name == "Veritas Certification GmbH"
    assert epd.third_party_verifier.web_domain == "veritas-certification.example"
    assert [(s.short_name, s.name) for s in epd.compliance] == [("EN 15804+A2", "EN 15804:2012+A2:2019"), ("ISO 14025", "ISO 14025:2006")]
    assert epd.ref.endswith(f"/api/openepd/epds/{epd.id}")


def test_a_plant_without_location_or_a_maker_without_website_has_no_plant_id():
    document = linked_document()
    document["plants"].append({"name": "Second works", "country": "CN", "city": "Tangshan", "olc": ""})

    with_both, without_location = strict_epd(exported_text(document)).plants
    document["manufacturer"]["website"] = ""
    without_website = strict_epd(exported_text(document)).plants[0]

    assert with_both.id and without_location.id is None and without_website.id is None
    assert without_website.location.pluscode == "8Q33CF4Q+QR"


def test_ids_are_stable_per_version_and_differ_between_versions_and_epds():
    first = openepd_document(sample_document(registration_number="EPD-STEEL-2026-000123", version=1))
    again = openepd_document(sample_document(registration_number="EPD-STEEL-2026-000123", version=1, seed=9))
    second = openepd_document(sample_document(registration_number="EPD-STEEL-2026-000123", version=2))
    other = openepd_document(sample_document(registration_number="EPD-STEEL-2027-000124", version=1))

    assert first["id"] == again["id"]
    assert len({first["id"], second["id"], other["id"]}) == 3
    assert all(open_xpd_uuid.canonical_without_checksum(d["id"]) == d["id"] for d in (first, second, other))


def test_a_registration_number_beyond_the_id_layout_is_refused():
    with pytest.raises(ExportError, match="does not fit"):
        openepd_document(sample_document(registration_number="EPD-STEEL-2026-16777216"))
    with pytest.raises(ExportError, match="does not fit"):
        openepd_document(sample_document(version=65))


def test_compliance_follows_the_pcr():
    document = sample_document()
    document["lca"]["pcr"]["core_standard"] = "ISO 21930:2017"

    epd = strict_epd(exported_text(document))

    assert [s.short_name for s in epd.compliance] == ["ISO 21930", "ISO 14025"]


def test_registrations_elsewhere_become_alt_ids_and_the_first_issue_goes_to_the_extension():
    document = sample_document()
    document["registrations_elsewhere"] = [
        {
            "programme_operator": "International EPD System",
            "registration_number": "S-P-09773",
            "url": "https://www.environdec.com/library/epd9773",
        },
        {"programme_operator": "CISA steel EPD platform", "registration_number": "CISA-2024-0012"},
    ]
    document["first_issued"] = "2024-03-01"

    epd = strict_epd(exported_text(document))

    assert epd.alt_ids == {"environdec.com": "S-P-09773", "CISA steel EPD platform": "CISA-2024-0012"}
    extension = epd.ext["steel_epd_platform"]
    assert extension["registrations_elsewhere"] == document["registrations_elsewhere"]
    assert extension["first_issued"] == "2024-03-01"
