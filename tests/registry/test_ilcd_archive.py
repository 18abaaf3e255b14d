"""The ILCD+EPD ZIP of a published EPD: valid against the InDataWG v1.2 schemas, complete (every reference
resolves inside it), built on master-data UUIDs, carrying the signed PDF, and readable by ilcdlib."""

import hashlib
import io
import zipfile

import pytest
from django.core.management import call_command
from ilcdlib.epd.reader import IlcdEpdReader
from ilcdlib.medium.archive import ZipIlcdReader
from lxml import etree

from declarations import catalogue, ilcd_master
from declarations.samples import minimal_pdf, sample_document
from registry import ilcd_checks, publishing
from registry.exports import ilcd_export
from registry.ilcd_export import pdf_file_name
from registry.models import ArtefactName, IlcdDataset

ROUTES = ["bf_bof", "scrap_eaf", "dri_eaf", "mixed"]
# Every product category (with the routes in turn) and every route, under both characterisation methods.
CASES = [(ROUTES[i % 4], c.code, "EF 3.1" if i % 2 else "EF 3.0") for i, c in enumerate(catalogue.CATEGORIES)] + [
    (route, "long.rebar", method) for route in ROUTES for method in ("EF 3.0", "EF 3.1")
]
NS = {"p": "http://lca.jrc.it/ILCD/Process", "common": "http://lca.jrc.it/ILCD/Common", "s": "http://lca.jrc.it/ILCD/Source"}
PDF = minimal_pdf("signed EPD")


def archive_of(document: dict, pdf: bytes | None = PDF) -> bytes:
    return ilcd_export(document, archive=True, pdf=pdf)


def members(content: bytes) -> dict[str, bytes]:
    bundle = zipfile.ZipFile(io.BytesIO(content))
    return {name: bundle.read(name) for name in bundle.namelist()}


def assert_valid_and_complete(content: bytes) -> None:
    assert ilcd_checks.schema_problems(content) == []
    assert ilcd_checks.unresolved_references(content) == []


@pytest.mark.parametrize(("route", "category", "method"), CASES)
def test_every_dataset_of_the_archive_is_schema_valid_and_every_reference_resolves(route, category, method):
    document = sample_document(route, category)
    document["lca"]["characterisation_method"] = method

    content = archive_of(document)

    assert_valid_and_complete(content)
    folders = {name.split("/")[1] for name in members(content)}
    assert folders == {"processes", "flows", "flowproperties", "unitgroups", "lciamethods", "contacts", "sources", "external_docs"}


def test_a_later_version_with_registrations_elsewhere_is_valid_too():
    document = sample_document(version=3)
    document["first_issued"] = "2024-03-01"
    document["registrations_elsewhere"] = [
        {"programme_operator": "EPD Norge", "registration_number": "NEPD-1234-567-EN", "url": "https://epd-norge.example/NEPD-1234"},
        {"programme_operator": "IBU", "registration_number": "EPD-HUA-20240001-IBC1-EN"},
    ]

    content = archive_of(document)

    assert_valid_and_complete(content)
    process = etree.fromstring(next(v for k, v in members(content).items() if k.startswith("ILCD/processes/")))
    documentation = [
        e.findtext("common:shortDescription", namespaces=NS)
        for e in process.iterfind("p:processInformation/p:dataSetInformation/p:referenceToExternalDocumentation", NS)
    ]
    assert documentation[1:] == ["EPD NEPD-1234-567-EN (EPD Norge)", "EPD EPD-HUA-20240001-IBC1-EN (IBU)"]
    synonyms = process.findtext("p:processInformation/p:dataSetInformation/common:synonyms", namespaces=NS)
    assert "NEPD-1234-567-EN" in synonyms and "EPD-HUA-20240001-IBC1-EN" in synonyms
    assert "2024-03-01" in process.findtext("p:processInformation/p:dataSetInformation/common:generalComment", namespaces=NS)


def test_a_broken_dataset_is_named_by_the_schema_check():
    content = archive_of(sample_document())
    files = members(content)
    process = next(name for name in files if name.startswith("ILCD/processes/"))
    files[process] = files[process].replace(
        b"<functionalUnitFlowProperties",
        b"<treatmentStandardsRoutes xml:lang='en'>x</treatmentStandardsRoutes><functionalUnitFlowProperties",
    )
    del files[next(name for name in files if name.startswith("ILCD/contacts/"))]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)

    assert any("treatmentStandardsRoutes" in problem for problem in ilcd_checks.schema_problems(buffer.getvalue()))
    assert any("contact data set" in problem for problem in ilcd_checks.unresolved_references(buffer.getvalue()))


