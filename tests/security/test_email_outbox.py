"""Issue 12, e-mails lost while the broker is down: the e-mail a transition owes is a row written in the same
transaction (the outbox), sent by the worker and swept like every other pending task — none lost, none sent
twice. The last test runs the real thing: PostgreSQL, Redis taken down, a real Celery worker and beat."""

import re
import smtplib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from declarations.models import AuditEntry, Declaration

pytestmark = pytest.mark.django_db


class RefusingOneAddress(LocmemBackend):
    """An SMTP server that refuses one address (FLAKY_ADDRESS) until told to accept it again."""

    refuse: str | None = None

    def send_messages(self, messages):
        for message in messages:
            if self.refuse in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refuse: (451, b"try again later")})
        return super().send_messages(messages)


def _outbox_row(entry: AuditEntry):
    from declarations.models import OutboxMessage

    return OutboxMessage.objects.get(audit_entry=entry)


def test_the_transition_and_its_email_commit_or_roll_back_together(in_verification, verifier_vera):
    from declarations.models import OutboxMessage

    declaration = in_verification()
    with pytest.raises(RuntimeError), transaction.atomic():
        review_request_changes(declaration, verifier_vera)
        assert OutboxMessage.objects.filter(audit_entry__to_status="changes_requested").exists()
        raise RuntimeError("the request fails after the move")
    assert not OutboxMessage.objects.filter(audit_entry__to_status="changes_requested").exists()
    declaration.refresh_from_db()
    assert declaration.status == "in_verification"
    review_request_changes(declaration, verifier_vera)
    row = _outbox_row(AuditEntry.objects.get(declaration=declaration, to_status="changes_requested"))
    assert row.sent_at is None and row.recipients is None


def review_request_changes(declaration: Declaration, verifier):
    from verification import review

    return review.request_changes(declaration, verifier=verifier, comment="Document C3.")


def test_an_owed_email_is_sent_once_however_often_it_is_delivered(in_verification, verifier_vera, mill_alice):
    from verification import notifications

    declaration = in_verification()
    review_request_changes(declaration, verifier_vera)
    row = _outbox_row(AuditEntry.objects.get(declaration=declaration, to_status="changes_requested"))
    mail.outbox.clear()
    assert notifications.deliver(row.pk) == [mill_alice.email]
    assert notifications.deliver(row.pk) == []  # the task redelivered
    assert notifications.pending() == []
    assert [m.to for m in mail.outbox] == [[mill_alice.email]]
    row.refresh_from_db()
    assert row.sent_at is not None and row.delivered == [mill_alice.email]


def test_a_failing_smtp_server_leaves_the_rest_owed_and_the_retry_sends_only_that(
    settings, in_verification, verifier_vera, mill_alice, mill_a
):
    from verification import notifications

    colleague = User.objects.create_user("mill_zoe", email="zoe@example.com", organization=mill_a)
    settings.EMAIL_BACKEND = f"{RefusingOneAddress.__module__}.RefusingOneAddress"
    settings.STUCK_AFTER_SECONDS = 0
    RefusingOneAddress.refuse = colleague.email
    declaration = in_verification()
    review_request_changes(declaration, verifier_vera)
    row = _outbox_row(AuditEntry.objects.get(declaration=declaration, to_status="changes_requested"))
    mail.outbox.clear()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        notifications.deliver(row.pk)
    row.refresh_from_db()
    assert row.sent_at is None and row.claimed_until is None and "SMTPRecipientsRefused" in row.last_error
    assert row.delivered == [mill_alice.email]
    assert row.pk in notifications.pending()  # the sweeper will queue it again
    RefusingOneAddress.refuse = None
    assert notifications.deliver(row.pk) == [colleague.email]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mill_alice.email, colleague.email])


def test_a_claimed_row_is_left_alone_until_its_lease_runs_out(settings, in_verification, verifier_vera):
    from declarations.models import OutboxMessage
    from verification import notifications

    settings.STUCK_AFTER_SECONDS = 0
    declaration = in_verification()
    review_request_changes(declaration, verifier_vera)
    row = _outbox_row(AuditEntry.objects.get(declaration=declaration, to_status="changes_requested"))
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_until=timezone.now() + timedelta(minutes=4))  # a worker is at it
    assert row.pk not in notifications.pending() and notifications.deliver(row.pk) == []
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))  # that worker died
    assert row.pk in notifications.pending()


def _sent_message_ids(directory: Path) -> list[str]:
    ids = []
    for path in directory.glob("*.log"):
        ids += re.findall(r"^Message-ID: <(outbox-[0-9.]+)@", path.read_text(), re.M)
    return ids


def _mail_text(directory: Path) -> str:
    return "".join(path.read_text() for path in directory.glob("*.log"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_email_owed_while_redis_was_down_is_sent_exactly_once_when_it_is_back(
    client_for, in_verification, verifier_vera, mill_alice, redis_broker, celery_processes, tmp_path
):
    from tests.workers import wait_until

    mailbox = tmp_path / "mail"
    declaration = in_verification()
    redis_broker.stop()
    started = time.monotonic()
    response = client_for(verifier_vera).post(
        f"/api/v1/reviews/{declaration.pk}/request-changes/", {"comment": "Document the C3 scenario."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 5, "the request waited for the dead broker"

    redis_broker.start()
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mailbox)}
    celery_processes("worker", **env)
    celery_processes("beat", **env)
    wait_until(lambda: "Document the C3 scenario." in _mail_text(mailbox), timeout=60, what="the mill's e-mail")
    time.sleep(4)  # a few more sweeps (SWEEP_INTERVAL=1 s): nothing is sent again
    assert _mail_text(mailbox).count("Document the C3 scenario.") == 1
    assert f"To: {mill_alice.email}" in _mail_text(mailbox)

    # Every e-mail owed (submission, checks, assignment, the change request) was sent, and none twice.
    from declarations.models import OutboxMessage

    wait_until(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=30, what="every owed e-mail sent")
    entry = AuditEntry.objects.get(declaration=declaration, to_status="changes_requested")
    assert OutboxMessage.objects.get(audit_entry=entry).delivered == [mill_alice.email]
    sent = _sent_message_ids(mailbox)
    owed = [f"outbox-{m.pk}.{index}" for m in OutboxMessage.objects.all() for index, _address in enumerate(m.recipients)]
    assert sorted(sent) == sorted(owed)


def test_the_operator_sees_what_is_owed_in_the_admin(client, in_verification, verifier_vera):
    declaration = in_verification()
    review_request_changes(declaration, verifier_vera)
    admin = User.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    client.force_login(admin)
    page = client.get("/admin/declarations/outboxmessage/?sent_at__isempty=1")
    assert page.status_code == 200
    row = _outbox_row(AuditEntry.objects.get(declaration=declaration, to_status="changes_requested"))
    assert f"/admin/declarations/outboxmessage/{row.pk}/change/" in page.content.decode()
