"""The automated checks of a submission: run once per revision, then route the declaration.

Passing (no errors) moves it to in_verification; errors send it back to draft with the findings.
The CheckRun row (one per revision) is what makes a redelivered or swept task harmless.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from declarations import checks as declaration_checks
from declarations import workflow
from declarations.models import Declaration
from declarations.validation import errors
from declarations.workflow import Status

from .models import CheckRun, StoredFinding

logger = logging.getLogger(__name__)


def run_checks(declaration: Declaration) -> CheckRun | None:
    """Check the latest submitted revision, store the findings and move the declaration on.

    Does nothing if the declaration is no longer waiting for checks or its revision was checked.
    """
    revision = declaration.revisions.order_by("-number").first()
    if declaration.status != Status.SUBMITTED or revision is None:
        return None
    run, _created = CheckRun.objects.get_or_create(revision=revision)
    if run.state == CheckRun.State.DONE:
        return run
    CheckRun.objects.filter(pk=run.pk).update(attempts=F("attempts") + 1)

    # The same check run as the draft page and the findings endpoint (declarations.checks), read once and
    # worded in both languages. Outside the transaction: nothing to lock yet. English is set, not assumed:
    # run eagerly (make run), the task inherits the language of the request that queued it.
    inputs = declaration_checks.inputs_for(declaration)
    with translation.override("en"):
        findings = declaration_checks.check_all(inputs).findings
    with translation.override("zh-hans"):
        messages_zh = [f.message for f in declaration_checks.check_all(inputs).findings]
    passed = not errors(findings)

    with transaction.atomic():
        claimed = CheckRun.objects.filter(pk=run.pk, state=CheckRun.State.RUNNING).update(
            state=CheckRun.State.DONE, finished_at=timezone.now(), passed=passed
        )
        if not claimed:
            return CheckRun.objects.get(pk=run.pk)  # another delivery finished it first
        StoredFinding.objects.bulk_create(
            StoredFinding(
                check_run=run,
                severity=f.severity,
                rule=f.check,
                message=f.message,
                message_zh=zh,
                field=f.field,
                indicator=f.indicator,
                module=f.module,
            )
            for f, zh in zip(findings, messages_zh, strict=True)
        )
        warnings = len(findings) - len(errors(findings))
        if passed:
            comment = _("Automated checks passed with %(warnings)d warning(s) for the verifier.") % {"warnings": warnings}
            workflow.transition(declaration, Status.IN_VERIFICATION, actor=None, comment=comment)
        else:
            comment = _("Automated checks found %(errors)d error(s); back to draft.") % {"errors": len(errors(findings))}
            workflow.transition(declaration, Status.DRAFT, actor=None, comment=comment)
    run.refresh_from_db()
    return run


def stuck_submissions():
    """Submissions whose checks never finished: the broker was down, or a worker died and the
    message was lost. The beat sweeper queues them again; run_checks makes that harmless."""
    cutoff = timezone.now() - timedelta(seconds=settings.STUCK_AFTER_SECONDS)
    return (
        Declaration.objects.filter(status=Status.SUBMITTED, submitted_at__lt=cutoff)
        .filter(Q(revisions__check_run__isnull=True) | Q(revisions__check_run__state=CheckRun.State.RUNNING))
        .values_list("pk", flat=True)
        .distinct()
    )
