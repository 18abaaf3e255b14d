"""The soda4LCA-compatible service under /resource/: harvested end to end by ilcdlib's own soda4LCA client on a
live server, every dataset served as the bytes of the stored ZIP, bounded queries, and clear 4xx answers."""

import hashlib
import io
import time
import zipfile
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ilcdlib.dto import IlcdReference
from ilcdlib.epd.reader import IlcdEpdReader
from ilcdlib.medium.archive import ZipIlcdReader
from ilcdlib.soda4lca.api_client import Soda4LcaXmlApiClient
from requests import HTTPError

from registry import lifecycle, soda
from registry.ilcd_export import process_uuid
from registry.models import ArtefactName, RegistryEntry

SAPI = "{http://www.ilcd-network.org/ILCD/ServiceAPI}"


def artefact_bytes(publication, name: str) -> bytes:
    with publication.artefacts.get(name=name).file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def harvest(published, republish, operator_olga):
    """Valid A; B in two versions (v1 superseded); C revoked."""
    a = published()
    b1 = published(product_name="Reinforcing steel B500C")
    b2 = republish(b1)
    c = published(product_name="Wire rod SAE 1008", category="long.wirerod")
    lifecycle.revoke(c.entry, actor=operator_olga, reason="Results recalculated with a wrong factor.")
    return {"valid": [a, b2], "superseded": b1, "revoked": c}


# ---------------------------------------------------------------- the acceptance test: ilcdlib as a harvester


@pytest.mark.django_db(transaction=True)
def test_ilcdlib_harvests_every_valid_epd_with_its_zip_and_signed_pdf(live_server, harvest):
    client = Soda4LcaXmlApiClient(live_server.url)
    try:
        _harvest_and_check(client, harvest)
    finally:
        # The client keeps its HTTP connection alive; the server thread serving it holds a database connection
        # until the socket closes, and PostgreSQL cannot drop the test database while it is open.
        client._current_session.close()
        _wait_for_other_database_sessions_to_end()


def _wait_for_other_database_sessions_to_end(seconds: float = 1) -> None:
    """The live server's handler threads keep their (CONN_MAX_AGE) connections until their socket closes; once the
    harvest is over, wait briefly for them, then end what is left so the test database can be dropped."""
    if connection.vendor != "postgresql":
        return
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


def _harvest_and_check(client: Soda4LcaXmlApiClient, harvest: dict) -> None:
    items, total = client.get_processes_iter(page_size=1)  # one per page: paging is exercised
    harvested = list(items)

    valid = harvest["valid"]
    assert total == len(valid)
    assert [(i.uuid, i.version) for i in harvested] == [(process_uuid(p.registration_number), f"{p.version:02d}.00.000") for p in valid]
    for item, publication in zip(harvested, valid, strict=True):
        assert item.name == publication.document["product"]["name"] and item.sub_type == "specific dataset"
        archive = client.export_to_zip(item.to_ilcd_ref())
        assert archive.getvalue() == artefact_bytes(publication, ArtefactName.ILCD_ZIP)
        with ZipIlcdReader(archive) as reader:
            epd = IlcdEpdReader(item.uuid, item.version, reader).to_openepd_epd("en")
        assert epd.product_name.startswith(publication.document["product"]["name"])
        assert epd.program_operator_doc_id == publication.registration_number
        assert epd.manufacturer.name == publication.document["manufacturer"]["name"]
        assert epd.declared_unit.qty == 1000 and epd.declared_unit.unit == "kg"
        # download_epd_document checks the link with HEAD first, as harvesters do. (ilcdlib's Soda4LcaZipReader,
        # which starts from a process URL, drops the URL's port, so it cannot be pointed at a live test server.)
        pdf = client.download_epd_document(item.uuid, item.version).getvalue()
        assert hashlib.sha256(pdf).hexdigest() == publication.artefacts.get(name=ArtefactName.PDF).sha256

    # A superseded version stays fetchable by its version; a revoked EPD is gone for harvesters.
    old = harvest["superseded"]
    old_ref = IlcdReference("processes", process_uuid(old.registration_number), "01.00.000")
    assert client.export_to_zip(old_ref).getvalue() == artefact_bytes(old, ArtefactName.ILCD_ZIP)
    with pytest.raises(HTTPError) as gone:
        client.export_to_zip(IlcdReference("processes", process_uuid(harvest["revoked"].registration_number), None))
    assert gone.value.response.status_code == 410
    assert "revoked" in gone.value.response.text
    gone.value.response.close()


# ---------------------------------------------------------------- datasets are the stored bytes


