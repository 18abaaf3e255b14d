"""Validation of a declaration per EN 15804+A2 and the steel plausibility table (reference/steel.md §6).

Pure functions: they take plain data (`DeclarationFacts`, `ResultCell`s) and return `Finding`s.
The web form, the JSON API, the spreadsheet, openEPD and ILCD imports, submission and the automated
checks all call `validate()`, so every path reports the same problems in the same words.
"""

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from . import catalogue, thresholds

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    severity: str
    check: str  # the id of the rule: "P4" for the steel.md table, "value", "unit", "field"…
    message: str
    field: str = ""
    indicator: str = ""
    module: str = ""
    row: int | None = None
    column: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


@dataclass
class ResultCell:
    """One value of the results matrix; `value=None` means "not declared" (ND), distinct from 0."""

    indicator: str
    module: str
    value: Decimal | None
    unit: str = ""
    row: int | None = None
    column: str = ""
    field: str = ""  # where it came from in a JSON or form submission


@dataclass
class DeclarationFacts:
    """What the checks look at. Built from a saved declaration or from an import before saving."""

    cells: list[ResultCell]
    declared_modules: list[str]
    declared_unit: str = "1 t"
    production_route: str = ""
    category: str = ""
    recycled_content: Decimal | None = None
    reference_year: int | None = None
    valid_until: date | None = None
    issue_date: date = field(default_factory=date.today)
    renewable_electricity_claim: bool = False
    product_name: str = ""
    pcr: str = ""
    plants: int = 0
    lca_software: str = ""
    background_database: str = ""
    has_report: bool = False
    # A4/C2 transport: distance in km per module, when the scenario states one (P15).
    transport_km: dict[str, Decimal] = field(default_factory=dict)
    characterisation_method: str = ""  # as declared: "EF 3.0" or "EF 3.1"
    results_method: str = ""  # what the imported results' indicator identifiers say, when they say one
    pcr_name: str = ""
    pcr_standard: str = ""  # what the PCR's core rules are, in a claim's words ("EN 15804+A2", "ISO 21930:2017")
    allocation: str = ""
    cut_off: str = ""
    data_quality: str = ""
    lca_practitioner: str = ""  # the practitioner's name, or their organisation's
    today: date = field(default_factory=date.today)


def _where(cell: ResultCell) -> dict:
    return {"indicator": cell.indicator, "module": cell.module, "row": cell.row, "column": cell.column, "field": cell.field}


# ---------------------------------------------------------------- parsing values and units


