"""Properties of the validator (hypothesis) and one focused test per rule of validation.py."""

import csv
import io
import random
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declarations import catalogue, spreadsheet
from declarations.errors import InvalidFile
from declarations.imports import ParsedResults
from declarations.samples import plausible_results
from declarations.validation import (
    ERROR,
    WARNING,
    DeclarationFacts,
    Finding,
    Matrix,
    ResultCell,
    add_years,
    check_aggregation,
    check_energy_sums,
    check_gwp_sum,
    normalise_unit,
    parse_value,
    validate,
)

MODULES = catalogue.module_codes()
CODES = list(catalogue.indicators())


def facts_for(cells: list[ResultCell], modules: list[str], **fields) -> DeclarationFacts:
    return DeclarationFacts(cells=cells, declared_modules=modules, **fields)


def plausible_facts(route: str = "scrap_eaf", category: str = "long.rebar", seed: int = 3, **fields) -> DeclarationFacts:
    sample = plausible_results(route, category, rng=random.Random(seed))
    defaults = {"production_route": route, "category": category, "reference_year": 2025, "issue_date": date(2026, 6, 1)}
    return facts_for(sample.cells(), sample.declared_modules, **{**defaults, **fields})


def with_value(facts: DeclarationFacts, indicator: str, module: str, value: Decimal | None) -> DeclarationFacts:
    cells = [c for c in facts.cells if (c.indicator, c.module) != (indicator, module)]
    return replace(facts, cells=[*cells, ResultCell(indicator, module, value)])


def checks_of(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.check for f in findings if severity is None or f.severity == severity}


# ---------------------------------------------------------------- numbers as EPD tables print them


def magnitudes(min_exp: int = -6, max_exp: int = 5, min_digits: int = 1) -> st.SearchStrategy[Decimal]:
    """Positive decimals of `min_digits` to 7 significant digits across a wide range of magnitudes."""
    return st.builds(
        lambda digits, exponent: Decimal(digits).scaleb(exponent),
        st.integers(10 ** (min_digits - 1), 9_999_999),
        st.integers(min_exp, max_exp),
    )


# A part printed with one significant digit ("5E-6") may be anything from 4.5E-6 to 5.5E-6: a 1 % difference
# is only visible in sums of parts printed to four digits or more.
precise = magnitudes(min_digits=4)


def round_significant(value: Decimal, digits: int) -> Decimal:
    if value == 0:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_HALF_EVEN)


def reported(value: Decimal, digits: int = 6) -> Decimal:
    """`value` as a table prints it with `digits` significant digits and a non-zero last digit, so that the
    last-digit allowance is unambiguous (a total printed as "2000" may mean 2 significant digits)."""
    rounded = round_significant(value, digits)
    unit = Decimal(1).scaleb(rounded.as_tuple().exponent)
    return rounded + unit if rounded.as_tuple().digits[-1] == 0 else rounded


deviations = st.one_of(st.decimals("0.0105", "0.5", places=4), st.decimals("-0.5", "-0.0105", places=4))


# ---------------------------------------------------------------- P4: GWP-total = fossil + biogenic + luluc


def gwp_facts(total: Decimal, fossil: Decimal, biogenic: Decimal, luluc: Decimal, module: str = "A1-A3") -> DeclarationFacts:
    cells = [
        ResultCell("GWP-total", module, total),
        ResultCell("GWP-fossil", module, fossil),
        ResultCell("GWP-biogenic", module, biogenic),
        ResultCell("GWP-luluc", module, luluc),
    ]
    return facts_for(cells, [module])


@given(
    fossil=magnitudes(),
    biogenic=magnitudes(),
    luluc=magnitudes(),
    negative_biogenic=st.booleans(),
    digits=st.integers(1, 7),
    module=st.sampled_from(MODULES),
)
def test_any_split_of_gwp_total_within_rounding_passes_p4(fossil, biogenic, luluc, negative_biogenic, digits, module):
    biogenic = -biogenic if negative_biogenic else biogenic
    total = round_significant(fossil + biogenic + luluc, digits)
    facts = gwp_facts(total, fossil, biogenic, luluc, module)
    assert check_gwp_sum(facts, Matrix(facts.cells)) == []


