"""Audit a registry from outside, as a transparency-log monitor: the signed tree head and checkpoint, their
consistency with the head seen last time, a downloaded or named EPD (authentic? what status does the log
give it?), and optionally the whole log.

manage.py audit_log --server https://epd.example.org --epd EPD-STEEL-2026-000001       # fetches its PDF
manage.py audit_log --server … --file EPD-STEEL-2026-000001.pdf
manage.py audit_log --server … --file epd.json --signature epd.jws
manage.py audit_log --server … --full                          # also download every entry, recompute the root

The monitor's state (the last head and checkpoint seen, and the log's note key, pinned on first use) is kept
in a file per server under $XDG_STATE_HOME (~/.local/state)/steel-epd-audit/, or at --state. Any failure ends
with one line and a non-zero exit; the state is then left as it was.
"""

import json
import os
import re
import urllib.error
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registry.audit_client import Auditor, http_fetch


def default_state_file(server: str) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "steel-epd-audit" / (re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(server).netloc) + ".json")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class Command(BaseCommand):
    help = "Check the transparency log, and an EPD against it, through the public API of the registry at --server."

    def add_arguments(self, parser):
        parser.add_argument("--server", "--site", dest="server", help="the registry's base URL, e.g. https://epd.example.org")
        parser.add_argument("--epd", help="a registration number: fetch its PDF from the server and check it")
        parser.add_argument("--epd-version", dest="epd_version", type=int, help="with --epd: that version (default: the latest)")
        parser.add_argument("--file", type=Path, help="a downloaded PDF or JSON of an EPD")
        parser.add_argument("--signature", type=Path, help="the JWS of that JSON")
        parser.add_argument("--full", action="store_true", help="download every log entry and recompute the root")
        parser.add_argument("--state", "--head-file", dest="state", type=Path, help="the monitor's state file (default: one per server)")
        parser.add_argument("--no-state", action="store_true", help="neither read nor write the monitor's state")
        parser.add_argument("--checkpoint-key", help="the log's note verifier key, if known from elsewhere (default: pinned on first use)")

    def handle(self, *args, server, epd, epd_version, file, signature, full, state, no_state, checkpoint_key, **options):
        if not server or not server.startswith(("http://", "https://")):
            raise CommandError("give the registry's address with --server, e.g. --server https://epd.example.org")
        state_file = None if no_state else state or default_state_file(server)
        saved = json.loads(state_file.read_text()) if state_file and state_file.exists() else {}
        auditor = Auditor(http_fetch(server))
        try:
            head = auditor.tree_head()
            _noted, note, vkey = auditor.check_checkpoint(head, checkpoint_key or saved.get("checkpoint_key"))
            if saved.get("tree_size") is not None:
                auditor.check_consistency(saved, head)
            if epd:
                query = f"?version={epd_version}" if epd_version else ""
                auditor.check_artefact(auditor.get(f"/api/v1/epds/{quote(epd, safe='')}/document.pdf{query}"), None, head)
            if file:
                auditor.check_artefact(file.read_bytes(), signature.read_bytes() if signature else None, head)
            if full:
                with tqdm(total=head["tree_size"], unit="entries", disable=None) as bar:
                    auditor.check_whole_log(head, progress=bar.update)
        except urllib.error.URLError as error:
            raise CommandError(one_line(f"cannot reach {server}: {error.reason}")) from error
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
            raise CommandError(one_line(f"could not complete the audit of {server}: {error}")) from error
        for line in auditor.report.passed:
            self.stdout.write(self.style.SUCCESS(f"✓ {line}"))
        for line in auditor.report.notes:
            self.stdout.write(f"• {line}")
        for line in auditor.report.failed:
            self.stdout.write(self.style.ERROR(f"✗ {line}"))
        if not auditor.report.ok:
            more = f" (and {len(auditor.report.failed) - 1} more above)" if len(auditor.report.failed) > 1 else ""
            raise CommandError(one_line(f"audit of {server} failed: {auditor.report.failed[0]}{more}"))
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            state_file.write_text(json.dumps({**head, "checkpoint": note, "checkpoint_key": vkey, "server": server}, indent=2))
        self.stdout.write(f"tree size {head['tree_size']}, root {head['root_hash']}")
