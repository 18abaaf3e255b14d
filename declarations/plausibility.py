"""The steel plausibility checks that run beside the validator (reference/steel.md §6), on a draft and
in the automated checks after submission alike (see checks.py).

P5, P7-P12 and P14-P17 are warnings: they do not block, but the verifier must acknowledge each.
Thresholds come from thresholds.py. P16 and P17 compare with the producer's own published EPDs, which
checks.py reads in one query and passes in; everything here is pure.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.utils.translation import gettext as _

from . import catalogue, thresholds
from .validation import WARNING, Check, DeclarationFacts, Finding, Matrix, ResultCell, declared_mass_kg

A1A3 = "A1-A3"


def _per_tonne_factor(facts: DeclarationFacts) -> Decimal | None:
    mass = declared_mass_kg(facts.declared_unit)
    return None if not mass else Decimal(1000) / mass


def _pct(value: Decimal) -> str:
    return f"{value * 100:.0f} %"


def check_gwp_composition(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P5: steel has almost no biogenic carbon: GWP in A1-A3 is nearly all fossil."""
    total = matrix.product_stage("GWP-total")
    fossil = matrix.product_stage("GWP-fossil")
    biogenic = matrix.product_stage("GWP-biogenic")
    luluc = matrix.product_stage("GWP-luluc")
    if not total or total <= 0 or fossil is None or biogenic is None or luluc is None:
        return []
    findings = []
    if fossil / total < thresholds.GWP_FOSSIL_MIN_SHARE:
        findings.append(
            Finding(
                WARNING,
                "P5",
                _("GWP-fossil is only %(share)s of GWP-total in A1-A3; for steel it is normally above 90 %%.")
                % {"share": _pct(fossil / total)},
                indicator="GWP-fossil",
                module=A1A3,
            )
        )
    other = (abs(biogenic) + abs(luluc)) / total
    if other > thresholds.GWP_BIOGENIC_PLUS_LULUC_MAX_SHARE:
        findings.append(
            Finding(
                WARNING,
                "P5",
                _(
                    "GWP-biogenic and GWP-luluc together are %(share)s of GWP-total in A1-A3; steel contains no biogenic "
                    "carbon, so more than 10 %% needs an explanation."
                )
                % {"share": _pct(other)},
                indicator="GWP-biogenic",
                module=A1A3,
            )
        )
    return findings


