"""Rate limits hold against a client that lies about its address, count across processes, and cover the
expensive endpoints (review attacks: a spoofed X-Forwarded-For reset the anonymous count; counters lived in
each process's memory; /api/v1/verify/, the log and the keys were limited only by the general rate)."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient


@pytest.fixture
def limits(settings):
    def set_rates(**rates):
        settings.REGISTRY_THROTTLE_RATES = {"registry_anon": "1000/minute", "registry_token": "1000/minute", **rates}

    return set_rates


@pytest.mark.django_db
def test_a_spoofed_x_forwarded_for_does_not_reset_the_anonymous_count(limits):
    limits(registry_anon="3/minute")
    client = APIClient()
    answers = [client.get("/api/v1/epds/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_address_it_appended_is_counted(limits, settings):
    limits(registry_anon="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    # The client wrote its own hop first; the proxy appended the address it saw: only that one counts.
    spoofed = [client.get("/api/v1/epds/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7").status_code for n in range(3)]
    assert spoofed == [200, 200, 429]
    assert client.get("/api/v1/epds/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


@pytest.mark.django_db
def test_verify_has_its_own_tighter_limit(limits):
    limits(registry_verify="2/minute")
    client = APIClient()
    answers = []
    for _ in range(3):
        upload = SimpleUploadedFile("epd.pdf", b"%PDF-1.7 not really", content_type="application/pdf")
        answers.append(client.post("/api/v1/verify/", {"document": upload}, format="multipart").status_code)
    assert answers[2] == 429 and 429 not in answers[:2]


@pytest.mark.django_db
@pytest.mark.parametrize("path, scope", [("/api/v1/log/tree-head", "registry_log"), ("/api/v1/keys/", "registry_keys")])
def test_log_and_keys_have_their_own_limits(limits, path, scope):
    limits(**{scope: "2/minute"})
    client = APIClient()
    answers = [client.get(path).status_code for _ in range(3)]
    assert answers[2] == 429 and 429 not in answers[:2]


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="counters are shared through Redis when REDIS_URL is set")
def test_counters_live_in_redis_shared_by_every_process(limits):
    import redis
    from django.core.cache import cache

    limits(registry_anon="5/minute")
    APIClient().get("/api/v1/epds/")
    keys = redis.Redis.from_url(os.environ["REDIS_URL"]).keys(cache.make_key("*throttle_registry_anon*"))
    assert keys, "the anonymous count is not in Redis"
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    server.set("broker-owned-key", "1")  # the Celery broker shares the database: clearing the cache spares it
    try:
        cache.clear()
        assert not server.keys(cache.make_key("*")) and server.get("broker-owned-key") == b"1"
    finally:
        server.delete("broker-owned-key")