@given(fossil=precise, biogenic=precise, luluc=precise, deviation=deviations)
def test_gwp_total_off_by_more_than_one_percent_fails_p4(fossil, biogenic, luluc, deviation):
    parts = fossil + biogenic + luluc
    total = reported(parts * (1 + deviation))
    findings = check_gwp_sum(gwp_facts(total, fossil, biogenic, luluc), Matrix(gwp_facts(total, fossil, biogenic, luluc).cells))
    assert [(f.check, f.severity, f.indicator, f.module) for f in findings] == [("P4", ERROR, "GWP-total", "A1-A3")]


def test_p4_trailing_zeros_do_not_widen_the_tolerance():
    facts = gwp_facts(Decimal("2000"), Decimal("1190"), Decimal("5"), Decimal("5"))
    assert checks_of(check_gwp_sum(facts, Matrix(facts.cells))) == {"P4"}


# ---------------------------------------------------------------- P19: A1-A3 = A1 + A2 + A3


@given(parts=st.lists(magnitudes(), min_size=3, max_size=3), code=st.sampled_from(CODES), digits=st.integers(1, 7))
def test_product_stage_aggregate_within_rounding_passes_p19(parts, code, digits):
    cells = [ResultCell(code, module, value) for module, value in zip(("A1", "A2", "A3"), parts, strict=True)]
    cells.append(ResultCell(code, "A1-A3", round_significant(sum(parts, Decimal(0)), digits)))
    facts = facts_for(cells, ["A1", "A2", "A3", "A1-A3"])
    assert check_aggregation(facts, Matrix(cells)) == []


@given(parts=st.lists(precise, min_size=3, max_size=3), code=st.sampled_from(CODES), deviation=deviations)
def test_product_stage_aggregate_off_by_more_than_one_percent_fails_p19(parts, code, deviation):
    cells = [ResultCell(code, module, value) for module, value in zip(("A1", "A2", "A3"), parts, strict=True)]
    cells.append(ResultCell(code, "A1-A3", reported(sum(parts, Decimal(0)) * (1 + deviation))))
    findings = check_aggregation(facts_for(cells, ["A1", "A2", "A3", "A1-A3"]), Matrix(cells))
    assert [(f.check, f.indicator, f.module) for f in findings] == [("P19", code, "A1-A3")]


# ---------------------------------------------------------------- P6: PERT = PERE + PERM, PENRT = PENRE + PENRM


@given(
    carrier=magnitudes(-3, 6),
    material=magnitudes(-3, 4),
    which=st.sampled_from([("PERT", "PERE", "PERM"), ("PENRT", "PENRE", "PENRM")]),
    digits=st.integers(1, 7),
    module=st.sampled_from(MODULES),
)
def test_energy_totals_within_rounding_pass_p6(carrier, material, which, digits, module):
    total, energy, raw_material = which
    cells = [
        ResultCell(energy, module, carrier),
        ResultCell(raw_material, module, material),
        ResultCell(total, module, round_significant(carrier + material, digits)),
    ]
    assert check_energy_sums(facts_for(cells, [module]), Matrix(cells)) == []


@given(
    carrier=magnitudes(-3, 6, min_digits=4),
    material=magnitudes(-3, 4, min_digits=4),
    which=st.sampled_from([("PERT", "PERE", "PERM"), ("PENRT", "PENRE", "PENRM")]),
    deviation=deviations,
)
def test_energy_totals_off_by_more_than_one_percent_fail_p6(carrier, material, which, deviation):
    total, energy, raw_material = which
    cells = [
        ResultCell(energy, "C3", carrier),
        ResultCell(raw_material, "C3", material),
        ResultCell(total, "C3", reported((carrier + material) * (1 + deviation))),
    ]
    findings = check_energy_sums(facts_for(cells, ["C3"]), Matrix(cells))
    assert [(f.check, f.indicator, f.module) for f in findings] == [("P6", total, "C3")]


