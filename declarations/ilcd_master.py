"""ILCD+EPD master data: the InDataWG identifier lists (reference/ilcd-epd/identifiers/*.csv), read as they are.

One loader for every master-data UUID the platform writes or reads: indicator LCIA methods and flows (EF 3.0,
EF 3.1, the country-specific GWP-GHG), flow properties and unit groups (current and deprecated UUIDs), the
compliance systems and format sources, and the background databases (ecoinvent, GaBi / Sphera MLC).
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

IDENTIFIERS = Path(__file__).resolve().parent / "reference" / "ilcd-epd" / "identifiers"
INDICATOR_FILES = {"EF 3.0": "EN15804+A2_EF3.0_indicators.csv", "EF 3.1": "EN15804+A2_EF3.1_indicators.csv"}
ILCD_FORMAT = "ILCD Format"
EPD_FORMAT = "EPD Data Format Extensions v1.2"


@dataclass(frozen=True)
class MasterIndicator:
    """An indicator's master data set: an LCIA method (impacts) or an "other flow" (resource use, waste, outputs)."""

    uuid: str
    version: str | None
    name: str
    name_de: str
    unit: str
    unit_group: str  # the current unit group UUID (deprecated ones are replaced)


@dataclass(frozen=True)
class UnitGroup:
    uuid: str
    name: str
    unit: str  # the reference unit
    version: str | None


@dataclass(frozen=True)
class FlowProperty:
    uuid: str
    name: str
    version: str | None
    unit_group: UnitGroup


@dataclass(frozen=True)
class MasterSource:
    uuid: str
    name: str
    version: str | None = None


@cache
def _rows(filename: str) -> tuple[dict[str, str], ...]:
    with (IDENTIFIERS / filename).open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return tuple({k: (v or "").strip() for k, v in row.items() if k} for row in rows)


def _is_uuid(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))


@cache
def flow_properties() -> dict[str, FlowProperty]:
    """Flow properties that name their unit group, by name ("Mass", "Net calorific value", "Volume", …)."""
    found = {}
    for row in _rows("Flow_properties_and_unit_groups.csv"):
        group = row.get("Reference unit group UUID", "")
        if _is_uuid(row.get("Flow property UUID", "")) and _is_uuid(group):
            unit_group = UnitGroup(group, row["Reference unit group"], row["Reference unit"], row.get("Version.1") or None)
            found[row["Flow property"]] = FlowProperty(row["Flow property UUID"], row["Flow property"], row["Version"] or None, unit_group)
    return found


@cache
def deprecated_unit_groups() -> dict[str, str]:
    """Deprecated unit group UUID → the current one, as the flow property list gives them."""
    replaced = {}
    for row in _rows("Flow_properties_and_unit_groups.csv"):
        old, new = row.get("alternative unit group UUID (deprecated)", ""), row.get("Reference unit group UUID", "")
        if _is_uuid(old) and _is_uuid(new):
            replaced[old] = new
    return replaced


def current_unit_group(group_uuid: str) -> str:
    return deprecated_unit_groups().get(group_uuid, group_uuid)


def _indicator(row: dict[str, str], name_key: str = "Name (en)", de_key: str = "Name (de)") -> MasterIndicator:
    return MasterIndicator(
        uuid=row["UUID"],
        version=row.get("Version") or None,
        name=row[name_key],
        name_de=row.get(de_key, ""),
        unit=row["Unit (en)"],
        unit_group=current_unit_group(row["UnitGroup UUID"]),
    )


@cache
def indicators(method: str) -> dict[str, MasterIndicator]:
    """The EN 15804+A2 indicator master data of one characterisation method ("EF 3.0" / "EF 3.1"), by UUID.

    Includes the country-specific GWP-GHG ("GWP-IOBC/GHG") of that method.
    """
    found = {row["UUID"]: _indicator(row) for row in _rows(INDICATOR_FILES[method]) if _is_uuid(row.get("UUID", ""))}
    ghg = gwp_ghg(method)
    if ghg is not None:
        found[ghg.uuid] = ghg
    return found


@cache
def gwp_ghg(method: str) -> MasterIndicator | None:
    """GWP excluding biogenic carbon (GWP-GHG, "GWP-IOBC/GHG") of this method, from the country-specific list."""
    for row in _rows("Country-specific_indicators.csv"):
        if _is_uuid(row.get("UUID", "")) and "GHG" in row["Name (en)"] and f"{method})" in row["Name (en)"]:
            return _indicator(row)
    return None


