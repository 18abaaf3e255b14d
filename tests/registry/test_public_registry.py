"""The public registry API: search filters and their 400s, pages, one EPD, downloads, categories,
manufacturers, the change feed, caching headers, CORS, throttling, the bulk export, and query counts."""

import gzip
import hashlib
import json
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import lifecycle, queries
from registry.models import ArtefactName, RegistryEntry
from registry.public import percentile


@pytest.fixture
def registry(db):
    """40 synthetic published EPDs (no artefacts) from the generator."""
    call_command("generate_registry", count=40, seed=7, per_manufacturer=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return RegistryEntry.objects.all()


def get(client, path, **params):
    return client.get(path, params)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def all_pages(client, **params):
    found, url = [], "/api/v1/epds/"
    response = client.get(url, params)
    while True:
        body = response.json()
        found += body["results"]
        if not body["next"]:
            return found
        response = client.get(body["next"])


# ---------------------------------------------------------------- search


def test_default_lists_valid_latest_versions_newest_first(client, registry):
    listed = all_pages(client, page_size=7)
    expected = registry.filter(status="valid", is_latest=True)
    assert [e["registration_number"] for e in listed] == list(
        expected.order_by("-published_at", "-id").values_list("registration_number", flat=True)
    )
    assert {"registration_number", "version", "product", "manufacturer", "country", "category", "production_route",
            "gwp_a1a3", "gwp_a1a3_per_tonne", "recycled_content", "valid_until", "status", "links"} <= set(listed[0])  # fmt: skip


@pytest.mark.parametrize(
    ("params", "predicate"),
    [
        ({"category": "long.rebar"}, lambda e: e.category == "long.rebar"),
        ({"category": "flat"}, lambda e: e.category.startswith("flat.")),
        ({"production_route": "scrap_eaf"}, lambda e: e.production_route == "scrap_eaf"),
        ({"gwp_a1a3_min": "1500", "gwp_a1a3_max": "2500"}, lambda e: Decimal(1500) <= e.gwp_a1a3 <= Decimal(2500)),
        ({"recycled_content_min": "60"}, lambda e: e.recycled_content >= 60),
        ({"pcr": "en17662"}, lambda e: e.pcr_code == "en17662"),
        ({"status": "any"}, lambda e: True),
        ({"status": "expired,revoked"}, lambda e: e.status in ("expired", "revoked")),
        ({"valid_on": "2024-06-30"}, lambda e: str(e.issued) <= "2024-06-30" <= str(e.valid_until)),
        ({"published_after": "2024-01-01"}, lambda e: str(e.published_at.date()) >= "2024-01-01"),
    ],
)
def test_each_filter_selects_what_it_says(client, registry, params, predicate):
    statuses = ("valid",) if "status" not in params else None
    expected = {e.registration_number for e in registry if e.is_latest and predicate(e) and (statuses is None or e.status in statuses)}
    found = {e["registration_number"] for e in all_pages(client, page_size=100, **params)}
    assert found == expected


def test_text_country_and_manufacturer(client, registry):
    entry = registry.filter(status="valid").first()
    by_number = all_pages(client, q=entry.registration_number.lower())
    assert [e["registration_number"] for e in by_number] == [entry.registration_number]
    by_maker = all_pages(client, manufacturer=entry.manufacturer_id)
    assert entry.registration_number in {e["registration_number"] for e in by_maker}
    assert all(e["manufacturer"]["id"] == entry.manufacturer_id for e in by_maker)
    assert all(e["country"] == entry.country for e in all_pages(client, country=entry.country.lower()))


def test_ordering_by_gwp(client, registry):
    values = [e["gwp_a1a3"] for e in all_pages(client, ordering="gwp_a1a3", page_size=9)]
    assert values == sorted(values) and len(values) > 10
    values = [e["gwp_a1a3"] for e in all_pages(client, ordering="-gwp_a1a3", page_size=9)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"category": "bananas"}, "category"),
        ({"gwp_a1a3_min": "low"}, "gwp_a1a3_min"),
        ({"gwp_a1a3_max": "NaN"}, "gwp_a1a3_max"),
        ({"q": "rebar\x00"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"country": "China"}, "country"),
        ({"production_route": "bessemer"}, "production_route"),
        ({"manufacturer": "acme"}, "manufacturer"),
        ({"status": "deleted"}, "status"),
        ({"valid_on": "yesterday"}, "valid_on"),
        ({"recycled_content_min": "101"}, "recycled_content_min"),
        ({"published_before": "2026-13-01"}, "published_before"),
        ({"ordering": "price"}, "ordering"),
    ],
)
def test_wrong_parameters_answer_400_naming_them(client, registry, params, named):
    response = client.get("/api/v1/epds/", params)
    assert response.status_code == 400
    fields = [f["field"] for f in response.json()["error"]["findings"]]
    assert fields == [named]