# ---------------------------------------------------------------- parse_value


finite_decimals = st.decimals(allow_nan=False, allow_infinity=False).filter(
    lambda d: (d == 0 or Decimal("1e-18") <= abs(d) < Decimal("1e15")) and d.as_tuple().exponent >= -18
)


@given(finite_decimals)
def test_parse_value_round_trips_decimals(value):
    assert parse_value(str(value)) == (value, None)
    assert parse_value(format(value, "f")) == (value, None)
    assert parse_value(value) == (value, None)
    assert parse_value(f"  {value}\u00a0") == (value, None)


@given(finite_decimals.filter(lambda d: d < 0))
def test_parse_value_reads_the_typographic_minus(value):
    assert parse_value("\u2212" + format(value.copy_abs(), "f")) == (value, None)


def could_group_thousands(whole: str, fraction: str) -> bool:
    return len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0")


@given(st.integers(0, 10**9), st.from_regex(r"\A[0-9]{1,6}\Z"))
def test_parse_value_reads_a_decimal_comma_that_cannot_group_thousands(whole, fraction):
    if could_group_thousands(str(whole), fraction):
        return
    assert parse_value(f"{whole},{fraction}") == (Decimal(f"{whole}.{fraction}"), None)


@given(st.integers(1, 999), st.from_regex(r"\A[0-9]{3}\Z"), st.sampled_from(["", "-"]))
def test_parse_value_refuses_a_comma_that_may_group_thousands_naming_both_readings(whole, fraction, sign):
    text = f"{sign}{whole},{fraction}"
    value, problem = parse_value(text)
    assert value is None
    assert f"“{text}”" in problem
    assert f"{Decimal(f'{sign}{whole}{fraction}'):f}" in problem  # 25140, the English way
    assert f"{Decimal(f'{sign}{whole}.{fraction}'):f}" in problem  # 25.140, the German or French way


@pytest.mark.parametrize(
    ("text", "readings"),
    [("25,140", ["25140", "25.140"]), ("1.234,5", ["1234.5"]), ("1,234,567", ["1234567"]), ("1,234.5", ["1234.5"])],
)
def test_parse_value_refuses_ambiguous_separators(text, readings):
    value, problem = parse_value(text)
    assert value is None
    assert all(reading in problem for reading in readings), problem


def test_parse_value_keeps_the_digits_given():
    assert str(parse_value("2.40")[0]) == "2.40"
    assert str(parse_value("2.16E+03")[0]) == "2.16E+3"
    assert str(parse_value("25 140")[0]) == "25140"  # a space groups digits in every language
    assert str(parse_value("2,16E+03")[0]) == "2.16E+3"
    assert parse_value("1.5E-19")[1] and parse_value("1.23E-17")[1]  # digits past the 18th decimal place cannot be stored


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or 1e-18 <= abs(f) < 1e15))
def test_parse_value_keeps_the_digits_a_float_shows(number):
    value, problem = parse_value(number)
    assert problem is None
    shown = Decimal(repr(number))
    if number.is_integer():
        assert value == shown and value.as_tuple().exponent == 0  # 1500.0 is the integer 1500, not "1500.0"
    elif len(shown.as_tuple().digits) <= 15 and shown.as_tuple().exponent >= -18:
        assert value == shown and value.as_tuple() == shown.as_tuple()
    else:  # the noise past a double's 15 significant digits (or the 18th decimal place) is not data
        assert abs(value - shown) <= max(abs(shown) * Decimal("1e-14"), Decimal("1e-18"))


@given(st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none(), st.decimals()))
def test_parse_value_never_raises(raw):
    value, problem = parse_value(raw)
    assert value is None or problem is None
    assert value is None or value.is_finite()


def test_parse_value_refuses_thousands_separators_and_words():
    assert parse_value("1,500.5")[1]
    assert parse_value("1.500,5")[1]
    assert parse_value("12 kg")[1]
    assert parse_value(True)[1]
    assert parse_value("1e400")[1]
    assert parse_value(float("inf"))[1] and parse_value(float("nan"))[1]  # a float cell or JSON can carry them
    assert parse_value("ND") == (None, None)


