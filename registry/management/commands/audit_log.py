"""Audit the registry from outside: the signed tree head, a downloaded EPD, and optionally the whole log.

manage.py audit_log --site https://epd.example.org --file EPD-STEEL-2026-000001.pdf
manage.py audit_log --site … --file epd.json --signature epd.jws
manage.py audit_log --site … --full --head-file last-head.json   # also consistency with the head seen last time
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registry.audit_client import Auditor, http_fetch


class Command(BaseCommand):
    help = "Check a downloaded EPD and the transparency log against the public API and its keys."

    def add_arguments(self, parser):
        parser.add_argument("--site", default="http://127.0.0.1:8000", help="the registry's base URL")
        parser.add_argument("--file", type=Path, help="a downloaded PDF or JSON of an EPD")
        parser.add_argument("--signature", type=Path, help="the JWS of that JSON")
        parser.add_argument("--full", action="store_true", help="download every log entry and recompute the root")
        parser.add_argument("--head-file", type=Path, help="a tree head saved last time: check consistency, then save the new one")

    def handle(self, *args, site, file, signature, full, head_file, **options):
        auditor = Auditor(http_fetch(site))
        try:
            head = auditor.tree_head()
            if file:
                auditor.check_artefact(file.read_bytes(), signature.read_bytes() if signature else None, head)
            if head_file and head_file.exists():
                auditor.check_consistency(json.loads(head_file.read_text()), head)
            if full:
                with tqdm(total=head["tree_size"], unit="entries", disable=None) as bar:
                    auditor.check_whole_log(head, progress=bar.update)
        except (OSError, RuntimeError, ValueError, KeyError) as error:
            raise CommandError(f"could not complete the audit: {error}") from error
        for line in auditor.report.passed:
            self.stdout.write(self.style.SUCCESS(f"✓ {line}"))
        for line in auditor.report.failed:
            self.stdout.write(self.style.ERROR(f"✗ {line}"))
        if not auditor.report.ok:
            raise CommandError(f"{len(auditor.report.failed)} check(s) failed")
        if head_file:
            head_file.write_text(json.dumps(head, indent=2))
        self.stdout.write(f"tree size {head['tree_size']}, root {head['root_hash']}")
