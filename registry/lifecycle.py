"""What happens to a published EPD afterwards: suspension, revocation, reinstatement, expiry,
supersession, and the reminders before expiry.

Each status change is one transaction: the declaration moves through the workflow table (which checks
the actor's role and writes the audit entry), the registry entry changes, and the transparency log
gets an entry for the version's signed JSON with the event, so a downstream copy can learn of it.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from declarations import workflow
from declarations.errors import DomainError, TransitionNotAllowed
from declarations.validation import ERROR, Finding
from declarations.workflow import Status

from . import transparency
from .models import ArtefactName, LogEvent, RegistryEntry, RegistryStatus

# Registry status → the declaration status that says the same.
DECLARATION_STATUS = {
    RegistryStatus.VALID: Status.PUBLISHED,
    RegistryStatus.EXPIRED: Status.EXPIRED,
    RegistryStatus.SUPERSEDED: Status.SUPERSEDED,
    RegistryStatus.SUSPENDED: Status.SUSPENDED,
    RegistryStatus.REVOKED: Status.REVOKED,
}
REMINDER_DAYS = (90, 30)


def _event(from_: str, to: str) -> str:
    if to == RegistryStatus.VALID:
        return LogEvent.REINSTATED
    return LogEvent(to)


def status_from_log(events: Iterable[str]) -> str | None:
    """The status that a version's log events, in log order, give it: the first `published` makes it valid
    (later ones only add artefacts), every other event sets the status it names, `reinstated` valid again."""
    status = None
    for event in events:
        if event == LogEvent.PUBLISHED:
            status = status or RegistryStatus.VALID
        elif event == LogEvent.REINSTATED:
            status = RegistryStatus.VALID
        else:
            status = RegistryStatus(event)
    return status


def change_status(entry: RegistryEntry, to: str, *, actor, reason: str, superseded_by: RegistryEntry | None = None) -> RegistryEntry:
    """Move one published version to `to`; operators suspend, revoke and reinstate, the platform the rest."""
    if actor is not None and to in (RegistryStatus.SUSPENDED, RegistryStatus.REVOKED) and not reason.strip():
        raise DomainError(_("Say why: a reason is required."), [Finding(ERROR, "field", _("A reason is required."), field="reason")])
    declaration = entry.publication.declaration
    now = timezone.now()
    with transaction.atomic():
        workflow.transition(declaration, DECLARATION_STATUS[to], actor=actor, comment=reason.strip())
        RegistryEntry.objects.filter(pk=entry.pk).update(
            status=to,
            status_reason=reason.strip(),
            status_changed_at=now,
            superseded_by=superseded_by or entry.superseded_by,
        )
        signed_json = entry.publication.artefacts.get(name=ArtefactName.JSON)
        transparency.append(
            registration_number=entry.registration_number,
            version=entry.version,
            artefact=signed_json.name,
            sha256=signed_json.sha256,
            event=_event(entry.status, to),
        )
    entry.refresh_from_db()
    return entry


def suspend(entry: RegistryEntry, *, actor, reason: str) -> RegistryEntry:
    return change_status(entry, RegistryStatus.SUSPENDED, actor=actor, reason=reason)


def revoke(entry: RegistryEntry, *, actor, reason: str) -> RegistryEntry:
    return change_status(entry, RegistryStatus.REVOKED, actor=actor, reason=reason)


def reinstate(entry: RegistryEntry, *, actor, reason: str = "") -> RegistryEntry:
    if entry.valid_until < timezone.localdate():
        raise TransitionNotAllowed(_("This EPD is past its validity; it cannot be reinstated, only expire."))
    return change_status(entry, RegistryStatus.VALID, actor=actor, reason=reason)


def expire_due(today: date | None = None) -> list[str]:
    """Expire every valid or suspended version whose validity ended before `today`; returns their numbers."""
    today = today or timezone.localdate()
    due = RegistryEntry.objects.filter(status__in=[RegistryStatus.VALID, RegistryStatus.SUSPENDED], valid_until__lt=today)
    expired = []
    for entry in due.select_related("publication__declaration").iterator():
        try:
            change_status(entry, RegistryStatus.EXPIRED, actor=None, reason=_("Validity ended on %(day)s.") % {"day": entry.valid_until})
        except TransitionNotAllowed:
            continue  # changed meanwhile (revoked, superseded): nothing to expire
        expired.append(f"{entry.registration_number} v{entry.version}")
    return expired


def send_reminders(today: date | None = None) -> list[str]:
    """E-mail the mill 90 and 30 days before its EPD expires, once each (claimed with a conditional update)."""
    today = today or timezone.localdate()
    sent = []
    for days in REMINDER_DAYS:
        due = RegistryEntry.objects.filter(
            status=RegistryStatus.VALID,
            is_latest=True,
            valid_until__lte=today + timedelta(days=days),
            valid_until__gte=today,
        ).exclude(reminded_days__lte=days)
        for entry in due.select_related("manufacturer"):
            claimed = RegistryEntry.objects.filter(pk=entry.pk).exclude(reminded_days__lte=days).update(reminded_days=days)
            if not claimed:
                continue
            recipients = sorted({u.email for u in User.objects.filter(organization_id=entry.manufacturer_id, is_active=True) if u.email})
            if not recipients:
                continue
            context = {"entry": entry, "days": (entry.valid_until - today).days, "site_url": settings.SITE_URL}
            subject = " ".join(render_to_string("emails/expiry_subject.txt", context).split())
            send_mail(subject, render_to_string("emails/expiry_body.txt", context), settings.DEFAULT_FROM_EMAIL, recipients)
            sent.append(entry.registration_number)
    return sent
