"""`manage.py seed_demo` (what `make run` loads): mills, verifiers, declarations in several states,
published EPDs with valid signatures, and a second version that supersedes the first."""

import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from ilcdlib.epd.reader import IlcdEpdReader
from ilcdlib.medium.archive import ZipIlcdReader
from ilcdlib.soda4lca.api_client import Soda4LcaXmlApiClient
from openepd.api.sync_client import OpenEpdApiClientSync

from declarations.models import Declaration
from registry import signing
from registry.models import ArtefactName, Publication, RegistryEntry
from tests.openepd_strict import strict_epd
from tests.registry.test_ilcd_archive import assert_valid_and_complete, members, pdf_file_name, read_with_ilcdlib
from tests.registry.test_soda import _wait_for_other_database_sessions_to_end


@pytest.mark.django_db(transaction=True)
def test_demo_loader(in_process_tasks, live_server):
    call_command("seed_demo", quiet=True)
    statuses = set(Declaration.objects.values_list("status", flat=True))
    assert {"draft", "in_verification", "changes_requested", "published", "superseded"} <= statuses
    assert Publication.objects.count() == 4
    superseded = RegistryEntry.objects.get(status="superseded")
    assert superseded.superseded_by.version == 2 and superseded.superseded_by.registration_number == superseded.registration_number
    for publication in Publication.objects.all():
        with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as pdf:
            assert signing.verify_pdf(pdf.read()).authentic
        # Its openEPD document reads strictly, with what EC3 links by.
        with publication.artefacts.get(name=ArtefactName.OPENEPD).file.open("rb") as openepd:
            epd = strict_epd(openepd.read())
        assert epd.id == publication.entry.openepd_id
        assert epd.manufacturer.web_domain and all(plant.id.endswith(f".{epd.manufacturer.web_domain}") for plant in epd.plants)
        assert epd.third_party_verifier.web_domain == "veritas-certification.example"
    sections = Publication.objects.get(document__product__category="long.sections")
    pcr = json.loads(sections.openepd)["pcr"]
    assert pcr["issuer_doc_id"] == "PCR 2019:14" and pcr["doc"].startswith("https://www.environdec.com/")

    call_command("seed_demo", quiet=True)  # a second run changes nothing
    assert Publication.objects.count() == 4
    the_data_network_clients_read_every_demo_epd(live_server)


def the_data_network_clients_read_every_demo_epd(live_server) -> None:
    """Issue 10, done-when: on `make run`'s data, the ILCD+EPD schemas, ilcdlib's soda4LCA client and openepd's API
    client read every demo EPD with no error. (Part of the one transactional demo test: the demo loads once.)"""
    publications = list(Publication.objects.select_related("entry").order_by("pk"))
    valid = [p for p in publications if p.entry.status == "valid"]
    assert len(publications) == 4 and len(valid) == 3

    for publication in publications:  # the InDataWG v1.2 schemas, every dataset of every stored ZIP, every reference inside
        artefacts = {a.name: a for a in publication.artefacts.all()}
        with artefacts[ArtefactName.ILCD_ZIP].file.open("rb") as handle:
            content = handle.read()
        assert_valid_and_complete(content)
        pdf = members(content)[f"ILCD/external_docs/{pdf_file_name(publication.document)}"]
        assert hashlib.sha256(pdf).hexdigest() == artefacts[ArtefactName.PDF].sha256
        epd = read_with_ilcdlib(content)
        assert epd["manufacturer"]["name"] == publication.document["manufacturer"]["name"]
        assert Decimal(str(epd["declared_unit"]["qty"])) == Decimal(publication.document["lca"].get("declared_unit_mass_kg") or 1000)

    soda = Soda4LcaXmlApiClient(live_server.url)
    try:
        items, total = soda.get_processes_iter(page_size=2)
        harvested = list(items)
        assert total == len(valid) == len(harvested)
        for item in harvested:
            with ZipIlcdReader(soda.export_to_zip(item.to_ilcd_ref())) as reader:
                epd = IlcdEpdReader(item.uuid, item.version, reader).to_openepd_epd("en")
            assert epd.declared_unit.qty == 1000 and epd.manufacturer.name and epd.program_operator_doc_id
            assert soda.download_epd_document(item.uuid, item.version).getvalue().startswith(b"%PDF-")
    finally:
        soda._current_session.close()

    openepd = OpenEpdApiClientSync(f"{live_server.url}/api/openepd", auth_token=None)
    for publication in publications:
        fetched = openepd.epds.get_by_openxpd_uuid(publication.entry.openepd_id, raw_response=True).content
        assert strict_epd(fetched).id == publication.entry.openepd_id
    found = list(openepd.epds.find('!EC3 search("Steel") !pragma oMF("1.0/1")', page_size=2))
    assert sorted(e.id for e in found) == sorted(p.entry.openepd_id for p in valid)
    _wait_for_other_database_sessions_to_end()