def test_all_wrong_parameters_are_named_at_once(client, db):
    response = client.get("/api/v1/epds/", {"category": "x", "gwp_a1a3_min": "y", "ordering": "z"})
    assert {f["field"] for f in response.json()["error"]["findings"]} == {"category", "gwp_a1a3_min", "ordering"}


def test_a_forged_cursor_is_a_400_not_a_500(client, registry):
    response = client.get("/api/v1/epds/", {"cursor": "!!!not-base64"})
    assert response.status_code == 400 and "cursor" in response.json()["error"]["message"]
    assert [f["field"] for f in response.json()["error"]["findings"]] == ["cursor"]


def test_a_version_that_is_not_a_number_is_named(client, registry):
    number = registry.first().registration_number
    response = client.get(f"/api/v1/epds/{number}/", {"version": "one"})
    assert response.status_code == 400 and [f["field"] for f in response.json()["error"]["findings"]] == ["version"]


# ---------------------------------------------------------------- one EPD


@pytest.fixture
def two_versions(published, mill_alice, verifier_vera, operator_olga):
    from declarations import editing, workflow
    from registry import publishing
    from verification import checks, review
    from verification.models import StoredFinding

    first = published()
    draft = editing.start_new_version(first.declaration, actor=mill_alice)
    draft, _ = workflow.submit(draft, actor=mill_alice)
    checks.run_checks(draft)
    review.assign(draft, verifier_vera, by=operator_olga)
    review.update_checklist(draft, verifier=verifier_vera, items=dict.fromkeys(review.CHECKLIST, True))
    for finding in StoredFinding.objects.filter(check_run__revision__declaration=draft, severity="warning"):
        review.acknowledge(finding, verifier=verifier_vera, comment="ok")
    review.approve(draft, verifier=verifier_vera)
    return first, publishing.publish(draft.pk)


def test_detail_latest_and_older_version(client, two_versions):
    first, second = two_versions
    latest = client.get(f"/api/v1/epds/{first.registration_number}/").json()
    assert latest["version"] == 2 and latest["status"] == "valid" and latest["is_latest"]
    assert latest["document"] == second.document
    stored = second.artefacts.order_by("name")
    assert [(a["name"], a["sha256"], a["size"], a["log_index"]) for a in latest["artefacts"]] == [
        (a.name, a.sha256, a.size, a.log_index) for a in stored
    ]
    assert {a["name"] for a in latest["artefacts"]} == set(ArtefactName.values)
    assert latest["superseded_by"] is None
    older = client.get(f"/api/v1/epds/{first.registration_number}/", {"version": 1}).json()
    assert older["status"] == "superseded" and older["superseded_by"]["version"] == 2
    versions = client.get(f"/api/v1/epds/{first.registration_number}/versions/").json()
    assert [v["version"] for v in versions] == [2, 1]


def test_downloads_match_the_logged_digest(client, two_versions):
    first, _ = two_versions
    detail = client.get(f"/api/v1/epds/{first.registration_number}/", {"version": 1}).json()
    pdf = next(a for a in detail["artefacts"] if a["name"] == "document.pdf")
    response = client.get(f"/api/v1/epds/{first.registration_number}/document.pdf", {"version": 1})
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert hashlib.sha256(body).hexdigest() == pdf["sha256"] == response["ETag"].strip('"')
    assert "immutable" in response["Cache-Control"]
    again = client.get(f"/api/v1/epds/{first.registration_number}/document.pdf", {"version": 1}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/epds/EPD-STEEL-2026-999999/", {}, 404),
        ("/api/v1/epds/{number}/", {"version": "9"}, 404),
        ("/api/v1/epds/{number}/", {"version": "one"}, 400),
        ("/api/v1/epds/EPD-STEEL-2026-999999/versions/", {}, 404),
        ("/api/v1/epds/EPD-STEEL-2026-999999/document.pdf", {}, 404),
    ],
)
def test_unknown_epds_and_versions(client, published, path, params, status):
    publication = published()
    assert client.get(path.format(number=publication.registration_number), params).status_code == status