# ---------------------------------------------------------------- the validator never raises


cells_strategy = st.lists(
    st.builds(
        ResultCell,
        indicator=st.sampled_from(CODES),
        module=st.sampled_from(MODULES),
        value=st.one_of(st.none(), st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False)),
        unit=st.one_of(st.just(""), st.text(max_size=12), st.sampled_from(["kg PO4 eq.", "kg SO2 eq.", "MJ", "kg", "kg CO2e"])),
    ),
    max_size=80,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=cells_strategy,
    modules=st.lists(st.sampled_from(MODULES), unique=True),
    declared_unit=st.one_of(st.text(max_size=20), st.sampled_from(["1 t", "1000 kg", "1 kg", "2,5 t", "1 m2", "0 t", "1 吨"])),
    route=st.sampled_from(["", "unknown", *catalogue.ProductionRoute.values]),
    category=st.sampled_from(["", "unknown", *catalogue.CATEGORY_BY_CODE]),
    reference_year=st.one_of(st.none(), st.integers(0, 3000)),
    valid_until=st.one_of(st.none(), st.dates()),
    issue_date=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    for_submission=st.booleans(),
)
def test_validator_returns_findings_for_arbitrary_cells(
    cells, modules, declared_unit, route, category, reference_year, valid_until, issue_date, for_submission
):
    facts = DeclarationFacts(
        cells=[normalise_unit(c)[0] for c in cells],
        declared_modules=modules,
        declared_unit=declared_unit,
        production_route=route,
        category=category,
        reference_year=reference_year,
        valid_until=valid_until,
        issue_date=issue_date,
    )
    findings = validate(facts, for_submission=for_submission)
    assert all(isinstance(f, Finding) and f.severity in ("error", "warning", "info") and f.message for f in findings)


grid_values = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(repr),
    st.sampled_from(["Code", "Indicator", "Unit", "MND", "ND", "=SUM(D4:D6)", "Declared unit", "1 t", *MODULES, *CODES]),
)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(grid_values, max_size=12), max_size=25), delimiter=st.sampled_from([",", ";", "\t"]))
def test_spreadsheet_reader_returns_findings_or_refuses_the_file(rows, delimiter):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([["" if v is None else v for v in row] for row in rows])
    try:
        parsed = spreadsheet.read_spreadsheet("fuzz.csv", out.getvalue().encode("utf-8"))
    except InvalidFile:
        return
    assert isinstance(parsed, ParsedResults)
    assert all(f.row is None or f.row >= 1 for f in parsed.findings)
    assert set(parsed.declared_modules) <= set(MODULES)


# ---------------------------------------------------------------- P1: the declared unit is a mass


@pytest.mark.parametrize("unit", ["1 t", "1000 kg", "1 tonne", "1 吨", "2,5 t", "1 t of rebar"])
def test_p1_accepts_masses(unit):
    facts = plausible_facts(declared_unit=unit)
    assert "P1" not in checks_of(validate(facts))


@pytest.mark.parametrize("unit", ["1 m2", "1 m3", "1 piece", "", "0 t"])
def test_p1_refuses_what_is_not_a_mass(unit):
    findings = validate(plausible_facts(declared_unit=unit))
    assert any(f.check == "P1" and f.severity == ERROR and f.field == "declared_unit" for f in findings)


# ---------------------------------------------------------------- P2 and P3: A1-A3 GWP per tonne


def gwp_only(per_declared_unit: str, **fields) -> DeclarationFacts:
    cells = [ResultCell("GWP-total", "A1-A3", Decimal(per_declared_unit))]
    return facts_for(cells, ["A1-A3"], **{"declared_unit": "1 t", **fields})


def p2_p3(facts: DeclarationFacts) -> list[tuple[str, str]]:
    return [(f.check, f.severity) for f in validate(facts) if f.check in ("P2", "P3")]


