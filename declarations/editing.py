"""Changing a declaration while it is a draft: create, update, replace results, attach the report.

Each function locks the row, checks that it is still editable, and saves everything or nothing.
"""

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING

import pypdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organization

from . import locations
from .errors import FileTooLarge, InvalidDeclaration, InvalidFile, NotEditable, TransitionForbidden
from .models import EPD, Declaration, Plant, Result
from .validation import ERROR, INFO, WARNING, Finding, ResultCell, check_submission_fields, errors, normalise_unit, validate
from .workflow import IN_PROGRESS, Status

if TYPE_CHECKING:
    from . import imports

EDITABLE_FIELDS = (
    "product_name",
    "product_name_zh",
    "description",
    "category",
    "standards",
    "grades",
    "production_route",
    "recycled_content",
    "declared_unit",
    "pcr",
    "lca_software",
    "background_database",
    "characterisation_method",
    "reference_year",
    "data_period_start",
    "data_period_end",
    "scenarios",
    "allocation",
    "cut_off",
    "data_quality",
    "lca_practitioner",
    "lca_practitioner_organization",
    "renewable_electricity_claim",
    "biogenic_carbon_product",
    "biogenic_carbon_packaging",
    "valid_until",
    "original_issue_date",
    "registrations_elsewhere",
    "other_names",
    "pcr_named",
)


def _lock_editable(declaration: Declaration) -> Declaration:
    locked = Declaration.objects.select_for_update().select_related("epd").get(pk=declaration.pk)
    if not locked.is_editable:
        raise NotEditable(
            _(
                "This declaration is “%(status)s”; only a draft (or one with changes requested) can be changed. "
                "Start a new version to change a published EPD."
            )
            % {"status": locked.get_status_display()}
        )
    return locked


def _save_plants(declaration: Declaration, plants: Iterable[dict]) -> None:
    declaration.plants.all().delete()
    Plant.objects.bulk_create(
        Plant(declaration=declaration, name=p["name"], country=p["country"].upper(), city=p.get("city", ""), olc=p.get("olc", ""))
        for p in plants
    )


# Fields whose constraints live in their model validators (JSON shapes): every input path runs them here.
VALIDATED_FIELDS = ("registrations_elsewhere", "other_names")


def practitioner_choices(organization: Organization):
    """The organisations a mill may name as its LCA practitioner: an LCA consultancy, or itself.

    The practitioner's organisation feeds the conflict-of-interest rule (verification.review, P23), so a
    mill naming a verification body there would choose which verifiers count as conflicted. Only the
    operator may name another kind of organisation (Django admin), when it knows who really made the LCA."""
    return Organization.objects.filter(Q(kind=Organization.Kind.LCA_CONSULTANCY) | Q(pk=organization.pk)).order_by("name")


def _check_practitioner(organization: Organization, practitioner: Organization | None, *, kept: int | None = None) -> list[Finding]:
    """`kept`: the organisation stored now, which the mill may keep (the operator may have named it)."""
    if practitioner is None or practitioner.pk == kept or practitioner_choices(organization).filter(pk=practitioner.pk).exists():
        return []
    message = _(
        "“%(name)s” is a %(kind)s, not an LCA consultancy: name the consultancy that made the LCA, or your own organization "
        "(or leave it empty and write the practitioner's name)."
    ) % {"name": practitioner.name, "kind": practitioner.get_kind_display()}
    return [Finding(ERROR, "field", message, field="lca_practitioner_organization")]


def _check_fields(fields: dict, organization: Organization, declaration: Declaration | None = None) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    findings = []
    if "lca_practitioner_organization" in fields:
        kept = declaration.lca_practitioner_organization_id if declaration else None
        findings += _check_practitioner(organization, fields["lca_practitioner_organization"], kept=kept)
    for name in VALIDATED_FIELDS:
        if name in fields:
            try:
                Declaration._meta.get_field(name).run_validators(fields[name])
            except ValidationError as exc:
                findings += [Finding(ERROR, "field", message, field=name) for message in exc.messages]
    if findings:
        raise InvalidDeclaration(findings)


