"""The openEPD read API (/api/openepd/), used by the `openepd` package's own API client against a live
server, configured as any user would (base URL, token or none); what it gets is read again with openepd's
models in strict mode. Filters, errors, tokens, and SQL queries at two registry sizes."""

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openepd.api.errors import NotAuthorizedError, ObjectNotFound, ValidationError
from openepd.api.sync_client import OpenEpdApiClientSync

from accounts.models import ApiToken
from declarations.models import EPD, Declaration
from declarations.samples import sample_document
from registry import signing
from registry.models import ArtefactName, Publication, RegistryEntry
from registry.openxpd import openxpd_id
from tests.openepd_strict import strict_epd, strict_search_page

STEEL = '!EC3 search("Steel") !pragma oMF("1.0/1")'
PLANTS = [{"name": "Baoshan works", "country": "CN", "city": "Shanghai", "olc": "8Q33CF4Q+QR"}]


@pytest.fixture
def registry(published, republish, mill_a, verification_body):
    """Three EPDs of mill_alice's (rebar in two versions, wire rod, sections), their plant located."""
    mill_a.website = "https://www.huadong-steel.example"
    mill_a.save()
    verification_body.website = "https://veritas-certification.example"
    verification_body.save()
    republish(published(plants=PLANTS))
    published(seed=2, product_name="Wire rod SAE1008", category="long.wirerod", plants=PLANTS)
    published(seed=3, product_name="Hot-rolled sections HEA S355", category="long.sections", plants=PLANTS)
    return RegistryEntry.objects.select_related("publication").order_by("-published_at", "-id")


def openepd_client(live_server, token: str | None = None) -> OpenEpdApiClientSync:
    return OpenEpdApiClientSync(f"{live_server.url}/api/openepd", auth_token=token)


def read_artefact(publication: Publication, name: str) -> bytes:
    with publication.artefacts.get(name=name).file.open("rb") as handle:
        return handle.read()


# ---------------------------------------------------------------- the openepd client, live


def test_the_openepd_client_fetches_every_version_by_its_id(live_server, registry):
    client = openepd_client(live_server)

    for entry in registry:
        epd = client.epds.get_by_openxpd_uuid(entry.openepd_id)
        raw = client.epds.get_by_openxpd_uuid(entry.openepd_id, raw_response=True).content

        assert epd.id == entry.openepd_id
        assert (epd.program_operator_doc_id, epd.program_operator_version) == (entry.registration_number, str(entry.version))
        strict = strict_epd(raw)
        assert strict.plants[0].id == "8Q33CF4Q+QR.huadong-steel.example"
        assert strict.manufacturer.web_domain == "huadong-steel.example"
        assert strict.third_party_verifier.web_domain == "veritas-certification.example"
        # What the API serves is the document the platform signed, byte for byte.
        assert raw == read_artefact(entry.publication, ArtefactName.OPENEPD)
        assert signing.verify_json(raw, read_artefact(entry.publication, ArtefactName.OPENEPD_SIGNATURE).decode()).authentic
    superseded = registry.get(status="superseded")
    assert client.epds.get_by_openxpd_uuid(superseded.openepd_id.lower()).version == 1


def test_the_openepd_client_pages_through_a_search_of_valid_latest_versions(live_server, registry):
    expected = list(registry.filter(status="valid", is_latest=True).values_list("openepd_id", flat=True))

    found = openepd_client(live_server).epds.find(STEEL, page_size=2)

    assert [epd.id for epd in found] == expected and len(expected) == 3
    assert (found.get_total_count(), found.get_total_pages()) == (3, 2)
    assert registry.get(status="superseded").openepd_id not in expected
    for page in (1, 2):
        response = requests.get(
            f"{live_server.url}/api/openepd/v2/epds/search", params={"omf": STEEL, "page_number": page, "page_size": 2}, timeout=300
        )
        strict = strict_search_page(response.content)
        assert [epd.id for epd in strict.payload] == expected[(page - 1) * 2 : page * 2]
        assert strict.meta.material_filter.effective_omf.mf == STEEL
        assert (response.headers["X-Total-Count"], response.headers["X-Total-Pages"]) == ("3", "2")


