"""E-mail to whoever must act next, after each transition and assignment (bilingual, plain text)."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from accounts.models import User
from declarations.models import AuditEntry, Declaration
from declarations.workflow import Status

from .models import Assignment, Notification

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


def _send_once(entry: AuditEntry | None, to: list[str], template: str, context: dict) -> list[str]:
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/{template}_body.txt", context)
    if not to:
        return []
    if entry is not None:
        # Claim first: a redelivered task finds the row and sends nothing twice.
        try:
            with transaction.atomic():
                Notification.objects.create(audit_entry=entry, recipients=to)
        except IntegrityError:
            return []
    send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to])
    return to


def notify_transition(entry: AuditEntry) -> list[str]:
    audience = AUDIENCE.get(entry.to_status)
    if audience is None:
        return []
    declaration = Declaration.objects.select_related("epd__organization").get(pk=entry.declaration_id)
    context = {"declaration": declaration, "entry": entry, "site_url": settings.SITE_URL}
    return _send_once(entry, recipients(declaration, audience), "transition", context)


def notify_assignment(assignment: Assignment) -> list[str]:
    context = {"declaration": assignment.declaration, "assignment": assignment, "site_url": settings.SITE_URL}
    return _send_once(None, _emails([assignment.verifier]), "assignment", context)
