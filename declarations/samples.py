"""Plausible EN 15804+A2 results for a tonne of steel, for demo data, tests and benchmarks.

The numbers follow reference/steel.md (§4 GWP by route, §5 scrap and end of life, §6 the
plausibility table) so that a generated declaration passes every check unless told otherwise.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from . import catalogue

# Secondary material (kg scrap per tonne) and recycled content (%) per route, steel.md §5 and P11.
ROUTE_SCRAP = {"bf_bof": (120, 220, 10, 22), "scrap_eaf": (1020, 1120, 85, 99), "dri_eaf": (200, 380, 20, 38), "mixed": (420, 620, 40, 60)}
# Carbon intensity of the energy used, kg CO2 eq. per MJ (P8 band 0.03-0.15).
ROUTE_CARBON_INTENSITY = {"bf_bof": 0.092, "scrap_eaf": 0.075, "dri_eaf": 0.062, "mixed": 0.085}
# Typical A1-A3 GWP-total per route (kg CO2 eq./t), steel.md §4 rules of thumb.
ROUTE_GWP = {"bf_bof": (1800, 3100), "scrap_eaf": (300, 1000), "dri_eaf": (1000, 2000), "mixed": (900, 2000)}
STAINLESS_GWP = (1800, 4500)


def sig(value: float, digits: int = 4) -> Decimal:
    """Round to significant digits, as EPD tables print them."""
    if value == 0:
        return Decimal(0)
    return Decimal(f"{value:.{digits}g}")


@dataclass
class SampleResults:
    results: dict[str, dict[str, Decimal]]
    declared_modules: list[str]
    recycled_content: Decimal
    gwp_a1a3: Decimal

    def cells(self):
        from .validation import ResultCell

        return [ResultCell(code, module, value) for code, row in self.results.items() for module, value in row.items()]


def plausible_results(
    route: str,
    category: str = "long.rebar",
    *,
    rng: random.Random | None = None,
    gwp_a1a3: float | None = None,
    renewable: bool = False,
    with_a4: bool = False,
    optional_indicators: bool = False,
) -> SampleResults:
    """A complete, consistent results matrix for one tonne of product."""
    rng = rng or random.Random(0)
    stainless = catalogue.CATEGORY_BY_CODE[category].stainless
    coated = category.startswith("flat.coated")
    if gwp_a1a3 is None:
        low, high = STAINLESS_GWP if stainless else ROUTE_GWP[route]
        gwp_a1a3 = rng.uniform(low, high) + (rng.uniform(100, 400) if coated else 0)
    sm_low, sm_high, rc_low, rc_high = ROUTE_SCRAP[route]
    sm = rng.uniform(sm_low, sm_high)
    recycled = Decimal(f"{rng.uniform(rc_low, rc_high):.1f}")
    intensity = ROUTE_CARBON_INTENSITY[route] * rng.uniform(0.9, 1.1)

    modules = ["A1-A3", *(["A4"] if with_a4 else []), "C1", "C2", "C3", "C4", "D"]
    eol_recycled, eol_reused = rng.uniform(0.88, 0.96), 0.0
    if category.startswith("long.sections"):
        eol_recycled, eol_reused = rng.uniform(0.85, 0.9), rng.uniform(0.03, 0.08)
    landfill = 1.0 - eol_recycled - eol_reused
    net_scrap = 1000 * (eol_recycled + eol_reused) - sm
    # Module D: a credit on net scrap (≈1.5 kg CO2 eq./kg, steel.md §5), a small load when net scrap < 0.
    d_gwp = -1.5 * net_scrap * rng.uniform(0.85, 1.0) if net_scrap > 0 else 0.4 * -net_scrap
    gwp = {
        "A1-A3": gwp_a1a3,
        "A4": 0.07 * 300,
        "C1": rng.uniform(3, 9),
        "C2": 0.08 * 100 * rng.uniform(0.8, 1.2),
        "C3": rng.uniform(0.5, 3),
        "C4": rng.uniform(0.2, 1.5),
        "D": d_gwp,
    }
    transport_energy = {"A4": 300.0, "C2": 120.0}

    results: dict[str, dict[str, Decimal]] = {code: {} for code in catalogue.indicators()}
    for module in modules:
        g = gwp[module]
        fossil = sig(g * 0.985)
        biogenic = sig(g * 0.01, 3)
        luluc = sig(g * 0.005, 3)
        results["GWP-fossil"][module] = fossil
        results["GWP-biogenic"][module] = biogenic
        results["GWP-luluc"][module] = luluc
        results["GWP-total"][module] = fossil + biogenic + luluc
        results["GWP-GHG"][module] = fossil + luluc
        penrt = abs(g) / intensity if module in ("A1-A3", "D") else transport_energy.get(module, abs(g) * 13)
        penrm = sig(penrt * 0.004, 3)
        penre = sig(penrt - float(penrm))
        pere = sig(penrt * (0.25 if renewable and module == "A1-A3" else 0.05))
        sign = -1 if module == "D" and g < 0 else 1
        results["PENRE"][module] = sign * penre
        results["PENRM"][module] = sign * penrm
        results["PENRT"][module] = sign * (penre + penrm)
        results["PERE"][module] = sign * pere
        results["PERM"][module] = Decimal(0)
        results["PERT"][module] = sign * pere
        results["ADP-fossil"][module] = sign * sig(float(penre + penrm) * 0.99)
        scale = g / 1000
        results["ODP"][module] = sig(scale * 2.1e-8, 3)
        results["AP"][module] = sig(scale * 5.2, 3)
        results["EP-freshwater"][module] = sig(scale * 0.0021, 3)
        results["EP-marine"][module] = sig(scale * 1.15, 3)
        results["EP-terrestrial"][module] = sig(scale * 12.4, 3)
        results["POCP"][module] = sig(scale * 4.1, 3)
        results["ADP-minerals&metals"][module] = sig(scale * (0.05 if coated else 0.004) * (6 if stainless else 1), 3)
        results["WDP"][module] = sig(scale * 18, 3)
        results["FW"][module] = sig(scale * 2.6, 3)
        results["RSF"][module] = Decimal(0)
        results["NRSF"][module] = Decimal(0)
        results["HWD"][module] = sig(abs(scale) * 0.35, 3)
        results["NHWD"][module] = sig(abs(scale) * 45, 3)
        results["RWD"][module] = sig(abs(scale) * 0.021, 3)
        results["SM"][module] = Decimal(0)
        results["CRU"][module] = Decimal(0)
        results["MFR"][module] = Decimal(0)
        results["MER"][module] = Decimal(0)
        results["EEE"][module] = Decimal(0)
        results["EET"][module] = Decimal(0)
        if optional_indicators:
            results["PM"][module] = sig(scale * 9.5e-5, 3)
            results["IRP"][module] = sig(scale * 48, 3)
            results["ETP-fw"][module] = sig(scale * 2400, 3)
            results["HTP-c"][module] = sig(scale * 2.2e-6, 3)
            results["HTP-nc"][module] = sig(scale * 3.5e-5, 3)
            results["SQP"][module] = sig(scale * 1100, 3)
    results["SM"]["A1-A3"] = sig(sm)
    results["MFR"]["A1-A3"] = sig(rng.uniform(15, 60), 3)
    results["EEE"]["A1-A3"] = sig(rng.uniform(0, 120), 3) if route == "bf_bof" else Decimal(0)
    results["MFR"]["C3"] = sig(1000 * eol_recycled)
    results["CRU"]["C3"] = sig(1000 * eol_reused)
    results["NHWD"]["C4"] = sig(1000 * landfill)
    results = {code: row for code, row in results.items() if row}
    return SampleResults(results, modules, recycled, results["GWP-total"]["A1-A3"])


def minimal_pdf(text: str = "LCA project report") -> bytes:
    """A small, valid one-page PDF: demo LCA reports and test uploads."""
    stream = b"BT /F1 12 Tf 72 760 Td (" + text.encode("latin-1", "replace") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def sample_document(
    route: str = "bf_bof",
    category: str = "flat.hrc",
    *,
    seed: int = 0,
    registration_number: str = "EPD-STEEL-2026-000123",
    version: int = 1,
) -> dict:
    """A complete published-EPD document (the platform's full JSON) without touching the database.

    Its shape is the one registry.documents builds from a real declaration: Declaration.as_document()
    plus the publication block (registration number, version, dates, verification, links).
    """
    rng = random.Random(seed)
    sample = plausible_results(route, category, rng=rng, optional_indicators=True)
    site = "http://127.0.0.1:8000"
    return {
        "registration_number": registration_number,
        "version": version,
        "issued": "2026-11-24",
        "valid_until": "2031-11-23",
        "programme_operator": dict(settings.PROGRAMME_OPERATOR),  # as registry.documents.build_document takes it
        "product": {
            "name": "Hot-rolled coil S355MC",
            "name_zh": "热轧卷板 S355MC",
            "description": "Hot-rolled steel strip for cold forming, 1.5-25 mm, for structural and automotive parts.",
            "category": category,
            "standards": ["EN 10149-2", "GB/T 3274"],
            "grades": ["S355MC", "Q355B"],
            "production_route": route,
            "recycled_content_percent": str(sample.recycled_content),
        },
        "manufacturer": {
            "name": "Huadong Iron & Steel Co.",
            "name_zh": "华东钢铁股份有限公司",
            "country": "CN",
            "city": "Shanghai",
            "address": "1 Steel Road, Baoshan District, Shanghai",
            "website": "https://huadong-steel.example",
        },
        "plants": [{"name": "Baoshan works", "country": "CN", "city": "Shanghai", "olc": "8Q33CF4Q+QR"}],
        "lca": {
            "declared_unit": "1 t",
            "declared_unit_mass_kg": "1000",
            "pcr": {
                "code": "en17662",
                "name": "EN 17662:2021 steel and aluminium structural products (c-PCR to EN 15804+A2)",
                "version": "2021",
                "programme": "CEN",
                "core_standard": "EN 15804:2012+A2:2019",
                "registration_id": "EN 17662:2021",
                "url": "",
                "openepd_id": "",
            },
            "software": "LCA for Experts 10.7",
            "background_database": "Sphera MLC 2024.1",
            "characterisation_method": "EF 3.1",
            "reference_year": 2025,
            "data_period": ["2025-01-01", "2025-12-31"],
            "declared_modules": sample.declared_modules,
            "scenarios": {
                "C1": "Demolition with hydraulic shears",
                "C2": {"description": "Truck, 100 km to the scrap yard", "distance_km": 100},
                "C3": "95 % recycled via scrap sorting",
                "C4": "5 % landfilled",
                "D": "Net scrap credited with worldsteel value of scrap",
            },
            "allocation": "Co-products (BF gas, slag) by system expansion per EN 15804+A2 and worldsteel methodology.",
            "cut_off": "1 % per unit process, 5 % per module in total.",
            "data_quality": "Plant data 2025, one-year average; background data Sphera 2024.1.",
            "practitioner": "GreenLCA Consulting Ltd.",
            "renewable_electricity_claim": False,
            "biogenic_carbon_kg_c": {"product": "0", "packaging": "0.8"},
        },
        "results": {code: {m: format(v.normalize(), "f") for m, v in row.items()} for code, row in sample.results.items()},
        "verification": {
            "type": "external",
            "verifier": "Vera Verifier",
            "body": "Veritas Certification GmbH",
            "body_website": "https://veritas-certification.example",
            "accreditation": "DAkkS D-ZE-12345-01-00",
            "date": "2026-11-20",
            "follow_up": False,
            "statement": "I hereby confirm that, following detailed examination, I have not established any relevant "
            "deviations by the EPD from the requirements of EN 15804+A2 and the PCR.",
        },
        "supersedes": None,
        "links": {
            "registry": f"{site}/epds/{registration_number}/",
            "pdf": f"{site}/api/v1/epds/{registration_number}/document.pdf",
            "openepd": f"{site}/api/v1/epds/{registration_number}/openepd.json",
            "json": f"{site}/api/v1/epds/{registration_number}/epd.json",
        },
    }
