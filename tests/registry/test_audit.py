"""The outside auditor (registry.audit_client, manage.py audit_log): only the public API, real proofs."""

import json
import socket
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from registry.audit_client import Auditor
from registry.models import ArtefactName, LogEntry


def api_fetch(client):
    def fetch(path, files=None):
        if files:
            response = client.post(path, {name: SimpleUploadedFile(name, content) for name, content in files.items()})
        else:
            response = client.get(path)
        return response.status_code, response.content

    return fetch


def read(publication, name):
    with publication.artefacts.get(name=name).file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def two_publications(published):
    return published(), published(seed=2)


def test_a_downloaded_pdf_and_json_check_out_against_the_log(client, two_publications):
    first, second = two_publications
    auditor = Auditor(api_fetch(client))
    head = auditor.tree_head()
    auditor.check_artefact(read(first, ArtefactName.PDF), None, head)
    auditor.check_artefact(read(second, ArtefactName.OPENEPD), read(second, ArtefactName.OPENEPD_SIGNATURE), head)
    auditor.check_whole_log(head)
    assert auditor.report.ok, auditor.report.failed
    assert len(auditor.report.passed) == 1 + 5 + 5 + 1  # head; per file: signature, known, agrees with the log, included, digest; whole log


def test_consistency_with_an_earlier_head(client, published):
    published()
    earlier = Auditor(api_fetch(client)).tree_head()
    published(seed=3)
    auditor = Auditor(api_fetch(client))
    assert auditor.check_consistency(earlier, auditor.tree_head())
    forged = {**earlier, "root_hash": "0" * 64}
    assert not auditor.check_consistency(forged, auditor.tree_head())


def test_a_tampered_file_fails(client, two_publications):
    first, _ = two_publications
    document = json.loads(read(first, ArtefactName.JSON))
    document["results"]["GWP-total"]["A1-A3"] = "100"
    auditor = Auditor(api_fetch(client))
    auditor.check_artefact(json.dumps(document).encode(), read(first, ArtefactName.JSON_SIGNATURE), auditor.tree_head())
    assert not auditor.report.ok
    assert any("does not match" in line for line in auditor.report.failed)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="rewriting a log row needs the trigger disabled, a PostgreSQL operation")
def test_a_rewritten_log_entry_is_detected(client, two_publications):
    """Even someone with database access (trigger disabled) cannot rewrite an entry unnoticed."""
    victim = LogEntry.objects.get(index=1)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE registry_logentry DISABLE TRIGGER registry_logentry_append_only")
        cursor.execute("UPDATE registry_logentry SET sha256 = %s WHERE index = %s", ["f" * 64, victim.index])
        cursor.execute("ALTER TABLE registry_logentry ENABLE TRIGGER registry_logentry_append_only")
    auditor = Auditor(api_fetch(client))
    head = auditor.tree_head()
    auditor.check_inclusion(victim.index, head)
    auditor.check_whole_log(head)
    assert len(auditor.report.failed) == 2, auditor.report.failed
    assert "inclusion proof does not lead to the root" in auditor.report.failed[0]
    assert "recomputed root differs" in auditor.report.failed[1]


def test_a_rewritten_entry_is_detected_on_any_database(client, two_publications, monkeypatch):
    """The same, on SQLite too: the served entry differs from what was hashed into the signed root."""
    from registry import models

    original = models.LogEntry.as_document

    def rewritten(entry):
        document = original(entry)
        return {**document, "sha256": "e" * 64} if entry.index == 2 else document

    monkeypatch.setattr(models.LogEntry, "as_document", rewritten)
    auditor = Auditor(api_fetch(client))
    auditor.check_whole_log(auditor.tree_head())
    assert not auditor.report.ok


def test_the_command_against_a_live_server(live_server, two_publications, tmp_path):
    first, _ = two_publications
    pdf = tmp_path / "epd.pdf"
    pdf.write_bytes(read(first, ArtefactName.PDF))
    head_file = tmp_path / "head.json"
    call_command("audit_log", server=live_server.url, file=pdf, full=True, state=head_file)
    assert json.loads(head_file.read_text())["tree_size"] == LogEntry.objects.count()
    pdf.write_bytes(read(first, ArtefactName.PDF) + b"\n% appended\n")
    with pytest.raises(CommandError, match="failed"):
        call_command("audit_log", server=live_server.url, file=pdf, no_state=True)


def run_audit(*args) -> str:
    out = StringIO()
    call_command("audit_log", *args, stdout=out)
    return out.getvalue()


def test_the_monitor_keeps_its_state_and_fails_on_a_head_inconsistent_with_it(live_server, published, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    published()
    run_audit("--server", live_server.url)
    (state_file,) = (tmp_path / "xdg" / "steel-epd-audit").iterdir()
    state = json.loads(state_file.read_text())
    assert state["tree_size"] == LogEntry.objects.count() and state["checkpoint"].startswith(settings.LOG_ORIGIN + "\n")
    state["root_hash"] = "0" * 64  # the registry showed this monitor another tree last time: a split view
    state_file.write_text(json.dumps(state))
    with pytest.raises(CommandError, match=r"^audit of .* failed: the log of \d+ entries extends the one of \d+ seen before: "):
        run_audit("--server", live_server.url)
    assert json.loads(state_file.read_text())["root_hash"] == "0" * 64, "a failed audit leaves the state as it was"


def test_the_monitor_refuses_a_checkpoint_key_other_than_the_pinned_one(live_server, published, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from registry import checkpoint

    published()
    other = checkpoint.verifier_key(settings.LOG_ORIGIN, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CommandError, match="the checkpoint is signed by the log's note key: the checkpoint carries no signature"):
        run_audit("--server", live_server.url, "--no-state", "--checkpoint-key", other)


def test_the_command_fetches_an_epd_from_the_server_and_reports_its_status(live_server, published, republish, operator_olga, tmp_path):
    from registry import lifecycle

    first = published()
    republish(first)
    output = run_audit("--server", live_server.url, "--no-state", "--epd", first.registration_number, "--epd-version", "1")
    assert f"{first.registration_number} v1 is superseded, superseded by version 2" in output
    latest = first.entry.__class__.objects.get(registration_number=first.registration_number, is_latest=True)
    lifecycle.revoke(latest, actor=operator_olga, reason="Withdrawn.")
    output = run_audit("--server", live_server.url, "--no-state", "--epd", first.registration_number)
    assert f"{first.registration_number} v2 is revoked" in output
    assert "✓ the PDF's signature checks out" in output


@pytest.mark.parametrize("case", ["server down", "unknown EPD", "tampered PDF", "no server"])
def test_the_command_fails_in_one_clear_line(live_server, published, tmp_path, case):
    publication = published()
    pdf = tmp_path / "epd.pdf"
    pdf.write_bytes(read(publication, ArtefactName.PDF).replace(b"/Producer", b"/Pr0ducer", 1))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    args, expected = {
        "server down": (["--server", f"http://127.0.0.1:{free_port}"], rf"^cannot reach http://127.0.0.1:{free_port}: .*refused"),
        "unknown EPD": (["--server", live_server.url, "--epd", "EPD-NOT-THERE"], r"^could not complete .*answered 404"),
        "tampered PDF": (["--server", live_server.url, "--file", str(pdf)], r"^audit of .* failed: the PDF's signature"),
        "no server": ([], r"^give the registry's address with --server"),
    }[case]
    with pytest.raises(CommandError, match=expected) as failure:
        run_audit("--no-state", *args)
    assert "\n" not in str(failure.value) and "Traceback" not in str(failure.value)
