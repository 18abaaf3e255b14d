"""An upload over the cap is refused before its body is read (review attack: a 400 MB anonymous POST to
/api/v1/verify/ was spooled to a temporary file before the 413)."""

import json
import socket
from urllib.parse import urlsplit

import pytest
from django.test import Client

BOUNDARY = "----epd-boundary"


def _multipart_head(size_mb: int) -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"big.pdf\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode() + b"0" * (size_mb * 1024 * 1024)


@pytest.mark.django_db
def test_verify_refuses_a_declared_400_mb_body_without_reading_it():
    # The test client's payload holds 1 MB but says 400 MB: reading past the first MB would fail the request.
    body = _multipart_head(1)
    response = Client(raise_request_exception=False).generic(
        "POST", "/api/v1/verify/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}", CONTENT_LENGTH=str(400 * 1024 * 1024)
    )
    assert response.status_code == 413, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "file_too_large" and "MB" in error["message"]


@pytest.mark.django_db
def test_verify_page_refuses_a_declared_400_mb_body_without_reading_it():
    body = _multipart_head(1)
    response = Client(raise_request_exception=False).generic(
        "POST", "/verify/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}", CONTENT_LENGTH=str(400 * 1024 * 1024)
    )
    assert response.status_code == 400


def test_a_live_server_answers_413_before_the_body_arrives(live_server, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    address = urlsplit(live_server.url)
    head = _multipart_head(1)
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(
            (
                f"POST /api/v1/verify/ HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {400 * 1024 * 1024}\r\n\r\n"
            ).encode()
            + head
        )
        # Only 1 MB of the declared 400 MB was sent: an answer at all means the server did not wait for the rest.
        status, body = _read_response(sock)
    assert status == 413, body[:300]
    assert json.loads(body)["error"]["code"] == "file_too_large"
    assert list(tmp_path.iterdir()) == []  # nothing spooled


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), body
