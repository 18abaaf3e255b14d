"""openEPD imports bring the declaration, not just its numbers: documents built with the `openepd` package's own
models, EC3-style, and our own export read back."""

import datetime
import json
from decimal import Decimal

import pytest
from openepd.model.common import Location, NonNegativeAmount
from openepd.model.epd import Epd
from openepd.model.org import Org, Plant
from openepd.model.pcr import Pcr
from openepd.model.specs.singular import Specs
from openepd.model.specs.singular.steel import SteelMakingRoute, SteelV1

from declarations import imports
from declarations.models import PCR
from declarations.openepd_io import read_openepd
from declarations.samples import sample_document
from declarations.validation import INFO, WARNING
from registry.exports import openepd_document

pytestmark = pytest.mark.django_db  # the PCR a document names is looked up in the catalogue


def rebar(**overrides) -> Epd:
    """An EAF rebar EPD of another programme, as EC3 hands one out, built with openepd's models."""
    fields = {
        "product_name": "B450C reinforcing steel bars",
        "product_description": "Hot-rolled ribbed bars, 8-40 mm, for reinforced concrete.",
        "date_of_issue": datetime.datetime(2022, 3, 1, tzinfo=datetime.UTC),
        "valid_until": datetime.datetime(2027, 2, 28, tzinfo=datetime.UTC),
        "declared_unit": NonNegativeAmount(qty=1, unit="t"),
        "kg_per_declared_unit": {"qty": 1000, "unit": "kg"},
        "manufacturer": Org(name="Acciaierie Esempio S.p.A.", web_domain="acciaierie-esempio.example"),
        "program_operator": Org(name="EPD Italy", web_domain="epditaly.it"),
        "program_operator_doc_id": "EPDITALY0512",
        "third_party_verifier": Org(name="ICMQ S.p.A."),
        "third_party_verifier_name": "Paola Verificatrice",
        "declaration_url": "https://www.epditaly.it/en/epd/b450c/",
        "epd_developer": Org(name="Studio LCA Esempio S.r.l."),
        "pcr": Pcr(name="PCR 2019:14 Construction products", version="1.3.4", issuer=Org(name="EPD International AB")),
        "plants": [Plant(name="Acciaieria di Brescia", location=Location(country="IT", address="Brescia"), pluscode="8FQFP2X4+2V")],
        "specs": Specs(Steel=SteelV1(recycled_content=0.92, making_route=SteelMakingRoute(eaf=True))),
        "lca_discussion": "Reference year: 2021\nData period: 2021-01-01 to 2021-12-31\nLCA software: SimaPro 9.3\n"
        "Background database: ecoinvent 3.8\nScenario A4: Truck, 180 km to the customer",
        "impacts": {"EF 3.1": {"gwp": {"A1A2A3": {"mean": 520.0, "unit": "kgCO2e"}, "A4": {"mean": 12.1, "unit": "kgCO2e"}}}},
    }
    return Epd(**(fields | overrides))


def read(epd: Epd | dict, declared_unit: str = "1 t", **options) -> imports.ParsedResults:
    document = epd.to_serializable() if isinstance(epd, Epd) else epd
    return read_openepd(json.loads(json.dumps(document)), declared_unit=declared_unit, **options)


