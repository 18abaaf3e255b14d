"""POST /api/v1/verify/ on real published artefacts, and what operators and the calendar do to a published EPD."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from declarations.models import AuditEntry, Declaration
from declarations.samples import minimal_pdf
from registry import lifecycle, signing
from registry.api import MAX_VERIFY_BYTES
from registry.models import ArtefactName, LogEntry, RegistryEntry


def artefact_bytes(publication, name: str) -> bytes:
    with publication.artefacts.get(name=name).file.open("rb") as handle:
        return handle.read()


def verify(client, document: bytes, signature: bytes | None = None, name: str = "epd.pdf"):
    data = {"document": SimpleUploadedFile(name, document)}
    if signature is not None:
        data["signature"] = SimpleUploadedFile("epd.jws", signature)
    return client.post("/api/v1/verify/", data, format="multipart")


@pytest.fixture
def publication(published):
    return published()


def test_the_published_pdf_is_authentic_and_valid(client_for, publication):
    answer = verify(client_for(), artefact_bytes(publication, ArtefactName.PDF)).json()
    assert answer["authentic"] is True, answer["reasons"]
    assert (answer["registration_number"], answer["version"], answer["status"]) == (publication.registration_number, 1, "valid")
    assert answer["log_index"] == publication.artefacts.get(name=ArtefactName.PDF).log_index


@pytest.mark.parametrize(
    ("document", "signature"), [(ArtefactName.JSON, ArtefactName.JSON_SIGNATURE), (ArtefactName.OPENEPD, ArtefactName.OPENEPD_SIGNATURE)]
)
def test_published_json_with_its_jws_is_authentic_even_reserialised(client_for, publication, document, signature):
    content, jws = artefact_bytes(publication, document), artefact_bytes(publication, signature)
    assert verify(client_for(), content, jws, "epd.json").json()["authentic"] is True
    reserialised = json.dumps(json.loads(content), indent=2, sort_keys=False, ensure_ascii=True).encode()
    assert reserialised != content
    answer = verify(client_for(), reserialised, jws, "epd.json").json()
    assert answer["authentic"] is True and answer["artefact"] == document


def test_a_flipped_byte_in_the_pdf_is_not_authentic(client_for, publication):
    pdf = bytearray(artefact_bytes(publication, ArtefactName.PDF))
    position = pdf.index(b"stream\n", len(pdf) // 3) + 40
    pdf[position] ^= 0x01
    answer = verify(client_for(), bytes(pdf)).json()
    assert answer["authentic"] is False
    assert "changed after signing" in " ".join(answer["reasons"])
    assert answer["registration_number"] is None


def test_an_appended_update_is_not_authentic(client_for, publication):
    writer = IncrementalPdfFileWriter(BytesIO(artefact_bytes(publication, ArtefactName.PDF)))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    answer = verify(client_for(), out.getvalue()).json()
    assert answer["authentic"] is False
    assert any("added after the signature" in reason for reason in answer["reasons"])


def test_a_pdf_under_another_trust_root_is_not_authentic(client_for, publication, settings, tmp_path):
    ours = settings.SIGNING_KEY_DIR
    settings.SIGNING_KEY_DIR = tmp_path / "another-platform"
    foreign = signing.sign_pdf(minimal_pdf())
    settings.SIGNING_KEY_DIR = ours
    answer = verify(client_for(), foreign).json()
    assert answer["authentic"] is False
    assert "not trusted under the platform's root" in answer["reasons"][0]


def test_json_signed_by_a_foreign_key_is_not_authentic(client_for, publication, settings, tmp_path):
    document = json.loads(artefact_bytes(publication, ArtefactName.JSON))
    ours = settings.SIGNING_KEY_DIR
    settings.SIGNING_KEY_DIR = tmp_path / "another-platform"
    foreign_jws = signing.sign_json(document).encode()
    settings.SIGNING_KEY_DIR = ours
    answer = verify(client_for(), artefact_bytes(publication, ArtefactName.JSON), foreign_jws, "epd.json").json()
    assert answer["authentic"] is False
    assert "not one of the platform's keys" in answer["reasons"][0]


def test_a_changed_json_value_is_not_authentic(client_for, publication):
    document = json.loads(artefact_bytes(publication, ArtefactName.JSON))
    document["results"]["GWP-total"]["A1-A3"] = "1"
    answer = verify(client_for(), json.dumps(document).encode(), artefact_bytes(publication, ArtefactName.JSON_SIGNATURE)).json()
    assert answer["authentic"] is False
    assert "does not match this document" in answer["reasons"][0]


def test_a_validly_signed_file_the_registry_never_published_is_not_authentic(client_for, publication):
    document = {"registration_number": "EPD-STEEL-2026-999999", "claim": "never published"}
    answer = verify(client_for(), json.dumps(document).encode(), signing.sign_json(document).encode()).json()
    assert answer["authentic"] is False
    assert "never published" in answer["reasons"][0]


@pytest.mark.parametrize(
    ("files", "status", "named"),
    [
        ({}, 400, "document"),
        ({"document": b'{"a": 1}'}, 200, None),  # JSON without signature: a verdict, not an error
        ({"document": b"\x00\x01 not a pdf or json", "signature": b"\xff\xfe"}, 200, None),
    ],
)
def test_bad_uploads_get_plain_answers(client_for, db, files, status, named):
    data = {name: SimpleUploadedFile(name, content) for name, content in files.items()}
    response = client_for().post("/api/v1/verify/", data, format="multipart")
    assert response.status_code == status
    if named:
        assert named in json.dumps(response.json())
    else:
        assert response.json()["authentic"] is False and response.json()["reasons"]


def test_an_oversized_upload_is_refused_with_413(client_for, db):
    response = verify(client_for(), b"%PDF-" + b"0" * (MAX_VERIFY_BYTES + 1))
    assert response.status_code == 413
    assert "limit" in response.json()["error"]["message"]


# ---------------------------------------------------------------- lifecycle


def status_change(client, publication, **data):
    return client.post(f"/api/v1/epds/{publication.registration_number}/status/", data, format="json")


def test_operator_revokes_and_verify_then_says_revoked(client_for, publication, operator_olga):
    response = status_change(client_for(operator_olga), publication, status="revoked", reason="Data of plant 2 were falsified.")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "revoked"
    answer = verify(client_for(), artefact_bytes(publication, ArtefactName.PDF)).json()
    assert answer["authentic"] is True and answer["status"] == "revoked"
    assert Declaration.objects.get(pk=publication.declaration_id).status == "revoked"
    last = LogEntry.objects.order_by("-index").first()
    assert (last.event, last.artefact, last.version) == ("revoked", "epd.json", 1)
    assert AuditEntry.objects.filter(declaration_id=publication.declaration_id, to_status="revoked", actor=operator_olga).exists()


def test_suspend_then_reinstate(client_for, publication, operator_olga):
    operator = client_for(operator_olga)
    assert status_change(operator, publication, status="suspended", reason="Complaint under review.").json()["status"] == "suspended"
    assert status_change(operator, publication, status="valid", reason="Complaint unfounded.").json()["status"] == "valid"
    events = list(LogEntry.objects.filter(artefact="epd.json").order_by("index").values_list("event", flat=True))
    assert events == ["published", "suspended", "reinstated"]


@pytest.mark.parametrize(
    ("who", "data", "status", "named"),
    [
        ("anonymous", {"status": "revoked", "reason": "x"}, 401, None),
        ("mill_alice", {"status": "revoked", "reason": "x"}, 403, None),
        ("verifier_vera", {"status": "suspended", "reason": "x"}, 403, None),
        ("operator_olga", {"status": "revoked", "reason": ""}, 400, "reason"),
        ("operator_olga", {"status": "deleted", "reason": "x"}, 400, "status"),
        ("operator_olga", {"status": "valid"}, 409, None),  # reinstating what is not suspended
        ("operator_olga", {"status": "revoked", "reason": "x", "version": 9}, 404, None),
    ],
)
def test_status_changes_refused(client_for, publication, request, who, data, status, named):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = status_change(client_for(user), publication, **data)
    assert response.status_code == status, response.content
    if named:
        assert named in json.dumps(response.json())
    assert RegistryEntry.objects.get(publication=publication).status == "valid"


def test_expiry_and_reminders(publication, mill_alice):
    entry = publication.entry
    today = entry.valid_until - timedelta(days=95)
    assert lifecycle.send_reminders(today) == []
    assert lifecycle.send_reminders(entry.valid_until - timedelta(days=80)) == [entry.registration_number]
    assert lifecycle.send_reminders(entry.valid_until - timedelta(days=79)) == []  # once
    assert lifecycle.send_reminders(entry.valid_until - timedelta(days=20)) == [entry.registration_number]
    assert len(mail.outbox) == 2 and "30" not in mail.outbox[0].subject and mill_alice.email in mail.outbox[0].to
    assert lifecycle.expire_due(entry.valid_until) == []
    assert lifecycle.expire_due(entry.valid_until + timedelta(days=1)) == [f"{entry.registration_number} v1"]
    entry.refresh_from_db()
    assert entry.status == "expired"
    assert Declaration.objects.get(pk=publication.declaration_id).status == "expired"
    assert LogEntry.objects.filter(event="expired").count() == 1
