"""Bulk import: many declarations from a folder (or a ZIP) of XLSX templates, one declaration per workbook.

Each workbook is the platform's results template with its "Declaration" sheet filled in. A workbook
with any error creates nothing; its problems are listed at the end, each with its cell, indicator
and module, so that a mill can fix them all at once and import that file again.
"""

import multiprocessing
import os
import sys
import time
import zipfile
from collections import deque
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.models import Organization, User
from declarations import editing, spreadsheet
from declarations.errors import DomainError, FileTooLarge
from declarations.models import PCR, Declaration
from declarations.validation import ERROR, Finding

MAX_FILES = 20_000


@dataclass
class Failure:
    """Why a workbook created nothing (a DomainError does not survive pickling between processes)."""

    message: str
    findings: list[Finding]


class Workbooks:
    """The .xlsx files of a folder (recursively) or of a ZIP archive, by name, read one at a time."""

    def __init__(self, path: Path):
        self.path = path
        self.archive: zipfile.ZipFile | None = None
        if path.is_dir():
            files = (p for p in path.rglob("*.xlsx") if p.is_file() and not p.name.startswith(("~$", ".")))
            self.names = sorted(str(p.relative_to(path)) for p in files)
        elif zipfile.is_zipfile(path):
            self.archive = zipfile.ZipFile(path)
            self.names = sorted(
                e.filename
                for e in self.archive.infolist()
                if e.filename.lower().endswith(".xlsx")
                and not e.is_dir()
                and not e.filename.startswith("__MACOSX/")
                and not Path(e.filename).name.startswith(("~$", "."))
            )
        else:
            raise CommandError(f"{path} is neither a folder nor a ZIP archive of .xlsx files")
        if len(self.names) > MAX_FILES:
            raise CommandError(f"{path} holds {len(self.names)} workbooks; import at most {MAX_FILES} at a time")

    def read(self, name: str) -> bytes:
        size = self.archive.getinfo(name).file_size if self.archive else (self.path / name).stat().st_size
        if size > settings.MAX_RESULTS_FILE_BYTES:
            raise FileTooLarge(
                _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
                % {"size": size / 1e6, "limit": settings.MAX_RESULTS_FILE_BYTES / 1e6}
            )
        return self.archive.read(name) if self.archive else (self.path / name).read_bytes()

    def close(self) -> None:
        if self.archive:
            self.archive.close()


def read_workbook(name: str, content: bytes, pcr_codes: Collection[str]) -> spreadsheet.WorkbookDeclaration | Failure:
    """Parse one workbook; runs in a worker process, so it touches no database."""
    try:
        return spreadsheet.read_declaration_workbook(name, content, pcr_codes=pcr_codes)
    except DomainError as exc:
        return Failure(exc.message, exc.findings)


def save_workbook(
    workbook: spreadsheet.WorkbookDeclaration, *, organization: Organization, actor: User, pcrs: dict[str, PCR]
) -> Declaration:
    """Create the declaration with its results, or nothing: raises DomainError carrying every finding."""
    fields = dict(workbook.fields)
    if "pcr" in fields:
        fields["pcr"] = pcrs[fields["pcr"]]
    # Created inside the transaction so that the validator sees the declaration; any error rolls it back.
    with transaction.atomic():
        declaration = editing.create_declaration(organization, actor=actor, plants=workbook.plants, **fields)
        editing.replace_results(
            declaration,
            workbook.results.cells,
            workbook.results.declared_modules,
            actor=actor,
            parse_findings=workbook.all_findings,
        )
    return declaration


def parsed(workbooks: Workbooks, pcr_codes: list[str], pool: ProcessPoolExecutor | None, ahead: int) -> Iterator[tuple[str, object]]:
    """(name, WorkbookDeclaration or Failure) in name order; with a pool, up to `ahead` files are parsed ahead of the saving."""
    window: deque[tuple[str, Future | Failure]] = deque()
    for name in workbooks.names:
        try:
            content = workbooks.read(name)
        except DomainError as exc:
            window.append((name, Failure(exc.message, exc.findings)))
        else:
            if pool is None:
                yield name, read_workbook(name, content, pcr_codes)
                continue
            window.append((name, pool.submit(read_workbook, name, content, pcr_codes)))
        # A bounded window keeps memory flat for tens of thousands of files.
        while window and (pool is None or len(window) > ahead):
            done_name, result = window.popleft()
            yield done_name, result.result() if isinstance(result, Future) else result
    while window:
        done_name, result = window.popleft()
        yield done_name, result.result() if isinstance(result, Future) else result