def test_a_document_built_with_openepd_models_states_its_declaration():
    parsed = read(rebar())

    assert parsed.stated.values == {
        "product_name": "B450C reinforcing steel bars",
        "description": "Hot-rolled ribbed bars, 8-40 mm, for reinforced concrete.",
        "manufacturer": "Acciaierie Esempio S.p.A.",
        "declared_unit": "1 t",
        "original_issue_date": datetime.date(2022, 3, 1),
        "valid_until": datetime.date(2027, 2, 28),
        "reference_year": 2021,
        "data_period_start": datetime.date(2021, 1, 1),
        "data_period_end": datetime.date(2021, 12, 31),
        "pcr_named": "PCR 2019:14 Construction products, version 1.3.4",
        "pcr": PCR.objects.get(code="ies-2019-14"),
        "characterisation_method": "EF 3.1",
        "registrations_elsewhere": [
            {
                "programme_operator": "EPD Italy",
                "registration_number": "EPDITALY0512",
                "verifier": "Paola Verificatrice (ICMQ S.p.A.)",
                "url": "https://www.epditaly.it/en/epd/b450c/",
            }
        ],
        "lca_practitioner": "Studio LCA Esempio S.r.l.",
        "lca_software": "SimaPro 9.3",
        "background_database": "ecoinvent 3.8",
        "scenarios": {"A4": {"description": "Truck, 180 km to the customer", "distance_km": 180}},
        "plants": [{"name": "Acciaieria di Brescia", "country": "IT", "city": "Brescia", "olc": "8FQFP2X4+2V"}],
        "recycled_content": Decimal("92"),
    }
    assert parsed.stated.where["registrations_elsewhere"] == "program_operator_doc_id"
    assert parsed.stated.where["recycled_content"] == "specs.Steel.recycled_content"
    assert parsed.method_evidence == []  # openEPD identifies indicators by key, not by a method's own identifiers
    # EAF alone is scrap EAF or DRI-EAF: the route is left out, and the mill told to choose it.
    (note,) = parsed.findings
    assert (note.severity, note.check, note.field) == (INFO, "metadata", "specs.Steel.making_route")


@pytest.mark.parametrize(
    ("route", "expected"),
    [(SteelMakingRoute(bof=True), "bf_bof"), (SteelMakingRoute(bof=True, eaf=True), "mixed"), (SteelMakingRoute(eaf=True), None)],
)
def test_the_making_route_is_taken_only_when_it_tells_the_route(route, expected):
    parsed = read(rebar(specs=Specs(Steel=SteelV1(making_route=route))))

    assert parsed.stated.values.get("production_route") == expected


def test_an_ef30_document_declares_ef30_and_our_extension_disagreeing_warns_naming_both():
    document = rebar(impacts={"EF 3.0": {"gwp": {"A1A2A3": {"mean": 520.0, "unit": "kgCO2e"}}}}).to_serializable()
    document["ext"] = {"steel_epd_platform": {"characterisation_method": "EF 3.1"}}

    parsed = read(document)

    assert parsed.stated.values["characterisation_method"] == "EF 3.0"
    (warning,) = [f for f in parsed.findings if f.severity == WARNING]
    assert (warning.check, warning.field) == ("method", "impacts.EF 3.0")
    assert "EF 3.0" in warning.message and "EF 3.1" in warning.message


def test_a_pcr_id_that_contradicts_its_name_warns_naming_both():
    PCR.objects.filter(code="npcr-013").update(openepd_id="EC3E432H")
    epd = rebar(pcr=Pcr(id="EC3E432H", name="PCR 2019:14 Construction products", version="1.3.4"))

    parsed = read(epd)

    assert parsed.stated.values["pcr"] == PCR.objects.get(code="npcr-013")
    (warning,) = [f for f in parsed.findings if f.severity == WARNING]
    assert (warning.check, warning.field) == ("reference", "pcr.id")
    assert "EC3E432H" in warning.message and "NPCR 013" in warning.message and "PCR 2019:14" in warning.message


def test_alternative_ids_are_registrations_with_other_programmes():
    parsed = read(rebar(alt_ids={"environdec.com": "S-P-01937"}))

    registrations = parsed.stated.values["registrations_elsewhere"]
    assert [(r["programme_operator"], r["registration_number"]) for r in registrations] == [
        ("EPD Italy", "EPDITALY0512"),
        ("environdec.com", "S-P-01937"),
    ]


def test_another_version_of_a_catalogue_pcr_is_named_but_not_linked():
    parsed = read(rebar(pcr=Pcr(name="PCR 2019:14 Construction products", version="1.2.5")))

    assert parsed.stated.values["pcr_named"] == "PCR 2019:14 Construction products, version 1.2.5"
    assert "pcr" not in parsed.stated.values