_NOT_DECLARED = {"nd", "n/a", "na", "not declared", "-", "—", "未声明"}
_MODULE_NOT_DECLARED = {"mnd", "module not declared", "模块未声明"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Spaces (plain, no-break, thin, narrow no-break) group digits unambiguously: "25 140" is 25140.
_DIGIT_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")
# The database keeps 18 decimal places (Result.value); a digit beyond them would be lost.
MIN_EXPONENT = -18
# A float shows up to 17 significant digits, of which 15 are the number (IEEE 754 double).
FLOAT_DIGITS = 15


def parse_value(raw: object) -> tuple[Decimal | None, str | None]:
    """Read a cell as written by a person or a program, keeping the digits it was given. Returns (value, problem).

    None is "not declared" (ND). The result keeps its precision in its exponent: "2.40" stays 2.40, "2.16E+3" stays
    2.16E+3, so the sum rules allow for the rounding of what was printed. A comma is a decimal mark only where it
    cannot be a thousands separator ("1,5", "0,032"); text that reads two ways ("25,140", "1.234,5", "1,234,567")
    is refused with both readings, never guessed.
    """
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, _("is true/false, not a number")
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = _float_as_given(raw)
    else:
        text = str(raw).strip().replace("\u2212", "-").translate(_DIGIT_SPACES)
        if text == "" or text.lower() in _NOT_DECLARED:
            return None, None
        text, problem = _resolve_separators(text, shown=str(raw).strip()[:40])
        if problem:
            return None, problem
        if not _NUMBER.fullmatch(text):
            return None, _("“%(text)s” is not a number") % {"text": str(raw).strip()[:40]}
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None, _("“%(text)s” is not a number") % {"text": text[:40]}
    if not value.is_finite():
        return None, _("is not a finite number")
    if value != 0 and not (Decimal("1e-18") <= abs(value) < Decimal("1e15")):
        return None, _("%(value)s is out of the range we can store (1e-18 to 1e15)") % {"value": value}
    if value.as_tuple().exponent < MIN_EXPONENT:
        return None, _("%(value)s has digits beyond the 18th decimal place, which cannot be stored; round it") % {"value": value}
    return value, None


def json_number(literal: str) -> Decimal:
    """A JSON number literal with the digits it was written with ("2.40" stays 2.40), for json.load(parse_float=…).
    A trailing ".0" is how float serialisers write whole numbers (891.0), not a claim of a tenth: it is dropped."""
    if literal.endswith(".0") and "e" not in literal.lower():
        literal = literal[:-2]
    return Decimal(literal)


def _float_as_given(number: float) -> Decimal:
    """A float's shortest decimal form ("2.4", not 2.399999…); an integral float has no decimals ("1500")."""
    if not math.isfinite(number):
        return Decimal(repr(number))  # Decimal('inf'), Decimal('nan'): refused by the caller as not finite
    if number.is_integer() and abs(number) < 1e15:
        return Decimal(int(number))
    value = Decimal(repr(number))
    if len(value.as_tuple().digits) > FLOAT_DIGITS:  # 0.1 + 0.2: the noise past the 15th digit is not data
        value = Context(prec=FLOAT_DIGITS).create_decimal(value).normalize()
    if value.as_tuple().exponent < MIN_EXPONENT and abs(value) >= Decimal("1e-18"):
        value = value.quantize(Decimal(1).scaleb(MIN_EXPONENT))
    return value


def _resolve_separators(text: str, *, shown: str) -> tuple[str, str | None]:
    """Text with "." as the only decimal mark, or the reason the separators are ambiguous."""
    if "," not in text:
        return text, None
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    whole, _comma, fraction = digits.partition(",")
    could_group_thousands = len(fraction) == 3 and 1 <= len(whole) <= 3 and whole.isdigit() and not whole.startswith("0")
    decimal_fraction = re.fullmatch(r"\d+([eE][+-]?\d+)?", fraction)
    if "." not in digits and digits.count(",") == 1 and decimal_fraction and not could_group_thousands:
        return f"{sign}{whole}.{fraction}", None  # "1,5", "0,032", "1234,56", "2,16E+03": a decimal comma, nothing else
    english, european = (_reading(digits, sign, grouping=g, decimal_mark=d) for g, d in ((",", "."), (".", ",")))
    if english is None and european is None:
        return text, _("“%(text)s” is not a number") % {"text": shown}
    values = {"text": shown, "english": english or _("no number"), "european": european or _("no number")}
    return text, _(
        "“%(text)s” can be read two ways: %(english)s the English way (“,” separates thousands, “.” is the decimal mark) "
        "or %(european)s the German or French way (“.” separates thousands, “,” is the decimal mark). Write the number "
        "without thousands separators and with a “.” as the decimal mark, or enter it as a number cell"
    ) % values


def _reading(digits: str, sign: str, *, grouping: str, decimal_mark: str) -> str | None:
    """The number `digits` means when `grouping` separates thousands and `decimal_mark` is the decimal mark."""
    whole = digits.split(decimal_mark, 1)[0]
    if grouping in digits and not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})+", whole):
        return None
    candidate = digits.replace(grouping, "").replace(decimal_mark, ".")
    if not _NUMBER.fullmatch(candidate):
        return None
    return f"{Decimal(sign + candidate):f}"


def is_module_not_declared(raw: object) -> bool:
    return isinstance(raw, str) and raw.strip().lower() in _MODULE_NOT_DECLARED


def _unit_key(unit: str) -> str:
    key = unit.lower().replace("₂", "2").replace("³", "3").replace("eqv", "eq").replace("equivalent", "eq")
    key = key.replace("co2e", "co2eq").replace("-eq", "eq")
    return re.sub(r"[\s.,\-_()]", "", key)


# EN 15804+A1 (CML) units: refused, except EP in kg PO4 eq. for EP-freshwater, which converts.
_A1_UNITS = {
    "AP": ["kg SO2 eq."],
    "POCP": ["kg ethene eq.", "kg C2H4 eq."],
    "EP-marine": ["kg PO4 eq.", "kg PO4--- eq.", "kg phosphate eq."],
    "EP-terrestrial": ["kg PO4 eq.", "kg phosphate eq."],
}
_PO4_UNITS = {_unit_key(u) for u in ["kg PO4 eq.", "kg PO4--- eq.", "kg PO43- eq.", "kg phosphate eq."]}
_ENERGY_SPELLINGS = {"mj", "mjncv", "mjnetcalorificvalue", "mjlhv"}