def describe(finding: Finding) -> str:
    where = []
    if finding.row:
        where.append(f"{finding.column}{finding.row}" if finding.column else f"row {finding.row}")
    where += [part for part in (finding.indicator, finding.module) if part]
    prefix = f"[{', '.join(where)}] " if where else ""
    return f"{prefix}{finding.message}"


class Command(BaseCommand):
    help = "Import many declarations (drafts) from a folder or ZIP of XLSX templates, one declaration per workbook."

    def add_arguments(self, parser):
        parser.add_argument("source", help="a folder of .xlsx files, or a .zip holding them")
        parser.add_argument("--user", required=True, help="username of the producer staff member the drafts are created by")
        parser.add_argument("--organization", help="name of the producer organization (default: the user's)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="processes reading workbooks while one saves (1: no extra process)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")

    def handle(self, *args, source, user, organization=None, jobs=1, no_progress=False, **options):
        actor, org = self._actor_and_organization(user, organization)
        path = Path(source)
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        pcrs = {p.code: p for p in PCR.objects.filter(active=True)}
        workbooks = Workbooks(path)
        if not workbooks.names:
            raise CommandError(f"no .xlsx files in {path}")

        started = time.perf_counter()
        created, failed = 0, []
        pool = self._start_pool(jobs)
        try:
            items = parsed(workbooks, list(pcrs), pool, ahead=8 * jobs)
            progress = tqdm(items, total=len(workbooks.names), desc="Importing", unit="file", disable=no_progress, file=sys.stderr)
            for name, result in progress:
                if isinstance(result, Failure):
                    failed.append((name, result))
                    continue
                try:
                    save_workbook(result, organization=org, actor=actor, pcrs=pcrs)
                except DomainError as exc:
                    failed.append((name, Failure(exc.message, exc.findings)))
                else:
                    created += 1
        finally:
            workbooks.close()
            if pool:
                pool.shutdown(cancel_futures=True)
        seconds = time.perf_counter() - started
        self._report(created, failed, len(workbooks.names), seconds)

    def _start_pool(self, jobs: int) -> ProcessPoolExecutor | None:
        if jobs <= 1:
            return None
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        # The first task forks every worker now, before the progress bar starts a thread; workers never use the database.
        pool.submit(int).result()
        return pool

    def _report(self, created: int, failed: list[tuple[str, Failure]], total: int, seconds: float) -> None:
        for name, failure in failed:
            self.stderr.write(f"\n{name}: {failure.message}")
            for finding in failure.findings:
                if finding.severity == ERROR:
                    self.stderr.write(f"  - {describe(finding)}")
        rate = total / seconds if seconds else float("inf")
        self.stdout.write(
            f"Created {created} declaration(s); {len(failed)} file(s) failed and created nothing; "
            f"{total} file(s) in {seconds:.1f} s ({rate:.1f} files/s)."
        )
        if failed:
            raise CommandError(f"{len(failed)} of {total} file(s) had errors; see above")

    def _actor_and_organization(self, username: str, organization: str | None) -> tuple[User, Organization]:
        try:
            actor = User.objects.select_related("organization").get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user {username!r}")
        if organization is None:
            if actor.organization is None:
                raise CommandError(f"{username} belongs to no organization; name one with --organization")
            org = actor.organization
        else:
            try:
                org = Organization.objects.get(name=organization)
            except Organization.DoesNotExist:
                raise CommandError(f"no organization named {organization!r}")
            if actor.organization_id != org.pk and not actor.is_operator:
                raise CommandError(f"{username} does not belong to {org.name}")
        if org.kind != Organization.Kind.PRODUCER:
            raise CommandError(f"{org.name} is not a producer; declarations belong to steel mills")
        return actor, org
