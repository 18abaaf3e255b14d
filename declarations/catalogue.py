"""The EN 15804+A2 indicator and module catalogue, loaded from reference/en15804_a2.json.

The JSON is a verbatim copy of the project's domain reference; nothing here retypes it.
Steel product categories and production routes follow reference/steel.md §2 and §3.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_zh: str
    category: str  # core impact, additional impact, resource use, waste, output flow
    unit: str
    mandatory: bool
    openepd_key: str | None
    ilcd_uuid_ef30: str | None
    ilcd_uuid_ef31: str | None
    ilcd_name: str | None
    ilcd_unit: str | None
    # The reference mixes unit spellings ("kg CFC11 eq.") and label spellings ("ADPE") in one list.
    aliases: tuple[str, ...]
    disclaimer: str | None


@dataclass(frozen=True)
class Module:
    code: str
    name: str
    name_zh: str
    stage: str
    stage_zh: str


@cache
def _reference() -> dict:
    return json.loads((REFERENCE_DIR / "en15804_a2.json").read_text(encoding="utf-8"))


@cache
def _names_zh() -> dict:
    return json.loads((REFERENCE_DIR / "names_zh.json").read_text(encoding="utf-8"))


@cache
def indicators() -> dict[str, Indicator]:
    """Every indicator by code, in the reference's order, plus GWP-GHG from the additional declarations."""
    zh = _names_zh()["indicators"]
    result: dict[str, Indicator] = {}
    rows = list(_reference()["indicators"])
    rows += [dict(row, category="additional impact") for row in _reference()["additional_declarations"] if row["code"] == "GWP-GHG"]
    for row in rows:
        if row["code"] == "GWP-GHG":
            row = _with_gwp_ghg_master_data(row)
        aliases = tuple(row.get("aliases", ()))
        result[row["code"]] = Indicator(
            code=row["code"],
            name=row["name"],
            name_zh=zh.get(row["code"], row["name"]),
            category=row["category"],
            unit=row["unit"],
            mandatory=bool(row["mandatory"]),
            openepd_key=row.get("openepd_key") or ("GWP_GHG" if row["code"] == "GWP-GHG" else None),
            ilcd_uuid_ef30=row.get("ilcd_uuid_ef30"),
            ilcd_uuid_ef31=row.get("ilcd_uuid_ef31"),
            ilcd_name=row.get("ilcd_name"),
            ilcd_unit=row.get("ilcd_unit"),
            aliases=aliases,
            disclaimer=row.get("disclaimer"),
        )
    return result


def _with_gwp_ghg_master_data(row: dict) -> dict:
    """GWP-GHG is not in en15804_a2.json's ILCD columns; the ILCD+EPD master data has it as "GWP-IOBC/GHG"."""
    from . import ilcd_master

    ef30, ef31 = ilcd_master.gwp_ghg("EF 3.0"), ilcd_master.gwp_ghg("EF 3.1")
    if ef30 is None:
        return row
    return dict(row, ilcd_uuid_ef30=ef30.uuid, ilcd_uuid_ef31=ef31.uuid if ef31 else None, ilcd_name=ef30.name, ilcd_unit=ef30.unit)


@cache
def modules() -> dict[str, Module]:
    zh = _names_zh()
    return {
        row["code"]: Module(
            code=row["code"],
            name=row["name"],
            name_zh=zh["modules"].get(row["code"], row["name"]),
            stage=row["stage"],
            stage_zh=zh["stages"].get(row["stage"], row["stage"]),
        )
        for row in _reference()["modules"]
    }


@cache
def rules() -> dict:
    return _reference()["rules"]


@cache
def a1_legacy_indicators() -> dict:
    return _reference()["a1_legacy_indicators"]


@cache
def openepd_scope_keys() -> tuple[str, ...]:
    return tuple(_reference()["openepd_scope_keys"])


@cache
def ilcd_compliance_sources() -> dict[str, str]:
    """ILCD+EPD compliance-system source UUIDs by standard ("EN 15804+A2 (EF 3.1)": uuid), from the reference's sources."""
    for source in _reference()["sources"]:
        if source["what"] == "ILCD+EPD compliance source UUIDs":
            pairs = (part.strip().rsplit(" ", 1) for part in source["where"].split(";"))
            return {name: uuid for name, uuid in pairs}
    raise LookupError("reference/en15804_a2.json lists no ILCD+EPD compliance sources")


INDIVIDUAL_PRODUCT_MODULES = ("A1", "A2", "A3")
AGGREGATED_PRODUCT_MODULE = "A1-A3"
# EN 15804+A2 clause 5.2, as the reference states it: steel always declares C1-C4 and D.
MANDATORY_MODULES_BEYOND_GATE = ("C1", "C2", "C3", "C4", "D")