def accepted_units(ind: catalogue.Indicator) -> set[str]:
    keys = {_unit_key(ind.unit), *(_unit_key(a) for a in ind.aliases)}
    if ind.ilcd_unit:
        keys.add(_unit_key(ind.ilcd_unit))
    if _unit_key(ind.unit) in _ENERGY_SPELLINGS:
        keys |= _ENERGY_SPELLINGS
    if ind.code == "ODP":
        keys.add(_unit_key("kg R11 eq."))  # R11 is CFC-11
    if ind.unit == "kg":
        keys.add("kg")
    if ind.unit == "dimensionless":
        keys |= {"pt", "unitless", "-", ""}
    return keys


def normalise_unit(cell: ResultCell) -> tuple[ResultCell, list[Finding]]:
    """P20: check the unit a cell was given in, converting kg PO4 eq. to kg P eq. for EP-freshwater."""
    ind = catalogue.indicators()[cell.indicator]
    if not cell.unit or _unit_key(cell.unit) in accepted_units(ind):
        return cell, []
    key = _unit_key(cell.unit)
    if ind.code == "EP-freshwater" and key in _PO4_UNITS:
        converted = None if cell.value is None else rescale(cell.value, 1 / thresholds.PO4_PER_P)
        message = _(
            "EP-freshwater was given in “%(unit)s”; EN 15804+A2 declares it in kg P eq. "
            "We converted it (÷ 3.07): please check and declare it in kg P eq."
        ) % {"unit": cell.unit}
        fixed = ResultCell(**{**asdict(cell), "value": converted, "unit": ind.unit})
        return fixed, [Finding(WARNING, "P20", message, **_where(cell))]
    if any(_unit_key(u) == key for u in _A1_UNITS.get(ind.code, [])):
        message = _(
            "“%(unit)s” is an EN 15804+A1 unit. Under EN 15804+A2, %(code)s is declared in %(expected)s; "
            "recalculate it with the EF 3.x method."
        ) % {"unit": cell.unit, "code": ind.code, "expected": ind.unit}
    else:
        message = _("The unit “%(unit)s” is wrong for %(code)s: it is declared in %(expected)s.") % {
            "unit": cell.unit,
            "code": ind.code,
            "expected": ind.unit,
        }
    return cell, [Finding(ERROR, "P20", message, **_where(cell))]


# ---------------------------------------------------------------- declared unit (P1)

_MASS_UNITS_KG = {
    "t": Decimal(1000),
    "tonne": Decimal(1000),
    "tonnes": Decimal(1000),
    "metric ton": Decimal(1000),
    "kg": Decimal(1),
    "吨": Decimal(1000),
    "千克": Decimal(1),
    "公斤": Decimal(1),
}