@pytest.mark.parametrize("method", ["EF 3.0", "EF 3.1"])
def test_master_data_uuids_come_from_the_identifier_lists_and_no_deprecated_unit_group_is_used(method):
    document = sample_document()
    document["lca"]["characterisation_method"] = method

    files = members(archive_of(document))

    by_folder: dict[str, set[str]] = {}
    for name in files:
        folder, stem = name.split("/")[1], name.rsplit("/", 1)[-1].removesuffix(".xml")
        by_folder.setdefault(folder, set()).add(stem)
    masters = ilcd_master.indicators(method)
    assert by_folder["lciamethods"] <= set(masters)
    own_flow = {n for n in by_folder["flows"] if n not in masters}
    assert len(own_flow) == 1  # the product flow; every other flow is an indicator of the master data
    assert by_folder["unitgroups"] <= set(ilcd_master.unit_groups())
    assert not by_folder["unitgroups"] & set(ilcd_master.deprecated_unit_groups())
    assert ilcd_master.flow_properties()["Mass"].unit_group.uuid in by_folder["unitgroups"]
    assert by_folder["flowproperties"] <= {fp.uuid for fp in ilcd_master.flow_properties().values()}
    references = ilcd_master.common_references()
    expected_sources = {
        references[name].uuid for name in ("ILCD Format", "EPD Data Format Extensions v1.2", f"EN 15804+A2 ({method})", "ISO 14025")
    }
    assert expected_sources <= by_folder["sources"]
    assert references[f"EN 15804+A2 ({'EF 3.0' if method == 'EF 3.1' else 'EF 3.1'})"].uuid not in by_folder["sources"]
    assert ilcd_master.background_database("Sphera MLC 2024.1").uuid in by_folder["sources"]
    # Every indicator the document declares is carried, GWP-GHG as the master data's GWP-IOBC/GHG.
    assert ilcd_master.gwp_ghg(method).uuid in by_folder["lciamethods"]
    declared = {ilcd_uuid for code in document["results"] for ilcd_uuid in [_uuid_of(code, method)]}
    assert declared <= by_folder["lciamethods"] | by_folder["flows"]


def _uuid_of(code: str, method: str) -> str:
    indicator = catalogue.indicators()[code]
    return indicator.ilcd_uuid_ef31 if method == "EF 3.1" and indicator.ilcd_uuid_ef31 else indicator.ilcd_uuid_ef30


def test_compliance_follows_the_pcr_core_standard():
    document = sample_document()
    document["lca"]["pcr"]["core_standard"] = "ISO 21930:2017"

    files = members(archive_of(document))

    process = etree.fromstring(next(v for k, v in files.items() if k.startswith("ILCD/processes/")))
    systems = [
        e.get("refObjectId")
        for e in process.iterfind("p:modellingAndValidation/p:complianceDeclarations/p:compliance/common:referenceToComplianceSystem", NS)
    ]
    references = ilcd_master.common_references()
    assert systems == [references["ISO 21930"].uuid, references["ISO 14025"].uuid]


def test_values_are_written_as_the_producer_gave_them():
    document = sample_document()
    document["results"]["GWP-total"]["A1-A3"] = "2.40"
    document["results"]["PENRT"]["A1-A3"] = "1.50E+3"

    content = archive_of(document)

    process = next(v for k, v in members(content).items() if k.startswith("ILCD/processes/")).decode()
    assert '<epd:amount epd:module="A1-A3">2.40</epd:amount>' in process
    assert '<epd:amount epd:module="A1-A3">1.50E+3</epd:amount>' in process
    assert_valid_and_complete(content)


def test_the_signed_pdf_is_an_external_document_of_the_epd_source():
    document = sample_document()

    files = members(archive_of(document))

    assert files[f"ILCD/external_docs/{pdf_file_name(document)}"] == PDF
    process = etree.fromstring(next(v for k, v in files.items() if k.startswith("ILCD/processes/")))
    original = process.find("p:modellingAndValidation/p:dataSourcesTreatmentAndRepresentativeness/common:other/*", NS)
    assert etree.QName(original).localname == "referenceToOriginalEPD"
    source = etree.fromstring(files[f"ILCD/sources/{original.get('refObjectId')}.xml"])
    uris = [e.get("uri") for e in source.iterfind("s:sourceInformation/s:dataSetInformation/s:referenceToDigitalFile", NS)]
    assert uris == [f"../external_docs/{pdf_file_name(document)}", document["links"]["pdf"]]


# ---------------------------------------------------------------- ilcdlib, cChangeLabs' reader


def read_with_ilcdlib(content: bytes) -> dict:
    with ZipIlcdReader(io.BytesIO(content)) as archive:
        epd = IlcdEpdReader(None, None, archive).to_openepd_epd("en")
    return epd.to_serializable(exclude_none=True) if hasattr(epd, "to_serializable") else epd.model_dump(mode="json", exclude_none=True)


