"""Publishing on a real Celery worker and Redis: approval publishes; a SIGKILL mid-publish still ends in
exactly one published version with valid signatures."""

import time

import psycopg
import pytest

from declarations.models import Declaration
from registry import signing, transparency
from registry.models import ArtefactName, LogState, Publication
from tests.workers import database_url, wait_until, waiting_on_lock

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def status_of(declaration) -> str:
    return Declaration.objects.values_list("status", flat=True).get(pk=declaration.pk)


def assert_published_once(declaration) -> Publication:
    publication = Publication.objects.get(declaration=declaration)
    assert Publication.objects.filter(registration_number=publication.registration_number).count() == 1
    assert publication.artefacts.count() == len(ArtefactName.values)
    assert transparency.current_size() == len(ArtefactName.values)
    with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as pdf:
        assert signing.verify_pdf(pdf.read()).authentic
    with publication.artefacts.get(name=ArtefactName.JSON_SIGNATURE).file.open("rb") as jws:
        assert signing.verify_json(publication.document, jws.read().decode()).authentic
    return publication


def test_approval_is_published_by_the_worker(approved, celery_processes):
    celery_processes()
    declaration = approved()  # commits: the publish task goes to Redis
    started = time.monotonic()
    wait_until(lambda: status_of(declaration) == "published", what="publication on the worker")
    print(f"published {time.monotonic() - started:.1f} s after approval")
    assert_published_once(declaration)


def test_worker_killed_while_publishing_publishes_exactly_once_after_restart(approved, celery_processes):
    # Hold the log's head row: the worker renders and signs, then blocks inside its commit transaction.
    LogState.objects.get_or_create(pk=1)  # an earlier transactional test may have flushed the migration's row
    blocker = psycopg.connect(database_url(), autocommit=False)
    blocker.execute("SELECT id FROM registry_logstate WHERE id = 1 FOR UPDATE")
    worker = celery_processes()
    declaration = approved()
    wait_until(waiting_on_lock, what="the worker blocked in its publish transaction")

    worker.kill()
    killed_at = time.monotonic()
    blocker.rollback()
    blocker.close()
    assert status_of(declaration) == "approved" and not Publication.objects.exists()
    celery_processes()
    wait_until(lambda: status_of(declaration) == "published", what="publication after restart")
    print(f"published {time.monotonic() - killed_at:.1f} s after SIGKILL")
    assert_published_once(declaration)
