"""Thin tasks: ids in, one domain call. acks_late + reject_on_worker_lost (settings) make a killed
worker's task come back; the domain functions make running twice harmless."""

import smtplib

from celery import shared_task
from django.db import OperationalError

from declarations.models import Declaration

from . import checks, notifications

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 5}


@shared_task(name="verification.tasks.run_checks", **RETRY)
def run_checks(declaration_id: int) -> int | None:
    declaration = Declaration.objects.filter(pk=declaration_id).first()
    if declaration is None:
        return None
    run = checks.run_checks(declaration)
    return run.pk if run else None


@shared_task(name="verification.tasks.sweep_stuck_checks")
def sweep_stuck_checks() -> list[int]:
    """Beat: queue checks again for submissions whose task was never queued or was lost."""
    ids = list(checks.stuck_submissions())
    for declaration_id in ids:
        run_checks.delay(declaration_id)
    return ids


# An SMTP failure is expected now and then: the row stays pending and the sweeper sends it later.
@shared_task(name="verification.tasks.send_email", throws=(smtplib.SMTPException, OSError), **RETRY)
def send_email(outbox_message_id: int) -> list[str]:
    return notifications.deliver(outbox_message_id)


@shared_task(name="verification.tasks.sweep_outbox")
def sweep_outbox() -> list[int]:
    """Beat: queue again the e-mails owed whose task was never queued, was lost or failed."""
    ids = notifications.pending()
    for message_id in ids:
        send_email.delay(message_id)
    return ids