def test_category_percentile_in_detail(client, registry):
    entry = registry.filter(status="valid", is_latest=True, category="long.rebar").order_by("gwp_a1a3_per_tonne").first()
    peers = registry.filter(status="valid", is_latest=True, category="long.rebar")
    detail = client.get(f"/api/v1/epds/{entry.registration_number}/")
    assert detail.status_code == 200
    share = detail.json()["category_percentile"]
    higher = peers.filter(gwp_a1a3_per_tonne__gt=entry.gwp_a1a3_per_tonne).count()
    assert share["count"] == peers.count() and share["lower_than_percent"] == round(100 * higher / peers.count())


def test_category_percentile_follows_a_status_change(client, published, operator_olga):
    from registry import lifecycle

    first, _, third = (published() for _ in range(3))
    before = client.get(f"/api/v1/epds/{first.registration_number}/").json()["category_percentile"]
    lifecycle.revoke(third.entry, actor=operator_olga, reason="test")  # logged: each process's cached values are stale now
    after = client.get(f"/api/v1/epds/{first.registration_number}/").json()["category_percentile"]
    assert (before["count"], after["count"]) == (3, 2)


# ---------------------------------------------------------------- categories, manufacturers


def test_categories_with_percentiles(client, registry):
    rows = {row["code"]: row for row in client.get("/api/v1/categories/").json()}
    values = sorted(
        float(v)
        for v in registry.filter(status="valid", is_latest=True, category="long.rebar").values_list("gwp_a1a3_per_tonne", flat=True)
    )
    rebar = rows["long.rebar"]
    assert rebar["count"] == len(values)
    assert rebar["gwp_a1a3_per_tonne"]["p50"] == round(percentile(values, 50), 1)
    assert rebar["gwp_a1a3_per_tonne"]["p10"] <= rebar["gwp_a1a3_per_tonne"]["p50"] <= rebar["gwp_a1a3_per_tonne"]["p90"]


def test_percentile_matches_linear_interpolation():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([10.0], 90) == 10.0


def test_manufacturers(client, registry):
    body = client.get("/api/v1/manufacturers/").json()
    assert body["results"] and all(m["valid_epds"] >= 0 for m in body["results"])
    one = body["results"][0]
    assert one["valid_epds"] == registry.filter(manufacturer_id=one["id"], status="valid", is_latest=True).count()
    assert client.get("/api/v1/manufacturers/", {"q": "a\x00"}).status_code == 400


# ---------------------------------------------------------------- changes