@pytest.mark.parametrize("value", ["0", "-5", "10001"])
def test_p2_refuses_impossible_steel(value):
    assert p2_p3(gwp_only(value, production_route="bf_bof", category="flat.hrc")) == [("P2", ERROR)]


def test_p2_refuses_below_40_unless_reused():
    assert p2_p3(gwp_only("35", production_route="scrap_eaf", category="long.rebar")) == [("P2", ERROR)]
    assert p2_p3(gwp_only("70", production_route="scrap_eaf", category="reused")) == []


@pytest.mark.parametrize(
    ("route", "inside", "outside"),
    [("bf_bof", "1400", "1399"), ("bf_bof", "4000", "4001"), ("scrap_eaf", "150", "149"), ("scrap_eaf", "1500", "1501"),
     ("dri_eaf", "800", "799"), ("dri_eaf", "2500", "2501"), ("mixed", "4000", "4001")],
)  # fmt: skip
def test_p2_warns_outside_the_route_band(route, inside, outside):
    assert p2_p3(gwp_only(inside, production_route=route, category="long.sections")) == []
    assert p2_p3(gwp_only(outside, production_route=route, category="long.sections")) == [("P2", WARNING)]


def test_p2_normalises_by_the_declared_unit():
    assert p2_p3(gwp_only("2.2", declared_unit="1 kg", production_route="bf_bof", category="flat.hrc")) == []
    assert p2_p3(gwp_only("2200", declared_unit="1 kg", production_route="bf_bof", category="flat.hrc")) == [("P2", ERROR)]


def test_p3_stainless_has_its_own_band():
    assert p2_p3(gwp_only("5000", production_route="bf_bof", category="stainless.flat")) == []
    assert p2_p3(gwp_only("1199", production_route="scrap_eaf", category="stainless.tube")) == [("P3", WARNING)]
    assert p2_p3(gwp_only("7001", production_route="scrap_eaf", category="stainless.long")) == [("P3", WARNING)]
    assert p2_p3(gwp_only("30", production_route="scrap_eaf", category="stainless.rebar")) == [("P3", WARNING)]


def test_plausible_samples_pass_every_check():
    for route, category in [
        ("bf_bof", "flat.hrc"),
        ("scrap_eaf", "long.rebar"),
        ("dri_eaf", "flat.plate"),
        ("scrap_eaf", "stainless.flat"),
    ]:
        assert validate(plausible_facts(route, category)) == []


# ---------------------------------------------------------------- P13: negative values


def test_p13_refuses_negatives_outside_module_d():
    findings = validate(with_value(plausible_facts(), "AP", "C3", Decimal("-0.01")))
    assert [(f.check, f.indicator, f.module) for f in findings if f.check == "P13"] == [("P13", "AP", "C3")]


def test_p13_allows_negatives_in_module_d_and_for_biogenic_carbon():
    facts = with_value(plausible_facts(), "AP", "D", Decimal("-3"))
    facts = with_value(facts, "GWP-biogenic", "C1", Decimal("-0.02"))
    facts = with_value(
        facts, "GWP-total", "C1", facts_value(facts, "GWP-fossil", "C1") + Decimal("-0.02") + facts_value(facts, "GWP-luluc", "C1")
    )
    assert "P13" not in checks_of(validate(facts))


def facts_value(facts: DeclarationFacts, indicator: str, module: str) -> Decimal:
    return Matrix(facts.cells).value(indicator, module)


# ---------------------------------------------------------------- P18: completeness


def test_p18_refuses_a_missing_mandatory_module():
    facts = plausible_facts()
    facts = replace(
        facts, declared_modules=[m for m in facts.declared_modules if m != "C4"], cells=[c for c in facts.cells if c.module != "C4"]
    )
    assert [(f.check, f.module) for f in validate(facts) if f.severity == ERROR] == [("P18", "C4")]