def create_declaration(organization: Organization, *, actor, plants: Iterable[dict] = (), **fields) -> Declaration:
    """A new EPD with its first version, as a draft."""
    _check_fields(fields, organization)
    with transaction.atomic():
        epd = EPD.objects.create(organization=organization)
        declaration = Declaration.objects.create(epd=epd, version=1, created_by=actor, **fields)
        _save_plants(declaration, plants)
    return declaration


def start_new_version(published: Declaration, *, actor) -> Declaration:
    """A new draft version of a published EPD, starting from a copy of the last published one."""
    if actor.organization_id != published.epd.organization_id:
        raise TransitionForbidden(_("Only the EPD's own organization may start a new version."))
    with transaction.atomic():
        epd = EPD.objects.select_for_update().get(pk=published.epd_id)
        versions = epd.versions.all()
        if published.status not in (Status.PUBLISHED, Status.SUSPENDED, Status.EXPIRED):
            raise NotEditable(
                _("Only a published EPD gets a new version; this one is “%(status)s”.") % {"status": published.get_status_display()}
            )
        if versions.filter(status__in=IN_PROGRESS).exists():
            raise NotEditable(
                _("Version %(version)s of this EPD is already in progress.")
                % {"version": versions.filter(status__in=IN_PROGRESS).first().version}
            )
        fields = {name: getattr(published, name) for name in EDITABLE_FIELDS}
        if _check_practitioner(epd.organization, fields["lca_practitioner_organization"]):
            fields["lca_practitioner_organization"] = None  # named by the operator for that version; the mill names its own
        draft = Declaration.objects.create(
            epd=epd,
            version=max(v.version for v in versions) + 1,
            created_by=actor,
            declared_modules=published.declared_modules,
            report=published.report,
            report_name=published.report_name,
            report_sha256=published.report_sha256,
            **{**fields, "valid_until": None},
        )
        _save_plants(draft, ({"name": p.name, "country": p.country, "city": p.city, "olc": p.olc} for p in published.plants.all()))
        Result.objects.bulk_create(Result.given(draft, r.indicator, r.module, r.given_value) for r in published.results.all())
    return draft


def update_declaration(declaration: Declaration, *, actor, plants: Iterable[dict] | None = None, **fields) -> Declaration:
    _check_fields(fields, declaration.epd.organization, declaration)
    with transaction.atomic():
        locked = _lock_editable(declaration)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if plants is not None:
            _save_plants(locked, plants)
    return locked


def replace_results(
    declaration: Declaration,
    cells: list[ResultCell],
    declared_modules: list[str],
    *,
    actor,
    parse_findings: Iterable[Finding] = (),
    results_method: str = "",
) -> list[Finding]:
    """Replace the whole results matrix, or save nothing.

    `parse_findings` are what the reader found while reading the file (bad numbers, unknown codes);
    together with the validator's findings they are all reported at once. Returns the warnings and notes.
    `results_method` is what the results' own indicator identifiers say about their method ("" when nothing).
    """
    return _replace(declaration, cells, declared_modules, parse_findings=parse_findings, fields={"results_method": results_method})


@dataclass(frozen=True)
class Taken:
    """A declaration field an import filled from the file: what it was, what it is now, where the file says so."""

    field: str
    label: str
    before: str
    after: str
    where: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class ImportReport:
    findings: list[Finding]  # warnings and notes; errors raise
    taken: list[Taken] = dc_field(default_factory=list)
    left: list[Finding] = dc_field(default_factory=list)  # what submission still needs, by field


