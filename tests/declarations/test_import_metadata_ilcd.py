"""ILCD+EPD imports bring the declaration, not just its numbers: names, dates, PCR, method, registrations, people,
scenarios and plants, read from the official samples, from datasets written the way programme operators write them,
and from our own export."""

import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from declarations import catalogue, imports
from declarations.ilcd import read_ilcd
from declarations.models import PCR
from declarations.samples import minimal_pdf, sample_document
from declarations.validation import INFO, WARNING
from registry import ilcd_checks
from registry.exports import ilcd_archive
from registry.ilcd_export import write_ilcd

pytestmark = pytest.mark.django_db  # the PCR a dataset names is looked up in the catalogue

SAMPLES = Path(catalogue.__file__).resolve().parent / "reference" / "ilcd-epd" / "sample_data"
IND = catalogue.indicators()
KG_CO2 = "1ebf3012-d0db-4de2-aefd-ef30cedb0be1"
MASS = "93a60a56-a3c8-11da-a746-0800200b9a66"
EF30_COMPLIANCE = "c0016b33-8cf7-415c-ac6e-deba0d21440d"
EF31_COMPLIANCE = "d4aa3ec7-b1d7-4a4a-a6cb-37af88dcc902"
ECOINVENT_391 = "e2034c8f-9d74-46f2-8fce-1f0c5c5cebeb"
PRODUCT_FLOW = "3f5a9f7e-0b52-4c6e-9d1e-6f1b2c3d4e5f"
OPERATOR = "9d6e1b0a-5a8f-4f4e-8a63-2c1d7f0e9b11"
VERIFIER = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"
OWNER = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
PCR_SOURCE = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"

NAMESPACES = (
    'xmlns="http://lca.jrc.it/ILCD/Process" xmlns:common="http://lca.jrc.it/ILCD/Common" '
    'xmlns:epd="http://www.iai.kit.edu/EPD/2013" xmlns:epd2="http://www.indata.network/EPD/2019"'
)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def reference(tag: str, kind: str, uuid: str, label: str) -> str:
    return f"""<{tag} type="{kind} data set" refObjectId="{uuid}" version="01.00.000">
          <common:shortDescription xml:lang="en">{label}</common:shortDescription>
        </{tag}>"""


def gwp(uuid: str, amounts: str) -> str:
    return f"""
    <LCIAResult>
      <referenceToLCIAMethodDataSet type="LCIA method data set" refObjectId="{uuid}">
        <common:shortDescription xml:lang="en">Global Warming Potential - total (GWP-total)</common:shortDescription>
      </referenceToLCIAMethodDataSet>
      <meanAmount>0.0</meanAmount>
      <common:other>{amounts}
        <epd:referenceToUnitGroupDataSet type="unit group data set" refObjectId="{KG_CO2}">
          <common:shortDescription xml:lang="en">kg CO2 eqv.</common:shortDescription>
        </epd:referenceToUnitGroupDataSet>
      </common:other>
    </LCIAResult>"""


