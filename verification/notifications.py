"""E-mail to whoever must act next, after each transition and assignment (bilingual, plain text).

What is owed is an OutboxMessage row, written with the transition or assignment itself; `deliver` sends one
row and `pending` names the rows the beat sweeper queues again. Sending is claimed by a conditional UPDATE
with a lease, so two workers never send the same row, and each address is recorded as it goes out, so a retry
after a failure sends only to the addresses still owed. Mail goes out after the claim commits and outside any
transaction: a slow SMTP server holds no lock.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from declarations.models import Declaration, OutboxMessage
from declarations.workflow import Status

from .models import Assignment

logger = logging.getLogger(__name__)

# How long a worker may take to send one row before another may take it over (a worker killed mid-send).
LEASE = timedelta(minutes=5)

# For each status entered: who is told, and what they are asked to do (the template says it in words).
AUDIENCE = {
    Status.DRAFT: "producer",  # automated checks failed
    Status.IN_VERIFICATION: "verifier_or_operators",
    Status.CHANGES_REQUESTED: "producer",
    Status.SUBMITTED: "verifier",  # a resubmission: the verifier will see it after the checks
    Status.APPROVED: "producer",
    Status.REJECTED: "producer",
    Status.PUBLISHED: "producer",
    Status.SUSPENDED: "producer",
    Status.REVOKED: "producer",
    Status.EXPIRED: "producer",
    Status.SUPERSEDED: "producer",
}


def _emails(users) -> list[str]:
    return sorted({u.email for u in users if u.email and u.is_active})


def recipients(declaration: Declaration, audience: str) -> list[str]:
    assignment = declaration.assignments.current().select_related("verifier").first()
    if audience == "producer":
        return _emails(User.objects.filter(organization=declaration.epd.organization))
    if audience == "verifier":
        return _emails([assignment.verifier]) if assignment else []
    if audience == "verifier_or_operators":
        if assignment:
            return _emails([assignment.verifier])
        return _emails(User.objects.filter(organization__kind="operator"))
    return []


def _compose(message: OutboxMessage) -> tuple[str, list[str], dict]:
    """The template, the people this row is owed to (as they are now) and the template's context."""
    if message.kind == OutboxMessage.Kind.ASSIGNMENT:
        assignment = Assignment.objects.select_related("declaration__epd__organization", "verifier").get(pk=message.assignment_id)
        context = {"declaration": assignment.declaration, "assignment": assignment, "site_url": settings.SITE_URL}
        return "assignment", _emails([assignment.verifier]), context
    entry = message.audit_entry
    declaration = Declaration.objects.select_related("epd__organization").get(pk=entry.declaration_id)
    audience = AUDIENCE.get(entry.to_status)
    to = recipients(declaration, audience) if audience else []
    return "transition", to, {"declaration": declaration, "entry": entry, "site_url": settings.SITE_URL}


def _claim(message_id: int) -> bool:
    now = timezone.now()
    return bool(
        OutboxMessage.objects.filter(pk=message_id)
        .unclaimed(now)
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )


def deliver(message_id: int) -> list[str]:
    """Send one outbox row, if it is still owed and nobody else is sending it; returns the addresses sent to now."""
    if not _claim(message_id):
        return []
    message = OutboxMessage.objects.select_related("audit_entry").get(pk=message_id)
    template, owed_to, context = _compose(message)
    if message.recipients is None:  # the first attempt decides who is owed the message
        message.recipients = owed_to
        OutboxMessage.objects.filter(pk=message.pk).update(recipients=owed_to)
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/{template}_body.txt", context)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    sent: list[str] = []
    try:
        with get_connection() as connection:
            for index, address in enumerate(message.recipients):
                if address in message.delivered:
                    continue
                # One Message-ID per row and address (its place in the fixed list): a mail server can tell a resend.
                headers = {"Message-ID": f"<outbox-{message.pk}.{index}@{domain}>"}
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], headers=headers, connection=connection).send()
                message.delivered.append(address)
                OutboxMessage.objects.filter(pk=message.pk).update(delivered=message.delivered)
                sent.append(address)
    except Exception as error:
        # Release the claim: the sweeper (or the task's retry) sends the rest later.
        OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=None, last_error=f"{type(error).__name__}: {error}"[:2000])
        logger.warning("outbox message %s: sending failed (%s); it stays pending", message.pk, error)
        raise
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), claimed_until=None, last_error="")
    return sent


def pending() -> list[int]:
    """Rows owed for a while that nobody is sending: their task was lost (broker down, worker gone) or failed."""
    before = timezone.now() - timedelta(seconds=settings.STUCK_AFTER_SECONDS)
    return list(OutboxMessage.objects.unclaimed().filter(created_at__lt=before).values_list("pk", flat=True)[:500])
