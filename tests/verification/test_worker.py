"""Automated checks on a real Celery worker and Redis: the normal path, a SIGKILL, a broker outage."""

import time

import psycopg
import pytest

from declarations.models import AuditEntry, Declaration
from tests.workers import database_url, wait_until, waiting_on_lock
from verification.models import CheckRun

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def status_of(declaration: Declaration) -> str:
    return Declaration.objects.values_list("status", flat=True).get(pk=declaration.pk)


def test_submission_is_checked_by_the_worker(client_for, make_declaration, mill_alice, redis_broker, celery_processes):
    declaration = make_declaration()
    celery_processes("worker")
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/")
    assert response.status_code == 200
    wait_until(lambda: status_of(declaration) == "in_verification", what="checks on the worker")
    assert CheckRun.objects.get(revision__declaration=declaration).attempts == 1


def test_worker_killed_during_checks_runs_them_again_exactly_once(client_for, make_declaration, mill_alice, redis_broker, celery_processes):
    declaration = make_declaration()
    assert client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/").status_code == 200
    # Hold the declaration's row: the worker's checks block when they move it on, inside their transaction.
    blocker = psycopg.connect(database_url(), autocommit=False)
    blocker.execute("SELECT id FROM declarations_declaration WHERE id = %s FOR UPDATE", [declaration.pk])
    worker = celery_processes("worker")
    wait_until(lambda: CheckRun.objects.filter(revision__declaration=declaration, attempts=1).exists(), what="first attempt")
    wait_until(lambda: waiting_on_lock(), what="worker blocked on the row lock")

    worker.kill()
    killed_at = time.monotonic()
    blocker.rollback()
    blocker.close()
    celery_processes("worker")
    wait_until(lambda: status_of(declaration) == "in_verification", what="checks after restart")
    recovery = time.monotonic() - killed_at

    run = CheckRun.objects.get(revision__declaration=declaration)
    assert (run.state, run.attempts) == ("done", 2)
    assert AuditEntry.objects.filter(declaration=declaration, to_status="in_verification").count() == 1
    assert run.findings.count() == len({(f.rule, f.indicator, f.module, f.message) for f in run.findings.all()})
    print(f"recovered {recovery:.1f} s after SIGKILL")  # a figure, not a limit: a loaded machine boots workers slowly


def test_submission_while_redis_is_down_is_saved_and_checked_once_redis_is_back(
    client_for, make_declaration, mill_alice, redis_broker, celery_processes
):
    declaration = make_declaration()
    redis_broker.stop()
    started = time.monotonic()
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content
    # The enqueue gives up after CELERY_BROKER_CONNECTION_TIMEOUT (2 s); the limit only catches a request that
    # retries the dead broker without end, with room for a loaded machine.
    assert elapsed < 60, f"the request waited {elapsed:.1f} s for the dead broker"
    assert status_of(declaration) == "submitted"
    assert not CheckRun.objects.filter(revision__declaration=declaration).exists()

    redis_broker.start()
    back_at = time.monotonic()
    celery_processes("worker")
    celery_processes("beat")
    wait_until(lambda: status_of(declaration) == "in_verification", what="the sweeper and the checks")
    print(f"checked {time.monotonic() - back_at:.1f} s after Redis came back")
    assert CheckRun.objects.filter(revision__declaration=declaration).count() == 1
    assert CheckRun.objects.get(revision__declaration=declaration).state == "done"
