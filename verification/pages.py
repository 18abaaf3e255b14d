"""Verification pages: the verifier's queue, the review page (also where mills answer comments and
everyone reads the audit trail), and the operator's assignment page. Thin views over verification.review;
a refused action re-renders the page with the reason and a 4xx status, never a 500."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from declarations import catalogue
from declarations.errors import DomainError
from declarations.forms import comments_on, date_input
from declarations.models import Declaration
from declarations.workflow import Status

from . import review
from .models import Accreditation, Comment, StoredFinding, VerificationStatement

QUEUE_STATUSES = [Status.IN_VERIFICATION, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.APPROVED, Status.PUBLISHED, Status.REJECTED]


@login_required
@require_GET
def queue(request):
    declarations = (
        review.reviewable_by(request.user)
        .exclude(status=Status.DRAFT, revision=0)
        .select_related("epd__organization")
        .annotate(
            open_warnings=Count(
                "revisions__check_run__findings",
                filter=Q(
                    revisions__number=F("revision"),  # the current revision's findings only
                    revisions__check_run__findings__severity="warning",
                    revisions__check_run__findings__acknowledged_at__isnull=True,
                ),
            )
        )
        .order_by("-submitted_at", "-pk")
    )
    groups = []
    for status in QUEUE_STATUSES:
        members = [d for d in declarations if d.status == status]
        if members:
            groups.append({"status": status, "label": Status(status).label, "declarations": members})
    return render(request, "verification/queue.html", {"groups": groups})


def _declaration(request, pk: int) -> Declaration:
    """The declaration if this user may read its review (assigned verifier, owning mill, operator); else 404."""
    queryset = review.reviewable_by(request.user).select_related("epd__organization", "pcr", "verification_statement")
    return get_object_or_404(queryset.prefetch_related("plants"), pk=pk)


def _finding_message(finding: StoredFinding) -> str:
    return finding.message_zh if get_language() == "zh-hans" and finding.message_zh else finding.message


def _field_label(path: str) -> str:
    """'product.category' as the declaration form names it ('Steel product category'); the path when unknown."""
    parts = path.split(".")
    for name in ("_".join(parts[-2:]), parts[-1], "_".join(parts)):
        try:
            return capfirst(str(Declaration._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            continue
    return path


def _field_value(path: str, value):
    """Codes shown as their labels: the category and the production route."""
    if path == "product.category" and value:
        return catalogue.category_label(value)
    if path == "product.production_route" and value in catalogue.ProductionRoute.values:
        return catalogue.ProductionRoute(value).label
    return value


def review_context(request, declaration: Declaration) -> dict:
    assignment = review.current_assignment(declaration)
    revisions = list(declaration.revisions.order_by("-number").select_related("check_run").prefetch_related("check_run__findings"))
    for revision in revisions:
        run = getattr(revision, "check_run", None)
        revision.findings_list = list(run.findings.all()) if run else []
        for finding in revision.findings_list:
            finding.text = _finding_message(finding)
    current = revisions[0] if revisions else None
    diff = review.revision_diff(revisions[1] if len(revisions) > 1 else None, current) if current else {"results": [], "fields": []}
    for change in diff["fields"]:
        change["label"] = _field_label(change["field"])
        change["before"], change["after"] = _field_value(change["field"], change["before"]), _field_value(change["field"], change["after"])
    comments = list(declaration.comments.select_related("author").order_by("created_at"))
    threads = [c for c in comments if c.parent_id is None]
    for comment in threads:
        comment.answers = [c for c in comments if c.parent_id == comment.pk]
    is_verifier = bool(assignment and assignment.verifier_id == request.user.pk)
    not_authorized = ""
    if is_verifier:
        try:
            review.authorize_verifier(declaration, request.user)
        except review.NotAuthorizedNow as refusal:
            not_authorized = refusal.message  # the buttons go; the same rule refuses a hand-made POST
    document = declaration.as_document()
    declared = [m for m in catalogue.module_codes() if m in document["lca"]["declared_modules"]]
    on_current = [c for c in threads if c.revision_number == declaration.revision]
    results = [
        {
            "code": code,
            "unit": catalogue.indicators()[code].unit,
            "cells": [{"value": row.get(m), "comments": comments_on(on_current, code, m)} for m in declared],
        }
        for code, row in document["results"].items()
    ]
    return {
        "declaration": declaration,
        "category_label": catalogue.category_label(declaration.category),
        "doc": document,
        "assignment": assignment,
        "is_verifier": is_verifier,
        "can_decide": is_verifier and not not_authorized and declaration.status == Status.IN_VERIFICATION,
        "not_authorized": not_authorized,
        "current": current,
        "earlier": revisions[1:],
        "diff": diff,
        "threads": threads,
        "checklist": [(key, label, bool(assignment and assignment.checklist.get(key))) for key, label in review.CHECKLIST.items()],
        "audit": declaration.audit_entries.select_related("actor").order_by("at"),
        "declared": declared,
        "results": results,
        "statement_default": review.DEFAULT_STATEMENT,
        "statement_kinds": VerificationStatement.Kind.choices,
        "indicators": list(catalogue.indicators()),
        "modules": catalogue.module_codes(),
    }


@login_required
@require_GET
def review_page(request, pk: int):
    declaration = _declaration(request, pk)
    return render(request, "verification/review.html", review_context(request, declaration))


@login_required
@require_GET
def report(request, pk: int):
    """The LCA project report, for whoever may read the review (the assigned verifier above all)."""
    declaration = _declaration(request, pk)
    if not declaration.report:
        raise Http404(_("No report attached."))
    return FileResponse(
        declaration.report.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=declaration.report_name or "lca-report.pdf",
    )


def _act(request, pk: int, action, success: str):
    """Run one review action; on a refusal show the page again with the reason (4xx), else redirect."""
    declaration = _declaration(request, pk)
    try:
        action(declaration)
    except DomainError as error:
        context = review_context(request, declaration)
        context["error"] = error.message
        context["problems"] = [f.message for f in error.findings if f.message]
        return render(request, "verification/review.html", context, status=error.status_code)
    messages.success(request, success)
    return redirect("review-page", pk=pk)


@login_required
@require_POST
def comment(request, pk: int):
    def add(declaration):
        parent_id = request.POST.get("parent", "")
        parent = get_object_or_404(Comment, pk=int(parent_id), declaration=declaration) if parent_id.isdigit() else None
        indicator = request.POST.get("indicator", "")
        module = request.POST.get("module", "")
        if (indicator and indicator not in catalogue.indicators()) or (module and module not in catalogue.module_codes()):
            raise DomainError(_("Choose an indicator and module from the lists."))
        review.add_comment(
            declaration, author=request.user, text=request.POST.get("text", ""), indicator=indicator, module=module, parent=parent
        )

    return _act(request, pk, add, _("Comment added."))


@login_required
@require_POST
def acknowledge(request, pk: int):
    def ack(declaration):
        finding_id = request.POST.get("finding", "")
        finding = get_object_or_404(
            StoredFinding, pk=int(finding_id) if finding_id.isdigit() else -1, check_run__revision__declaration=declaration
        )
        review.acknowledge(finding, verifier=request.user, comment=request.POST.get("comment", ""))

    return _act(request, pk, ack, _("Warning acknowledged."))


@login_required
@require_POST
def checklist(request, pk: int):
    def tick(declaration):
        review.update_checklist(
            declaration, verifier=request.user, items={key: key in request.POST.getlist("item") for key in review.CHECKLIST}
        )

    return _act(request, pk, tick, _("Checklist saved."))


@login_required
@require_POST
def request_changes(request, pk: int):
    return _act(
        request,
        pk,
        lambda d: review.request_changes(d, verifier=request.user, comment=request.POST.get("comment", "")),
        _("Changes requested; the mill is told."),
    )


@login_required
@require_POST
def reject(request, pk: int):
    return _act(
        request, pk, lambda d: review.reject(d, verifier=request.user, reason=request.POST.get("comment", "")), _("Declaration rejected.")
    )


@login_required
@require_POST
def approve(request, pk: int):
    kind = request.POST.get("kind", VerificationStatement.Kind.EXTERNAL)

    def decide(declaration):
        if kind not in VerificationStatement.Kind.values:
            raise DomainError(_("Choose external or internal verification."))
        review.approve(
            declaration,
            verifier=request.user,
            statement=request.POST.get("statement", ""),
            kind=kind,
            follow_up=request.POST.get("follow_up") == "on",
        )

    return _act(request, pk, decide, _("Approved. The EPD is being published."))


# ---------------------------------------------------------------- operators


def _require_operator(request) -> None:
    if not request.user.is_operator:
        raise PermissionDenied(_("Only the programme operator's staff assign verifiers."))


class AccreditationForm(forms.ModelForm):
    """The operator accredits a person of a verification body; the body is the person's organization."""

    verifier = forms.ModelChoiceField(
        label=_lazy("Verifier"),
        queryset=User.objects.filter(organization__kind="verification_body", is_active=True)
        .select_related("organization")
        .order_by("organization__name", "username"),
    )

    class Meta:
        model = Accreditation
        fields = ["verifier", "number", "accredited_by", "scope", "valid_from", "valid_until"]
        widgets = {"valid_from": date_input(), "valid_until": date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verifier"].label_from_instance = lambda user: f"{user.get_full_name() or user.username} — {user.organization.name}"

    def save(self, commit=True):
        self.instance.body = self.cleaned_data["verifier"].organization
        return super().save(commit)


def assignments_context(error: str = "", form: AccreditationForm | None = None) -> dict:
    waiting = (
        Declaration.objects.filter(status__in=[Status.SUBMITTED, Status.IN_VERIFICATION, Status.CHANGES_REQUESTED])
        .select_related("epd__organization", "lca_practitioner_organization")
        .prefetch_related("assignments__verifier")
        .order_by("-submitted_at")
    )
    verifiers = list(
        # The same accreditations review.assign accepts, so nobody is offered who would then be refused.
        User.objects.filter(organization__kind="verification_body", is_active=True)
        .filter(accreditations__in=Accreditation.objects.valid_on(timezone.localdate()))
        .select_related("organization")
        .distinct()
        .order_by("organization__name", "username")
    )
    for declaration in waiting:
        declaration.current = next((a for a in declaration.assignments.all() if a.ended_at is None), None)
        # Offered but disabled: the verifiers review.assign would refuse for a conflict of interest.
        declaration.conflicted_verifiers = {v.pk for v in verifiers if review.conflict_of_interest(declaration, v)}
    return {
        "waiting": waiting,
        "verifiers": verifiers,
        "accreditations": Accreditation.objects.select_related("verifier", "body").order_by("body__name", "verifier__username"),
        "accreditation_form": form or AccreditationForm(),
        "error": error,
    }


@login_required
def assignments(request):
    _require_operator(request)
    if request.method == "POST":
        declaration = get_object_or_404(
            Declaration, pk=request.POST.get("declaration") if request.POST.get("declaration", "").isdigit() else -1
        )
        verifier = User.objects.filter(pk=request.POST.get("verifier") if request.POST.get("verifier", "").isdigit() else -1).first()
        if verifier is None:
            return render(request, "verification/assignments.html", assignments_context(_("Choose a verifier.")), status=400)
        try:
            review.assign(declaration, verifier, by=request.user)
        except DomainError as error:
            return render(request, "verification/assignments.html", assignments_context(error.message), status=error.status_code)
        messages.success(
            request,
            _("%(verifier)s now verifies “%(product)s”.")
            % {"verifier": verifier.get_full_name() or verifier.username, "product": declaration.product_name},
        )
        return redirect("operator-assignments")
    return render(request, "verification/assignments.html", assignments_context())


@login_required
@require_POST
def add_accreditation(request):
    _require_operator(request)
    form = AccreditationForm(request.POST)
    if not form.is_valid():
        return render(request, "verification/assignments.html", assignments_context(form=form), status=400)
    accreditation = form.save()
    messages.success(
        request,
        _("%(verifier)s is accredited (%(number)s).")
        % {"verifier": accreditation.verifier.get_full_name() or accreditation.verifier.username, "number": accreditation.number},
    )
    return redirect("operator-assignments")


@login_required
@require_POST
def end_accreditation(request, pk: int):
    """Accreditations are ended, never deleted: assignments and statements made under them keep pointing at them."""
    _require_operator(request)
    accreditation = get_object_or_404(Accreditation, pk=pk)
    if accreditation.active:
        accreditation.active = False
        accreditation.save(update_fields=["active"])
    messages.success(request, _("The accreditation %(number)s is ended.") % {"number": accreditation.number})
    return redirect("operator-assignments")
