"""The declaration's state machine: statuses, the transition table, and `transition()`.

Every move is one call to `transition()`, which claims the row with a conditional UPDATE (two
concurrent moves: exactly one wins), writes the audit entry in the same transaction, and queues
follow-up tasks only after commit. Apps further up (verification, registry) call the functions
here; nothing here imports them: follow-up tasks are named by string.
"""

import logging

from django.db import models as db
from django.utils.translation import gettext_lazy as _


class Status(db.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    IN_VERIFICATION = "in_verification", _("in verification")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    PUBLISHED = "published", _("published")
    EXPIRED = "expired", _("expired")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")
    SUPERSEDED = "superseded", _("superseded")
    WITHDRAWN = "withdrawn", _("withdrawn")


SYSTEM = "system"  # moves made by the platform itself (checks, publishing, expiry), with no actor

# from → {to: the role that may make the move}. PRODUCT.md's workflow, as data.
TRANSITIONS: dict[str, dict[str, str]] = {
    Status.DRAFT: {Status.SUBMITTED: "producer", Status.WITHDRAWN: "producer"},
    Status.SUBMITTED: {Status.IN_VERIFICATION: SYSTEM, Status.DRAFT: SYSTEM},
    Status.IN_VERIFICATION: {Status.CHANGES_REQUESTED: "verifier", Status.APPROVED: "verifier", Status.REJECTED: "verifier"},
    Status.CHANGES_REQUESTED: {Status.SUBMITTED: "producer", Status.WITHDRAWN: "producer"},
    Status.APPROVED: {Status.PUBLISHED: SYSTEM},
    Status.PUBLISHED: {Status.EXPIRED: SYSTEM, Status.SUPERSEDED: SYSTEM, Status.SUSPENDED: "operator", Status.REVOKED: "operator"},
    Status.SUSPENDED: {Status.PUBLISHED: "operator", Status.REVOKED: "operator", Status.EXPIRED: SYSTEM, Status.SUPERSEDED: SYSTEM},
    # An old version can still be revoked, e.g. when its data turn out to be false.
    Status.SUPERSEDED: {Status.REVOKED: "operator"},
    Status.EXPIRED: {Status.REVOKED: "operator"},
}

# A version that is still on its way to publication: an EPD has at most one.
IN_PROGRESS = frozenset({Status.DRAFT, Status.SUBMITTED, Status.IN_VERIFICATION, Status.CHANGES_REQUESTED, Status.APPROVED})

# The statuses in which the mill may change its data.
EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})

# Work queued after commit when a declaration enters a status: task names, so nothing imports upward.
FOLLOW_UP_TASKS: dict[str, str] = {
    Status.SUBMITTED: "verification.tasks.run_checks",
    Status.APPROVED: "registry.tasks.publish_declaration",
}
# Queued after every transition (and assignment) with its outbox row's id: e-mail to whoever must act next.
EMAIL_TASK = "verification.tasks.send_email"

# Imported after Status on purpose: models imports Status from this module.
from celery import current_app  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from . import checks, models  # noqa: E402
from .errors import InvalidDeclaration, TransitionForbidden, TransitionNotAllowed  # noqa: E402
from .validation import Finding, errors  # noqa: E402

logger = logging.getLogger(__name__)


def allowed_moves(declaration: "models.Declaration", user) -> list[str]:
    """The statuses this user may move the declaration to now (for buttons and API hints)."""
    role = getattr(user, "role", None)
    return [to for to, needed in TRANSITIONS.get(declaration.status, {}).items() if needed == role]


def _check_actor(declaration: "models.Declaration", to: str, actor) -> None:
    needed = TRANSITIONS[declaration.status][to]
    if needed == SYSTEM:
        if actor is not None:
            raise TransitionForbidden(gettext("Only the platform moves a declaration to “%(to)s”.") % {"to": Status(to).label})
        return
    role = getattr(actor, "role", None)
    if role != needed:
        raise TransitionForbidden(
            gettext("Only a %(role)s may move a declaration from “%(from)s” to “%(to)s”.")
            % {"role": needed, "from": Status(declaration.status).label, "to": Status(to).label}
        )
    if needed == "producer" and actor.organization_id != declaration.epd.organization_id:
        raise TransitionForbidden(gettext("Only the declaration's own organization may do this."))


