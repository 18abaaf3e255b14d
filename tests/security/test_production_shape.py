"""The production shape the outside review asked for (issue 12): what enters the image, where static files
live, who migrates, who reaches gunicorn, who can read the files we write, and a Content-Security-Policy
that the pages keep. Each test failed on the code the review saw."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ("web", "worker", "beat")


def build_context(root: Path) -> set[str]:
    """The files `docker build` would send, by docker-py's own reading of .dockerignore."""
    patterns = [
        line.strip() for line in (root / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    return set(exclude_paths(str(root), patterns, dockerfile="Dockerfile"))


SECRETS = [
    "secrets/django_secret_key",
    "var/keys/signing-key.pem",
    "var/keys/root-ca-key.pem",
    "var/epd.sqlite3",
    "var/media/reports/2026/lca-report.pdf",
    "var/media/artefacts/ab/abcdef.pdf",
    ".git/config",
    ".env",
    ".venv/bin/python",
    "registry/__pycache__/models.cpython-311.pyc",
    "db.sqlite3",
    "server.key",
]
SOURCES = ["manage.py", "requirements.txt", "registry/models.py", "templates/base.html", "static/css/site.css",
           "locale/zh_Hans/LC_MESSAGES/django.po", "Dockerfile"]


def test_the_build_context_holds_no_secret_key_database_report_or_git_history(tmp_path):
    for name in (".dockerignore", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in SECRETS + SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    context = build_context(tmp_path)
    assert not {name for name in SECRETS if name in context}
    assert set(SOURCES) <= context


def test_nothing_outside_git_enters_the_image_from_this_checkout():
    """Whatever lies around in a working copy (var/, secrets/, a venv), only tracked files are sent."""
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    untracked_sent = {name for name in build_context(ROOT) if (ROOT / name).is_file() and name not in tracked}
    assert not untracked_sent


def dockerfile_env() -> dict[str, str]:
    env, text = {}, (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_static_files_are_built_into_the_image_not_into_the_data_volume():
    env = {**os.environ, **dockerfile_env(), "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "epd.example.org"}
    env.pop("DATABASE_URL", None)
    static_root = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'epd_platform.settings');"
         "django.setup(); from django.conf import settings; print(settings.STATIC_ROOT)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    mounts = {volume.split(":")[1] for name in APP_SERVICES for volume in service(name).get("volumes", [])}
    assert mounts, "the app services mount their data volume"
    assert not [mount for mount in mounts if static_root.startswith(mount.rstrip("/") + "/") or static_root == mount]
    assert "collectstatic" in (ROOT / "Dockerfile").read_text()


def service(name: str) -> dict:
    return COMPOSE["services"][name]


def test_migrations_run_once_in_their_own_service_before_the_others_start():
    assert "migrate" in service("migrate")["command"]
    assert service("migrate")["restart"] == "no"
    for name in APP_SERVICES:
        assert "migrate" not in str(service(name).get("command", ""))
        assert service(name)["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_only_the_hosts_loopback_reaches_gunicorn_and_nothing_reaches_the_databases():
    for name, spec in COMPOSE["services"].items():
        for port in spec.get("ports", []):
            assert name == "web" and str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"


@pytest.mark.django_db
def test_uploaded_reports_and_published_artefacts_are_not_world_readable(published, settings):
    old = os.umask(0o002)  # a lax umask, as many hosts have
    try:
        declaration = published().declaration
    finally:
        os.umask(old)
    written = [path for path in Path(settings.MEDIA_ROOT).rglob("*")]
    assert any(path.name.endswith(".pdf") and "artefact" in str(path) for path in written)
    assert declaration.report and any(path.samefile(declaration.report.path) for path in written if path.is_file())
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert not mode & stat.S_IRWXO, f"{path.relative_to(settings.MEDIA_ROOT)} is {oct(mode)}"


@pytest.mark.django_db
def test_every_page_and_api_answer_carries_the_content_security_policy(client):
    for url in ("/", "/compare/", "/verify/", "/api/v1/epds/", "/api/docs/", "/accounts/login/"):
        policy = client.get(url).headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy.replace("style-src-attr 'unsafe-inline'", ""), url
