"""P16 (product ordering) and P17 (coating and ADP-minerals&metals) as pure checks over a declaration and the
producer's published EPDs of the same route, and the list of checks that ran (declarations.checks)."""

import random
from datetime import date
from decimal import Decimal

from declarations.checks import CheckInput, check_all
from declarations.plausibility import PublishedProduct, compares_with
from declarations.samples import plausible_results
from declarations.validation import WARNING, DeclarationFacts, ResultCell


def facts(category: str, *, gwp: str, adp: str, route: str = "bf_bof", declared_unit: str = "1 t", **fields) -> DeclarationFacts:
    sample = plausible_results(route, category, rng=random.Random(4), gwp_a1a3=float(gwp))
    cells = [c for c in sample.cells() if (c.indicator, c.module) != ("ADP-minerals&metals", "A1-A3")]
    cells.append(ResultCell("ADP-minerals&metals", "A1-A3", Decimal(adp)))
    return DeclarationFacts(
        cells=cells,
        declared_modules=sample.declared_modules,
        declared_unit=declared_unit,
        production_route=route,
        category=category,
        recycled_content=sample.recycled_content,
        reference_year=2025,
        issue_date=date(2026, 6, 1),
        **fields,
    )


def published(category: str, gwp: str, adp: str, *, declared_unit: str = "1 t", number: str = "EPD-STEEL-2026-000001"):
    return PublishedProduct.from_cells(
        registration_number=number,
        product_name="Published product",
        category=category,
        declared_unit=declared_unit,
        cells=[ResultCell("GWP-total", "A1-A3", Decimal(gwp)), ResultCell("ADP-minerals&metals", "A1-A3", Decimal(adp))],
    )


def found(subject: CheckInput, check: str) -> list[str]:
    return [f.message for f in check_all(subject).findings if f.check == check and f.severity == WARNING]


def outcome(subject: CheckInput, check: str):
    return next(c for c in check_all(subject).checks if c.id == check)


def test_p16_warns_when_cold_rolled_emits_less_than_the_hot_rolled_it_is_made_from():
    hrc = published("flat.hrc", "2500", "0.01")
    assert found(CheckInput(facts("flat.crc", gwp="2400", adp="0.01"), (hrc,)), "P16")
    assert found(CheckInput(facts("flat.crc", gwp="2600", adp="0.01"), (hrc,)), "P16") == []


def test_p16_warns_the_other_way_round_when_the_draft_is_the_less_processed_product():
    coated = published("flat.coated.organic", "2300", "0.01", number="EPD-STEEL-2026-000042")
    messages = found(CheckInput(facts("flat.hrc", gwp="2400", adp="0.01"), (coated,)), "P16")
    assert len(messages) == 1 and "EPD-STEEL-2026-000042" in messages[0] and "processed further" in messages[0]
    assert found(CheckInput(facts("flat.hrc", gwp="2200", adp="0.01"), (coated,)), "P16") == []


def test_p16_compares_with_the_extreme_of_each_side_once():
    lower = (published("flat.hrc", "2100", "0.01", number="A"), published("flat.hrc", "2500", "0.01", number="B"))
    messages = found(CheckInput(facts("flat.coated.metallic", gwp="2300", adp="0.2"), lower), "P16")
    assert len(messages) == 1 and " B " in messages[0] and "2500" in messages[0]


def test_p16_and_p17_compare_per_tonne_whatever_the_declared_unit():
    hrc_per_kg = published("flat.hrc", "2.5", "0.00001", declared_unit="1 kg")
    subject = CheckInput(facts("flat.coated.metallic", gwp="2400", adp="0.009"), (hrc_per_kg,))
    assert found(subject, "P16") and found(subject, "P17")
    subject = CheckInput(facts("flat.coated.metallic", gwp="2600", adp="0.011"), (hrc_per_kg,))
    assert found(subject, "P16") == [] and found(subject, "P17") == []


def test_p16_does_not_order_metallic_and_organic_coatings():
    organic = published("flat.coated.organic", "2000", "0.01")
    subject = CheckInput(facts("flat.coated.metallic", gwp="2400", adp="0.2"), (organic,))
    assert found(subject, "P16") == []
    assert outcome(subject, "P16").ran is False


def test_p17_warns_when_a_metallic_coating_adds_no_minerals_and_metals():
    hrc = published("flat.hrc", "2000", "0.012")
    assert found(CheckInput(facts("flat.coated.metallic", gwp="2400", adp="0.012"), (hrc,)), "P17")
    assert found(CheckInput(facts("flat.coated.metallic", gwp="2400", adp="0.05"), (hrc,)), "P17") == []


def test_p17_warns_when_the_uncoated_draft_is_not_below_the_published_coated_product():
    coated = published("flat.coated.metallic", "2600", "0.01")
    assert found(CheckInput(facts("flat.crc", gwp="2400", adp="0.02"), (coated,)), "P17")
    assert found(CheckInput(facts("flat.crc", gwp="2400", adp="0.002"), (coated,)), "P17") == []


def test_p17_leaves_organic_coatings_alone():
    hrc = published("flat.hrc", "2000", "0.012")
    subject = CheckInput(facts("flat.coated.organic", gwp="2400", adp="0.001"), (hrc,))
    assert found(subject, "P17") == []
    assert outcome(subject, "P17").ran is False and "metallic-coated" in outcome(subject, "P17").reason


def test_what_each_category_compares_with():
    assert compares_with("flat.hrc") == {"flat.crc", "flat.coated.metallic", "flat.coated.organic"}
    assert compares_with("flat.coated.metallic") == {"flat.hrc", "flat.crc"}
    assert compares_with("flat.coated.organic") == {"flat.hrc", "flat.crc"}
    assert compares_with("long.rebar") == set()


def test_checks_that_did_not_run_say_why():
    rebar = check_all(CheckInput(facts("long.rebar", gwp="2000", adp="0.01")))
    reasons = {c.id: c.reason for c in rebar.checks if not c.ran}
    assert set(reasons) == {"P3", "P12", "P15", "P16", "P17", "P19", "P20", "P22", "P23"}
    assert "stainless" in reasons["P3"] and "verifier" in reasons["P23"]

    stainless = check_all(CheckInput(facts("stainless.flat", gwp="3000", adp="0.05", route="scrap_eaf")))
    assert {c.id for c in stainless.checks if not c.ran} >= {"P2"} and "P3" in {c.id for c in stainless.ran}

    coil = check_all(CheckInput(facts("flat.crc", gwp="2400", adp="0.01", renewable_electricity_claim=True)))
    assert "P12" in {c.id for c in coil.ran}
    assert next(c for c in coil.checks if c.id == "P16").reason == "no published EPD of yours (same route) to compare with yet"
