"""Real Celery workers, beat and a private Redis for the reliability tests (no eager mode, no mocks)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# How long to wait for an event (a worker's result, a server up) before calling the test broken: far above what
# a loaded two-core machine needs, since the waits end as soon as the event happens.
EVENT_WAIT_SECONDS = 300


def wait_until(predicate, timeout: float = EVENT_WAIT_SECONDS, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class CeleryProcess:
    """`celery -A epd_platform worker|beat` in its own process, on the test database."""

    def __init__(self, kind: str, broker_url: str, **env):
        self.kind = kind
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_RESTORE_INTERVAL": "1",
            "SWEEP_INTERVAL": "1",
            "STUCK_AFTER_SECONDS": "2",
            # The worker reads and writes the same files and keys as the test that started it.
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SIGNING_KEY_DIR": str(settings.SIGNING_KEY_DIR),
            **{k: str(v) for k, v in env.items()},
        }
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "var" / f"test-{kind}-{os.getpid()}.log"

    def start(self) -> "CeleryProcess":
        if self.kind == "worker":
            args = ["worker", "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        else:
            args = ["beat", "--loglevel", "INFO", "--schedule", str(ROOT / "var" / f"test-beat-{os.getpid()}")]
        self.log.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [CELERY, "-A", "epd_platform", *args], cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no chance to ack, requeue or clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, so the test can take the broker down and bring it back."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _accepts(self.port), what="redis-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


@contextlib.contextmanager
def use_broker(url: str):
    """Point this process's Celery app at another broker (what a fork does, see Celery._after_fork)."""
    app = current_app
    previous = app.conf.broker_url
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = previous
        app._pool = None
        app.amqp._producer_pool = None


def waiting_on_lock() -> bool:
    """Whether some connection to the test database waits for a row lock (a worker we are holding up)."""
    import psycopg

    with psycopg.connect(database_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()
    return row[0] > 0
