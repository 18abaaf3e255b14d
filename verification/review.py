"""Third-party verification: who may review what, the conversation, and the verifier's decisions.

Each decision checks that the actor is the declaration's current, accredited verifier, then calls
the declaration's workflow; the state machine itself stays in declarations.workflow.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from declarations import workflow
from declarations.errors import DomainError, TransitionForbidden, TransitionNotAllowed
from declarations.models import Declaration, OutboxMessage, Revision
from declarations.validation import ERROR, Finding
from declarations.workflow import Status

from .models import Accreditation, Assignment, CheckRun, Comment, StoredFinding, VerificationStatement

# What a verifier confirms before approving (steel.md §7, "What the verifier checks").
CHECKLIST = {
    "pcr_conformity": gettext_lazy("PCR conformity: declared unit, system boundary and modules, cut-off, allocation, scenarios"),
    "data_representativeness": gettext_lazy(
        "Data: representativeness in time, geography and technology; background database; electricity modelling"
    ),
    "lci_lcia_consistency": gettext_lazy("LCI and LCIA: mass and energy balances, characterisation factors, units"),
    "presentation": gettext_lazy("Presentation: EN 15804 clause 7 contents, consistency with the LCA project report"),
    "additional_information": gettext_lazy("Additional information: dangerous substances, biogenic carbon, claims backed by the inventory"),
}

DEFAULT_STATEMENT = (
    "I hereby confirm that, following detailed examination, I have not established any relevant deviations by the "
    "EPD from the requirements of EN 15804+A2, ISO 14025 and the PCR, in terms of the underlying data, the "
    "calculations, the presentation, and other additional environmental information."
)


class ConflictOfInterest(DomainError):
    code = "conflict_of_interest"


class ReviewIncomplete(DomainError):
    status_code = 409
    code = "review_incomplete"


# ---------------------------------------------------------------- who sees what


def reviewable_by(user) -> QuerySet[Declaration]:
    """Declarations whose review this user may read: the assigned verifier, the owning mill, operators."""
    if not user.is_authenticated:
        return Declaration.objects.none()
    if user.is_verifier:
        return Declaration.objects.filter(assignments__verifier=user, assignments__ended_at__isnull=True)
    return Declaration.objects.visible_to(user)


def current_assignment(declaration: Declaration) -> Assignment | None:
    return declaration.assignments.current().select_related("verifier", "accreditation").first()


# While a declaration is in these statuses a verifier can be at work on it (assigned, reviewing, waiting for changes).
UNDER_REVIEW = (Status.SUBMITTED, Status.IN_VERIFICATION, Status.CHANGES_REQUESTED)


def _require_open_review(declaration: Declaration) -> None:
    """The checklist and the acknowledgements are part of the verifier's decision: they close with it."""
    if declaration.status not in UNDER_REVIEW:
        raise TransitionNotAllowed(
            _("The review of this declaration is closed: it is “%(status)s”.") % {"status": declaration.get_status_display()}
        )


def _require_assigned_verifier(declaration: Declaration, user) -> Assignment:
    assignment = current_assignment(declaration)
    if not getattr(user, "is_verifier", False):
        raise TransitionForbidden(_("Only the assigned third-party verifier can do this."))
    if assignment is None or assignment.verifier_id != user.pk:
        raise TransitionForbidden(_("You are not the verifier assigned to this declaration."))
    return assignment


class NotAuthorizedNow(TransitionForbidden):
    """The verifier was assigned, but is no longer entitled to act (accreditation ended, conflict arose)."""

    code = "verifier_not_authorized"


def accreditation_for_decision(verifier: User, assignment: Assignment, *, lock: bool = False) -> Accreditation | None:
    """The verifier's accreditation valid today, with their present body: the assignment's own if it still
    is, else a renewal. `lock` holds the row until the transaction ends, so an operator ending it waits."""
    valid = Accreditation.objects.valid_on(timezone.localdate()).filter(verifier=verifier, body_id=verifier.organization_id)
    if lock:
        valid = valid.select_for_update()
    candidates = sorted(valid, key=lambda a: (a.pk != assignment.accreditation_id, -a.pk))
    return candidates[0] if candidates else None


def authorize_verifier(declaration: Declaration, user, *, lock: bool = False) -> tuple[Assignment, Accreditation]:
    """The one rule every verifier action passes (comment, acknowledgement, checklist, request changes,
    approve, reject), through the API and the pages: checked at the moment of the action, not only at
    assignment, because an accreditation can end and a conflict can arise while the review is open.

    Refuses with a 403 that says why: not the assigned verifier, no accreditation valid today, or a
    conflict of interest (P23) with the producer or the LCA practitioner as the declaration now stands."""
    assignment = _require_assigned_verifier(declaration, user)
    accreditation = accreditation_for_decision(user, assignment, lock=lock)
    name = user.get_full_name() or user.username
    if accreditation is None:
        message = _(
            "%(name)s has no accreditation valid today (%(number)s has ended or was withdrawn): "
            "the operator must renew it or assign another verifier."
        ) % {"name": name, "number": assignment.accreditation.number}
        raise NotAuthorizedNow(message, [Finding(ERROR, "accreditation", message, field="verifier")])
    if conflict := conflict_of_interest(declaration, user):
        raise NotAuthorizedNow(conflict, [Finding(ERROR, "P23", conflict, field="verifier")])
    return assignment, accreditation


