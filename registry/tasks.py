"""Thin tasks: ids in, one domain call. acks_late + reject_on_worker_lost (settings) bring a killed
worker's task back; publishing.publish() makes running it twice harmless."""

from celery import shared_task
from django.db import OperationalError

from . import lifecycle, publishing

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 5}


@shared_task(name="registry.tasks.publish_declaration", **RETRY)
def publish_declaration(declaration_id: int) -> str | None:
    publication = publishing.publish(declaration_id)
    return f"{publication.registration_number} v{publication.version}" if publication else None


@shared_task(name="registry.tasks.sweep_unpublished")
def sweep_unpublished() -> list[int]:
    """Beat: queue publishing again for approvals whose task was never queued or was lost."""
    ids = publishing.unpublished_approvals()
    for declaration_id in ids:
        publish_declaration.delay(declaration_id)
    return ids


@shared_task(name="registry.tasks.expire_due")
def expire_due() -> list[str]:
    return lifecycle.expire_due()


@shared_task(name="registry.tasks.send_expiry_reminders")
def send_expiry_reminders() -> list[str]:
    return lifecycle.send_reminders()


@shared_task(name="registry.tasks.export_registry")
def export_registry() -> int:
    from .exports_bulk import write_export

    return write_export()


@shared_task(name="registry.tasks.audit_transparency_log")
def audit_transparency_log() -> list[str]:
    """Beat: recompute the log from its entries, check every status against it; alarm on any problem."""
    from . import integrity

    return integrity.audit_and_alarm()


@shared_task(name="registry.tasks.request_cosignatures", **RETRY)
def request_cosignatures(tree_size: int) -> int:
    """After an append: ask the configured witnesses to cosign the checkpoint of `tree_size` entries."""
    from . import checkpoint

    return checkpoint.cosign_current(tree_size)
