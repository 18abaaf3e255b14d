"""Thin tasks: ids in, one domain call. acks_late + reject_on_worker_lost (settings) make a killed
worker's task come back; the domain functions make running twice harmless."""

from celery import shared_task
from django.db import OperationalError

from declarations.models import AuditEntry, Declaration

from . import checks, notifications
from .models import Assignment

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


@shared_task(name="verification.tasks.notify_transition", **RETRY)
def notify_transition(audit_entry_id: int) -> list[str]:
    return notifications.notify_transition(AuditEntry.objects.get(pk=audit_entry_id))


@shared_task(name="verification.tasks.notify_assignment", **RETRY)
def notify_assignment(assignment_id: int) -> list[str]:
    return notifications.notify_assignment(Assignment.objects.select_related("declaration", "verifier").get(pk=assignment_id))
