"""The shell blocks of README.md and docs/api.md run as written against `make run`'s server.

A reader types the blocks of one document in order, in one terminal, in the clone, while `make run` serves
the demo data. So does this test: it loads the demo into a temporary SQLite database once (migrate +
seed_demo, as `make run` does), copies it for each document, serves the copy with `manage.py runserver` on a
free port, and runs each ```sh / ```bash / ```console block with `bash -e` in a directory that has the
clone's `manage.py` and `.venv`. `EPD` points the blocks at the port (they default to
http://127.0.0.1:8000), `VAR_DIR` the clone's commands at the same database, and what a block exports is
there for the next block, as in a terminal. A block passes when it exits 0 and its output has no 404 (or
"not found"), no JSON error, no curl failure and no traceback.

Info strings after the language mark blocks that are not plain successes, by design:
`no-run` — not run here (`make run` itself, apt-get, docker, a CI database); keep these few.
`shows-error` — runs and must exit 0, but shows a refusal on purpose (a 400 with its findings).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/api.md")
BLOCK = re.compile(r"^```(sh|bash|console)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NO_RUN, SHOWS_ERROR = "no-run", "shows-error"
# What a failed request prints: a 404 (status line, Django's page, the soda4LCA text, a bare number not inside
# a decimal), a JSON error, a curl failure (-f, -S), a Python traceback (an id lookup that found nothing).
NOT_FOUND = r"(?<![\w.])404(?![\w.])|[Nn]ot [Ff]ound|No \w+ data set"
FAILED = re.compile(rf'{NOT_FOUND}|"error"\s*:|curl: \(\d+\)|Traceback \(most recent call last\)')
# A block that shows a refusal on purpose may print it, but not a 404 (a wrong id) or a crash.
REFUSED = re.compile(rf'{NOT_FOUND}|curl: \(\d+\)|Traceback \(most recent call last\)|"code":\s*"server_error"')
# Safety nets only, far above what a loaded two-core machine needs: the server is polled until it answers.
SERVER_START_SECONDS = 600
BLOCK_SECONDS = 900


def shell_blocks(document: str) -> list[tuple[int, set[str], str]]:
    """(line, flags, script) of each shell block; a ```console block's commands are its `$ ` lines."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        language, flags, body = match.group(1), set(match.group(2).split()), match.group(3)
        if language == "console":
            body = "\n".join(line[2:] for line in body.splitlines() if line.startswith("$ "))
        found.append((text.count("\n", 0, match.start()) + 1, flags, body))
    return found


def test_every_block_is_marked_or_runs():
    """The markers are the only way out, and they stay few."""
    for document in DOCUMENTS:
        blocks = shell_blocks(document)
        assert blocks, document
        for line, flags, _ in blocks:
            assert flags <= {NO_RUN, SHOWS_ERROR}, f"{document}:{line}: unknown marker {flags}"
        skipped = [line for line, flags, _ in blocks if NO_RUN in flags]
        assert len(skipped) <= 5, f"{document}: {len(skipped)} blocks are not run (lines {skipped})"


def _environment(var_dir: Path, site: str = "http://127.0.0.1:8000") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "EPD", "TOKEN", "API")}
    # The embedded default of `make run`: SQLite and files under VAR_DIR, tasks in-process, and the links it
    # answers with point at the server itself (SITE_URL, 127.0.0.1:8000 there). The anonymous rate limit
    # (120/minute) would trip over a document's requests made in a few seconds. The log's name stays the one
    # the demo was seeded under (as on `make run`): it is in every signed checkpoint, and a log renamed after
    # publishing is a log whose checkpoints no longer verify.
    env.update(VAR_DIR=str(var_dir), SITE_URL=site, LOG_ORIGIN="127.0.0.1:8000/log", PYTHONUNBUFFERED="1")
    env.update(THROTTLE_ANON="100000/minute", THROTTLE_USER="100000/minute", THROTTLE_VERIFY="100000/minute")
    return env


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory) -> Path:
    """A var/ directory after `make run`'s migrate and seed_demo."""
    var_dir = tmp_path_factory.mktemp("demo-var")
    env = _environment(var_dir)
    for command in (["migrate", "--noinput"], ["seed_demo", "--quiet"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return var_dir


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def demo_server(var_dir: Path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(var_dir / "server.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=_environment(var_dir, base), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert server.poll() is None, (var_dir / "server.log").read_text(errors="replace")
            try:
                urllib.request.urlopen(f"{base}/api/v1/catalogue/", timeout=30).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "the demo server did not answer"
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait()
        log.close()


@pytest.mark.parametrize("document", DOCUMENTS)
def test_shell_blocks_run_against_the_demo(document, demo_var, tmp_path):
    var_dir = tmp_path / "var"
    shutil.copytree(demo_var, var_dir)
    workdir = tmp_path / "clone"  # what a reader's clone offers the blocks: manage.py and the .venv
    workdir.mkdir()
    (workdir / "manage.py").symlink_to(ROOT / "manage.py")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    state = tmp_path / "exported.sh"
    state.write_text("")
    ran = 0
    with demo_server(var_dir) as base:
        env = {**_environment(var_dir, base), "EPD": base}
        for line, flags, body in shell_blocks(document):
            if NO_RUN in flags:
                continue
            script = tmp_path / f"block-{line}.sh"
            # What the block exported and the functions it defined stay for the next, as in one terminal.
            script.write_text(f'source "{state}"\n{body}\n{{ export -p; declare -f; }} > "{state}"\n')
            done = subprocess.run(
                ["bash", "-e", str(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=BLOCK_SECONDS
            )
            output = done.stdout + done.stderr
            where = f"{document}:{line} exited {done.returncode}:\n{body}\n--- output ---\n{output[-4000:]}"
            assert done.returncode == 0, where
            assert not (REFUSED if SHOWS_ERROR in flags else FAILED).search(output), where
            ran += 1
    assert ran >= 3