def import_file(declaration: Declaration, parsed: "imports.ParsedResults", *, actor) -> ImportReport:
    """Results and what the file states about the declaration (names, dates, PCR, method, registrations…), saved
    together or not at all. The file's statements replace the draft's values; the report lists each change and
    what is still to fill before submission, so nothing is silently defaulted or silently kept."""
    fields, plants = _stated_fields(parsed.stated)
    methods = sorted({method for method, _where in parsed.method_evidence})
    fields["results_method"] = methods[0] if len(methods) == 1 else ""
    before = Declaration.objects.with_related().get(pk=declaration.pk)
    notes = _ownership_notes(before, parsed.stated, fields)
    findings = _replace(
        declaration, parsed.cells, parsed.declared_modules, parse_findings=[*parsed.findings, *notes], fields=fields, plants=plants
    )
    after = Declaration.objects.with_related().get(pk=declaration.pk)
    taken = [
        Taken(name, _label(name), _shown(before, name), _shown(after, name), parsed.stated.where[name])
        for name in (*fields, *(["plants"] if plants is not None else []))
        if name in parsed.stated.where
    ]
    left = [f for f in check_submission_fields(after.facts()) if f.check in ("field", "standard")]
    return ImportReport(findings=findings, taken=taken, left=left)


def _ownership_notes(declaration: Declaration, stated: "imports.Stated", fields: dict) -> list[Finding]:
    """Whose EPD the file is. A registration with this platform is this registry's own, not one elsewhere (it is
    dropped from `fields`); an EPD of another manufacturer than the importing mill is a warning naming both."""
    notes = []
    ours = settings.PROGRAMME_OPERATOR["name"].strip().casefold()
    registrations = fields.get("registrations_elsewhere") or []
    own = [r for r in registrations if str(r.get("programme_operator", "")).strip().casefold() == ours]
    if own:
        fields["registrations_elsewhere"] = [r for r in registrations if r not in own]
        numbers = ", ".join(r["registration_number"] for r in own)
        notes.append(
            Finding(
                INFO,
                "metadata",
                _("The file is this registry's own %(numbers)s; it is not recorded as a registration elsewhere.") % {"numbers": numbers},
                field=stated.where.get("registrations_elsewhere", ""),
            )
        )
    maker = str(stated.values.get("manufacturer") or "").strip()
    if maker and maker.casefold() != declaration.epd.organization.name.strip().casefold():
        notes.append(
            Finding(
                WARNING,
                "metadata",
                _("The file is an EPD of “%(maker)s”, not of %(organization)s. Import only your own EPDs.")
                % {"maker": maker[:200], "organization": declaration.epd.organization.name},
                field=stated.where.get("manufacturer", ""),
            )
        )
    return notes


def _stated_fields(stated: "imports.Stated") -> tuple[dict, list[dict] | None]:
    fields = {name: value for name, value in stated.values.items() if name in EDITABLE_FIELDS}
    plants = stated.values.get("plants")
    return fields, (list(plants) if isinstance(plants, list) else None)


def _label(name: str) -> str:
    return str(_("manufacturing plants")) if name == "plants" else str(Declaration._meta.get_field(name).verbose_name)


def _plant_problems(plants: list[dict]) -> list[Finding]:
    """Plants a file states: each with a name and a two-letter country; a location, when given, a plus code."""
    findings = []
    for index, plant in enumerate(plants):
        where = f"plants[{index}]"
        if not str(plant.get("name") or "").strip():
            findings.append(Finding(ERROR, "field", _("The file names a plant without a name."), field=f"{where}.name"))
        country = str(plant.get("country") or "")
        if not (len(country) == 2 and country.isalpha()):
            findings.append(
                Finding(
                    ERROR,
                    "field",
                    _("Plant “%(name)s” has no two-letter country code (e.g. CN).") % {"name": plant.get("name", "")},
                    field=f"{where}.country",
                )
            )
        if plant.get("olc"):
            try:
                plant["olc"] = locations.plus_code(str(plant["olc"]))
            except ValueError as exc:
                findings.append(Finding(ERROR, "field", str(exc), field=f"{where}.olc"))
    return findings