def test_a_token_is_optional_and_a_wrong_one_is_refused(live_server, published, mill_bob):
    _token, key = ApiToken.issue(mill_bob, "EC3 harvester")
    entry = published().entry

    assert openepd_client(live_server, key).epds.get_by_openxpd_uuid(entry.openepd_id).id == entry.openepd_id
    with pytest.raises(NotAuthorizedError):
        openepd_client(live_server, "epd_not-a-token").epds.get_by_openxpd_uuid(entry.openepd_id)


def test_the_client_hears_not_found_and_bad_requests(live_server, transactional_db):
    client = openepd_client(live_server)

    with pytest.raises(ObjectNotFound):
        client.epds.get_by_openxpd_uuid("SEZZZZZZ")
    with pytest.raises(ValidationError):
        client.epds.get_by_openxpd_uuid("not-an-id!")
    with pytest.raises(ValidationError):
        list(client.epds.find('!EC3 search("Bananas")'))


def test_fields_limit_the_document(live_server, published):
    entry = published().entry

    epd = openepd_client(live_server).epds.get_by_openxpd_uuid(entry.openepd_id, fields=["product_name", "impacts"])

    assert epd.id == entry.openepd_id and epd.product_name == entry.product_name and epd.impacts
    assert epd.manufacturer is None and epd.plants == []


# ---------------------------------------------------------------- filters


def search(client, omf: str, **params) -> dict:
    response = client.get("/api/openepd/v2/epds/search", {"omf": omf, **params})
    assert response.status_code == 200, response.content
    return response.json()


FILTERS = [
    ('!EC3 search("RebarSteel")', {"Reinforcing steel B500B"}),
    ('search("WireMeshSteel")', {"Wire rod SAE1008"}),
    ('!EC3 search("Steel >> StructuralSteel") WHERE jurisdiction: IN("CN", "US")', {"Hot-rolled sections HEA S355"}),
    ('!EC3 search("ConstructionMaterials") WHERE jurisdiction: IN("150")', set()),  # Europe (M49)
    ('!EC3 search("Concrete")', set()),
    ('!EC3 search("Steel") WHERE valid_until: >"2099-01-01"', set()),
    ('!EC3 search("Steel") WHERE gwp: <"100 kgCO2e"', set()),
    ('!EC3 search("Steel") WHERE gwp: <= "10 tCO2e" AND epd_types: IN("Product EPDs", "Industry EPDs")', "every valid one"),
    ('!EC3 search("Steel") WHERE epd_types: IN("Industry EPDs")', set()),
    ('!EC3 search("RebarSteel") WHERE status: IN("superseded") !pragma eMF("2.0/1"), lcia("EF 3.1")', {"Reinforcing steel B500B"}),
]


def test_filters_select_what_they_say(client, registry):
    """Categories by openEPD name (and everything below it), plant countries and regions, dates, GWP, types,
    statuses, registration numbers."""
    valid = set(registry.filter(status="valid").values_list("product_name", flat=True))
    for omf, products in FILTERS:
        found = search(client, omf)

        names = {epd["product_name"] for epd in found["payload"]}
        assert names == (valid if products == "every valid one" else products), omf
        assert found["meta"]["paging"]["total_count"] == len(found["payload"]), omf
    rebar = registry.get(status="valid", product_name="Reinforcing steel B500B")
    by_number = search(client, f'!EC3 search() WHERE program_operator_doc_id: IN("{rebar.registration_number}")')
    assert [epd["id"] for epd in by_number["payload"]] == [rebar.openepd_id]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"omf": ""}, "omf"),
        ({"omf": 'search("Bananas")'}, "omf"),
        ({"omf": 'search("Steel") WHERE colour: IN("red")'}, "omf"),
        ({"omf": 'search("Steel") WHERE jurisdiction: IN("XX")'}, "omf"),
        ({"omf": 'search("Steel") WHERE valid_until: >"soon"'}, "omf"),
        ({"omf": 'search("Steel") WHERE valid_until: IN("2027-01-01")'}, "omf"),
        ({"omf": 'search("Steel") WHERE gwp: <"800 kgNe"'}, "omf"),
        ({"omf": 'search("Steel") WHERE status: IN("deleted")'}, "omf"),
        ({"omf": 'search("Steel") WHERE jurisdiction: IN("CN") OR jurisdiction: IN("DE")'}, "omf"),
        ({"omf": "SELECT * FROM epds"}, "omf"),
        ({"omf": 'search("Steel") "unclosed'}, "omf"),
        ({"omf": STEEL, "page_size": "251"}, "page_size"),
        ({"omf": STEEL, "page_number": "0"}, "page_number"),
    ],
)
def test_wrong_parameters_answer_400_naming_them(client, db, params, named):
    response = client.get("/api/openepd/v2/epds/search", params)

    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["findings"]] == [named]


