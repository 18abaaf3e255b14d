"""One check run for a declaration: the validator, every steel plausibility check (reference/steel.md §6),
and the list of the table's checks that did not run, with the reason.

The draft page, `GET /api/v1/declarations/{id}/findings/`, submission and the automated checks task after
submission (verification/checks.py) all call `check_declaration()` (or `inputs_for()` + `check_all()`),
so a mill sees before submitting exactly what the verifier will see.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import catalogue, models, plausibility
from .validation import ERROR, DeclarationFacts, Finding, Matrix, ResultCell, validate
from .workflow import Status

# Why a check did not run, or None when it ran.
NotRun = Callable[["CheckInput", Matrix], Promise | str | None]


@dataclass(frozen=True)
class CheckInput:
    """Everything the checks read: the declaration's facts and the producer's published EPDs it is compared with."""

    facts: DeclarationFacts
    published: tuple[plausibility.PublishedProduct, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    name: Promise
    not_run: NotRun | None = None


@dataclass(frozen=True)
class CheckOutcome:
    id: str
    name: str
    ran: bool
    reason: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "ran": self.ran, **({"reason": self.reason} if self.reason else {})}


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]
    checks: list[CheckOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != ERROR]

    @property
    def ran(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.ran]

    @property
    def not_run(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.ran]


def _unless_stainless(subject: CheckInput, matrix: Matrix):
    category = catalogue.CATEGORY_BY_CODE.get(subject.facts.category)
    return _("applies to carbon steel; stainless steel has P3") if category and category.stainless else None


def _if_stainless(subject: CheckInput, matrix: Matrix):
    category = catalogue.CATEGORY_BY_CODE.get(subject.facts.category)
    return None if category and category.stainless else _("applies to stainless steel only")


def _scrap_routes(subject: CheckInput, matrix: Matrix):
    if subject.facts.production_route in ("scrap_eaf", "bf_bof"):
        return None
    return _("applies to the scrap EAF and BF-BOF routes only")


def _renewable_claim(subject: CheckInput, matrix: Matrix):
    return None if subject.facts.renewable_electricity_claim else _("the product claims no renewable electricity")


def _transport_distance(subject: CheckInput, matrix: Matrix):
    facts = subject.facts
    if any(facts.transport_km.get(m) and matrix.value("GWP-total", m) is not None for m in ("A4", "C2")):
        return None
    return _("needs the transport distance of A4 or C2 (scenarios)")


def _parts_and_aggregate(subject: CheckInput, matrix: Matrix):
    declared = set(subject.facts.declared_modules)
    if catalogue.AGGREGATED_PRODUCT_MODULE in declared and declared.issuperset(catalogue.INDIVIDUAL_PRODUCT_MODULES):
        return None
    return _("applies when A1, A2 and A3 are declared beside A1-A3")


def _published_to_compare(compares_with: Callable[[str], frozenset[str]], applies_to: Promise) -> NotRun:
    def not_run(subject: CheckInput, matrix: Matrix):
        facts = subject.facts
        compared = compares_with(facts.category)
        if not compared:
            return applies_to
        if not facts.production_route:
            return _("needs the production route")
        if not any(p.category in compared for p in subject.published):
            return _("no published EPD of yours (same route) to compare with yet")
        return None

    return not_run


# reference/steel.md §6, row by row: the short name each is listed under, and when it does not run here.
RULES: tuple[Rule, ...] = (
    Rule("P1", _("Declared unit")),
    Rule("P2", _("GWP A1-A3 per tonne, carbon steel"), _unless_stainless),
    Rule("P3", _("GWP A1-A3 per tonne, stainless steel"), _if_stainless),
    Rule("P4", _("GWP sum per module")),
    Rule("P5", _("GWP composition")),
    Rule("P6", _("Energy sums")),
    Rule("P7", _("ADP-fossil against PENRT")),
    Rule("P8", _("Carbon intensity of energy")),
    Rule("P9", _("Module D against net scrap")),
    Rule("P10", _("End-of-life mass balance")),
    Rule("P11", _("Scrap and recycled content against route"), _scrap_routes),
    Rule("P12", _("Renewable-electricity claim"), _renewable_claim),
    Rule("P13", _("Negative values")),
    Rule("P14", _("Small end-of-life modules")),
    Rule("P15", _("Transport"), _transport_distance),
    Rule(
        "P16",
        _("Product ordering (coated, cold-rolled, hot-rolled)"),
        _published_to_compare(plausibility.ordering_compares_with, _("applies to hot-rolled, cold-rolled and coated flat steel")),
    ),
    Rule(
        "P17",
        _("Coating and ADP-minerals&metals"),
        _published_to_compare(
            plausibility.coating_compares_with,
            _("applies to metallic-coated flat steel and the hot- or cold-rolled steel it is made from"),
        ),
    ),
    Rule("P18", _("Completeness")),
    Rule("P19", _("Aggregation A1-A3"), _parts_and_aggregate),
    Rule("P20", _("Units"), lambda subject, matrix: _("checked when results are imported or saved")),
    Rule("P21", _("Dates")),
    Rule("P22", _("Indicator identity"), lambda subject, matrix: _("checked when results are imported")),
    Rule("P23", _("Verifier independence"), lambda subject, matrix: _("checked when a verifier is assigned")),
)


def check_all(subject: CheckInput) -> CheckReport:
    """Every check that can run on the declaration now, as submission would run them, and which did not. Pure."""
    checks = [*plausibility.PLAUSIBILITY_CHECKS, *plausibility.comparison_checks(subject.published)]
    findings = validate(subject.facts, for_submission=True, checks=checks)
    matrix = Matrix(subject.facts.cells)
    outcomes = []
    for rule in RULES:
        reason = rule.not_run(subject, matrix) if rule.not_run else None
        outcomes.append(CheckOutcome(rule.id, str(rule.name), ran=reason is None, reason=str(reason or "")))
    return CheckReport(findings, outcomes)


def published_to_compare(declaration: "models.Declaration") -> tuple[plausibility.PublishedProduct, ...]:
    """The producer's published EPDs of the same route that P16 and P17 compare the declaration with, in one query
    (none when its category compares with nothing)."""
    categories = plausibility.compares_with(declaration.category)
    if not categories or not declaration.production_route:
        return ()
    rows = (
        models.Result.objects.filter(
            declaration__epd__organization_id=declaration.epd.organization_id,
            declaration__status=Status.PUBLISHED,
            declaration__production_route=declaration.production_route,
            declaration__category__in=categories,
            indicator__in=("GWP-total", plausibility.ADP_MM),
            module__in=(catalogue.AGGREGATED_PRODUCT_MODULE, *catalogue.INDIVIDUAL_PRODUCT_MODULES),
        )
        .exclude(declaration__epd_id=declaration.epd_id)
        .order_by("declaration_id")
        .values_list(
            "declaration_id",
            "declaration__epd__registration_number",
            "declaration__product_name",
            "declaration__category",
            "declaration__declared_unit",
            "indicator",
            "module",
            "value",
        )
    )
    by_declaration: dict[int, tuple[tuple, list[ResultCell]]] = {}
    for pk, number, name, category, unit, indicator, module, value in rows:
        by_declaration.setdefault(pk, ((number or "", name, category, unit), []))[1].append(ResultCell(indicator, module, value))
    return tuple(
        plausibility.PublishedProduct.from_cells(
            registration_number=number, product_name=name, category=category, declared_unit=unit, cells=cells
        )
        for (number, name, category, unit), cells in by_declaration.values()
    )


def inputs_for(declaration: "models.Declaration") -> CheckInput:
    return CheckInput(declaration.facts(), published_to_compare(declaration))


def check_declaration(declaration: "models.Declaration") -> CheckReport:
    """The check run of a saved declaration: what submission and the automated checks will find."""
    return check_all(inputs_for(declaration))
