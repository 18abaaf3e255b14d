"""Changing a declaration while it is a draft: create, update, replace results, attach the report.

Each function locks the row, checks that it is still editable, and saves everything or nothing.
"""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization

from .errors import FileTooLarge, InvalidDeclaration, InvalidFile, NotEditable, TransitionForbidden
from .models import EPD, Declaration, Plant, Result
from .validation import ERROR, Finding, ResultCell, errors, normalise_unit, validate
from .workflow import IN_PROGRESS, Status

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


def create_declaration(organization: Organization, *, actor, plants: Iterable[dict] = (), **fields) -> Declaration:
    """A new EPD with its first version, as a draft."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
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
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
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
) -> list[Finding]:
    """Replace the whole results matrix, or save nothing.

    `parse_findings` are what the reader found while reading the file (bad numbers, unknown codes);
    together with the validator's findings they are all reported at once. Returns the warnings.
    """
    findings = list(parse_findings)
    normalised = []
    for cell in cells:
        cell, unit_findings = normalise_unit(cell)
        normalised.append(cell)
        findings += unit_findings
    # A cell the reader already reported (a bad number, say) is not reported again as "no value" (P18).
    reported = {(f.indicator, f.module) for f in findings if f.severity == ERROR and f.indicator}
    findings += [
        f
        for f in validate(declaration.facts(cells=normalised, declared_modules=declared_modules))
        if not (f.check == "P18" and (f.indicator, f.module) in reported)
    ]
    if errors(findings):
        raise InvalidDeclaration(findings)
    with transaction.atomic():
        locked = _lock_editable(declaration)
        locked.results.all().delete()
        Result.objects.bulk_create(Result.given(locked, c.indicator, c.module, c.value) for c in normalised)
        locked.declared_modules = list(declared_modules)
        locked.save(update_fields=["declared_modules", "updated_at"])
    return findings


PDF_MAGIC = b"%PDF-"


def attach_report(declaration: Declaration, *, actor, name: str, content: bytes) -> Declaration:
    """Attach the LCA project report: a PDF by its bytes (not its name), within the size cap."""
    if len(content) > settings.MAX_REPORT_BYTES:
        raise FileTooLarge(
            _("The report is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": len(content) / 1e6, "limit": settings.MAX_REPORT_BYTES / 1e6}
        )
    # PDF 1.7 §7.5.2 allows bytes before the header; readers look within the first 1024.
    if PDF_MAGIC not in content[:1024] or b"%%EOF" not in content[-2048:]:
        raise InvalidFile(
            _("The LCA report must be a PDF file; “%(name)s” is not one.") % {"name": name[:100]},
            [Finding(ERROR, "file", _("not a PDF (no %PDF- header or %%EOF trailer)"), field="report")],
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