def declared_mass_kg(declared_unit: str) -> Decimal | None:
    """Mass in kg of one declared unit ("1 t" → 1000), or None when it is not a mass."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)?\s*([^\d\s].*?)\s*(?:of\s+\w.*)?", declared_unit or "")
    if not match:
        return None
    amount = Decimal((match.group(1) or "1").replace(",", "."))
    factor = _MASS_UNITS_KG.get(match.group(2).lower())
    if factor is None or amount <= 0:
        return None
    return amount * factor


# ---------------------------------------------------------------- helpers over the matrix


class Matrix:
    """The cells indexed by (indicator, module), with the A1-A3 aggregate derived when needed."""

    def __init__(self, cells: Iterable[ResultCell]):
        self.cells = {(c.indicator, c.module): c for c in cells}

    def cell(self, indicator: str, module: str) -> ResultCell | None:
        return self.cells.get((indicator, module))

    def value(self, indicator: str, module: str) -> Decimal | None:
        cell = self.cells.get((indicator, module))
        return None if cell is None else cell.value

    def product_stage(self, indicator: str) -> Decimal | None:
        """A1-A3 as declared, or A1+A2+A3 when only the parts are."""
        aggregate = self.value(indicator, catalogue.AGGREGATED_PRODUCT_MODULE)
        if aggregate is not None:
            return aggregate
        parts = [self.value(indicator, m) for m in catalogue.INDIVIDUAL_PRODUCT_MODULES]
        if any(p is None for p in parts):
            return None
        return sum(parts, Decimal(0))


# ---------------------------------------------------------------- precision as given

WIDE = Context(prec=60)  # enough for every value the database holds (36 digits), so no arithmetic here rounds


def last_digit_unit(value: Decimal) -> Decimal:
    """One unit in the last digit as given: "2.40" → 0.01, "2230" → 1, "2.23E3" → 10. Never normalised, so the
    trailing zeros of "2000" count as digits (normalising would make it 2E+3, a tolerance of ±1000)."""
    exponent = value.as_tuple().exponent
    return Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal(0)


def significant_digits(value: Decimal) -> int:
    return max(len(value.as_tuple().digits), 1)


def with_exponent(value: Decimal | None, exponent: int | None) -> Decimal | None:
    """A stored value with the digits it was given: the database returns 2.400000000000000000 for "2.40"."""
    if value is None:
        return None
    if exponent is None:  # stored before precision was kept: the shortest form, integers as integers
        normal = value.normalize(WIDE)
        exponent = min(normal.as_tuple().exponent, 0) if normal else 0
    return value.quantize(Decimal(1).scaleb(exponent), context=WIDE)


def rescale(value: Decimal, factor: Decimal) -> Decimal:
    """`value` × `factor`, given to as many significant digits as `value` was: 2.40 kg per kg × 1000 is 2.40E+3
    per tonne, not 2400.00 (which would claim a precision nobody gave)."""
    if factor == 1:
        return value
    return Context(prec=significant_digits(value)).create_decimal(WIDE.multiply(value, factor))


def rounding_allowance(values: Iterable[Decimal]) -> Decimal:
    """How far a sum of printed values can be from the sum of the exact ones: half a unit in the last digit of each.
    A bare "0" is an exact zero (a module with nothing in it), not a value rounded to the nearest whole unit."""
    return sum((last_digit_unit(v) / 2 for v in values if not (v == 0 and v.as_tuple().exponent == 0)), Decimal(0))


def within_rounding(total: Decimal, parts: Iterable[Decimal]) -> bool:
    """Whether `total` is the sum of `parts` as far as their printed precision can tell.

    steel.md P4: the larger of 1 % of the total and one unit in its last digit; and never stricter than rounding
    itself allows, which matters when parts are printed coarser than the total (1.5E+3 − 1.4E+3 = 1.04E+2).
    """
    parts = list(parts)
    difference = abs(total - sum(parts, Decimal(0)))
    exact_zero = total == 0 and total.as_tuple().exponent == 0
    floor = Decimal(0) if exact_zero else last_digit_unit(total)
    tolerance = max(thresholds.SUM_TOLERANCE * abs(total), floor, rounding_allowance([total, *parts]))
    return difference <= tolerance


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if abs(value) >= Decimal("0.001") or value == 0 else f"{value:.3e}"


# ---------------------------------------------------------------- the checks

Check = Callable[[DeclarationFacts, Matrix], list[Finding]]


def check_declared_unit(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P1: the declared unit is a mass we can normalise to one tonne."""
    if declared_mass_kg(facts.declared_unit) is None:
        return [
            Finding(
                ERROR,
                "P1",
                _("The declared unit “%(unit)s” is not a mass. Steel EPDs declare 1 t (or a stated number of kg or t).")
                % {"unit": facts.declared_unit},
                field="declared_unit",
            )
        ]
    return []


def _per_tonne(facts: DeclarationFacts, value: Decimal) -> Decimal | None:
    mass = declared_mass_kg(facts.declared_unit)
    return None if mass is None else value * Decimal(1000) / mass