def enqueue_after_commit(task_name: str, *args) -> None:
    """Queue a task once the transaction commits. A broker outage is logged, not raised:
    the row already says what is pending, and the beat sweeper queues it again."""

    def send() -> None:
        task = current_app.tasks.get(task_name)
        if task is None:
            logger.error("task %s is not registered", task_name)
            return
        try:
            task.delay(*args)
        except Exception:
            logger.exception("could not queue %s%r; the sweeper will retry", task_name, args)

    transaction.on_commit(send)


def transition(declaration: "models.Declaration", to: str, *, actor, comment: str = "", **changes) -> "models.Declaration":
    """Move the declaration to `to`, guarded by the table and the actor's role; returns it refreshed.

    `changes` are further fields set in the same conditional UPDATE (e.g. submitted_at).
    """
    from_ = declaration.status
    if to not in TRANSITIONS.get(from_, {}):
        raise TransitionNotAllowed(
            gettext("A declaration that is “%(from)s” cannot become “%(to)s”.") % {"from": Status(from_).label, "to": Status(to).label}
        )
    _check_actor(declaration, to, actor)
    now = timezone.now()
    with transaction.atomic():
        claimed = models.Declaration.objects.filter(pk=declaration.pk, status=from_).update(status=to, updated_at=now, **changes)
        if not claimed:
            raise TransitionNotAllowed(
                gettext("The declaration changed meanwhile (it is no longer “%(from)s”); reload and try again.")
                % {"from": Status(from_).label}
            )
        entry = models.AuditEntry.objects.create(
            declaration=declaration, actor=actor, at=now, from_status=from_, to_status=to, comment=comment
        )
        # The e-mail is owed from the moment the move commits: the row is the outbox, the task only the messenger.
        message = models.OutboxMessage.objects.create(kind=models.OutboxMessage.Kind.TRANSITION, audit_entry=entry)
        if to in FOLLOW_UP_TASKS:
            enqueue_after_commit(FOLLOW_UP_TASKS[to], declaration.pk)
        enqueue_after_commit(EMAIL_TASK, message.pk)
    declaration.refresh_from_db()
    return declaration


def submit(declaration: "models.Declaration", *, actor, comment: str = "") -> tuple["models.Declaration", list[Finding]]:
    """Send a draft (or a declaration with changes requested) to verification.

    Refuses with every blocking finding at once; records a revision snapshot of what was sent.
    Returns the declaration and the warnings the verifier will see (the same check run as the automated checks).
    """
    with transaction.atomic():
        locked = models.Declaration.objects.select_for_update().get(pk=declaration.pk)
        if Status.SUBMITTED not in TRANSITIONS.get(locked.status, {}):
            raise TransitionNotAllowed(
                gettext("A declaration that is “%(from)s” cannot be submitted.") % {"from": Status(locked.status).label}
            )
        _check_actor(locked, Status.SUBMITTED, actor)
        findings = checks.check_declaration(locked).findings
        if errors(findings):
            raise InvalidDeclaration(findings, gettext("The declaration cannot be submitted yet: fix the errors listed."))
        number = locked.revision + 1
        declaration = transition(
            locked, Status.SUBMITTED, actor=actor, comment=comment, revision=F("revision") + 1, submitted_at=timezone.now()
        )
        models.Revision.objects.create(declaration=declaration, number=number, snapshot=declaration.as_document(), created_by=actor)
    return declaration, findings


def withdraw(declaration: "models.Declaration", *, actor, comment: str = "") -> "models.Declaration":
    return transition(declaration, Status.WITHDRAWN, actor=actor, comment=comment)
