import pytest
from django.core import mail

from declarations.models import AuditEntry, OutboxMessage
from verification import notifications, review

pytestmark = pytest.mark.django_db


def test_changes_requested_mails_the_mill_in_both_languages(in_verification, verifier_vera, mill_alice):
    declaration = in_verification()
    review.request_changes(declaration, verifier=verifier_vera, comment="Document C3.")
    entry = AuditEntry.objects.filter(declaration=declaration).last()
    mail.outbox.clear()
    assert notifications.deliver(entry.outbox_message.pk) == [mill_alice.email]
    message = mail.outbox[0]
    assert "Document C3." in message.body
    assert "验证员要求修改" in message.body
    # A redelivered task sends nothing twice.
    assert notifications.deliver(entry.outbox_message.pk) == []
    assert len(mail.outbox) == 1


def test_passing_checks_without_verifier_mails_the_operators(make_declaration, mill_alice, operator_olga):
    from declarations import workflow
    from verification import checks

    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    checks.run_checks(declaration)
    entry = AuditEntry.objects.filter(declaration=declaration, to_status="in_verification").get()
    assert notifications.deliver(entry.outbox_message.pk) == [operator_olga.email]


def test_assignment_mails_the_verifier(in_verification, verifier_vera):
    declaration = in_verification()
    assignment = review.current_assignment(declaration)
    mail.outbox.clear()
    message = OutboxMessage.objects.get(assignment_id=assignment.pk)
    assert notifications.deliver(message.pk) == [verifier_vera.email]
    assert f"/reviews/{declaration.pk}/" in mail.outbox[0].body