def check_adp_fossil_vs_penrt(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P7: ADP-fossil and PENRT both count fossil energy and should be close."""
    factor = _per_tonne_factor(facts)
    findings = []
    for module in facts.declared_modules:
        adp, penrt = matrix.value("ADP-fossil", module), matrix.value("PENRT", module)
        if adp is None or penrt is None or factor is None or abs(penrt) * factor <= thresholds.ADP_FOSSIL_VS_PENRT_MIN_PENRT:
            continue
        difference = abs(adp - penrt) / abs(penrt)
        if difference > thresholds.ADP_FOSSIL_VS_PENRT_MAX_DIFF:
            findings.append(
                Finding(
                    WARNING,
                    "P7",
                    _(
                        "In module %(module)s, ADP-fossil (%(adp)s MJ) and PENRT (%(penrt)s MJ) differ by %(diff)s; both count "
                        "fossil energy and usually agree within 20 %%."
                    )
                    % {"module": module, "adp": f"{adp:.4g}", "penrt": f"{penrt:.4g}", "diff": _pct(difference)},
                    indicator="ADP-fossil",
                    module=module,
                )
            )
    return findings


def check_carbon_intensity(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P8: kg CO2 eq. per MJ of non-renewable energy in A1-A3 (coal ≈ 0.095, gas ≈ 0.056)."""
    fossil, penrt = matrix.product_stage("GWP-fossil"), matrix.product_stage("PENRT")
    if fossil is None or not penrt or penrt <= 0:
        return []
    intensity = fossil / penrt
    low, high = thresholds.CARBON_INTENSITY_BAND
    if low <= intensity <= high:
        return []
    return [
        Finding(
            WARNING,
            "P8",
            _(
                "GWP-fossil per MJ of non-renewable primary energy in A1-A3 is %(value)s kg CO2 eq./MJ, outside %(low)s-%(high)s "
                "(coal ≈ 0.095, natural gas ≈ 0.056). Check the energy figures."
            )
            % {"value": f"{intensity:.3f}", "low": low, "high": high},
            indicator="PENRT",
            module=A1A3,
        )
    ]


def _end_of_life_recovered(matrix: Matrix) -> Decimal | None:
    mfr = matrix.value("MFR", "C3")
    if mfr is None:
        return None
    cru = sum((matrix.value("CRU", m) or Decimal(0) for m in ("C1", "C2", "C3", "C4")), Decimal(0))
    return mfr + cru


def check_module_d_net_scrap(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P9: module D credits only net scrap (scrap out at end of life minus scrap in)."""
    recovered, scrap_in, d_gwp = _end_of_life_recovered(matrix), matrix.product_stage("SM"), matrix.value("GWP-total", "D")
    if recovered is None or scrap_in is None or d_gwp is None:
        return []
    net = recovered - scrap_in
    if net <= 0 and d_gwp < 0:
        return [
            Finding(
                WARNING,
                "P9",
                _(
                    "Module D shows a credit (%(d)s kg CO2 eq.) although net scrap is %(net)s kg (more scrap goes in than comes "
                    "out at end of life). EN 15804 credits only net flows."
                )
                % {"d": f"{d_gwp:.4g}", "net": f"{net:.4g}"},
                indicator="GWP-total",
                module="D",
            )
        ]
    if net > 0 and d_gwp < -thresholds.MODULE_D_MAX_CREDIT_PER_KG_NET_SCRAP * net:
        return [
            Finding(
                WARNING,
                "P9",
                _("Module D credit (%(d)s kg CO2 eq.) is more than 2 kg CO2 eq. per kg of net scrap (%(net)s kg).")
                % {"d": f"{d_gwp:.4g}", "net": f"{net:.4g}"},
                indicator="GWP-total",
                module="D",
            )
        ]
    return []


def check_end_of_life_mass_balance(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P10: recycled + reused + disposed at end of life ≈ the declared mass."""
    recovered, mass = _end_of_life_recovered(matrix), declared_mass_kg(facts.declared_unit)
    disposed = sum((matrix.value(code, "C4") or Decimal(0) for code in ("NHWD", "HWD")), Decimal(0))
    if recovered is None or not mass:
        return []
    balance = recovered + disposed
    if abs(balance - mass) / mass <= thresholds.EOL_MASS_BALANCE_TOLERANCE:
        return []
    return [
        Finding(
            WARNING,
            "P10",
            _(
                "At end of life, materials for recycling (MFR in C3, %(mfr)s kg), reuse (CRU) and waste disposed in C4 "
                "add up to %(sum)s kg, not the declared %(mass)s kg (more than 5 %% apart). Check the end-of-life scenario."
            )
            % {"mfr": f"{matrix.value('MFR', 'C3'):.4g}", "sum": f"{balance:.4g}", "mass": f"{mass:.4g}"},
            indicator="MFR",
            module="C3",
        )
    ]


def check_route_inventory(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P11: secondary material and recycled content must match the production route."""
    factor = _per_tonne_factor(facts)
    scrap = matrix.product_stage("SM")
    sm_per_t = scrap * factor if scrap is not None and factor else None
    recycled = facts.recycled_content
    findings = []
    if facts.production_route == "scrap_eaf" and (
        (sm_per_t is not None and sm_per_t < thresholds.SCRAP_EAF_MIN_SM)
        or (recycled is not None and recycled < thresholds.SCRAP_EAF_MIN_RECYCLED)
    ):
        findings.append(
            Finding(
                WARNING,
                "P11",
                _(
                    "The route is scrap EAF but secondary material is %(sm)s kg per tonne and recycled content %(rc)s %%; "
                    "a scrap EAF normally uses at least 600 kg of scrap and declares at least 60 %% recycled content."
                )
                % {"sm": f"{sm_per_t:.0f}" if sm_per_t is not None else "?", "rc": recycled if recycled is not None else "?"},
                field="production_route",
                indicator="SM",
                module=A1A3,
            )
        )
    if facts.production_route == "bf_bof" and (
        (sm_per_t is not None and sm_per_t > thresholds.BF_BOF_MAX_SM)
        or (recycled is not None and recycled > thresholds.BF_BOF_MAX_RECYCLED)
    ):
        findings.append(
            Finding(
                WARNING,
                "P11",
                _(
                    "The route is BF-BOF but secondary material is %(sm)s kg per tonne and recycled content %(rc)s %%; "
                    "a converter takes about 10-25 %% scrap. Is the route right?"
                )
                % {"sm": f"{sm_per_t:.0f}" if sm_per_t is not None else "?", "rc": recycled if recycled is not None else "?"},
                field="production_route",
                indicator="SM",
                module=A1A3,
            )
        )
    return findings


def check_renewable_claim(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P12: a renewable-electricity claim must show as renewable energy in the inventory."""
    if not facts.renewable_electricity_claim:
        return []
    pere, penre = matrix.product_stage("PERE"), matrix.product_stage("PENRE")
    if pere is None or penre is None or pere + penre <= 0:
        return []
    share = pere / (pere + penre)
    if share >= thresholds.RENEWABLE_CLAIM_MIN_PERE_SHARE:
        return []
    return [
        Finding(
            WARNING,
            "P12",
            _(
                "The product claims renewable electricity, but renewable primary energy (PERE) is only %(share)s of the energy "
                "used in A1-A3. Market-based claims must show in the inventory."
            )
            % {"share": _pct(share)},
            field="renewable_electricity_claim",
            indicator="PERE",
            module=A1A3,
        )
    ]


def check_small_modules(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P14: demolition, transport, sorting and landfill of steel are small."""
    factor = _per_tonne_factor(facts)
    findings = []
    for module, limit in thresholds.SMALL_MODULE_MAX_GWP.items():
        value = matrix.value("GWP-total", module)
        if value is None or factor is None or value * factor <= limit:
            continue
        findings.append(
            Finding(
                WARNING,
                "P14",
                _("GWP-total in module %(module)s is %(value)s kg CO2 eq. per tonne; for steel it is normally below %(limit)s.")
                % {"module": module, "value": f"{value * factor:.4g}", "limit": limit},
                indicator="GWP-total",
                module=module,
            )
        )
    return findings


def check_transport(facts: DeclarationFacts, matrix: Matrix) -> list[Finding]:
    """P15: road freight emits about 0.06-0.11 kg CO2 eq. per tonne-kilometre."""
    mass = declared_mass_kg(facts.declared_unit)
    findings = []
    for module in ("A4", "C2"):
        value, km = matrix.value("GWP-total", module), facts.transport_km.get(module)
        if value is None or not km or not mass:
            continue
        per_tkm = value / (mass / Decimal(1000)) / km
        if per_tkm > thresholds.TRANSPORT_MAX_GWP_PER_TKM:
            findings.append(
                Finding(
                    WARNING,
                    "P15",
                    _(
                        "Transport in module %(module)s emits %(value)s kg CO2 eq. per tonne-kilometre over %(km)s km; a truck "
                        "emits about 0.06-0.11."
                    )
                    % {"module": module, "value": f"{per_tkm:.3f}", "km": km},
                    indicator="GWP-total",
                    module=module,
                )
            )
    return findings


# P16: processing only adds burden: hot-rolled coil is cold-rolled, cold-rolled (or hot-rolled) strip is coated.
PROCESSING_STEP = {"flat.hrc": 0, "flat.crc": 1, "flat.coated.metallic": 2, "flat.coated.organic": 2}
# P17: zinc (Z, ZM, AZ, EG) dominates ADP-minerals&metals, so a metallic-coated product lies above the uncoated.
METALLIC_COATED = frozenset({"flat.coated.metallic"})
UNCOATED = frozenset({"flat.hrc", "flat.crc"})
ADP_MM = "ADP-minerals&metals"


@dataclass(frozen=True)
class PublishedProduct:
    """One of the producer's published EPDs (same route) as P16 and P17 see it: A1-A3 values per tonne."""

    registration_number: str
    product_name: str
    category: str
    gwp_per_t: Decimal | None
    adp_mm_per_t: Decimal | None

    @classmethod
    def from_cells(
        cls, *, registration_number: str, product_name: str, category: str, declared_unit: str, cells: Iterable[ResultCell]
    ) -> "PublishedProduct":
        matrix, mass = Matrix(cells), declared_mass_kg(declared_unit)

        def per_tonne(code: str) -> Decimal | None:
            value = matrix.product_stage(code)
            return None if value is None or not mass else value * Decimal(1000) / mass

        return cls(registration_number, product_name, category, per_tonne("GWP-total"), per_tonne(ADP_MM))

    @property
    def label(self) -> str:
        return f"{catalogue.category_label(self.category)} {self.registration_number} “{self.product_name}”"


def ordering_compares_with(category: str) -> frozenset[str]:
    """P16: the categories a product of this category is ordered against (the other processing steps)."""
    if category not in PROCESSING_STEP:
        return frozenset()
    return frozenset(c for c, step in PROCESSING_STEP.items() if step != PROCESSING_STEP[category])


def coating_compares_with(category: str) -> frozenset[str]:
    """P17: metallic-coated against uncoated flat steel, and the other way round."""
    return UNCOATED if category in METALLIC_COATED else METALLIC_COATED if category in UNCOATED else frozenset()


def compares_with(category: str) -> frozenset[str]:
    """The categories of published EPDs that P16 or P17 compare a product of this category with."""
    return ordering_compares_with(category) | coating_compares_with(category)


def _product_stage_per_tonne(facts: DeclarationFacts, matrix: Matrix, code: str) -> Decimal | None:
    value, factor = matrix.product_stage(code), _per_tonne_factor(facts)
    return None if value is None or factor is None else value * factor


def _comparison(
    check: str, message: str, facts: DeclarationFacts, value: str, other: PublishedProduct, other_value: str, **where
) -> Finding:
    shown = {"category": catalogue.category_label(facts.category), "value": value, "other": other.label, "other_value": other_value}
    return Finding(WARNING, check, message % shown, module=A1A3, **where)


def check_product_ordering(facts: DeclarationFacts, matrix: Matrix, *, published: Sequence[PublishedProduct]) -> list[Finding]:
    """P16: a more processed product (CRC over HRC, coated over uncoated) of the same producer and route
    does not emit less in A1-A3 than the product it is made from."""
    step, gwp = PROCESSING_STEP.get(facts.category), _product_stage_per_tonne(facts, matrix, "GWP-total")
    if step is None or gwp is None:
        return []
    compared = [p for p in published if p.category in PROCESSING_STEP and p.gwp_per_t is not None]
    less_processed = [p for p in compared if PROCESSING_STEP[p.category] < step]
    more_processed = [p for p in compared if PROCESSING_STEP[p.category] > step]
    findings = []
    if less_processed:
        other = max(less_processed, key=lambda p: p.gwp_per_t)
        if gwp < other.gwp_per_t:
            message = _(
                "GWP-total in A1-A3 of this %(category)s is %(value)s kg CO2 eq. per tonne, less than the %(other_value)s of "
                "your published %(other)s from the same route. Cold rolling and coating only add to the burden of the steel "
                "they start from."
            )
            findings.append(_comparison("P16", message, facts, f"{gwp:.0f}", other, f"{other.gwp_per_t:.0f}", indicator="GWP-total"))
    if more_processed:
        other = min(more_processed, key=lambda p: p.gwp_per_t)
        if gwp > other.gwp_per_t:
            message = _(
                "GWP-total in A1-A3 of this %(category)s is %(value)s kg CO2 eq. per tonne, more than the %(other_value)s of "
                "your published %(other)s from the same route, which is processed further. Cold rolling and coating only add "
                "to the burden of the steel they start from."
            )
            findings.append(_comparison("P16", message, facts, f"{gwp:.0f}", other, f"{other.gwp_per_t:.0f}", indicator="GWP-total"))
    return findings


def check_coating_adp(facts: DeclarationFacts, matrix: Matrix, *, published: Sequence[PublishedProduct]) -> list[Finding]:
    """P17: a zinc or zinc-alloy coating raises ADP-minerals&metals above the producer's uncoated steel."""
    adp = _product_stage_per_tonne(facts, matrix, ADP_MM)
    compared = [p for p in published if p.category in coating_compares_with(facts.category) and p.adp_mm_per_t is not None]
    if adp is None or not compared:
        return []
    if facts.category in METALLIC_COATED:
        other = max(compared, key=lambda p: p.adp_mm_per_t)
        if adp > other.adp_mm_per_t:
            return []
        message = _(
            "ADP-minerals&metals in A1-A3 of this %(category)s is %(value)s kg Sb eq. per tonne, not above the %(other_value)s of "
            "your published %(other)s from the same route. The zinc of a metallic coating normally raises it well above the "
            "uncoated steel."
        )
    else:
        other = min(compared, key=lambda p: p.adp_mm_per_t)
        if other.adp_mm_per_t > adp:
            return []
        message = _(
            "ADP-minerals&metals in A1-A3 of this %(category)s is %(value)s kg Sb eq. per tonne, not below the %(other_value)s of "
            "your published %(other)s from the same route, which is metallic coated. The zinc of a metallic coating normally "
            "raises it well above the uncoated steel."
        )
    return [_comparison("P17", message, facts, f"{adp:.3g}", other, f"{other.adp_mm_per_t:.3g}", indicator=ADP_MM)]


def comparison_checks(published: Sequence[PublishedProduct]) -> list[Check]:
    """P16 and P17 against the producer's published EPDs of the same route (checks.py reads them)."""
    return [partial(check_product_ordering, published=published), partial(check_coating_adp, published=published)]


PLAUSIBILITY_CHECKS = [
    check_gwp_composition,
    check_adp_fossil_vs_penrt,
    check_carbon_intensity,
    check_module_d_net_scrap,
    check_end_of_life_mass_balance,
    check_route_inventory,
    check_renewable_claim,
    check_small_modules,
    check_transport,
]
