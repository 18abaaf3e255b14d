"""Does what the registry serves match what its transparency log says, and does the log match what the
platform signed? The log is the truth: a status or a log row edited in the database is reported, and
the operator is alarmed (logger.error and mail to settings.ADMINS).

- log_view(number, version): for /verify/, the version's log entries proven into the signed head and
  the status they give it (three queries, whatever the size of the log);
- audit(): for the beat task, the whole log recomputed from its entries plus every status checked.
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.mail import mail_admins

from . import lifecycle, transparency
from .models import LogEntry, LogState, RegistryEntry

logger = logging.getLogger(__name__)
# The same alarm is mailed once an hour at most: the publishing sweeper retries every few seconds.
ALARM_REPEAT_SECONDS = 3600


def alarm(subject: str, problems: list[str]) -> None:
    """Tell the operator: an error in the log, and a mail to ADMINS (what to do: docs/operations.md)."""
    logger.error("%s: %s", subject, "; ".join(problems))
    key = "log-alarm:" + hashlib.sha256("\n".join([subject, *problems]).encode()).hexdigest()
    if cache.add(key, True, ALARM_REPEAT_SECONDS):
        body = "\n".join(
            [f"{subject}.", "", *(f"- {problem}" for problem in problems), "", "See docs/operations.md, 'Transparency log alarm'."]
        )
        mail_admins(f"Transparency log: {subject}", body, fail_silently=True)


@dataclass
class LogView:
    status: str | None  # what the version's log events make its status; None if the log cannot be trusted
    problems: list[str] = field(default_factory=list)  # the log itself fails its checks

    @property
    def intact(self) -> bool:
        return not self.problems


def log_view(registration_number: str, version: int) -> LogView:
    """The version's status according to its log entries, each recomputed and proven into the signed head."""
    state = LogState.objects.filter(pk=1).first()
    if state is None or not state.signature:
        return LogView(None, ["the transparency log has no signed head"])
    problems = transparency.head_problems(state)
    entries = list(LogEntry.objects.filter(registration_number=registration_number, version=version).order_by("index"))
    inside = [entry for entry in entries if entry.index < state.tree_size]
    if len(inside) < len(entries):
        problems.append(f"log entries of {registration_number} v{version} lie beyond the signed head: they were added behind its back")
    paths = transparency.inclusion_paths([entry.index for entry in inside], state.tree_size) if inside else {}
    root = bytes.fromhex(state.root_hash)
    for entry in inside:
        # Proven for the entry as it reads now: a rewritten row no longer leads to the signed root.
        leaf = transparency.entry_leaf_hash(entry.as_document())
        if not transparency.verify_inclusion(entry.index, state.tree_size, leaf, paths[entry.index], root):
            problems.append(
                f"log entry {entry.index} ({entry.registration_number} v{entry.version}) is not in the signed tree: it was rewritten"
            )
    if problems:
        return LogView(None, problems)
    return LogView(lifecycle.status_from_log(entry.event for entry in inside))


def status_mismatch(entry_status: str, view: LogView, registration_number: str, version: int) -> str | None:
    if view.intact and view.status != entry_status:
        return (
            f"the registry's database says {registration_number} v{version} is {entry_status}, but its log entries say "
            f"{view.status}: the database was edited"
        )
    return None


def status_problems() -> list[str]:
    """Every registry entry whose status differs from the one its log events give."""
    events: dict[tuple[str, int], list[str]] = {}
    for number, version, event in LogEntry.objects.order_by("index").values_list("registration_number", "version", "event").iterator():
        events.setdefault((number, version), []).append(event)
    problems = []
    rows = RegistryEntry.objects.order_by("registration_number", "version").values_list("registration_number", "version", "status")
    for number, version, status in rows.iterator():
        logged = lifecycle.status_from_log(events.get((number, version), []))
        if logged != status:
            problems.append(f"{number} v{version} is {status} in the registry's database, but {logged or 'unknown'} in the log")
    return problems


def audit() -> list[str]:
    """The whole log recomputed from its entries against the signed head, then every status against the log."""
    return transparency.audit_entries() + status_problems()


def audit_and_alarm() -> list[str]:
    problems = audit()
    if problems:
        alarm(f"the audit found {len(problems)} problem(s)", problems)
    return problems