def test_p18_accepts_a1_a2_a3_instead_of_the_aggregate():
    facts = plausible_facts()
    cells = [c for c in facts.cells if c.module != "A1-A3"]
    for cell in (c for c in facts.cells if c.module == "A1-A3"):
        share = [Decimal("0.7"), Decimal("0.1"), Decimal("0.2")]
        cells += [ResultCell(cell.indicator, m, cell.value * s) for m, s in zip(("A1", "A2", "A3"), share, strict=True)]
    modules = ["A1", "A2", "A3", *[m for m in facts.declared_modules if m != "A1-A3"]]
    assert errors_of(validate(replace(facts, cells=cells, declared_modules=modules))) == []
    without_a2 = [c for c in cells if c.module != "A2"]
    findings = validate(replace(facts, cells=without_a2, declared_modules=[m for m in modules if m != "A2"]))
    assert ("P18", "A1-A3") in {(f.check, f.module) for f in findings}


def test_p18_names_a_mandatory_indicator_without_value():
    findings = validate(with_value(plausible_facts(), "PENRT", "C2", None))
    assert [(f.check, f.indicator, f.module) for f in findings if f.severity == ERROR] == [("P18", "PENRT", "C2")]


def test_p18_optional_indicator_may_be_not_declared():
    assert errors_of(validate(with_value(plausible_facts(), "PM", "A1-A3", None))) == []


def test_p18_refuses_a_value_in_a_module_not_declared():
    findings = validate(with_value(plausible_facts(), "GWP-total", "B1", Decimal("1")))
    assert [(f.check, f.indicator, f.module) for f in findings if f.severity == ERROR] == [("P18", "GWP-total", "B1")]


def errors_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


# ---------------------------------------------------------------- P21: dates


def test_p21_validity_at_most_five_years():
    issue = date(2026, 6, 1)
    assert "P21" not in checks_of(validate(plausible_facts(issue_date=issue, valid_until=date(2031, 6, 1))))
    findings = validate(plausible_facts(issue_date=issue, valid_until=date(2031, 6, 2)))
    assert [(f.check, f.severity, f.field) for f in findings] == [("P21", ERROR, "valid_until")]


def test_p21_reference_year_in_the_future_is_an_error_and_old_data_a_warning():
    issue = date(2026, 6, 1)
    assert [(f.severity, f.field) for f in validate(plausible_facts(issue_date=issue, reference_year=2027))] == [(ERROR, "reference_year")]
    assert [(f.severity, f.field) for f in validate(plausible_facts(issue_date=issue, reference_year=2020))] == [
        (WARNING, "reference_year")
    ]
    assert validate(plausible_facts(issue_date=issue, reference_year=2021)) == []


def test_p21_five_years_from_29_february():
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert (
        validate(plausible_facts(issue_date=date(2028, 2, 29), today=date(2028, 2, 29), valid_until=date(2033, 2, 28), reference_year=2027))
        == []
    )


# ---------------------------------------------------------------- P20: units (the reader hands them over unchanged)


@given(st.text(max_size=30))
def test_normalise_unit_never_raises_and_keeps_the_value_unless_converting(unit):
    cell = ResultCell("GWP-total", "A1-A3", Decimal("2150"), unit=unit)
    fixed, findings = normalise_unit(cell)
    assert fixed.value == Decimal("2150")
    assert all(f.check == "P20" for f in findings)


def test_normalise_unit_converts_po4_only_for_ep_freshwater():
    fixed, findings = normalise_unit(ResultCell("EP-freshwater", "A1-A3", Decimal("3.07"), unit="kg PO4 eq."))
    assert fixed.value == Decimal("1") and fixed.unit == "kg P eq." and [f.severity for f in findings] == [WARNING]
    kept, findings = normalise_unit(ResultCell("EP-marine", "A1-A3", Decimal("3.07"), unit="kg PO4 eq."))
    assert kept.value == Decimal("3.07") and [f.severity for f in findings] == [ERROR]


def test_round_significant_helper_is_sane():
    assert round_significant(Decimal("2150.46"), 3) == Decimal("2.15E+3")
    assert reported(Decimal("2000")) == Decimal("2000.01")