def test_change_feed_shows_publication_new_version_and_revocation(client, two_versions, operator_olga):
    _first, second = two_versions
    lifecycle.revoke(second.entry, actor=operator_olga, reason="Falsified data")
    events = [(c["event"], c["version"]) for c in client.get("/api/v1/changes/").json()["results"]]
    assert events == [("revoked", 2), ("superseded", 1), ("new_version", 2), ("published", 1)]
    later = client.get("/api/v1/changes/", {"after": client.get("/api/v1/changes/").json()["results"][2]["log_index"]}).json()
    assert [c["event"] for c in later["results"]] == ["revoked", "superseded"]
    atom = client.get("/api/v1/changes.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    entries = ElementTree.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 4
    assert client.get("/api/v1/changes/", {"after": "x"}).status_code == 400
    assert client.get("/api/v1/changes/", {"since": "last week"}).status_code == 400


# ---------------------------------------------------------------- HTTP behaviour


def test_etag_304_cache_headers_and_cors(client, registry):
    first = client.get("/api/v1/epds/", HTTP_ORIGIN="https://buyer.example")
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "public" in first["Cache-Control"] and first["ETag"]
    assert client.get("/api/v1/epds/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    entry = registry.filter(is_latest=True).first()
    detail = client.get(f"/api/v1/epds/{entry.registration_number}/")
    assert detail["Last-Modified"]
    assert client.get(f"/api/v1/epds/{entry.registration_number}/", HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"]).status_code == 304
    preflight = client.options("/api/v1/epds/", HTTP_ORIGIN="https://buyer.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight["Access-Control-Allow-Origin"] == "*"


def test_anonymous_clients_are_throttled_before_token_holders(client_for, registry, settings, mill_alice):
    from django.core.cache import cache

    cache.clear()
    settings.REGISTRY_THROTTLE_RATES = {"registry_anon": "3/minute", "registry_token": "5/minute"}
    anonymous = client_for()
    assert [anonymous.get("/api/v1/epds/").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = anonymous.get("/api/v1/epds/")
    assert int(refused["Retry-After"]) > 0
    holder = client_for(mill_alice)
    assert [holder.get("/api/v1/epds/").status_code for _ in range(6)] == [200] * 5 + [429]
    cache.clear()


def test_bulk_export(client, registry):
    assert client.get("/api/v1/exports/epds.jsonl.gz").status_code == 404
    call_command("export_registry", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.get("/api/v1/exports/epds.jsonl.gz")
    lines = gzip.decompress(b"".join(response.streaming_content)).decode().splitlines()
    assert len(lines) == registry.filter(status="valid", is_latest=True).count()
    first = json.loads(lines[0])
    assert first["registration_number"] and first["document"]["results"]["GWP-total"]["A1-A3"]


# ---------------------------------------------------------------- query counts do not grow with the data


def count_queries(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries)


def test_query_counts_do_not_grow_with_the_registry(client, db):
    call_command("generate_registry", count=10, seed=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    number = RegistryEntry.objects.filter(status="valid").first().registration_number
    paths = [
        ("/api/v1/epds/", {}),
        ("/api/v1/epds/facets/", {"q": "steel"}),
        (f"/api/v1/epds/{number}/", {}),
        (f"/api/v1/epds/{number}/versions/", {}),
        ("/api/v1/categories/", {}),
        ("/api/v1/manufacturers/", {}),
        ("/api/v1/changes/", {}),
        ("/api/v1/changes/", {"before": "5", "page_size": "2"}),
        ("/api/v1/changes.atom", {"page_size": "2"}),
    ]
    small = [count_queries(client, path, **params) for path, params in paths]
    # With words a page reads the tiers it needs (product names, then the rest), each in at most WALK_ROUNDS
    # reads in page order, an estimate and a read from the index (queries.first_rows), and the vector's
    # statistics once in five minutes on PostgreSQL: never more, however large the registry.
    ranked = [{"q": "steel"}, {"q": "rebar coil"}, {"q": "钢筋", "country": "CN"}]
    ranked.append({"q": "steel", "category": "long", "ordering": "gwp_a1a3"})
    most = 2 * (queries.WALK_ROUNDS + 2) + 1
    assert all(count_queries(client, "/api/v1/epds/", **params) <= most for params in ranked)
    call_command("generate_registry", count=1000, seed=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.core.cache import cache

    from registry.queries import forget_category_values

    cache.clear()
    forget_category_values()
    large = [count_queries(client, path, **params) for path, params in paths]
    assert large == small, list(zip(paths, small, large, strict=True))
    assert all(count_queries(client, "/api/v1/epds/", **params) <= most for params in ranked)
    assert small[3] <= 2, "single EPD: one statement, plus the category's values when its cache is cold"


@pytest.mark.parametrize("params", [{"valid_on": ""}, {"page_size": "101"}, {"manufacturer": str(2**63)}, {"category": ""}])
def test_empty_and_out_of_bounds_parameters_are_400_too(client, db, params):
    response = client.get("/api/v1/epds/", params)
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["findings"]] == list(params)


@pytest.mark.parametrize("since", ["4121-04-03T05:27:57.1908-22:50", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:00"])
def test_far_time_offsets_are_answered_not_a_database_error(client, db, since):
    """ISO 8601 allows offsets PostgreSQL refuses; the parameter is turned into UTC first (or refused)."""
    response = client.get("/api/v1/changes/", {"since": since})
    assert response.status_code in (200, 400)
    assert client.get("/api/v1/epds/", {"published_after": since}).status_code in (200, 400)
    assert client.get("/api/v1/changes/").status_code == 200  # the connection is still usable