# ---------------------------------------------------------------- assignment (operators)


def conflict_of_interest(declaration: Declaration, verifier: User) -> str | None:
    """P23: ISO 14025 independence — not from the producer, not from the LCA practitioner."""
    if verifier.organization_id == declaration.epd.organization_id:
        return _("%(name)s works for the producer, %(org)s: a verifier must be independent.") % {
            "name": verifier.get_full_name() or verifier.username,
            "org": declaration.epd.organization.name,
        }
    if declaration.lca_practitioner_organization_id and verifier.organization_id == declaration.lca_practitioner_organization_id:
        return _("%(name)s works for the LCA practitioner, %(org)s, which made the LCA: a verifier must be independent.") % {
            "name": verifier.get_full_name() or verifier.username,
            "org": declaration.lca_practitioner_organization.name,
        }
    return None


def assign(declaration: Declaration, verifier: User, *, by: User) -> Assignment:
    """Assign an accredited, independent verifier; an earlier assignment ends."""
    if not getattr(by, "is_operator", False):
        raise TransitionForbidden(_("Only the programme operator assigns verifiers."))
    if declaration.status not in UNDER_REVIEW:
        raise TransitionNotAllowed(
            _("A declaration that is “%(status)s” cannot get a verifier.") % {"status": declaration.get_status_display()}
        )
    if not verifier.is_verifier:
        raise ConflictOfInterest(
            _("%(name)s is not a member of a verification body.") % {"name": verifier.username},
            [Finding(ERROR, "P23", _("not a verifier"), field="verifier")],
        )
    conflict = conflict_of_interest(declaration, verifier)
    if conflict:
        raise ConflictOfInterest(conflict, [Finding(ERROR, "P23", conflict, field="verifier")])
    accreditation = Accreditation.objects.valid_on(timezone.localdate()).filter(verifier=verifier).first()
    if accreditation is None:
        message = _("%(name)s has no valid accreditation today.") % {"name": verifier.get_full_name() or verifier.username}
        raise ConflictOfInterest(message, [Finding(ERROR, "accreditation", message, field="verifier")])
    with transaction.atomic():
        Declaration.objects.select_for_update().get(pk=declaration.pk)
        declaration.assignments.current().update(ended_at=timezone.now())
        assignment = Assignment.objects.create(declaration=declaration, verifier=verifier, accreditation=accreditation, assigned_by=by)
        message = OutboxMessage.objects.create(kind=OutboxMessage.Kind.ASSIGNMENT, assignment_id=assignment.pk)
        workflow.enqueue_after_commit(workflow.EMAIL_TASK, message.pk)
    return assignment


# ---------------------------------------------------------------- the conversation


def add_comment(
    declaration: Declaration,
    *,
    author: User,
    text: str,
    field: str = "",
    indicator: str = "",
    module: str = "",
    parent: Comment | None = None,
) -> Comment:
    """A remark or an answer. The assigned verifier and the mill's staff talk; operators may too."""
    if author.is_verifier:
        authorize_verifier(declaration, author)
    elif not (author.is_operator or (author.is_producer and author.organization_id == declaration.epd.organization_id)):
        raise TransitionForbidden(_("You cannot comment on this declaration."))
    if not text.strip():
        raise DomainError(_("Write something in the comment."), [Finding(ERROR, "field", _("empty"), field="text")])
    if parent is not None and parent.declaration_id != declaration.pk:
        raise DomainError(_("You can only answer a comment of the same declaration."), [Finding(ERROR, "field", "", field="parent")])
    return Comment.objects.create(
        declaration=declaration,
        revision_number=declaration.revision,
        author=author,
        text=text.strip(),
        field=field,
        indicator=indicator,
        module=module,
        parent=parent,
    )


def latest_check_run(declaration: Declaration) -> CheckRun | None:
    return CheckRun.objects.filter(revision__declaration=declaration).order_by("-revision__number").first()


def acknowledge(finding: StoredFinding, *, verifier: User, comment: str) -> StoredFinding:
    """The verifier accepts a warning, saying why; every warning needs this before approval."""
    declaration = finding.check_run.revision.declaration
    authorize_verifier(declaration, verifier)
    _require_open_review(declaration)
    if finding.severity != StoredFinding.Severity.WARNING:
        raise DomainError(_("Only warnings are acknowledged."))
    if not comment.strip():
        raise DomainError(_("Say why the warning is acceptable."), [Finding(ERROR, "field", _("empty"), field="comment")])
    if finding.check_run_id != getattr(latest_check_run(declaration), "pk", None):
        raise TransitionNotAllowed(_("This warning belongs to an earlier revision."))
    StoredFinding.objects.filter(pk=finding.pk).update(
        acknowledged_by=verifier, acknowledged_at=timezone.now(), acknowledgement=comment.strip()
    )
    finding.refresh_from_db()
    return finding