def _shown(declaration: Declaration, name: str) -> str:
    if name == "plants":
        return "; ".join(f"{p.name} ({p.country})" for p in declaration.plants.all())
    value = getattr(declaration, name)
    if Declaration._meta.get_field(name).choices and value:
        return str(getattr(declaration, f"get_{name}_display")())
    if isinstance(value, list):
        return "; ".join(" · ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item.get('description', item) if isinstance(item, dict) else item}" for key, item in value.items())
    return "" if value is None else str(value)


def _replace(
    declaration: Declaration,
    cells: list[ResultCell],
    declared_modules: list[str],
    *,
    parse_findings: Iterable[Finding],
    fields: dict,
    plants: list[dict] | None = None,
) -> list[Finding]:
    findings = list(parse_findings)
    normalised = []
    for cell in cells:
        cell, unit_findings = normalise_unit(cell)
        normalised.append(cell)
        findings += unit_findings
    if set(fields) - {"results_method"}:
        _check_fields({k: v for k, v in fields.items() if k != "results_method"}, declaration.epd.organization, declaration)
    # The checks see the declaration as it will be: with the file's declared unit, dates and method.
    candidate = Declaration.objects.get(pk=declaration.pk)
    for name, value in fields.items():
        setattr(candidate, name, value)
    facts = candidate.facts(cells=normalised, declared_modules=declared_modules)
    if plants is not None:
        facts.plants = len(plants)
        findings += _plant_problems(plants)
    # A cell the reader already reported (a bad number, say) is not reported again as "no value" (P18).
    reported = {(f.indicator, f.module) for f in findings if f.severity == ERROR and f.indicator}
    findings += [f for f in validate(facts) if not (f.check == "P18" and (f.indicator, f.module) in reported)]
    if errors(findings):
        raise InvalidDeclaration(findings)
    with transaction.atomic():
        locked = _lock_editable(declaration)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.results.all().delete()
        Result.objects.bulk_create(Result.given(locked, c.indicator, c.module, c.value) for c in normalised)
        locked.declared_modules = list(declared_modules)
        locked.save()
        if plants is not None:
            _save_plants(locked, plants)
    return findings


def _pdf_problem(content: bytes) -> str | None:
    """Why the bytes do not open as a PDF a verifier can read, or None: parsed by pypdf, not sniffed."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            return _("it is protected by a password; save it without one")
        if len(reader.pages) == 0:
            return _("it has no pages")
    except Exception:  # pypdf raises its own errors, and ValueError, KeyError… on damaged files: all mean the same
        return _("it is not a PDF or it is damaged")
    return None


def attach_report(declaration: Declaration, *, actor, name: str, content: bytes) -> Declaration:
    """Attach the LCA project report: a PDF that opens with a real parser (not just its name), within the size cap."""
    if len(content) > settings.MAX_REPORT_BYTES:
        raise FileTooLarge(
            _("The report is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": len(content) / 1e6, "limit": settings.MAX_REPORT_BYTES / 1e6}
        )
    problem = _pdf_problem(content)
    if problem:
        raise InvalidFile(
            _("The LCA report must be a PDF file that opens; “%(name)s” does not: %(problem)s.") % {"name": name[:100], "problem": problem},
            [Finding(ERROR, "file", problem, field="report")],
        )
    with transaction.atomic():
        locked = _lock_editable(declaration)
        old = locked.report.name if locked.report else None
        locked.report.save(f"{locked.pk}.pdf", ContentFile(content), save=False)
        locked.report_name = name[:200]
        locked.report_sha256 = hashlib.sha256(content).hexdigest()
        locked.save(update_fields=["report", "report_name", "report_sha256", "updated_at"])
        if old and not Declaration.objects.filter(report=old).exclude(pk=locked.pk).exists():
            # Deleting the old file only after commit: a rollback must not lose the report still referenced.
            # Versions of an EPD share the report file until one of them replaces it.
            storage = locked.report.storage
            transaction.on_commit(lambda: storage.delete(old))
    return locked
