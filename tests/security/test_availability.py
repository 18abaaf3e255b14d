"""Availability: a database connection the server dropped costs no request a 500, and a database error in
public search is a logged 500, not a 400 blaming the client's cursor (review findings)."""

import logging
import os
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.workers import ROOT, database_url, wait_until

GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="terminates a PostgreSQL backend")
def test_the_first_request_after_the_database_dropped_the_connection_succeeds(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=database_url(), DB_CONN_MAX_AGE="600", DEBUG="True", MEDIA_ROOT=str(tmp_path))
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [GUNICORN, "epd_platform.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/epds/"
        wait_until(lambda: _try_status(url) == 200, timeout=60, what="gunicorn answering")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchall(), "the worker kept no connection to terminate"
        assert _status(url) == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def _try_status(url: str) -> int | None:
    try:
        return _status(url)
    except OSError:
        return None


@pytest.mark.django_db
def test_a_database_error_in_search_is_a_logged_500_not_a_cursor_error(client, caplog):
    from registry.models import RegistryEntry

    table = RegistryEntry._meta.db_table
    with connection.cursor() as cursor:  # a real database error: the table is gone (the test's transaction rolls it back)
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/v1/epds/", {"q": "rebar"})
    assert response.status_code == 500, response.content[:300]
    assert response.json()["error"]["code"] == "server_error"
    assert "cursor" not in response.content.decode()
    assert any(record.levelno == logging.ERROR for record in caplog.records)


@pytest.mark.django_db
def test_a_forged_cursor_is_still_a_400_naming_it(client):
    import base64

    forged = base64.b64encode(b"p=2026-01-01%00x&o=0").decode()
    response = client.get("/api/v1/epds/", {"cursor": forged})
    assert response.status_code == 400
    assert response.json()["error"]["findings"][0]["field"] == "cursor"