# How real files write the product stage: "A1–A3" (en dash), "A1A2A3" (openEPD), "A1+A2+A3", "A1-3", "A1 to A3".
_MODULE_SPELLINGS = {"A1A2A3": "A1-A3", "A1+A2+A3": "A1-A3", "A1-3": "A1-A3", "A1TOA3": "A1-A3", "A1/A2/A3": "A1-A3"}
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "~": "-"})


def module_code(text: object) -> str | None:
    """The EN 15804 module a heading or attribute names, however it is spelled ("A1–A3", "a1a2a3", "C 1"); None if none."""
    if not isinstance(text, str):
        return None
    key = text.translate(_DASHES).upper().replace(" ", "").replace("\u00a0", "")
    key = _MODULE_SPELLINGS.get(key, key)
    return key if key in modules() else None


EN15804_A2 = "EN 15804+A2"


def standard_name(core_standard: str) -> str:
    """The short name a compliance claim uses: "EN 15804:2012+A2:2019" → "EN 15804+A2", "ISO 21930:2017" stays."""
    text = " ".join((core_standard or "").upper().replace("DIN ", "").split())
    match = re.match(r"EN 15804(?::\d{4})?\s*\+\s*(A\d)", text)
    if match:
        return f"EN 15804+{match.group(1)}"
    return core_standard.strip()


def mandatory_indicator_codes() -> list[str]:
    return [code for code, ind in indicators().items() if ind.mandatory]


def module_codes() -> list[str]:
    return list(modules())


def indicator_by_identity(text: str) -> Indicator | None:
    """Find an indicator by code, ILCD UUID or openEPD key (never by its label: see P22)."""
    needle = text.strip()
    for ind in indicators().values():
        if needle in (ind.code, ind.ilcd_uuid_ef30, ind.ilcd_uuid_ef31) or (ind.openepd_key and needle == ind.openepd_key):
            return ind
    lowered = needle.lower()
    for ind in indicators().values():
        if lowered == ind.code.lower():
            return ind
    return None


def indicator_by_label(text: str) -> Indicator | None:
    lowered = text.strip().lower()
    for ind in indicators().values():
        labels = (ind.name, ind.ilcd_name or "", *ind.aliases)
        if any(lowered == label.lower() for label in labels if label):
            return ind
    return None


class ProductionRoute(models.TextChoices):
    """reference/steel.md §3."""

    BF_BOF = "bf_bof", _("BF-BOF (integrated: blast furnace, basic oxygen furnace)")
    SCRAP_EAF = "scrap_eaf", _("Scrap EAF (electric arc furnace, mostly scrap)")
    DRI_EAF = "dri_eaf", _("DRI-EAF (direct reduced iron, electric arc furnace)")
    MIXED = "mixed", _("Mixed routes")


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_zh: str
    openepd_class: str  # the openEPD / EC3 category (unique name in openepd's Steel spec tree)
    stainless: bool = False
    # openEPD Steel spec flags, set only where the category implies them: fabricated (cut, bent, welded),
    # cold_finished (cold-rolled), galvanized (metallic coating)
    fabricated: bool = False
    cold_finished: bool = False
    galvanized: bool = False