@pytest.mark.django_db
def test_every_dataset_served_is_the_bytes_in_the_stored_zip(client, published):
    publication = published()
    bundle = zipfile.ZipFile(io.BytesIO(artefact_bytes(publication, ArtefactName.ILCD_ZIP)))

    served = 0
    for row in publication.ilcd_datasets.all():
        for params in ({}, {"version": row.version, "format": "xml"} if row.version else {"format": "XML"}):
            response = client.get(f"/resource/{row.folder}/{row.uuid}", params)
            assert response.status_code == 200, (row.member, response.content)
            assert response["Content-Type"] == "application/xml"
            assert response.content == bundle.read(row.member)
            served += 1
    assert served == 2 * len([n for n in bundle.namelist() if not n.startswith("ILCD/external_docs/")])

    source = next(row for row in publication.ilcd_datasets.filter(folder="sources") if b"external_docs" in bundle.read(row.member))
    pdf_name = f"{publication.registration_number}-v1.pdf"
    response = client.get(f"/resource/sources/{source.uuid}/{pdf_name}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == artefact_bytes(publication, ArtefactName.PDF)


@pytest.mark.django_db
def test_one_data_stock_lists_the_same_processes(client, published):
    publication = published()

    stocks = ElementTree.fromstring(client.get("/resource/datastocks").content)
    (stock,) = stocks.findall(f"{SAPI}dataStock")
    assert stock.findtext(f"{SAPI}uuid") == soda.DATA_STOCK and stock.get(f"{SAPI}root") == "true"
    for path in ("/resource/processes", f"/resource/datastocks/{soda.DATA_STOCK}/processes"):
        listing = ElementTree.fromstring(client.get(path, {"search": "true", "format": "xml"}).content)
        assert listing.get(f"{SAPI}totalSize") == "1" and listing.get(f"{SAPI}pageSize") == "500"
        uuids = [p.findtext(f"{SAPI}uuid") for p in listing]
        assert uuids == [process_uuid(publication.registration_number)]
    named = ElementTree.fromstring(client.get("/resource/processes", {"search": "true", "name": "no such product"}).content)
    assert named.get(f"{SAPI}totalSize") == "0" and len(named) == 0


# ---------------------------------------------------------------- errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params", "status", "named"),
    [
        ("/resource/processes", {"pageSize": "0"}, 400, "pageSize"),
        ("/resource/processes", {"pageSize": "501"}, 400, "pageSize"),
        ("/resource/processes", {"pageSize": "ten"}, 400, "pageSize"),
        ("/resource/processes", {"startIndex": "-1"}, 400, "startIndex"),
        ("/resource/processes", {"format": "json"}, 400, "format"),
        ("/resource/datastocks/nope/processes", {}, 404, "data stock nope"),
        ("/resource/processes/not-a-uuid", {}, 400, "not-a-uuid"),
        ("/resource/processes/0b7c2a52-4f3e-4f0e-9a53-4c9f2d3e6a11", {}, 404, "process data set 0b7c2a52-4f3e-4f0e-9a53-4c9f2d3e6a11"),
        ("/resource/contacts/0b7c2a52-4f3e-4f0e-9a53-4c9f2d3e6a11", {}, 404, "contact data set"),
        ("/resource/processes/0b7c2a52-4f3e-4f0e-9a53-4c9f2d3e6a11/zipexport", {"version": "1"}, 400, "version"),
        ("/resource/processes/0b7c2a52-4f3e-4f0e-9a53-4c9f2d3e6a11/epd", {"version": "01.00.000"}, 404, "in version 01.00.000"),
    ],
)
def test_bad_requests_are_named_in_soda4lca_style(client, path, params, status, named):
    response = client.get(path, params)

    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert named in response.content.decode()


@pytest.mark.django_db
def test_suspended_epds_are_gone_and_other_versions_are_fetchable_by_version(client, published, operator_olga):
    publication = published()
    uuid = process_uuid(publication.registration_number)
    assert client.get(f"/resource/processes/{uuid}", {"version": "02.00.000"}).status_code == 404

    lifecycle.suspend(RegistryEntry.objects.get(publication=publication), actor=operator_olga, reason="Under investigation.")

    response = client.get(f"/resource/processes/{uuid}/epd")
    assert response.status_code == 410 and "suspended" in response.content.decode()
    listing = ElementTree.fromstring(client.get("/resource/processes").content)
    assert listing.get(f"{SAPI}totalSize") == "0"


# ---------------------------------------------------------------- query counts


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.django_db
def test_process_list_runs_the_same_queries_at_10_and_100_epds(client):
    call_command("generate_registry", count=10, seed=3, stdout=io.StringIO())
    small = count_queries(client, "/resource/processes", {"search": "true", "pageSize": "500"})
    call_command("generate_registry", count=90, seed=4, stdout=io.StringIO())
    large = count_queries(client, "/resource/processes", {"search": "true", "pageSize": "500"})

    assert small == large <= 2


@pytest.mark.django_db
def test_dataset_lookups_run_the_same_queries_at_one_and_three_publications(client, published):
    first = published()
    paths = lambda publication: [  # noqa: E731
        f"/resource/processes/{process_uuid(publication.registration_number)}",
        f"/resource/processes/{process_uuid(publication.registration_number)}/zipexport",
        f"/resource/processes/{process_uuid(publication.registration_number)}/epd",
        f"/resource/contacts/{publication.ilcd_datasets.filter(folder='contacts').first().uuid}",
    ]
    small = [count_queries(client, path) for path in paths(first)]
    published(product_name="Reinforcing steel B500C")
    published(product_name="Reinforcing steel B450C")
    large = [count_queries(client, path) for path in paths(first)]

    assert small == large and max(large) <= 1