@cache
def unit_groups() -> dict[str, UnitGroup]:
    """Every unit group the master data names, by UUID: those of the flow properties and those of the indicators."""
    groups = {fp.unit_group.uuid: fp.unit_group for fp in flow_properties().values()}
    for method in INDICATOR_FILES:
        for indicator in indicators(method).values():
            if indicator.unit_group not in groups:
                groups[indicator.unit_group] = UnitGroup(indicator.unit_group, f"Units of {indicator.unit}", indicator.unit, None)
    return groups


@cache
def a1_unit_groups() -> dict[str, str]:
    """Unit group UUID → reference unit of the EN 15804+A1 indicators (kg SO2 eqv., kg Phosphate-eqv., …)."""
    return {
        row["UnitGroup UUID"]: row["Unit (en)"] for row in _rows("EN15804+A1_indicators.csv") if _is_uuid(row.get("UnitGroup UUID", ""))
    }


def flow_property_of_unit_group(group_uuid: str) -> FlowProperty | None:
    """The flow property whose reference unit group this is (Mass for kg, Net calorific value for MJ, Volume for m3)."""
    preferred = ("Mass", "Net calorific value", "Volume")
    candidates = [fp for fp in flow_properties().values() if fp.unit_group.uuid == group_uuid]
    candidates.sort(key=lambda fp: preferred.index(fp.name) if fp.name in preferred else len(preferred))
    return candidates[0] if candidates else None


@cache
def common_references() -> dict[str, MasterSource]:
    """Format and compliance-system sources by name ("ILCD Format", "EN 15804+A2 (EF 3.1)", "ISO 14025", …)."""
    return {
        row["Name"]: MasterSource(row["UUID"], row["Name"], row.get("Version") or None)
        for row in _rows("Common_references.csv")
        if _is_uuid(row.get("UUID", ""))
    }


@cache
def _background_databases() -> dict[str, dict[str, MasterSource]]:
    ecoinvent = {
        row["ecoinvent Database Version"]: MasterSource(row["UUID"], row["Name"])
        for row in _rows("BackgroundDB_SourceDatasets_ecoinvent.csv")
    }
    gabi = {row["GaBi Database Version"]: MasterSource(row["UUID"], row["Name"]) for row in _rows("BackgroundDB_SourceDatasets_GaBi.csv")}
    return {"ecoinvent": ecoinvent, "gabi": gabi}


def background_database(text: str) -> MasterSource | None:
    """The master-data source of a background database named in free text ("ecoinvent 3.9.1", "Sphera MLC 2024.1",
    "GaBi SP40"): the release when the list has it, else the database in general; None for other databases."""
    lowered = text.lower()
    if "ecoinvent" in lowered:
        releases = _background_databases()["ecoinvent"]
        version = re.search(r"ecoinvent\D*(\d+(?:\.\d+)*)", lowered)
        return releases.get(version.group(1) if version else "", releases["all"])
    if any(name in lowered for name in ("gabi", "sphera", "mlc", "lca for experts")):
        releases = _background_databases()["gabi"]
        service_pack = re.search(r"\bsp\s*(\d\d)\b", lowered)
        if service_pack:
            found = [s for v, s in releases.items() if v.lower().startswith(f"sp{service_pack.group(1)}")]
            if found:
                return found[0]
        cup = re.search(r"\b(20\d\d)\.(\d{1,2})\b", lowered)
        if cup:
            year, number = cup.group(1), int(cup.group(2))
            for version, source in releases.items():
                if version.endswith(f"CUP {year}.{number:02d}"):
                    return source
        year = re.search(r"\b(20\d\d)\b", lowered)
        if year and f"Edition {year.group(1)}" in releases:
            return releases[f"Edition {year.group(1)}"]
        return releases["all"]
    return None


@cache
def background_databases_by_uuid() -> dict[str, tuple[MasterSource, str, bool]]:
    """Every background database source of the master data by UUID: (source, "ecoinvent" or "gabi", whether it is
    one release rather than the database in general)."""
    return {
        source.uuid: (source, family, version != "all")
        for family, releases in _background_databases().items()
        for version, source in releases.items()
        if _is_uuid(source.uuid)
    }


@cache
def compliance_methods() -> dict[str, str]:
    """Compliance-system UUID → the characterisation method it declares ("EF 3.0" / "EF 3.1"), from the names the
    identifier list gives them ("EN 15804+A2 (EF 3.1)")."""
    found = {}
    for name, source in common_references().items():
        method = re.search(r"\((EF 3\.[01])\)", name)
        if method:
            found[source.uuid] = method.group(1)
    return found