def test_what_the_document_does_not_state_is_left_out():
    bare = Epd(product_name="Wire rod", impacts={"EF 3.1": {"gwp": {"A1A2A3": {"mean": 610.0, "unit": "kgCO2e"}}}})

    parsed = read(bare)

    assert parsed.stated.values == {"product_name": "Wire rod", "characterisation_method": "EF 3.1"}


# ---------------------------------------------------------------- the declared unit


def test_taking_the_declared_unit_keeps_the_values_per_the_documents_unit():
    epd = rebar(declared_unit=NonNegativeAmount(qty=1000, unit="kg"))

    converted = read(epd, declared_unit="1 kg")
    taken = read(epd, declared_unit="1 kg", take_declared_unit=True)

    assert [c.value for c in converted.cells if c.module == "A1-A3"] == [Decimal("0.52")]
    assert "declared_unit" not in converted.stated.values
    assert [c.value for c in taken.cells if c.module == "A1-A3"] == [Decimal("520")]
    assert taken.stated.values["declared_unit"] == "1000 kg"
    assert [f.check for f in taken.findings if f.severity == WARNING] == []


def test_a_document_with_only_the_mass_of_its_unit_states_that_mass():
    document = rebar().to_serializable()
    del document["declared_unit"]

    parsed = read(document, take_declared_unit=True)

    assert parsed.stated.values["declared_unit"] == "1 t"
    assert parsed.stated.where["declared_unit"] == "kg_per_declared_unit"


def test_read_results_file_takes_the_unit_of_an_openepd_file():
    content = json.dumps(rebar(declared_unit=NonNegativeAmount(qty=1000, unit="kg")).to_serializable()).encode()

    parsed = imports.read_results_file("epd.json", content, declared_unit="1 kg", take_declared_unit=True)

    assert parsed.stated.values["declared_unit"] == "1000 kg"
    assert [c.value for c in parsed.cells if c.module == "A1-A3"] == [Decimal("520.0")]


# ---------------------------------------------------------------- our own export, read back


def test_our_openepd_export_reads_back_to_the_documents_metadata():
    document = sample_document("dri_eaf", "long.rebar")
    document["registrations_elsewhere"] = [
        {
            "programme_operator": "EPD International AB",
            "registration_number": "S-P-01937",
            "url": "https://www.environdec.com/library/epd1937",
        }
    ]

    document["product"]["other_names"] = {"de": "Betonstahl"}
    parsed = read(openepd_document(document))

    lca, product, verification = document["lca"], document["product"], document["verification"]
    assert parsed.findings == []
    assert parsed.stated.values == {
        "product_name": product["name"],
        "product_name_zh": product["name_zh"],
        "other_names": {"de": "Betonstahl"},
        "description": product["description"],
        "manufacturer": document["manufacturer"]["name"],
        "declared_unit": lca["declared_unit"],
        "original_issue_date": datetime.date.fromisoformat(document["issued"]),
        "valid_until": datetime.date.fromisoformat(document["valid_until"]),
        "reference_year": lca["reference_year"],
        "data_period_start": datetime.date.fromisoformat(lca["data_period"][0]),
        "data_period_end": datetime.date.fromisoformat(lca["data_period"][1]),
        "pcr_named": lca["pcr"]["name"],
        "pcr": PCR.objects.get(code=lca["pcr"]["code"]),
        "characterisation_method": lca["characterisation_method"],
        "registrations_elsewhere": [
            {
                "programme_operator": document["programme_operator"]["name"],
                "registration_number": document["registration_number"],
                "verifier": f"{verification['verifier']} ({verification['body']})",
                "url": document["links"]["registry"],
            },
            *document["registrations_elsewhere"],
        ],
        "lca_practitioner": lca["practitioner"],
        "lca_software": lca["software"],
        "background_database": lca["background_database"],
        "scenarios": {m: s if isinstance(s, dict) else {"description": s} for m, s in lca["scenarios"].items()},
        "plants": document["plants"],
        "production_route": "dri_eaf",  # our extension names the route openEPD's making route cannot
        "recycled_content": Decimal(product["recycled_content_percent"]),
    }
