"""Producer pages: dashboard, editor, results grid, import, declaration page. Interfaces only:
each view parses the request, calls one domain function, and renders what came back."""

import copy
import re
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import catalogue, checks, editing, imports, workflow
from .catalogue import category_label
from .errors import DomainError, FileTooLarge
from .forms import (
    DeclarationForm,
    PlantFormSet,
    ReportForm,
    ResultsFileForm,
    ResultsGrid,
    ScenarioForm,
    TransitionForm,
    cell_anchor,
    column_anchor,
    plants_of,
)
from .models import Declaration, Result
from .validation import ERROR, INFO, WARNING, Finding
from .workflow import Status

STATUS_ORDER = list(Status.values)


def _visible(request: HttpRequest, pk: int) -> Declaration:
    """The declaration if this user may see it; 404 otherwise, so nobody learns another mill's ids."""
    return get_object_or_404(Declaration.objects.visible_to(request.user).with_related().prefetch_related("results"), pk=pk)


def _require_producer(request: HttpRequest) -> None:
    if not request.user.is_producer:
        raise PermissionDenied(_("Only a producer's staff can change declarations."))


def _decorate(declaration: Declaration) -> Declaration:
    declaration.category_label = category_label(declaration.category)
    route = declaration.get_production_route_display() if declaration.production_route else ""
    declaration.route_label = route
    declaration.route_short = re.split(r"\s*[（(]", route)[0]  # "Scrap EAF (electric arc furnace…)" → "Scrap EAF"
    return declaration


# ---------------------------------------------------------------- dashboard


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    # Only the GWP-total rows: all gwp_a1a3() reads, and a tenth of the data of the whole matrix.
    gwp_rows = Prefetch("results", queryset=Result.objects.filter(indicator="GWP-total"))
    declarations = list(
        Declaration.objects.visible_to(request.user).with_related().prefetch_related(gwp_rows).order_by("-updated_at", "-pk")
    )
    counts = Counter(d.status for d in declarations)
    groups = [
        {
            "status": status,
            "label": Status(status).label,
            "declarations": [_decorate(d) for d in declarations if d.status == status],
        }
        for status in STATUS_ORDER
        if counts[status]
    ]
    return render(
        request,
        "declarations/dashboard.html",
        {"groups": groups, "total": len(declarations), "show_organization": request.user.is_operator},
    )


# ---------------------------------------------------------------- editor


def _owner(request: HttpRequest, declaration: Declaration | None):
    return declaration.epd.organization if declaration else request.user.organization


def _editor_context(request: HttpRequest, declaration: Declaration | None, **forms) -> dict:
    read_only = declaration is not None and not (declaration.is_editable and request.user.is_producer)
    instance = copy.copy(declaration) if declaration else None
    form = forms.get("form") or DeclarationForm(instance=instance, organization=_owner(request, declaration))
    scenario_form = forms.get("scenario_form") or ScenarioForm(scenarios=declaration.scenarios if declaration else None)
    plant_formset = forms.get("plant_formset") or PlantFormSet(
        prefix="plants",
        initial=[{"name": p.name, "country": p.country, "city": p.city, "olc": p.olc} for p in declaration.plants.all()]
        if declaration
        else None,
    )
    if read_only:
        for f in (form, scenario_form, *plant_formset.forms):
            for field in f.fields.values():
                field.disabled = True
    return {
        "declaration": declaration,
        "form": form,
        "scenario_form": scenario_form,
        "plant_formset": plant_formset,
        "report_form": forms.get("report_form") or ReportForm(),
        "report_error": forms.get("report_error"),
        "read_only": read_only,
        "tab": "edit",
    }


def _bound_editor_forms(request: HttpRequest, declaration: Declaration | None) -> dict:
    return {
        "form": DeclarationForm(
            request.POST, instance=copy.copy(declaration) if declaration else None, organization=_owner(request, declaration)
        ),
        "scenario_form": ScenarioForm(request.POST, scenarios=declaration.scenarios if declaration else None),
        "plant_formset": PlantFormSet(request.POST, prefix="plants"),
    }


def _all_valid(forms: dict) -> bool:
    return all([f.is_valid() for f in forms.values()])  # a list, so every form gets validated and shows its errors


@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request: HttpRequest) -> HttpResponse:
    _require_producer(request)
    if request.method == "POST":
        forms = _bound_editor_forms(request, None)
        if _all_valid(forms):
            declaration = editing.create_declaration(
                request.user.organization,
                actor=request.user,
                plants=plants_of(forms["plant_formset"]),
                scenarios=forms["scenario_form"].scenarios(),
                **forms["form"].domain_fields(),
            )
            messages.success(request, _("Draft created. Now bring in the results: import a file or fill in the grid."))
            return redirect("web-declaration-import", pk=declaration.pk)
        messages.error(request, _("Please correct the fields marked below."))
        return render(request, "declarations/editor.html", _editor_context(request, None, **forms), status=400)
    return render(request, "declarations/editor.html", _editor_context(request, None))