def environdec_process(
    *,
    compliance: str = EF31_COMPLIANCE,
    compliance_label: str = "EN 15804+A2 (EF 3.1)",
    gwp_uuid: str | None = None,
    reviewer_label: str = "Marta Verificatrice",
) -> bytes:
    """A process dataset as the International EPD System's node writes one: the registration number among the
    synonyms, the registration and validity dates in the time representativeness, the PCR as the LCA method details,
    the verifier as reviewer, the owner as owner of the data set and the operator as the entity entering the data."""
    amounts = (
        '<epd:amount epd:module="A1-A3">1150</epd:amount>'
        '<epd:amount epd:module="A4" epd:scenario="Truck to customer">21.5</epd:amount>'
        '<epd:amount epd:module="C3" epd:scenario="Recycling">1.9</epd:amount>'
        '<epd:amount epd:module="C3" epd:scenario="Landfill">0.4</epd:amount>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<processDataSet {NAMESPACES} version="1.1" epd2:epd-version="1.2">
  <processInformation>
    <dataSetInformation>
      <common:UUID>0e3b6a58-3a1d-4b8c-9b7a-7d3f1c2e4a51</common:UUID>
      <name>
        <baseName xml:lang="en">Hot-rolled steel sections</baseName>
        <baseName xml:lang="it">Profilati di acciaio laminati a caldo</baseName>
      </name>
      <common:synonyms xml:lang="en">S-P-01937</common:synonyms>
      <common:generalComment xml:lang="en">Hot-rolled sections (IPE, HEA, HEB) in S275JR and S355JR.</common:generalComment>
      <common:other>
        <epd:scenarios>
          <epd:scenario epd:name="Truck to customer" epd:group="A4">
            <epd:description xml:lang="en">Truck, EURO 6, 250 km to the customer</epd:description>
          </epd:scenario>
          <epd:scenario epd:name="Recycling" epd:group="EoL" epd:default="true">
            <epd:description xml:lang="en">95 % of the steel is recycled</epd:description>
          </epd:scenario>
          <epd:scenario epd:name="Landfill" epd:group="EoL">
            <epd:description xml:lang="en">All of the steel is landfilled</epd:description>
          </epd:scenario>
        </epd:scenarios>
      </common:other>
    </dataSetInformation>
    <quantitativeReference type="Reference flow(s)"><referenceToReferenceFlow>0</referenceToReferenceFlow></quantitativeReference>
    <time>
      <common:referenceYear>2019</common:referenceYear>
      <common:dataSetValidUntil>2025</common:dataSetValidUntil>
      <common:timeRepresentativenessDescription xml:lang="en">Registration date: 2020-05-06
Validity date: 2025-04-22
Data period: 2019-01-01 to 2019-12-31</common:timeRepresentativenessDescription>
    </time>
    <geography><locationOfOperationSupplyOrProduction location="IT"/></geography>
  </processInformation>
  <modellingAndValidation>
    <LCIMethodAndAllocation>
      <typeOfDataSet>EPD</typeOfDataSet>
      {reference("referenceToLCAMethodDetails", "source", PCR_SOURCE, "PCR 2019:14 Construction products, version 1.3.4")}
      <common:other><epd:subType>specific dataset</epd:subType></common:other>
    </LCIMethodAndAllocation>
    <dataSourcesTreatmentAndRepresentativeness>
      {reference("referenceToDataSource", "source", ECOINVENT_391, "ecoinvent 3.9.1 database")}
    </dataSourcesTreatmentAndRepresentativeness>
    <validation>
      <review type="Independent external review">
        {reference("common:referenceToNameOfReviewerAndInstitution", "contact", VERIFIER, reviewer_label)}
      </review>
    </validation>
    <complianceDeclarations>
      <compliance>
        {reference("common:referenceToComplianceSystem", "source", compliance, compliance_label)}
        <common:approvalOfOverallCompliance>Fully compliant</common:approvalOfOverallCompliance>
      </compliance>
    </complianceDeclarations>
  </modellingAndValidation>
  <administrativeInformation>
    <dataEntryBy>
      <common:timeStamp>2020-05-06T10:12:00+02:00</common:timeStamp>
      {reference("common:referenceToPersonOrEntityEnteringTheData", "contact", OPERATOR, "EPD International AB")}
    </dataEntryBy>
    <publicationAndOwnership>
      <common:dataSetVersion>01.00.000</common:dataSetVersion>
      {reference("common:referenceToOwnershipOfDataSet", "contact", OWNER, "Acciaierie Esempio S.p.A.")}
    </publicationAndOwnership>
  </administrativeInformation>
  <exchanges>
    <exchange dataSetInternalID="0">
      {reference("referenceToFlowDataSet", "flow", PRODUCT_FLOW, "Hot-rolled steel sections")}
      <exchangeDirection>Output</exchangeDirection>
      <meanAmount>1000.0</meanAmount>
      <resultingAmount>1000.0</resultingAmount>
    </exchange>
  </exchanges>
  <LCIAResults>{gwp(gwp_uuid or IND["GWP-total"].ilcd_uuid_ef31, amounts)}
  </LCIAResults>
</processDataSet>""".encode()


def contact(uuid: str, name: str, short_name: str = "", kind: str = "Organisations") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<contactDataSet xmlns="http://lca.jrc.it/ILCD/Contact" xmlns:common="http://lca.jrc.it/ILCD/Common" version="1.1">
  <contactInformation>
    <dataSetInformation>
      <common:UUID>{uuid}</common:UUID>
      <common:shortName xml:lang="en">{short_name or name}</common:shortName>
      <common:name xml:lang="en">{name}</common:name>
      <classificationInformation>
        <common:classification><common:class level="0">{kind}</common:class></common:classification>
      </classificationInformation>
    </dataSetInformation>
  </contactInformation>
</contactDataSet>""".encode()


def source(uuid: str, short_name: str, classification: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sourceDataSet xmlns="http://lca.jrc.it/ILCD/Source" xmlns:common="http://lca.jrc.it/ILCD/Common" version="1.1">
  <sourceInformation>
    <dataSetInformation>
      <common:UUID>{uuid}</common:UUID>
      <common:shortName xml:lang="en">{short_name}</common:shortName>
      <classificationInformation>
        <common:classification><common:class level="0">{classification}</common:class></common:classification>
      </classificationInformation>
      <sourceCitation>{short_name}</sourceCitation>
    </dataSetInformation>
  </sourceInformation>
</sourceDataSet>""".encode()


def product_flow() -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow" xmlns:common="http://lca.jrc.it/ILCD/Common" version="1.1">
  <flowInformation>
    <dataSetInformation>
      <common:UUID>{PRODUCT_FLOW}</common:UUID>
      <name><baseName xml:lang="en">Hot-rolled steel sections</baseName></name>
    </dataSetInformation>
    <quantitativeReference><referenceToReferenceFlowProperty>0</referenceToReferenceFlowProperty></quantitativeReference>
  </flowInformation>
  <flowProperties>
    <flowProperty dataSetInternalID="0">
      <referenceToFlowPropertyDataSet type="flow property data set" refObjectId="{MASS}">
        <common:shortDescription xml:lang="en">Mass</common:shortDescription>
      </referenceToFlowPropertyDataSet>
      <meanValue>1.0</meanValue>
    </flowProperty>
  </flowProperties>
</flowDataSet>""".encode()


ENVIRONDEC_PCR = "PCR 2019:14 Construction products (EN 15804:A2) v1.3.4"


def lcia_method(uuid: str, methodology: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<LCIAMethodDataSet xmlns="http://lca.jrc.it/ILCD/LCIAMethod" xmlns:common="http://lca.jrc.it/ILCD/Common" version="1.1">
  <LCIAMethodInformation>
    <dataSetInformation>
      <common:UUID>{uuid}</common:UUID>
      <common:name xml:lang="en">Climate change - total</common:name>
      <methodology>{methodology}</methodology>
      <impactCategory>Climate change</impactCategory>
      <impactIndicator>Global Warming Potential - total (GWP-total)</impactIndicator>
    </dataSetInformation>
    <geography/>
  </LCIAMethodInformation>
  <modellingAndValidation/>
</LCIAMethodDataSet>""".encode()


def environdec_zip(process: bytes | None = None, verifier_name: str = "Marta Verificatrice", extra: dict | None = None) -> bytes:
    files = {
        "ILCD/processes/0e3b6a58-3a1d-4b8c-9b7a-7d3f1c2e4a51.xml": process or environdec_process(),
        f"ILCD/flows/{PRODUCT_FLOW}.xml": product_flow(),
        f"ILCD/contacts/{OPERATOR}.xml": contact(OPERATOR, "EPD International AB", "EPD International"),
        f"ILCD/contacts/{VERIFIER}.xml": contact(VERIFIER, verifier_name, kind="Persons"),
        f"ILCD/contacts/{OWNER}.xml": contact(OWNER, "Acciaierie Esempio S.p.A."),
        f"ILCD/sources/{PCR_SOURCE}.xml": source(PCR_SOURCE, ENVIRONDEC_PCR, "Product category rules"),
        f"ILCD/sources/{ECOINVENT_391}.xml": source(ECOINVENT_391, "ecoinvent 3.9.1 database", "Databases"),
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def by_severity(parsed, severity: str) -> list:
    return [f for f in parsed.findings if f.severity == severity]


# ---------------------------------------------------------------- the official samples


def test_the_ilcd_epd_v1_3_example_states_its_declaration():
    parsed = read_ilcd(sample("EPDv1.3_example.xml"))

    assert parsed.stated.values == {
        "product_name": "Wood panel",
        "other_names": {"de": "Holzpanel"},
        "description": "The general comment goes here",
        "manufacturer": "Wood Products S.A.",
        "reference_year": 2020,
        "original_issue_date": datetime.date(2020, 5, 8),
        "valid_until": datetime.date(2024, 5, 8),
        "pcr_named": "Wood Products PCR",
        "characterisation_method": "EF 3.0",
        "registrations_elsewhere": [
            {"programme_operator": "The Swift® EPD Program", "registration_number": "EPD042812-01", "verifier": "Christian Kind"}
        ],
        "lca_practitioner": "Pro Sustainability Consultants GmbH",
        "background_database": "GaBi database SP40 2020",
        "scenarios": {
            "A4": {"description": "Transport of the product to the construction site in Gdansk, Poland"},
            "C3": {"description": "100% of the product is recycled upon the product's EoL"},
            "C4": {"description": "100% of the product is recycled upon the product's EoL"},
            "D": {"description": "100% of the product is recycled upon the product's EoL"},
        },
        "plants": [{"name": "ACME Base camp", "country": "DE", "city": "Cologne", "olc": "9F28WXR4+FW2"}],
    }
    assert parsed.stated.where["original_issue_date"] == "processInformation/time/common:other/epd2:publicationDateOfEPD"
    sources = "modellingAndValidation/dataSourcesTreatmentAndRepresentativeness"
    assert parsed.stated.where["background_database"] == f"{sources}/referenceToDataSource[2]"
    # Its GWP indicators carry EF 3.0 UUIDs, which agrees with the compliance system c0016b33 it declares.
    assert parsed.method_evidence == [("EF 3.0", "LCIAResults/LCIAResult[7]")]
    # The dataset is valid until 2025, the EPD until 2024-05-08: the EPD's date is read, and the difference told.
    (note,) = parsed.findings
    assert (note.severity, note.check, note.field) == (INFO, "metadata", "processInformation/time/common:other/epd24:expirationDateOfEPD")
    assert "2025" in note.message and "2024-05-08" in note.message


def test_the_template_sample_states_only_what_it_fills_in():
    parsed = read_ilcd(sample("sample_EPD.xml"))

    assert parsed.stated.values == {
        "product_name": "Name of the product or system",
        "other_names": {"de": "Name des Produktes/ Systemes"},
        "description": "Hier kann ein allgemeiner Kommentar eingetragen werden",
        "manufacturer": "Verband, der Material/ System repräsentiert",
        "reference_year": 2006,
        "pcr_named": "reference to PCR document",
        # Amounts name Sc1/Sc2 at A4 and S1/S2 at C3; the defaults of each group are Sc1 and S2.
        "scenarios": {"A4": {"description": "description of scenario Sc1"}, "C3": {"description": "Beschreibung des Szenarios S2"}},
        "plants": [{"name": "ACME Base camp", "country": "DE", "city": "Cologne", "olc": "9F28WXR4+FW2"}],
    }
    # "Not reviewed": its reviewer placeholder is no verifier; EN 15804+A1 declares no EF method; no indicator is known.
    assert parsed.method_evidence == []
    (only_year,) = by_severity(parsed, INFO)
    assert only_year.field == "processInformation/time/common:dataSetValidUntil"
    assert "2010" in only_year.message


# ---------------------------------------------------------------- as programme operators write them


def test_an_environdec_dataset_states_registration_dates_pcr_and_verifier():
    parsed = read_ilcd(environdec_process(), declared_unit="1 t")

    stated = parsed.stated.values
    assert stated["product_name"] == "Hot-rolled steel sections"
    assert stated["other_names"] == {"it": "Profilati di acciaio laminati a caldo"}
    assert stated["original_issue_date"] == datetime.date(2020, 5, 6)
    assert stated["valid_until"] == datetime.date(2025, 4, 22)
    assert (stated["data_period_start"], stated["data_period_end"]) == (datetime.date(2019, 1, 1), datetime.date(2019, 12, 31))
    assert stated["reference_year"] == 2019
    assert stated["pcr_named"] == "PCR 2019:14 Construction products, version 1.3.4"
    assert stated["pcr"] == PCR.objects.get(code="ies-2019-14")
    assert stated["characterisation_method"] == "EF 3.1"
    assert stated["registrations_elsewhere"] == [
        {"programme_operator": "EPD International AB", "registration_number": "S-P-01937", "verifier": "Marta Verificatrice"}
    ]
    assert parsed.stated.where["registrations_elsewhere"] == "processInformation/dataSetInformation/common:synonyms"
    assert stated["manufacturer"] == "Acciaierie Esempio S.p.A."
    assert stated["background_database"] == "ecoinvent 3.9.1 database"
    assert stated["scenarios"] == {
        "A4": {"description": "Truck, EURO 6, 250 km to the customer", "distance_km": 250},
        "C3": {"description": "95 % of the steel is recycled"},
    }
    assert "declared_unit" not in stated  # the XML alone does not say how much its reference flow weighs
    assert "lca_practitioner" not in stated and "plants" not in stated
    assert parsed.findings == []


def test_an_environdec_zip_names_contacts_and_sources_by_their_datasets_and_states_its_declared_unit():
    archive = environdec_zip()
    assert ilcd_checks.schema_problems(archive) == []  # every dataset of it valid against the ILCD+EPD schemas

    parsed = read_ilcd(archive, declared_unit="1 t")

    stated = parsed.stated.values
    assert stated["declared_unit"] == "1 t"  # 1000 × the flow's mass of 1 kg
    assert parsed.stated.where["declared_unit"] == "exchanges/exchange[@dataSetInternalID='0']"
    assert stated["pcr_named"] == ENVIRONDEC_PCR  # the source dataset's name
    assert stated["pcr"] == PCR.objects.get(code="ies-2019-14")
    assert stated["registrations_elsewhere"][0]["programme_operator"] == "EPD International AB"
    assert stated["background_database"] == "ecoinvent 3.9.1 database"
    assert parsed.findings == []


def test_a_contact_label_that_contradicts_its_dataset_warns_naming_both():
    parsed = read_ilcd(environdec_zip(verifier_name="Luca Controllore"), declared_unit="1 t")

    (warning,) = parsed.findings
    assert (warning.severity, warning.check) == (WARNING, "reference")
    assert warning.field == "modellingAndValidation/validation/review[1]/common:referenceToNameOfReviewerAndInstitution[1]"
    assert "Marta Verificatrice" in warning.message and "Luca Controllore" in warning.message
    assert parsed.stated.values["registrations_elsewhere"][0]["verifier"] == "Luca Controllore"  # by its UUID


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("IBU", "Institut Bauen und Umwelt e.V."),
        ("The Swift® EPD Program", "The Swift EPD Program"),
        ("Dr. Marta Verificatrice", "Marta Verificatrice (individual verifier)"),
    ],
)
def test_a_label_that_abbreviates_its_datasets_name_is_no_contradiction(label, name):
    parsed = read_ilcd(environdec_zip(environdec_process(reviewer_label=label), verifier_name=name), declared_unit="1 t")

    assert parsed.findings == []
    assert parsed.stated.values["registrations_elsewhere"][0]["verifier"] == name


def test_an_oekobaudat_style_dataset_with_only_a_validity_year_leaves_the_date_out():
    content = (
        environdec_process(compliance=EF30_COMPLIANCE, compliance_label="DIN EN 15804+A2", gwp_uuid=IND["GWP-total"].ilcd_uuid_ef30)
        .replace(b'<common:synonyms xml:lang="en">S-P-01937</common:synonyms>', b"")
        .replace(
            b"</common:timeRepresentativenessDescription>",
            b"</common:timeRepresentativenessDescription>"
            b"<common:other><epd2:publicationDateOfEPD>2021-02-15</epd2:publicationDateOfEPD></common:other>",
        )
        .replace(b"Registration date: 2020-05-06\nValidity date: 2025-04-22\n", b"")
        .replace(
            b"<common:dataSetVersion>01.00.000</common:dataSetVersion>",
            b"<common:dataSetVersion>01.00.000</common:dataSetVersion>"
            + reference("common:referenceToRegistrationAuthority", "contact", OPERATOR, "Institut Bauen und Umwelt e.V.").encode()
            + b"<common:registrationNumber>EPD-ABC-20210015-IBG1-EN</common:registrationNumber>",
        )
    )
    parsed = read_ilcd(content)

    stated = parsed.stated.values
    assert stated["original_issue_date"] == datetime.date(2021, 2, 15)
    assert "valid_until" not in stated
    assert stated["characterisation_method"] == "EF 3.0"
    assert parsed.method_evidence == [("EF 3.0", "LCIAResults/LCIAResult[1]")]
    assert stated["registrations_elsewhere"] == [
        {
            "programme_operator": "Institut Bauen und Umwelt e.V.",
            "registration_number": "EPD-ABC-20210015-IBG1-EN",
            "verifier": "Marta Verificatrice",
        }
    ]
    (only_year,) = parsed.findings
    assert (only_year.severity, only_year.check, only_year.field) == (INFO, "metadata", "processInformation/time/common:dataSetValidUntil")
    assert "2025" in only_year.message


# ---------------------------------------------------------------- contradictions


def test_ef30_indicators_under_a_declared_ef31_warn_naming_both():
    parsed = read_ilcd(environdec_process(gwp_uuid=IND["GWP-total"].ilcd_uuid_ef30))

    assert parsed.stated.values["characterisation_method"] == "EF 3.1"
    assert parsed.method_evidence == [("EF 3.0", "LCIAResults/LCIAResult[1]")]
    (warning,) = parsed.findings
    assert (warning.severity, warning.check, warning.field) == (WARNING, "method", "LCIAResults/LCIAResult[1]")
    assert "EF 3.1" in warning.message and "EF 3.0" in warning.message
    assert "complianceDeclarations/compliance/common:referenceToComplianceSystem" in warning.message


def test_without_a_method_specific_compliance_system_the_lcia_method_dataset_declares_it():
    iso_14025 = "4f2eb655-6e44-4874-a95a-e28f5442cd4d"
    gwp_uuid = IND["GWP-total"].ilcd_uuid_ef31
    process = environdec_process(compliance=iso_14025, compliance_label="ISO 14025")

    plain = read_ilcd(process)
    archive = read_ilcd(environdec_zip(process, extra={f"ILCD/lciamethods/{gwp_uuid}.xml": lcia_method(gwp_uuid, "EN 15804+A2 (EF 3.1)")}))

    assert "characterisation_method" not in plain.stated.values  # the UUID is evidence, not a declaration
    assert plain.method_evidence == [("EF 3.1", "LCIAResults/LCIAResult[1]")]
    assert archive.stated.values["characterisation_method"] == "EF 3.1"
    assert archive.stated.where["characterisation_method"] == "LCIAResults/LCIAResult[1]/referenceToLCIAMethodDataSet"
    assert ilcd_checks.schema_problems(environdec_zip(extra={f"ILCD/lciamethods/{gwp_uuid}.xml": lcia_method(gwp_uuid, "EF 3.1")})) == []


def test_a_compliance_system_named_for_the_other_method_is_read_by_its_uuid():
    parsed = read_ilcd(environdec_process(compliance=EF30_COMPLIANCE, compliance_label="EN 15804+A2 (EF 3.1)"))

    assert parsed.stated.values["characterisation_method"] == "EF 3.0"
    messages = [(f.check, f.field) for f in parsed.findings]
    # The name contradicts the UUID; and the EF 3.1 GWP UUID contradicts the EF 3.0 the UUID declares.
    assert messages == [
        ("method", "modellingAndValidation/complianceDeclarations/compliance/common:referenceToComplianceSystem"),
        ("method", "LCIAResults/LCIAResult[1]"),
    ]
    assert EF30_COMPLIANCE in parsed.findings[0].message and "EN 15804+A2 (EF 3.1)" in parsed.findings[0].message


def test_an_indicator_labelled_as_another_warns_naming_label_and_uuid():
    pocp = IND["POCP"].ilcd_uuid_ef30
    content = environdec_process().replace(
        b"</LCIAResults>",
        f"""<LCIAResult>
      <referenceToLCIAMethodDataSet type="LCIA method data set" refObjectId="{pocp}">
        <common:shortDescription xml:lang="en">Acidification potential, Accumulated Exceedance (AP)</common:shortDescription>
      </referenceToLCIAMethodDataSet>
      <common:other><epd:amount epd:module="A1-A3">1.9</epd:amount></common:other>
    </LCIAResult></LCIAResults>""".encode(),
    )

    parsed = read_ilcd(content)

    (warning,) = parsed.findings
    assert (warning.severity, warning.check, warning.indicator) == (WARNING, "P22", "POCP")
    assert pocp in warning.message and "Acidification potential" in warning.message
    assert [c.value for c in parsed.cells if c.indicator == "POCP"] == [Decimal("1.9")]


# ---------------------------------------------------------------- the declared unit


def test_taking_the_declared_unit_keeps_the_values_per_the_files_unit():
    converted = read_ilcd(environdec_zip(), declared_unit="1 kg")
    taken = read_ilcd(environdec_zip(), declared_unit="1 kg", take_declared_unit=True)

    def gwp_a1a3(parsed) -> Decimal:
        return next(c.value for c in parsed.cells if (c.indicator, c.module) == ("GWP-total", "A1-A3"))

    assert gwp_a1a3(converted) == Decimal("1.150")
    assert "declared_unit" not in converted.stated.values  # its results are per the draft's 1 kg now
    assert gwp_a1a3(taken) == Decimal("1150")
    assert taken.stated.values["declared_unit"] == "1 t"
    assert [f.check for f in taken.findings] == []


def test_taking_the_declared_unit_of_a_dataset_that_does_not_weigh_it_warns():
    parsed = read_ilcd(environdec_process(), declared_unit="1 kg", take_declared_unit=True)

    assert "declared_unit" not in parsed.stated.values
    (warning,) = parsed.findings
    assert (warning.severity, warning.check) == (WARNING, "P1")


def test_read_results_file_passes_take_declared_unit_on():
    parsed = imports.read_results_file("epd.zip", environdec_zip(), declared_unit="1 kg", take_declared_unit=True)

    assert parsed.stated.values["declared_unit"] == "1 t"
    assert parsed.stated.values["characterisation_method"] == "EF 3.1"


# ---------------------------------------------------------------- our own export, read back


def expected_scenarios(document: dict) -> dict:
    return {m: s if isinstance(s, dict) else {"description": s} for m, s in document["lca"]["scenarios"].items()}


@pytest.mark.parametrize("method", ["EF 3.1", "EF 3.0"])
def test_our_ilcd_archive_reads_back_to_the_documents_metadata(method):
    document = sample_document("scrap_eaf", "long.rebar")
    document["lca"]["characterisation_method"] = method
    document["registrations_elsewhere"] = [
        {
            "programme_operator": "EPD International AB",
            "registration_number": "S-P-01937",
            "url": "https://www.environdec.com/library/epd1937",
        }
    ]
    document["product"]["other_names"] = {"de": "Betonstahl"}
    archive = ilcd_archive(document, pdf=minimal_pdf())

    parsed = read_ilcd(archive, declared_unit="1 t")

    lca, product, verification = document["lca"], document["product"], document["verification"]
    assert parsed.findings == []
    assert parsed.stated.values == {
        "product_name": product["name"],
        "product_name_zh": product["name_zh"],
        "other_names": {"de": "Betonstahl"},
        "description": product["description"],
        "manufacturer": document["manufacturer"]["name"],
        "declared_unit": lca["declared_unit"],
        "reference_year": lca["reference_year"],
        "data_period_start": datetime.date.fromisoformat(lca["data_period"][0]),
        "data_period_end": datetime.date.fromisoformat(lca["data_period"][1]),
        "original_issue_date": datetime.date.fromisoformat(document["issued"]),
        "valid_until": datetime.date.fromisoformat(document["valid_until"]),
        "pcr_named": lca["pcr"]["name"],
        "pcr": PCR.objects.get(code=lca["pcr"]["code"]),
        "characterisation_method": method,
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
        "scenarios": expected_scenarios(document),
        "production_route": product["production_route"],
        "recycled_content": Decimal(product["recycled_content_percent"]),
    }
    assert parsed.method_evidence == [(method, "LCIAResults/LCIAResult[1]")]


def test_our_ilcd_xml_alone_names_what_the_archive_would_resolve():
    document = sample_document()

    parsed = read_ilcd(write_ilcd(document), declared_unit="1 t")

    stated = parsed.stated.values
    assert stated["declared_unit"] == "1 t"  # from name/functionalUnitFlowProperties, as no flow dataset weighs it
    assert parsed.stated.where["declared_unit"] == "processInformation/dataSetInformation/name/functionalUnitFlowProperties"
    # Without the contact datasets nothing says who is the person and who the body: both are named.
    assert stated["registrations_elsewhere"][0]["verifier"] == "Veritas Certification GmbH; Vera Verifier"
    assert stated["pcr"] == PCR.objects.get(code="en17662")
