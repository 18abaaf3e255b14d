"""Errors under /api/ are JSON in the API's one error shape in every mode, DEBUG included: unknown paths,
wrong methods, malformed and oversized bodies, and unexpected failures (500). Elsewhere, the HTML pages."""

import pytest
from django.test import Client

MODES = pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])


@pytest.fixture
def client_in(settings, db):
    def make(debug: bool, user=None) -> Client:
        settings.DEBUG = debug
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    return make


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()["error"]
    assert body["code"] and body["message"]
    return body


@MODES
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing-here", "/api/v1/epds/EPD-STEEL-2026-000001/nothing.pdf"])
def test_unknown_api_paths_are_json_404s(client_in, debug, path):
    assert error_of(client_in(debug).get(path), 404)["code"] == "not_found"


@MODES
def test_an_unknown_epd_is_a_json_404(client_in, debug):
    assert error_of(client_in(debug).get("/api/v1/epds/EPD-STEEL-2026-999999/"), 404)["code"] == "not_found"


@MODES
def test_a_wrong_method_is_a_json_405_with_allow(client_in, debug):
    response = client_in(debug).delete("/api/v1/epds/")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


@MODES
def test_a_malformed_json_body_is_a_json_400(client_in, debug, mill_alice):
    response = client_in(debug, mill_alice).post("/api/v1/declarations/", '{"product_name": ', content_type="application/json")
    assert error_of(response, 400)["code"] == "parse_error"


@MODES
def test_a_body_over_the_upload_limit_is_a_json_error(client_in, debug, mill_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"product_name": "' + "x" * 2000 + '"}'
    response = client_in(debug, mill_alice).post("/api/v1/declarations/", body, content_type="application/json")
    assert error_of(response, 400)["code"] == "request_too_large"


@MODES
@pytest.mark.urls("tests.api_error_urls")
def test_an_unexpected_failure_is_a_json_500_without_the_traceback(client_in, debug):
    body = error_of(client_in(debug).get("/api/v1/test-failure/"), 500)
    assert body["code"] == "server_error"
    assert "on purpose" not in body["message"] and "Traceback" not in body["message"]


@MODES
def test_pages_outside_the_api_keep_their_html_errors(client_in, debug):
    response = client_in(debug).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@MODES
def test_a_browser_on_the_browsable_api_still_gets_drf_pages(client_in, debug):
    """DRF answers as the client asked; only Django's own error pages are rewritten."""
    response = client_in(debug).get("/api/v1/epds/", {"page_size": "0"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
