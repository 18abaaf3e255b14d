"""Malformed input is a 400 that says what was wrong, never a 500 (review attacks: NUL characters reaching
PostgreSQL from paths, query strings and JSON; JSON nested until the parser recursed to death; an oversized
JSON body answered with a generic page). NUL is a PostgreSQL error, so these run against it in CI
(DATABASE_URL); on SQLite they still check the answers."""

import json

import pytest
from django.test import Client

ANONYMOUS_NUL_URLS = [
    "/compare/?epd=a%00b",
    "/epds/EPD%00/",
    "/api/v1/epds/1%00/",
    "/api/v1/epds/1%00/versions/",
    "/api/v1/epds/1%00/document.pdf",
    "/resource/processes?name=%00",
]


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _json_error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ANONYMOUS_NUL_URLS)
def test_nul_in_an_anonymous_url_is_a_400_naming_it(url):
    response = _client().get(url)
    assert response.status_code == 400, response.content[:300]
    if url.startswith("/api/"):
        error = _json_error(response)
        assert "NUL" in error["message"] and len(error["findings"]) == 1
    else:
        assert response["Content-Type"].startswith("text/html")
        assert "NUL" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_nul_in_a_json_field_is_a_400_naming_the_field(method, make_declaration, mill_alice):
    declaration = make_declaration()
    path = "/api/v1/declarations/" if method == "post" else f"/api/v1/declarations/{declaration.pk}/"
    body = json.dumps({"product_name": "Rebar", "pcr": "en17662\x00"})
    error = _json_error(getattr(_client(mill_alice), method)(path, body, content_type="application/json"))
    assert error["code"] == "invalid" and "NUL" in error["message"]
    assert [f["field"] for f in error["findings"]] == ["pcr"]


@pytest.mark.django_db
def test_nul_in_a_page_form_is_an_html_400(make_declaration, mill_alice):
    declaration = make_declaration()
    response = _client(mill_alice).post(f"/declarations/{declaration.pk}/edit/", {"product_name": "Rebar", "pcr": "en17662\x00"})
    assert response.status_code == 400
    assert "“pcr” contains a NUL character" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path",
    [("post", "/api/v1/declarations/"), ("put", "/api/v1/declarations/{pk}/"), ("put", "/api/v1/declarations/{pk}/results/")],
)
def test_deeply_nested_json_is_a_400(method, path, make_declaration, mill_alice):
    declaration = make_declaration()
    body = "[" * 100_000 + "]" * 100_000
    error = _json_error(getattr(_client(mill_alice), method)(path.format(pk=declaration.pk), body, content_type="application/json"))
    assert error["code"] == "parse_error" and "nests deeper" in error["message"]


@pytest.mark.django_db
def test_json_nested_past_the_limit_but_under_recursion_is_a_400(mill_alice):
    body = json.dumps({"product_name": "Rebar", "scenarios": json.loads("[" * 200 + "]" * 200)})
    error = _json_error(_client(mill_alice).post("/api/v1/declarations/", body, content_type="application/json"))
    assert "nests deeper" in error["message"] and "scenarios" in error["message"]


@pytest.mark.django_db
def test_an_oversized_json_body_is_a_json_400_that_names_the_limit(mill_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    body = json.dumps({"product_name": "x" * 1_200_000})
    error = _json_error(_client(mill_alice).post("/api/v1/declarations/", body, content_type="application/json"))
    assert error["code"] == "request_too_large" and "1.0 MB" in error["message"]


@pytest.mark.django_db
def test_a_deeply_nested_json_file_import_is_a_400(make_declaration, mill_alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    declaration = make_declaration(results=False)
    upload = SimpleUploadedFile("results.json", b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    response = _client(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/results/import/", {"file": upload})
    error = _json_error(response)
    assert error["code"] == "invalid_file" and "nests deeper" in error["message"]