# reference/steel.md §2, one row per category code (the table's "a/b/c" codes are split), each in the
# narrowest openEPD category that holds it. Where §2 offers none ("—"), or only the root "Steel",
# OtherSteel says so ("products that do not fit into a defined subcategory"), rather than the root
# claiming a product that EC3 would then benchmark against every steel EPD. Choices §2 leaves open:
# wire rod is WireMeshSteel (openEPD lists "Wire Rod" among its names), never RebarSteel; merchant bars
# (and stainless bars) are MBQSteel ("Merchant Bar"); fabricated steelwork and reclaimed sections are
# hot-rolled sections, fabricated.
CATEGORIES: tuple[Category, ...] = (
    Category("semi.slab", "Continuously cast slab", "连铸板坯", "CrudeSteel"),
    Category("semi.bloom", "Continuously cast bloom", "连铸大方坯", "CrudeSteel"),
    Category("semi.billet", "Continuously cast billet", "连铸方坯", "CrudeSteel"),
    Category("flat.hrc", "Hot-rolled coil, strip and sheet", "热轧卷板", "CoilSteel"),
    Category("flat.plate", "Heavy plate", "中厚板", "PlateSteel"),
    Category("flat.crc", "Cold-rolled coil and sheet", "冷轧卷板", "CoilSteel", cold_finished=True),
    Category("flat.coated.metallic", "Metallic coated flat steel (Z, ZM, AZ, EG)", "金属镀层板", "CoilSteel", galvanized=True),
    Category("flat.coated.organic", "Organic coated (pre-painted) flat steel", "彩涂板", "CoilSteel"),
    Category("flat.packaging", "Tinplate and ECCS", "镀锡板及镀铬板", "OtherSteel", cold_finished=True),
    Category("flat.electrical", "Electrical steel", "电工钢", "OtherSteel"),
    Category("long.rebar", "Reinforcing bar and coil", "钢筋", "RebarSteel"),
    Category("long.wirerod", "Wire rod", "线材", "WireMeshSteel"),
    Category("long.mesh", "Welded mesh, cut and bent rebar", "钢筋网片及加工钢筋", "WireMeshSteel", fabricated=True),
    Category("long.sections", "Hot-rolled sections and beams", "热轧型钢", "HotRolledSections"),
    Category("long.merchant", "Merchant and engineering bars", "棒材", "MBQSteel"),
    Category("long.sheetpile", "Sheet piles", "钢板桩", "HotRolledSections"),
    Category("long.rail", "Rails", "钢轨", "OtherSteel"),
    Category("tube.shs.hot", "Hot-finished structural hollow sections", "热成型结构空心型材", "HollowSections"),
    Category("tube.shs.cold", "Cold-formed welded hollow sections", "冷成型焊接空心型材", "HollowSections"),
    Category("tube.welded", "Welded tubes (ERW)", "焊接钢管", "OtherSteel"),
    Category("tube.seamless", "Seamless tubes", "无缝钢管", "OtherSteel"),
    Category("tube.spiral", "Spiral-welded pipe", "螺旋焊管", "OtherSteel"),
    Category("prestressing", "Prestressing strand, wire and bars", "预应力钢材", "PostTensioningSteel"),
    Category("coldformed", "Cold-formed profiles, purlins and decking", "冷弯型钢", "ColdFormedSteel"),
    Category("stainless.flat", "Stainless flat products", "不锈钢板材", "CoilSteel", stainless=True),
    Category("stainless.long", "Stainless long products", "不锈钢长材", "MBQSteel", stainless=True),
    Category("stainless.rebar", "Stainless reinforcing bar", "不锈钢钢筋", "RebarSteel", stainless=True),
    Category("stainless.tube", "Stainless hollow sections and tubes", "不锈钢管材", "HollowSections", stainless=True),
    Category("fabricated", "Fabricated structural steelwork (EN 1090)", "钢结构制品", "HotRolledSections", fabricated=True),
    Category("reused", "Reclaimed and refabricated sections", "再利用型钢", "HotRolledSections", fabricated=True),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}
CATEGORY_CHOICES = [(c.code, c.name) for c in CATEGORIES]


def chinese_active() -> bool:
    return (get_language() or "").startswith("zh")


# The first part of a category code names a group that a search may ask for as a whole ("flat").
CATEGORY_GROUP_NAMES = {
    "semi": ("All semi-finished products", "全部半成品"),
    "flat": ("All flat products", "全部板材"),
    "long": ("All long products", "全部长材"),
    "tube": ("All tubes and hollow sections", "全部管材及空心型材"),
    "stainless": ("All stainless products", "全部不锈钢产品"),
}


def category_label(code: str) -> str:
    """The name of a category or category group in the active language (the code itself when it is unknown)."""
    category = CATEGORY_BY_CODE.get(code)
    if category is not None:
        return category.name_zh if chinese_active() else category.name
    if code in CATEGORY_GROUP_NAMES:
        return CATEGORY_GROUP_NAMES[code][1 if chinese_active() else 0]
    return code


@cache
def _search_synonyms() -> dict:
    return json.loads((REFERENCE_DIR / "search_synonyms.json").read_text(encoding="utf-8"))


def category_terms(code: str) -> tuple[str, ...]:
    """What a buyer may call the category, in English and Chinese: its names and its synonyms
    (reference/search_synonyms.json, one table: rebar = reinforcing bar = 钢筋 = 螺纹钢)."""
    category = CATEGORY_BY_CODE.get(code)
    names = (category.name, category.name_zh) if category else ()
    return (*names, *_search_synonyms()["categories"].get(code, ()))


def route_terms(code: str) -> tuple[str, ...]:
    """What a buyer may call the production route (EAF, 电炉, blast furnace …)."""
    return tuple(_search_synonyms()["routes"].get(code, ()))


def american_spellings() -> dict[str, str]:
    """British spelling → the American one search indexes ("galvanised" → "galvanized")."""
    return _search_synonyms()["spellings"]