def update_checklist(declaration: Declaration, *, verifier: User, items: dict[str, bool]) -> Assignment:
    assignment, _accreditation = authorize_verifier(declaration, verifier)
    _require_open_review(declaration)
    unknown = set(items) - set(CHECKLIST)
    if unknown:
        raise DomainError(_("Unknown checklist items: %(items)s.") % {"items": ", ".join(sorted(unknown))})
    assignment.checklist = {**assignment.checklist, **{k: bool(v) for k, v in items.items()}}
    assignment.save(update_fields=["checklist"])
    return assignment


# ---------------------------------------------------------------- decisions


def request_changes(declaration: Declaration, *, verifier: User, comment: str) -> Declaration:
    with transaction.atomic():
        authorize_verifier(declaration, verifier, lock=True)
        if not comment.strip():
            raise DomainError(_("Tell the mill what to change."), [Finding(ERROR, "field", _("empty"), field="comment")])
        return workflow.transition(declaration, Status.CHANGES_REQUESTED, actor=verifier, comment=comment.strip())


def reject(declaration: Declaration, *, verifier: User, reason: str) -> Declaration:
    with transaction.atomic():
        authorize_verifier(declaration, verifier, lock=True)
        if not reason.strip():
            raise DomainError(_("Give the reason for the rejection."), [Finding(ERROR, "field", _("empty"), field="comment")])
        return workflow.transition(declaration, Status.REJECTED, actor=verifier, comment=reason.strip())


def missing_for_approval(declaration: Declaration, assignment: Assignment) -> list[Finding]:
    problems = [
        Finding(ERROR, "checklist", _("Confirm: %(item)s.") % {"item": label}, field=f"checklist.{key}")
        for key, label in CHECKLIST.items()
        if not assignment.checklist.get(key)
    ]
    run = latest_check_run(declaration)
    if run is None or run.state != CheckRun.State.DONE:
        problems.append(Finding(ERROR, "checks", _("The automated checks have not finished.")))
    else:
        problems += [
            Finding(
                ERROR,
                "acknowledge",
                _("Acknowledge the warning %(check)s: %(message)s") % {"check": f.rule, "message": f.message},
                indicator=f.indicator,
                module=f.module,
            )
            for f in run.findings.filter(severity=StoredFinding.Severity.WARNING, acknowledged_at__isnull=True)
        ]
    return problems


def approve(
    declaration: Declaration,
    *,
    verifier: User,
    statement: str = DEFAULT_STATEMENT,
    kind: str = VerificationStatement.Kind.EXTERNAL,
    follow_up: bool = False,
) -> Declaration:
    """Approve with the verification statement; needs the checklist and every warning acknowledged.
    The statement names the accreditation valid at this moment, which is locked until the approval commits."""
    with transaction.atomic():
        assignment, accreditation = authorize_verifier(declaration, verifier, lock=True)
        problems = missing_for_approval(declaration, assignment)
        if problems:
            raise ReviewIncomplete(_("The review is not complete yet."), problems)
        if not statement.strip():
            raise DomainError(_("The verification statement cannot be empty."), [Finding(ERROR, "field", "", field="statement")])
        declaration = workflow.transition(declaration, Status.APPROVED, actor=verifier, comment=_("Approved."))
        VerificationStatement.objects.create(
            declaration=declaration,
            verifier=verifier,
            verifier_name=verifier.get_full_name() or verifier.username,
            body_name=accreditation.body.name,
            body_website=accreditation.body.website,
            accreditation_number=accreditation.number,
            accredited_by=accreditation.accredited_by,
            kind=kind,
            statement=statement.strip(),
            follow_up=follow_up,
        )
    return declaration


# ---------------------------------------------------------------- what changed between revisions


def _flatten(document: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def revision_diff(older: Revision | None, newer: Revision) -> dict[str, list[dict]]:
    """Results (indicator × module) and fields that changed between two submitted revisions."""
    if older is None:
        return {"results": [], "fields": []}
    old_results, new_results = older.snapshot.get("results", {}), newer.snapshot.get("results", {})
    results = []
    for code in sorted(set(old_results) | set(new_results)):
        modules = set(old_results.get(code, {})) | set(new_results.get(code, {}))
        for module in sorted(modules):
            before, after = old_results.get(code, {}).get(module), new_results.get(code, {}).get(module)
            if _numeric(before) != _numeric(after):
                results.append({"indicator": code, "module": module, "before": before, "after": after})
    old_fields = _flatten({k: v for k, v in older.snapshot.items() if k != "results"})
    new_fields = _flatten({k: v for k, v in newer.snapshot.items() if k != "results"})
    fields = [
        {"field": name, "before": old_fields.get(name), "after": new_fields.get(name)}
        for name in sorted(set(old_fields) | set(new_fields))
        if old_fields.get(name) != new_fields.get(name)
    ]
    return {"results": results, "fields": fields}


def _numeric(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
