"""`manage.py seed_demo` (what `make run` loads): mills on every route, verifiers, declarations in every state
the README's tour shows (a percentile in each category it opens, a review waiting with warnings, a superseded
version 1, a revoked EPD), published EPDs with valid signatures, and the bulk export."""

import gzip
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from ilcdlib.epd.reader import IlcdEpdReader
from ilcdlib.medium.archive import ZipIlcdReader
from ilcdlib.soda4lca.api_client import Soda4LcaXmlApiClient
from openepd.api.sync_client import OpenEpdApiClientSync

from accounts.models import Organization
from declarations.catalogue import ProductionRoute
from declarations.models import Declaration
from registry import queries, signing
from registry.management.commands.seed_demo import DECLARATIONS
from registry.models import ArtefactName, Publication, RegistryEntry
from registry.queries import PERCENTILE_MIN_COUNT
from tests.openepd_strict import strict_epd
from tests.registry.test_ilcd_archive import assert_valid_and_complete, members, pdf_file_name, read_with_ilcdlib
from tests.registry.test_soda import _wait_for_other_database_sessions_to_end
from verification import review

TOUR_CATEGORIES = ("flat.hrc", "long.rebar", "long.sections")  # the categories the README's tour opens


@pytest.mark.django_db(transaction=True)
def test_demo_loader(in_process_tasks, live_server, client):
    call_command("seed_demo", quiet=True)
    statuses = set(Declaration.objects.values_list("status", flat=True))
    assert {"draft", "in_verification", "changes_requested", "published", "superseded", "revoked"} <= statuses
    published = sum({"published": 1, "revoked": 1, "published_twice": 2}.get(demo.target, 0) for demo in DECLARATIONS)
    assert Publication.objects.count() == published
    superseded = RegistryEntry.objects.get(status="superseded")
    assert superseded.superseded_by.version == 2 and superseded.superseded_by.registration_number == superseded.registration_number
    assert RegistryEntry.objects.get(status="revoked").status_reason
    for publication in Publication.objects.all():
        with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as pdf:
            assert signing.verify_pdf(pdf.read()).authentic
        # Its openEPD document reads strictly, with what EC3 links by.
        with publication.artefacts.get(name=ArtefactName.OPENEPD).file.open("rb") as openepd:
            epd = strict_epd(openepd.read())
        assert epd.id == publication.entry.openepd_id
        assert epd.manufacturer.web_domain and all(plant.id.endswith(f".{epd.manufacturer.web_domain}") for plant in epd.plants)
        assert epd.third_party_verifier.web_domain == "veritas-certification.example"
    sections = Publication.objects.get(document__product__category="long.sections", document__manufacturer__country="ES")
    pcr = json.loads(sections.openepd)["pcr"]
    assert pcr["issuer_doc_id"] == "PCR 2019:14" and pcr["doc"].startswith("https://www.environdec.com/")

    the_demo_shows_every_feature_of_the_tour(client)
    call_command("seed_demo", quiet=True)  # a second run changes nothing
    assert Publication.objects.count() == published and Declaration.objects.count() == len(DECLARATIONS) + 1
    the_data_network_clients_read_every_demo_epd(live_server)


def the_demo_shows_every_feature_of_the_tour(client) -> None:
    valid = RegistryEntry.objects.filter(status="valid", is_latest=True)
    # Every production route of the catalogue has a valid EPD.
    assert set(valid.values_list("production_route", flat=True)) == set(ProductionRoute.values)
    # Each category the tour opens has enough valid EPDs for the percentile, and the EPD page shows it.
    for category in TOUR_CATEGORIES:
        entries = valid.filter(category=category)
        assert entries.count() > PERCENTILE_MIN_COUNT, category
        for entry in entries:
            assert queries.category_percentile(entry)["lower_than_percent"] is not None
        page = client.get(f"/epds/{entries.first().registration_number}/")
        assert b'data-testid="percentile"' in page.content
    # A declaration waits for its verifier with warnings to acknowledge.
    waiting = Declaration.objects.get(product_name="Cold-rolled coil DC04")
    assert waiting.status == "in_verification" and waiting.assignments.exists()
    warnings = review.latest_check_run(waiting).findings.filter(severity="warning", acknowledged_at__isnull=True)
    assert {"P11", "P16"} <= set(warnings.values_list("rule", flat=True))
    # Both languages, and what EN 15804 clause 7 requires at submission, on every declaration.
    for declaration in Declaration.objects.all():
        assert declaration.product_name_zh, declaration.product_name
        clause_7 = (declaration.allocation, declaration.cut_off, declaration.data_quality, declaration.lca_practitioner)
        assert all(clause_7), declaration.product_name
    assert Organization.objects.filter(kind="producer").exclude(name_zh="").count() == Organization.objects.filter(kind="producer").count()
    # The bulk export exists from the start, with every valid EPD.
    export = client.get("/api/v1/exports/epds.jsonl.gz")
    assert export.status_code == 200
    assert len(gzip.decompress(b"".join(export.streaming_content)).splitlines()) == valid.count()


def the_data_network_clients_read_every_demo_epd(live_server) -> None:
    """Issue 10, done-when: on `make run`'s data, the ILCD+EPD schemas, ilcdlib's soda4LCA client and openepd's API
    client read every demo EPD with no error. (Part of the one transactional demo test: the demo loads once.)"""
    publications = list(Publication.objects.select_related("entry").order_by("pk"))
    valid = [p for p in publications if p.entry.status == "valid"]
    assert len(valid) == len(publications) - 2  # all but the superseded version 1 and the revoked EPD

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