def check_gwp_product_stage(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P2 (carbon steel) and P3 (stainless): A1-A3 GWP-total per tonne against the route band."""
    gwp = matrix.product_stage("GWP-total")
    if gwp is None:
        return []
    per_t = _per_tonne(facts, gwp)
    if per_t is None:
        return []
    where = {"indicator": "GWP-total", "module": "A1-A3"}
    category = catalogue.CATEGORY_BY_CODE.get(facts.category)
    shown = {"value": _fmt(per_t.quantize(Decimal("0.1")))}
    if per_t <= thresholds.GWP_A1A3_ERROR_MIN_EXCLUSIVE or per_t > thresholds.GWP_A1A3_ERROR_MAX:
        return [
            Finding(
                ERROR,
                "P2",
                _(
                    "GWP-total for A1-A3 is %(value)s kg CO2 eq. per tonne: steel cannot be at or below zero or above "
                    "10,000. Check the declared unit (t or kg) and the sign."
                )
                % shown,
                **where,
            )
        ]
    if category and category.stainless:
        low, high = thresholds.GWP_A1A3_STAINLESS_BAND
        if not low <= per_t <= high:
            return [
                Finding(
                    WARNING,
                    "P3",
                    _(
                        "GWP-total for A1-A3 is %(value)s kg CO2 eq. per tonne, outside the usual range for stainless "
                        "steel (%(low)s to %(high)s)."
                    )
                    % {**shown, "low": low, "high": high},
                    **where,
                )
            ]
        return []
    if per_t < thresholds.GWP_A1A3_MIN_UNLESS_REUSED and facts.category != "reused":
        return [
            Finding(
                ERROR,
                "P2",
                _(
                    "GWP-total for A1-A3 is %(value)s kg CO2 eq. per tonne. Below 40 only reclaimed (reused) steel is "
                    "plausible; check the declared unit (a value per kg instead of per tonne?)."
                )
                % shown,
                **where,
            )
        ]
    band = thresholds.GWP_A1A3_ROUTE_BAND.get(facts.production_route)
    if band and facts.category != "reused" and not band[0] <= per_t <= band[1]:
        return [
            Finding(
                WARNING,
                "P2",
                _(
                    "GWP-total for A1-A3 is %(value)s kg CO2 eq. per tonne, outside the usual range for the "
                    "%(route)s route (%(low)s to %(high)s). Is the production route right?"
                )
                % {**shown, "route": catalogue.ProductionRoute(facts.production_route).label, "low": band[0], "high": band[1]},
                **where,
            )
        ]
    return []


def _sums_that_differ(facts: DeclarationFacts, matrix: Matrix, total_code: str, part_codes: tuple[str, ...]):
    """(module, total cell, sum of the parts) wherever a declared module has the total and all its parts
    and the total is not their sum (within rounding)."""
    for module in facts.declared_modules:
        total = matrix.cell(total_code, module)
        parts = [matrix.value(code, module) for code in part_codes]
        if total is None or total.value is None or any(p is None for p in parts):
            continue
        if not within_rounding(total.value, parts):
            yield module, total, sum(parts, Decimal(0))


def check_gwp_sum(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P4: GWP-total = GWP-fossil + GWP-biogenic + GWP-luluc in every module."""
    return [
        Finding(
            ERROR,
            "P4",
            _(
                "In module %(module)s, GWP-total (%(total)s) is not GWP-fossil + GWP-biogenic + GWP-luluc "
                "(%(sum)s). EN 15804+A2 defines the total as that sum."
            )
            % {"module": module, "total": _fmt(total.value), "sum": _fmt(parts_sum)},
            **_where(total),
        )
        for module, total, parts_sum in _sums_that_differ(facts, matrix, "GWP-total", ("GWP-fossil", "GWP-biogenic", "GWP-luluc"))
    ]


def check_energy_sums(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P6: PERT = PERE + PERM and PENRT = PENRE + PENRM."""
    return [
        Finding(
            ERROR,
            "P6",
            _("In module %(module)s, %(total_code)s (%(total)s) is not %(a)s + %(b)s (%(sum)s).")
            % {"module": module, "total_code": total_code, "total": _fmt(total.value), "a": a, "b": b, "sum": _fmt(parts_sum)},
            **_where(total),
        )
        for total_code, (a, b) in (("PERT", ("PERE", "PERM")), ("PENRT", ("PENRE", "PENRM")))
        for module, total, parts_sum in _sums_that_differ(facts, matrix, total_code, (a, b))
    ]


def check_negative_values(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P13: negative values only in module D, for GWP-biogenic, PERM and PENRM."""
    return [
        Finding(
            ERROR,
            "P13",
            _(
                "%(indicator)s in module %(module)s is negative (%(value)s). Negative values are only possible in "
                "module D and for GWP-biogenic, PERM and PENRM."
            )
            % {"indicator": cell.indicator, "module": cell.module, "value": _fmt(cell.value)},
            **_where(cell),
        )
        for cell in matrix.cells.values()
        if cell.value is not None and cell.value < 0 and cell.module != "D" and cell.indicator not in thresholds.MAY_BE_NEGATIVE
    ]


def check_completeness(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P18: mandatory modules declared; every mandatory indicator has a value in every declared module."""
    declared = set(facts.declared_modules)
    findings = []
    has_parts = all(m in declared for m in catalogue.INDIVIDUAL_PRODUCT_MODULES)
    if catalogue.AGGREGATED_PRODUCT_MODULE not in declared and not has_parts:
        findings.append(
            Finding(ERROR, "P18", _("Module A1-A3 (or A1, A2 and A3) is mandatory under EN 15804+A2 and is not declared."), module="A1-A3")
        )
    findings += [
        Finding(
            ERROR,
            "P18",
            _(
                "Module %(module)s is mandatory under EN 15804+A2 (steel stays identifiable and is recovered at end "
                "of life, so C1-C4 and D must be declared); it may be 0 but not “MND”."
            )
            % {"module": module},
            module=module,
        )
        for module in catalogue.MANDATORY_MODULES_BEYOND_GATE
        if module not in declared
    ]
    for module in catalogue.module_codes():
        if module not in declared:
            continue
        for code in catalogue.mandatory_indicator_codes():
            cell = matrix.cell(code, module)
            if cell is None or cell.value is None:
                where = _where(cell) if cell else {"indicator": code, "module": module}
                findings.append(
                    Finding(
                        ERROR,
                        "P18",
                        _(
                            "%(code)s has no value in module %(module)s. It is a mandatory indicator for every declared "
                            "module (write 0 if it is zero)."
                        )
                        % {"code": code, "module": module},
                        **where,
                    )
                )
    return findings


def check_aggregation(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P19: A1-A3 = A1 + A2 + A3 when both are given."""
    findings = []
    for code in catalogue.indicators():
        aggregate = matrix.cell(code, catalogue.AGGREGATED_PRODUCT_MODULE)
        parts = [matrix.value(code, m) for m in catalogue.INDIVIDUAL_PRODUCT_MODULES]
        if aggregate is None or aggregate.value is None or any(p is None for p in parts):
            continue
        if not within_rounding(aggregate.value, parts):
            parts_sum = sum(parts, Decimal(0))
            findings.append(
                Finding(
                    ERROR,
                    "P19",
                    _("%(code)s: A1-A3 (%(total)s) is not A1 + A2 + A3 (%(sum)s).")
                    % {"code": code, "total": _fmt(aggregate.value), "sum": _fmt(parts_sum)},
                    **_where(aggregate),
                )
            )
    return findings


def check_values_in_declared_modules(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    declared = set(facts.declared_modules)
    return [
        Finding(
            ERROR,
            "P18",
            _("%(code)s has a value in module %(module)s, which is marked as not declared (MND).")
            % {"code": cell.indicator, "module": cell.module},
            **_where(cell),
        )
        for cell in matrix.cells.values()
        if cell.module not in declared and cell.value is not None
    ]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_dates(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P21: at most five years of validity from the date of issue (the first one, for an EPD registered elsewhere
    first); not expired, not issued in the future; producer data not older than five years."""
    findings = []
    if facts.issue_date > facts.today:
        message = _("The date of issue %(issue)s is in the future.") % {"issue": facts.issue_date}
        findings.append(Finding(ERROR, "P21", message, field="original_issue_date"))
    if facts.valid_until and facts.valid_until < facts.today:
        findings.append(
            Finding(
                ERROR,
                "P21",
                _("The EPD expired on %(until)s; an expired EPD cannot be registered. Renew it first (new data, new verification).")
                % {"until": facts.valid_until},
                field="valid_until",
            )
        )
    limit = add_years(facts.issue_date, thresholds.MAX_VALIDITY_YEARS)
    if facts.valid_until and facts.valid_until > limit:
        findings.append(
            Finding(
                ERROR,
                "P21",
                _(
                    "Valid until %(until)s is more than five years after the date of issue (%(issue)s); EN 15804 allows "
                    "at most five years (until %(limit)s)."
                )
                % {"until": facts.valid_until, "issue": facts.issue_date, "limit": limit},
                field="valid_until",
            )
        )
    if facts.reference_year is not None:
        if facts.reference_year > facts.issue_date.year:
            findings.append(
                Finding(
                    ERROR,
                    "P21",
                    _("The reference year %(year)s is in the future.") % {"year": facts.reference_year},
                    field="reference_year",
                )
            )
        elif facts.reference_year < facts.issue_date.year - thresholds.MAX_DATA_AGE_YEARS:
            findings.append(
                Finding(
                    WARNING,
                    "P21",
                    _(
                        "The reference year %(year)s is more than five years before the date of issue: producer data "
                        "should be a one-year average not older than five years."
                    )
                    % {"year": facts.reference_year},
                    field="reference_year",
                )
            )
    return findings


def check_method(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """The declared characterisation method against what the imported results' indicator identifiers say."""
    if not facts.results_method or not facts.characterisation_method or facts.results_method == facts.characterisation_method:
        return []
    return [
        Finding(
            WARNING,
            "method",
            _(
                "The declaration says its results are characterised with %(declared)s, but the imported results identify "
                "their indicators by %(evidence)s identifiers. Check which method the LCA used: the published EPD will name "
                "%(declared)s."
            )
            % {"declared": facts.characterisation_method, "evidence": facts.results_method},
            field="characterisation_method",
        )
    ]


CHECKS: list[Check] = [
    check_declared_unit,
    check_values_in_declared_modules,
    check_completeness,
    check_gwp_product_stage,
    check_gwp_sum,
    check_energy_sums,
    check_aggregation,
    check_negative_values,
    check_dates,
    check_method,
]


def check_submission_fields(facts: DeclarationFacts) -> list[Finding]:
    """What a declaration needs before a verifier can look at it, beyond its results."""
    required = [
        ("product_name", facts.product_name, _("Give the product a name.")),
        ("category", facts.category, _("Choose the steel product category.")),
        ("production_route", facts.production_route, _("Choose the production route.")),
        ("pcr", facts.pcr, _("Choose the PCR the LCA follows.")),
        ("plants", facts.plants, _("Add at least one manufacturing plant with its country.")),
        ("lca_software", facts.lca_software, _("Name the LCA software and its version.")),
        ("background_database", facts.background_database, _("Name the background database and its version.")),
        ("reference_year", facts.reference_year, _("Give the reference year of the data.")),
        (
            "characterisation_method",
            facts.characterisation_method,
            _("Say which characterisation factors the results were calculated with: EF 3.0 or EF 3.1."),
        ),
        ("report", facts.has_report, _("Attach the LCA project report (PDF) for the verifier.")),
        # What the EPD itself must state about how the LCA was made: EN 15804+A2 clause 7 (content of the EPD,
        # with the LCA information of clause 7.1) draws on the project report of clause 8, and the verifier
        # checks these statements against it (reference/steel.md §7, "What the verifier checks", items 1 and 2:
        # cut-off 1 % / 5 %, allocation of co-products, the data quality statement); PRODUCT.md lists them as
        # the declaration's LCA information. A draft may lack them; submission may not (issue 13).
        ("allocation", facts.allocation.strip(), _("State the allocation rules: how co-products (BF/BOF gas, slag, scale) are treated.")),
        ("cut_off", facts.cut_off.strip(), _("State the cut-off rules, e.g. 1 % of mass and energy per unit process, 5 % per module.")),
        ("data_quality", facts.data_quality.strip(), _("State the data quality: the period, geography and technology the data represent.")),
        ("lca_practitioner", facts.lca_practitioner.strip(), _("Name the LCA practitioner: the person or organization who made the LCA.")),
    ]
    findings = [Finding(ERROR, "field", message, field=name) for name, value, message in required if not value]
    if facts.pcr and facts.pcr_standard != catalogue.EN15804_A2:
        findings.append(
            Finding(
                ERROR,
                "standard",
                _(
                    "The PCR “%(pcr)s” follows %(standard)s, not EN 15804+A2. This platform publishes EN 15804+A2 EPDs "
                    "(EF 3.x indicators, modules C1-C4 and D), and every claim it signs says so: choose an EN 15804+A2 PCR, "
                    "or register this EPD with a programme for %(standard)s EPDs."
                )
                % {"pcr": facts.pcr_name or facts.pcr, "standard": facts.pcr_standard or "?"},
                field="pcr",
            )
        )
    if not facts.cells:
        findings.append(Finding(ERROR, "P18", _("The declaration has no results yet: import or enter them.")))
    return findings


def validate(facts: DeclarationFacts, *, for_submission: bool = False, checks: Iterable[Check] = ()) -> list[Finding]:
    """All findings for the facts: errors block saving an import and submitting; warnings go to the verifier."""
    matrix = Matrix(facts.cells)
    findings = check_submission_fields(facts) if for_submission else []
    for check in (*CHECKS, *checks):
        findings += check(facts, matrix)
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
