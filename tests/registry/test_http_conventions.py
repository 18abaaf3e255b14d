"""What a browser script and a well-behaved client rely on: CORS that lets a script read the caching,
paging and rate-limit headers, and rate limits announced in draft-ietf-httpapi-ratelimit-headers-06
fields on every answer of a throttled endpoint (the 429 with Retry-After), through the real throttles."""

import pytest
from django.core.cache import cache
from django.core.management import call_command

from registry.exports_bulk import write_export

ORIGIN = "https://buyer.example"
EXPOSED = {"etag", "last-modified", "retry-after", "link", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy"}


@pytest.fixture
def registry(db):
    call_command("generate_registry", count=5, seed=3, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def tight_limits(settings):
    cache.clear()
    settings.REGISTRY_THROTTLE_RATES = {"registry_anon": "3/minute", "registry_token": "5/minute"}
    yield
    cache.clear()


def exposed(response) -> set[str]:
    return {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}


def test_preflight_allows_conditional_get_from_any_origin(client, db):
    preflight = client.options(
        "/api/v1/epds/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match, authorization",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-modified-since", "authorization"} <= allowed


@pytest.mark.parametrize(
    "path", ["/api/v1/epds/", "/api/v1/changes/", "/api/v1/changes.atom", "/api/v1/exports/epds.jsonl.gz", "/api/v1/log/tree-head"]
)
def test_real_answers_expose_caching_paging_and_rate_limit_headers(client, registry, path):
    write_export()
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert exposed(response) >= EXPOSED


def test_a_refused_answer_is_readable_by_a_script_too(client, registry, tight_limits):
    for _ in range(3):
        client.get("/api/v1/epds/", HTTP_ORIGIN=ORIGIN)
    refused = client.get("/api/v1/epds/", HTTP_ORIGIN=ORIGIN)
    assert refused.status_code == 429
    assert refused["Access-Control-Allow-Origin"] == "*" and exposed(refused) >= EXPOSED


def rate_limit(response) -> tuple[int, int, int, str]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
        response["RateLimit-Policy"],
    )


def test_anonymous_answers_count_down_to_a_429_with_retry_after(client_for, registry, tight_limits):
    anonymous = client_for()
    answers = [anonymous.get("/api/v1/epds/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [rate_limit(a)[:2] for a in answers] == [(3, 2), (3, 1), (3, 0), (3, 0)]
    assert all(0 < rate_limit(a)[2] <= 60 and rate_limit(a)[3] == "3;w=60" for a in answers)
    refused = answers[-1]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert abs(int(refused["Retry-After"]) - int(refused["RateLimit-Reset"])) <= 1
    assert refused.json()["error"]["code"] == "throttled"


def test_token_holders_have_their_own_higher_limit(client_for, registry, tight_limits, mill_alice):
    holder = client_for(mill_alice)
    answers = [holder.get("/api/v1/categories/") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [rate_limit(a)[:2] for a in answers] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (5, 0)]
    assert answers[-1]["RateLimit-Policy"] == "5;w=60"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/log/tree-head"), ("get", "/api/v1/keys/"), ("get", "/api/v1/changes.atom"), ("post", "/api/v1/verify/")],
)
def test_every_public_endpoint_is_counted_and_says_so(client_for, db, tight_limits, method, path):
    anonymous = client_for()
    answers = [getattr(anonymous, method)(path) for _ in range(4)]
    assert [a.status_code for a in answers][-1] == 429
    assert [int(a["RateLimit-Remaining"]) for a in answers] == [2, 1, 0, 0]
    assert answers[-1]["Retry-After"]


def test_bad_requests_are_counted_too(client_for, db, tight_limits):
    """Throttles run before the view: a 400 costs a request, and says what is left."""
    response = client_for().get("/api/v1/epds/", {"page_size": "0"})
    assert response.status_code == 400 and rate_limit(response)[:2] == (3, 2)
