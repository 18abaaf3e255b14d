"""scripts/check_system.sh, what `make run` and `make test` call first: it names the one command that installs
what is missing (here with --no-install, so that a root test run never calls apt-get)."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_system.sh"


def check(*modes: str, python: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "--no-install", *modes], env={**os.environ, "PYTHON": python}, capture_output=True, text=True)


def test_it_passes_on_a_machine_that_runs_the_tests():
    # This suite runs on Python 3.11, and its PDF tests need WeasyPrint's Pango and the CJK fonts.
    done = check("run", python=sys.executable)
    assert done.returncode == 0, done.stderr


def test_it_stops_with_the_apt_get_command_for_a_missing_python():
    done = check("run", python="/nonexistent/python3.11")
    assert done.returncode == 1
    assert "sudo apt-get install -y --no-install-recommends python3.11 python3.11-venv" in done.stderr


def test_it_refuses_an_unknown_mode():
    assert check("deploy", python=sys.executable).returncode == 2
