"""Issue 11: what someone with write access to the database can try against the transparency log and the
EPD status, and how each attempt shows. Every attack is run for real with SQL (on PostgreSQL with the
append-only triggers bypassed, as a superuser can); the detectors are the real ones: POST /api/v1/verify/,
`manage.py audit_log` against a live server, the beat audit task, and the next append itself."""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from registry import integrity, lifecycle, tasks, transparency
from registry.models import ArtefactName, LogEntry, LogState, RegistryEntry

ADMINS = [("Log operator", "log-operator@steel-epd.example")]


@pytest.fixture(autouse=True)
def _admins(settings):
    settings.ADMINS = ADMINS
    cache.clear()  # alarms are mailed once an hour at most: each test starts with none sent


def run_sql(*statements: tuple[str, list]) -> None:
    """Raw SQL past the model's refusals; on PostgreSQL also past the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")


def rewrite_entry_and_tree(index: int, **changes) -> None:
    """The strong attacker: rewrite an entry, then every hash that depends on it (leaf, stored nodes,
    frontier, root), so that the rows agree with each other again. Only the signatures cannot be redone."""
    statements = [
        (f"UPDATE registry_logentry SET {name} = %s WHERE {connection.ops.quote_name('index')} = %s", [value, index])
        for name, value in changes.items()
    ]
    run_sql(*statements)
    frontier: list[bytes] = []
    nodes = []
    for entry in LogEntry.objects.order_by("index"):
        leaf = transparency.entry_leaf_hash(entry.as_document())
        frontier, closed = transparency.append_leaf(frontier, entry.index, leaf)
        nodes += [(transparency.node_id(level, position), digest) for level, position, digest in closed]
        if entry.index == index:
            run_sql(
                ("UPDATE registry_logentry SET leaf_hash = %s WHERE " + connection.ops.quote_name("index") + " = %s", [leaf.hex(), index])
            )
    run_sql(
        *[("UPDATE registry_lognode SET hash = %s WHERE id = %s", [digest, packed]) for packed, digest in nodes],
        (
            "UPDATE registry_logstate SET frontier = %s, root_hash = %s WHERE id = 1",
            [json.dumps([h.hex() for h in frontier]), transparency.frontier_root(frontier).hex()],
        ),
    )


def forge_tree_head() -> None:
    """A tree head the platform never signed: another root under the stored signatures."""
    state = LogState.objects.get(pk=1)
    forged = "ab" * 32
    checkpoint = state.checkpoint.replace(transparency.base64_root(state.root_hash), transparency.base64_root(forged))
    run_sql(("UPDATE registry_logstate SET root_hash = %s, checkpoint = %s WHERE id = 1", [forged, checkpoint]))


def set_status_back_to_valid(entry: RegistryEntry) -> None:
    run_sql(
        ("UPDATE registry_registryentry SET status = 'valid', status_reason = '' WHERE id = %s", [entry.pk]),
        ("UPDATE declarations_declaration SET status = 'published' WHERE id = %s", [entry.publication.declaration_id]),
    )


def pdf_of(publication) -> bytes:
    with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as handle:
        return handle.read()


def verify_answer(client, publication) -> dict:
    response = client.post("/api/v1/verify/", {"document": SimpleUploadedFile("epd.pdf", pdf_of(publication))}, format="multipart")
    assert response.status_code == 200
    return response.json()


def alarms() -> list:
    return [message for message in mail.outbox if ADMINS[0][1] in message.to]


@pytest.fixture
def revoked(published, operator_olga):
    publication = published()
    lifecycle.revoke(publication.entry, actor=operator_olga, reason="The mill withdrew the data.")
    return publication


def attack(kind: str, publication) -> None:
    if kind == "rewritten entry":
        pdf_index = publication.artefacts.get(name=ArtefactName.PDF).log_index
        rewrite_entry_and_tree(pdf_index, sha256="f" * 64)
    elif kind == "status set back to valid":
        set_status_back_to_valid(RegistryEntry.objects.get(publication=publication))
    else:
        forge_tree_head()


ATTACKS = ["rewritten entry", "status set back to valid", "forged tree head"]


# ---------------------------------------------------------------- the next append refuses to sign


@pytest.mark.parametrize("kind", ["rewritten entry", "forged tree head"])
def test_the_next_append_refuses_to_sign_a_tampered_tree_and_alarms(published, operator_olga, kind):
    publication = published()
    attack(kind, publication)
    before = LogState.objects.get(pk=1)
    with pytest.raises(transparency.LogIntegrityError):
        lifecycle.suspend(publication.entry, actor=operator_olga, reason="A legitimate change after the attack.")
    after = LogState.objects.get(pk=1)
    assert (after.tree_size, after.signature, after.checkpoint) == (before.tree_size, before.signature, before.checkpoint)
    assert RegistryEntry.objects.get(publication=publication).status == "valid"  # the change rolled back whole
    assert len(alarms()) == 1 and "refused" in alarms()[0].subject


def test_an_untampered_log_appends_without_alarm(published, operator_olga):
    publication = published()
    lifecycle.suspend(publication.entry, actor=operator_olga, reason="A legitimate change.")
    assert LogState.objects.get(pk=1).tree_size == LogEntry.objects.count()
    assert alarms() == []


# ---------------------------------------------------------------- /api/v1/verify/


@pytest.mark.parametrize("kind", ATTACKS)
def test_verify_reports_the_tampering(client, revoked, kind):
    attack(kind, revoked)
    answer = verify_answer(client, revoked)
    assert answer["integrity_error"], answer
    assert answer["status"] != "valid", "the tampered status is never served"
    if kind == "status set back to valid":
        assert answer["status"] == answer["log_status"] == "revoked"


def test_the_verify_page_leads_with_the_logs_status_and_the_alarm(client, revoked):
    set_status_back_to_valid(revoked.entry)
    page = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", pdf_of(revoked))}).content.decode()
    assert 'data-testid="verdict-integrity"' in page and 'data-tone="bad"' in page
    assert "Revoked" in page and "Authentic and valid" not in page


def test_verify_of_an_untampered_revoked_epd_says_revoked_without_error(client, revoked):
    answer = verify_answer(client, revoked)
    assert (answer["status"], answer["log_status"], answer["integrity_error"]) == ("revoked", "revoked", None)


# ---------------------------------------------------------------- the beat audit task


@pytest.mark.parametrize("kind", ATTACKS)
def test_the_beat_audit_finds_the_tampering_and_alarms(revoked, kind):
    assert tasks.audit_transparency_log() == []
    attack(kind, revoked)
    problems = tasks.audit_transparency_log()
    assert problems, kind
    assert len(alarms()) == 1
    assert problems[0] in alarms()[0].body


def test_the_audit_names_the_status_the_log_records(revoked):
    set_status_back_to_valid(revoked.entry)
    problems = integrity.audit()
    assert any(revoked.registration_number in p and "revoked" in p for p in problems), problems


# ---------------------------------------------------------------- manage.py audit_log against a live server


@pytest.mark.parametrize("kind", ATTACKS)
def test_audit_log_fails_in_one_line(live_server, revoked, tmp_path, kind):
    state = tmp_path / "monitor.json"
    call_command("audit_log", "--server", live_server.url, "--state", str(state), "--epd", revoked.registration_number, stdout=StringIO())
    attack(kind, revoked)
    with pytest.raises(CommandError) as failure:
        call_command(
            "audit_log", "--server", live_server.url, "--state", str(state), "--epd", revoked.registration_number, stdout=StringIO()
        )
    message = str(failure.value)
    assert "\n" not in message and message, message


def test_verify_checks_the_log_with_a_flat_number_of_queries(client, published, operator_olga):
    from django.db import connection as default_connection
    from django.test.utils import CaptureQueriesContext

    first = published()
    with CaptureQueriesContext(default_connection) as small:
        verify_answer(client, first)
    lifecycle.suspend(first.entry, actor=operator_olga, reason="More events for this version.")
    lifecycle.reinstate(RegistryEntry.objects.get(publication=first), actor=operator_olga)
    published(seed=2)
    published(seed=3)
    with CaptureQueriesContext(default_connection) as large:
        answer = verify_answer(client, first)
    assert answer["status"] == "valid" and answer["integrity_error"] is None
    assert len(large) == len(small) <= 8, [q["sql"][:80] for q in large.captured_queries]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_audit_on_a_real_worker_which_alarms(revoked, celery_processes):
    """The schedule in settings, a real beat and worker on Redis and PostgreSQL: the status edit is mailed to ADMINS."""
    from tests.workers import wait_until

    set_status_back_to_valid(revoked.entry)
    env = {"ADMINS": f"{ADMINS[0][0]} <{ADMINS[0][1]}>", "LOG_AUDIT_INTERVAL": "1"}
    worker = celery_processes("worker", **env)
    start = worker.log.stat().st_size if worker.log.exists() else 0
    celery_processes("beat", **env)

    def alarm_mailed() -> str:
        with worker.log.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(start)
            text = handle.read()
        return text if f"To: {ADMINS[0][1]}" in text and "Transparency log: the audit found" in text else ""

    text = wait_until(alarm_mailed, timeout=90, what="the beat audit's alarm mail (console backend) in the worker's log")
    assert f"{revoked.registration_number} v1 is valid in the registry's database, but revoked in the log" in text