@pytest.mark.parametrize("method", ["EF 3.0", "EF 3.1"])
def test_ilcdlib_reads_unit_organisations_product_results_and_method(method):
    document = sample_document("scrap_eaf", "long.rebar")
    document["lca"]["characterisation_method"] = method

    epd = read_with_ilcdlib(archive_of(document))

    assert epd["declared_unit"] == {"qty": 1000.0, "unit": "kg"}
    assert epd["product_name"].startswith(document["product"]["name"])
    assert epd["manufacturer"]["name"] == document["manufacturer"]["name"]
    assert epd["program_operator"]["name"] == document["programme_operator"]["name"]
    assert epd["third_party_verifier"]["name"] == document["verification"]["body"]
    assert epd["epd_developer"]["name"] == document["lca"]["practitioner"]
    assert epd["pcr"]["name"].startswith("EN 17662:2021")
    assert epd["program_operator_doc_id"] == document["registration_number"]
    standards = [s["short_name"] for s in epd["compliance"]]
    # ilcdlib 5.5.5 names the method from the compliance system: it knows "EN 15804+A2" (EF 3.0) only.
    if method == "EF 3.0":
        assert standards == ["EN 15804+A2", "ISO 14025"]
        assert list(epd["impacts"]) == ["EF 3.0"]
    else:
        assert standards == ["EN 15804+A2 (EF 3.1)", "ISO 14025"]
        assert list(epd["impacts"]) == ["Unknown LCIA"]  # not mislabelled EF 3.0
    impacts = next(iter(epd["impacts"].values()))
    gwp = document["results"]["GWP-total"]
    assert impacts["gwp"]["A1A2A3"] == {"mean": float(gwp["A1-A3"]), "unit": "kgCO2e"}
    assert impacts["gwp"]["D"]["mean"] == float(gwp["D"])
    assert impacts["ep-fresh"]["A1A2A3"]["mean"] == float(document["results"]["EP-freshwater"]["A1-A3"])
    assert epd["resource_uses"]["pere"]["A1A2A3"]["mean"] == float(document["results"]["PERE"]["A1-A3"])
    assert epd["output_flows"]["mfr"]["C3"]["mean"] == float(document["results"]["MFR"]["C3"])


# ---------------------------------------------------------------- publishing


@pytest.mark.django_db
def test_publishing_stores_the_checked_zip_with_the_signed_pdf_and_indexes_it(published, client):
    publication = published()

    artefacts = {a.name: a for a in publication.artefacts.all()}
    with artefacts[ArtefactName.ILCD_ZIP].file.open("rb") as handle:
        content = handle.read()
    with artefacts[ArtefactName.PDF].file.open("rb") as handle:
        pdf = handle.read()

    assert_valid_and_complete(content)
    files = members(content)
    assert (
        hashlib.sha256(files[f"ILCD/external_docs/{pdf_file_name(publication.document)}"]).hexdigest() == artefacts[ArtefactName.PDF].sha256
    )
    assert files[f"ILCD/external_docs/{pdf_file_name(publication.document)}"] == pdf
    indexed = {(row.folder, str(row.uuid)): row for row in IlcdDataset.objects.filter(publication=publication)}
    datasets = [name for name in files if not name.startswith("ILCD/external_docs/")]
    assert len(indexed) == len(datasets)
    assert all(row.member in files for row in indexed.values())
    process = next(row for (folder, _u), row in indexed.items() if folder == "processes")
    assert process.version == "01.00.000"
    with artefacts[ArtefactName.ILCD].file.open("rb") as handle:
        assert files[process.member] == handle.read()  # ilcd.xml is the ZIP's process data set, byte for byte
    served = client.get(f"/api/v1/epds/{publication.registration_number}/ilcd.zip")
    assert served.status_code == 200 and served["Content-Type"] == "application/zip"
    assert b"".join(served.streaming_content) == content


@pytest.mark.django_db
def test_publications_without_a_zip_get_one_once(approved):
    # A publication as made before ilcd.zip existed: every artefact but the ZIP.
    declaration = approved()
    built = publishing.build(declaration)
    files = {name: content for name, content in built.files.items() if name != ArtefactName.ILCD_ZIP}
    older = publishing.Built(built.number, built.document, files, built.timestamps)
    stored = {name: publishing.store(content, name) for name, content in files.items()}
    publication = publishing._commit(declaration, older, stored, {name: len(content) for name, content in files.items()})
    assert publishing.publications_without_ilcd_archive() == [publication.pk]

    call_command("publish_ilcd_archives", stdout=io.StringIO())
    call_command("publish_ilcd_archives", stdout=io.StringIO())

    assert publishing.publications_without_ilcd_archive() == []
    zips = publication.artefacts.filter(name=ArtefactName.ILCD_ZIP)
    assert zips.count() == 1
    with zips.get().file.open("rb") as handle:
        assert_valid_and_complete(handle.read())
    assert IlcdDataset.objects.filter(publication=publication, folder="processes").count() == 1