def test_a_missing_omf_is_named(client, db):
    response = client.get("/api/openepd/v2/epds/search")
    assert response.status_code == 400 and response.json()["error"]["findings"][0]["field"] == "omf"


@pytest.mark.parametrize(("path", "status", "named"), [("SEZZZZZZ", 404, None), ("not-an-id!", 400, "openxpd_id")])
def test_unknown_and_malformed_ids(client, db, path, status, named):
    response = client.get(f"/api/openepd/epds/{path}")
    assert response.status_code == status
    if named:
        assert response.json()["error"]["findings"][0]["field"] == named


def test_unknown_fields_are_named(client, registry):
    response = client.get(f"/api/openepd/epds/{registry.first().openepd_id}", {"fields": "product_name,colour"})
    assert response.status_code == 400 and response.json()["error"]["findings"][0]["field"] == "fields"


# ---------------------------------------------------------------- a publication from before openEPD ids


def legacy_publication(author) -> RegistryEntry:
    """A version published before the openEPD document was stored (Publication.openepd empty)."""
    epd = EPD.objects.create(organization=author.organization)
    number = f"EPD-STEEL-2025-{epd.pk:06d}"
    EPD.objects.filter(pk=epd.pk).update(registration_number=number)
    document = sample_document("scrap_eaf", "long.rebar", registration_number=number)
    declaration = Declaration.objects.create(
        epd=epd, status="published", product_name="Old rebar", category="long.rebar", created_by=author
    )
    publication = Publication.objects.create(
        declaration=declaration,
        registration_number=number,
        version=1,
        issued=document["issued"],
        valid_until=document["valid_until"],
        published_at="2025-06-01T00:00:00Z",
        document=document,
        openepd="",
    )
    return RegistryEntry.objects.create(
        publication=publication,
        registration_number=number,
        version=1,
        openepd_id=openxpd_id(number, 1),  # as migration 0006 fills it in
        status="valid",
        status_changed_at=publication.published_at,
        manufacturer=author.organization,
        manufacturer_name=author.organization.name,
        product_name="Old rebar",
        category="long.rebar",
        country="CN",
        declared_unit="1 t",
        issued=publication.issued,
        valid_until=publication.valid_until,
        published_at=publication.published_at,
        search_text=number.lower(),
    )


def test_a_publication_from_before_openepd_ids_is_built_from_its_signed_document(client, mill_alice):
    entry = legacy_publication(mill_alice)

    response = client.get(f"/api/openepd/epds/{entry.openepd_id}")
    found = search(client, STEEL)

    assert strict_epd(response.content).id == entry.openepd_id
    assert [epd["id"] for epd in found["payload"]] == [entry.openepd_id]


# ---------------------------------------------------------------- SQL queries


def count_queries(client, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries)


def test_query_counts_do_not_grow_with_the_registry(client, db):
    call_command("generate_registry", count=10, seed=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    entry = RegistryEntry.objects.filter(status="valid").first()
    paths = [
        (f"/api/openepd/epds/{entry.openepd_id}", {}),
        (f"/api/openepd/epds/{entry.openepd_id}", {"fields": "product_name,impacts"}),
        ("/api/openepd/v2/epds/search", {"omf": STEEL}),
        ("/api/openepd/v2/epds/search", {"omf": '!EC3 search("RebarSteel") WHERE jurisdiction: IN("CN", "150")', "page_size": "250"}),
        ("/api/openepd/v2/epds/search", {"omf": STEEL, "page_number": "3", "page_size": "3"}),
    ]
    small = [count_queries(client, path, **params) for path, params in paths]
    call_command("generate_registry", count=1000, seed=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    large = [count_queries(client, path, **params) for path, params in paths]

    assert large == small, list(zip(paths, small, large, strict=True))
    assert small[0] == 1 and small[2] == 2, "one statement for a document; the count and the page for a search"