@login_required
@require_http_methods(["GET", "POST"])
def declaration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = _visible(request, pk)
    if request.method == "GET":
        return render(request, "declarations/editor.html", _editor_context(request, declaration))
    _require_producer(request)
    forms = _bound_editor_forms(request, declaration)
    if not _all_valid(forms):
        messages.error(request, _("Please correct the fields marked below."))
        return render(request, "declarations/editor.html", _editor_context(request, declaration, **forms), status=400)
    try:
        editing.update_declaration(
            declaration,
            actor=request.user,
            plants=plants_of(forms["plant_formset"]),
            scenarios=forms["scenario_form"].scenarios(),
            **forms["form"].domain_fields(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "declarations/editor.html", _editor_context(request, declaration, **forms), status=exc.status_code)
    messages.success(request, _("Saved."))
    return redirect("web-declaration-edit", pk=declaration.pk)


@login_required
@require_http_methods(["GET", "POST"])
def declaration_report(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = _visible(request, pk)
    if request.method == "GET":
        if not declaration.report:
            raise Http404(_("No report attached yet."))
        return FileResponse(
            declaration.report.open("rb"),
            as_attachment=True,
            content_type="application/pdf",
            filename=declaration.report_name or "lca-report.pdf",
        )
    _require_producer(request)
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["report"]
        try:
            editing.attach_report(declaration, actor=request.user, name=upload.name, content=upload.read())
        except DomainError as exc:
            context = _editor_context(request, declaration, report_form=form, report_error=exc.message)
            return render(request, "declarations/editor.html", context, status=exc.status_code)
        messages.success(request, _("Report “%(name)s” attached.") % {"name": upload.name})
        return redirect(reverse("web-declaration-edit", args=[declaration.pk]) + "#report")
    return render(request, "declarations/editor.html", _editor_context(request, declaration, report_form=form), status=400)


# ---------------------------------------------------------------- results


FINDINGS_SHOWN = 12  # the rest of a long list folds away; every cell still shows its own


def review_comments(declaration: Declaration) -> list:
    """The verifier's comments on the revision under review, each with its answers (`replies`)."""
    comments = list(
        declaration.comments.filter(parent__isnull=True, revision_number=declaration.revision)
        .select_related("author")
        .prefetch_related("replies__author")
    )
    for comment in comments:  # where the results grid shows it
        if comment.indicator:
            comment.anchor = cell_anchor(comment.indicator, comment.module or catalogue.module_codes()[0])
        else:
            comment.anchor = column_anchor(comment.module) if comment.module else ""
    return comments


def change_request(declaration: Declaration):
    """The audit entry of the verifier's "request changes", while the declaration waits for those changes."""
    if declaration.status != Status.CHANGES_REQUESTED:
        return None
    return declaration.audit_entries.filter(to_status=Status.CHANGES_REQUESTED).select_related("actor").order_by("-at").first()


def _results_context(declaration: Declaration, grid: ResultsGrid, request: HttpRequest, error: str = "") -> dict:
    findings = [(f, _grid_anchor(f)) for f in grid.findings]
    comments = review_comments(declaration)
    grid.attach_comments(comments)
    return {
        "review_comments": comments,
        "change_request": change_request(declaration),
        "declaration": declaration,
        "grid": grid,
        "columns": grid.columns(),
        "rows": grid.rows(),
        "error": error,
        "findings": findings[:FINDINGS_SHOWN],
        "more_findings": findings[FINDINGS_SHOWN:],
        "read_only": not (declaration.is_editable and request.user.is_producer),
        "tab": "results",
    }


def _grid_anchor(finding: Finding) -> str:
    if finding.indicator and finding.module:
        return cell_anchor(finding.indicator, finding.module)
    return column_anchor(finding.module) if finding.module else ""


@login_required
@require_http_methods(["GET", "POST"])
def declaration_results(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = _visible(request, pk)
    if request.method == "GET":
        grid = ResultsGrid.from_declaration(declaration)
        return render(request, "declarations/results.html", _results_context(declaration, grid, request))
    _require_producer(request)
    grid = ResultsGrid.from_post(request.POST)
    parsed = imports.read_json_results(grid.as_document())
    try:
        warnings = editing.replace_results(
            declaration, parsed.cells, parsed.declared_modules, actor=request.user, parse_findings=parsed.findings
        )
    except DomainError as exc:
        grid.attach(exc.findings)
        context = _results_context(declaration, grid, request, error=exc.message)
        return render(request, "declarations/results.html", context, status=exc.status_code)
    _saved_message(request, len(parsed.cells), warnings)
    return redirect("web-declaration-results", pk=declaration.pk)


def _saved_message(request: HttpRequest, count: int, warnings: list[Finding]) -> None:
    messages.success(request, _("Results saved: %(count)d values.") % {"count": count})
    for warning in warnings:
        if warning.severity == WARNING:
            messages.warning(request, _where(warning) + warning.message)
        elif warning.severity == INFO:
            messages.info(request, _where(warning) + warning.message)


def _where(finding: Finding) -> str:
    parts = [p for p in (finding.indicator, finding.module) if p]
    return f"{' · '.join(parts)}: " if parts else ""


# ---------------------------------------------------------------- import


@login_required
@require_http_methods(["GET", "POST"])
def declaration_import(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = _visible(request, pk)
    context = {
        "declaration": declaration,
        "form": ResultsFileForm(),
        "read_only": not (declaration.is_editable and request.user.is_producer),
        "limit_mb": settings.MAX_RESULTS_FILE_BYTES / 1e6,
        "value_count": len(declaration.results.all()),
        "tab": "import",
    }
    if request.method == "GET":
        return render(request, "declarations/import.html", context)
    _require_producer(request)
    form = ResultsFileForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "declarations/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        if upload.size > settings.MAX_RESULTS_FILE_BYTES:
            raise FileTooLarge(
                _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
                % {"size": upload.size / 1e6, "limit": settings.MAX_RESULTS_FILE_BYTES / 1e6}
            )
        parsed = imports.read_results_file(upload.name, upload.read(), declared_unit=declaration.declared_unit, take_declared_unit=True)
        report = editing.import_file(declaration, parsed, actor=request.user)
    except DomainError as exc:
        context.update(error=exc.message, findings=_sorted_findings(exc.findings), file_name=upload.name)
        return render(request, "declarations/import.html", context, status=exc.status_code)
    _saved_message(request, len(parsed.cells), report.findings)
    if not report.taken:
        return redirect("web-declaration", pk=declaration.pk)
    # The file brought the declaration too: show what it filled and what is left, before anything else.
    declaration.refresh_from_db()
    context.update(
        declaration=declaration,
        file_name=upload.name,
        taken=report.taken,
        left=[(f, fix_url(declaration, f)) for f in report.left],
        value_count=len(parsed.cells),
    )
    return render(request, "declarations/import.html", context)


def _sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then in the order of the file: row, then column."""
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.row is None, f.row or 0, len(f.column), f.column))


# ---------------------------------------------------------------- the declaration page and its moves

EDITOR_ANCHORS = {"report": "report", "plants": "plants", "scenarios": "scenarios"}


def fix_url(declaration: Declaration, finding: Finding) -> str:
    """Where to go to fix a finding: the grid cell, the module column, or the editor field."""
    results = reverse("web-declaration-results", args=[declaration.pk])
    editor = reverse("web-declaration-edit", args=[declaration.pk])
    if finding.indicator and finding.module:
        return f"{results}#{cell_anchor(finding.indicator, finding.module)}"
    if finding.module:
        return f"{results}#{column_anchor(finding.module)}"
    if finding.field in EDITOR_ANCHORS:
        return f"{editor}#{EDITOR_ANCHORS[finding.field]}"
    if finding.field in DeclarationForm.Meta.fields:
        return f"{editor}#id_{finding.field}"
    if finding.field:
        return editor
    return reverse("web-declaration-import", args=[declaration.pk])


@login_required
@require_GET
def declaration_page(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = _decorate(_visible(request, pk))
    report = checks.check_declaration(declaration)
    editable = declaration.is_editable and request.user.is_producer
    modules = catalogue.modules()
    return render(
        request,
        "declarations/detail.html",
        {
            "declaration": declaration,
            "errors": [(f, fix_url(declaration, f)) for f in report.errors],
            "warnings": [(f, fix_url(declaration, f)) for f in report.warnings],
            "checks_ran": report.ran,
            "checks_not_run": report.not_run,
            "checks_total": len(report.checks),
            "editable": editable,
            "read_only": not editable,
            "moves": workflow.allowed_moves(declaration, request.user),
            "transition_form": TransitionForm(),
            "audit_entries": declaration.audit_entries.select_related("actor"),
            "change_request": change_request(declaration),
            "review_comments": review_comments(declaration),
            "declared_modules": [m for m in modules if m in declaration.declared_modules],
            "gwp_a1a3": declaration.gwp_a1a3(),
            "value_count": len(declaration.results.all()),
            "tab": "overview",
        },
    )


def _move(request: HttpRequest, pk: int, move) -> HttpResponse:
    declaration = _visible(request, pk)
    _require_producer(request)
    form = TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        message = move(declaration, comment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("web-declaration", pk=declaration.pk)


@login_required
@require_POST
def declaration_submit(request: HttpRequest, pk: int) -> HttpResponse:
    def submit(declaration: Declaration, comment: str) -> str:
        declaration, findings = workflow.submit(declaration, actor=request.user, comment=comment)
        warnings = sum(1 for f in findings if f.severity == WARNING)
        if warnings:
            return _("Submitted for verification, with %(count)d warning(s) for the verifier.") % {"count": warnings}
        return _("Submitted for verification.")

    return _move(request, pk, submit)


@login_required
@require_POST
def declaration_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def withdraw(declaration: Declaration, comment: str) -> str:
        workflow.withdraw(declaration, actor=request.user, comment=comment)
        return _("The declaration was withdrawn.")

    return _move(request, pk, withdraw)
