"""Machine-readable exports of a published EPD: openEPD JSON and ILCD+EPD XML.

Both start from the platform's full JSON (registry.documents.build_document). The openEPD
document is validated with the openepd package's `Epd` model before it leaves here, so a broken
export fails the publish task instead of being signed and served.
"""

import copy
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pydantic
from django.conf import settings
from openepd.model.epd import Epd
from openepd.model.specs.base import BaseOpenEpdHierarchicalSpec
from openepd.model.specs.singular.steel import SteelV1

from declarations import catalogue, locations, openepd_io
from declarations.validation import declared_mass_kg

from . import ilcd_checks, openxpd
from .ilcd_export import write_ilcd

PLATFORM_EXTENSION = "steel_epd_platform"
OPENEPD_API_PATH = "/api/openepd/"  # registry/openepd_api.py, mounted in epd_platform/urls.py
# openEPD's Steel spec knows BOF, EAF and open hearth; DRI-EAF is an EAF route (steel.md §2, §3).
MAKING_ROUTE = {"bf_bof": {"bof": True}, "scrap_eaf": {"eaf": True}, "dri_eaf": {"eaf": True}, "mixed": {"bof": True, "eaf": True}}


class ExportError(ValueError):
    """The document cannot be expressed in the export format; carries what is wrong."""


def openepd_document(document: dict, *, validate: bool = True) -> dict:
    """The published document as an openEPD EPD, validated with openepd's `Epd` model.

    Without `validate` it is the same data unchecked, for bulk-generated registries (0.4 ms instead of
    about 18): the publish task always validates, and tests read both builds strictly."""
    data = _openepd_data(document)
    return validated_openepd(data) if validate else data


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (openepd leaves out what is not given; so does the unvalidated build)."""
    return {name: value for name, value in fields.items() if value not in (None, "", [], {})}


def validated_openepd(data: dict) -> dict:
    """`data` as openepd serialises it, or ExportError listing pydantic's complaints."""
    openepd_io.register_unit_validator()
    try:
        # A copy: openepd's ImpactSet validator rewrites hyphenated keys of its input in place.
        epd = Epd.model_validate(copy.deepcopy(data))
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise ExportError(f"the openEPD export does not validate: {problems}") from exc
    return epd.to_serializable()


def ilcd_export(document: dict, *, archive: bool = False, pdf: bytes | None = None) -> bytes:
    """The ILCD+EPD v1.2 process dataset (XML), or with `archive` a ZIP with every dataset it refers to (and `pdf`)."""
    return write_ilcd(document, archive=archive, pdf=pdf)


def ilcd_archive(document: dict, *, pdf: bytes) -> bytes:
    """The ILCD ZIP of a publication, checked before it leaves here: every dataset valid against the ILCD+EPD
    v1.2 schemas and every reference resolved inside the archive, else ExportError naming what is wrong."""
    archive = write_ilcd(document, archive=True, pdf=pdf)
    problems = ilcd_checks.schema_problems(archive) + ilcd_checks.unresolved_references(archive)
    if problems:
        raise ExportError(f"the ILCD+EPD export is not valid: {'; '.join(problems[:10])}")
    return archive


# ---------------------------------------------------------------- openEPD


def _openepd_data(document: dict) -> dict[str, Any]:
    product, lca = document["product"], document["lca"]
    category = catalogue.CATEGORY_BY_CODE.get(product.get("category") or "")
    identifier = openxpd_id(document)
    manufacturer = _org(document["manufacturer"])
    data: dict[str, Any] = {
        "id": identifier,
        "ref": f"{settings.SITE_URL}{OPENEPD_API_PATH}epds/{identifier}",
        "doctype": "openEPD",
        "language": "en",
        "product_name": product["name"][:200],
        "product_description": (product.get("description") or "")[:2000] or None,
        "version": document["version"],
        "date_of_issue": _datetime(document.get("first_issued") or document["issued"]),  # the EPD's own date of issue
        "valid_until": _datetime(document["valid_until"]),
        "declared_unit": _declared_unit(lca["declared_unit"]),
        "kg_per_declared_unit": {"qty": float(_mass_kg(lca)), "unit": "kg"},
        "manufacturer": manufacturer,
        "plants": [_plant(plant, manufacturer) for plant in document.get("plants", [])][:32],
        "program_operator": _org(document["programme_operator"]),
        "program_operator_doc_id": document["registration_number"],
        "program_operator_version": str(document["version"]),
        "alt_ids": _alt_ids(document.get("registrations_elsewhere")),
        "declaration_url": document.get("links", {}).get("registry"),
        "attachments": _attachments(document.get("links", {}), lca.get("pcr")),
        "compliance": _compliance(lca),
        "pcr": _pcr(lca.get("pcr")),
        "product_classes": {"io.cqd.ec3": " >> ".join(_steel_path(category.openepd_class if category else "Steel"))},
        "specs": {"Steel": _steel_spec(product, category)},
        "manufacturing_description": _manufacturing(document),
        "lca_discussion": _lca_discussion(lca)[:20000],
        "ext": {PLATFORM_EXTENSION: _extension(document)},
        **_verifier(document.get("verification") or {}),
        **_results(document),
    }
    if lca.get("practitioner"):
        data["epd_developer"] = {"name": lca["practitioner"][:200]}
    biogenic = (lca.get("biogenic_carbon_kg_c") or {}).get("product")
    if biogenic not in (None, ""):
        data["kg_C_biogenic_per_declared_unit"] = {"qty": float(Decimal(biogenic)), "unit": "kg"}
    return _given(**data)


def openxpd_id(document: dict) -> str:
    """The openEPD id of the published version the document is (registry/openxpd.py)."""
    try:
        return openxpd.openxpd_id(document["registration_number"], document["version"])
    except openxpd.IdOutOfRange as error:
        raise ExportError(str(error)) from error


def _datetime(day: str) -> str:
    return f"{day}T00:00:00Z"


def _mass_kg(lca: dict) -> Decimal:
    mass = lca.get("declared_unit_mass_kg")
    value = Decimal(mass) if mass else declared_mass_kg(lca["declared_unit"])
    if value is None:
        raise ExportError(f"the declared unit {lca['declared_unit']!r} is not a mass")
    return value


def _declared_unit(text: str) -> dict:
    """openEPD's {"qty", "unit"}: "1 t" stays 1 t, "500 kg" stays 500 kg, anything else in kg."""
    parts = text.split()
    unit = openepd_io.openepd_unit(parts[-1]) if parts else None
    if len(parts) == 2 and unit is not None and unit.quantity == "kg":
        try:
            return {"qty": float(Decimal(parts[0].replace(",", "."))), "unit": parts[-1]}
        except ArithmeticError:
            pass
    mass = declared_mass_kg(text)
    if mass is None:
        raise ExportError(f"the declared unit {text!r} is not a mass")
    return {"qty": float(mass), "unit": "kg"}


def web_domain(url: str | None) -> str | None:
    """The web domain openEPD names an organisation by: "https://www.example.com/about" → "example.com"."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _org(org: dict) -> dict:
    return _given(
        name=org["name"][:200],
        web_domain=web_domain(org.get("website")),
        alt_names=[org["name_zh"]] if org.get("name_zh") else None,
        hq_location=_given(country=org.get("country"), address=org.get("address") or org.get("city")),
    )


def _plant(plant: dict, manufacturer: dict) -> dict:
    """openEPD's plant: its id is "<plus code>.<manufacturer's web domain>" when both are known."""
    name = ", ".join(part for part in (plant.get("name"), plant.get("city")) if part)
    code, domain = plant.get("olc") or None, manufacturer.get("web_domain")
    location = _given(country=plant["country"], address=plant.get("city"))
    if code:
        latitude, longitude = locations.coordinates(code)
        location |= {"pluscode": code, "latlng": {"lat": latitude, "lng": longitude}}
    return _given(
        id=f"{code}.{domain}" if code and domain else None,
        name=name[:200],
        location=location,
        owner=_given(name=manufacturer["name"], web_domain=domain),
    )


def _alt_ids(registrations: list[dict] | None) -> dict[str, str] | None:
    """Registrations of the same EPD with other programmes, by the programme's web domain (or its name)."""
    ids = {}
    for registration in registrations or []:
        key = web_domain(registration.get("url")) or registration.get("programme_operator")
        if key and registration.get("registration_number"):
            ids[key[:200]] = registration["registration_number"]
    return ids or None


def _attachments(links: dict, pcr: dict | None) -> dict:
    named = {"URL": links.get("registry"), "EPD": links.get("pdf"), "ILCD_EPD": links.get("ilcd"), "PCR": (pcr or {}).get("url")}
    return {name: url for name, url in named.items() if url}


def standard_short_name(name: str) -> str:
    """A standard's name without its years: EN 15804:2012+A2:2019 → EN 15804+A2, ISO 21930:2017 → ISO 21930."""
    return re.sub(r":\d{4}", "", name).strip()


def _compliance(lca: dict) -> list[dict]:
    """The core standard the PCR follows (what the document says, not an assumption), and ISO 14025."""
    core = (lca.get("pcr") or {}).get("core_standard")
    standards = [{"short_name": standard_short_name(core), "name": core}] if core else []
    return [*standards, {"short_name": "ISO 14025", "name": "ISO 14025:2006"}]


def _pcr(pcr: dict | None) -> dict | None:
    if not pcr:
        return None
    core = pcr.get("core_standard")
    return _given(
        id=openxpd.canonical(pcr.get("openepd_id") or ""),
        name=pcr["name"][:200],
        version=(pcr.get("version") or "")[:40],
        issuer=_given(name=(pcr.get("programme") or "")[:200]),
        issuer_doc_id=(pcr.get("registration_id") or "")[:40],
        doc=pcr.get("url"),
        parent=_given(name=core, issuer_doc_id=core[:40]) if core and core != pcr.get("registration_id") else None,
    )


def _verifier(verification: dict) -> dict:
    data: dict[str, Any] = {}
    if verification.get("body"):
        data["third_party_verifier"] = _given(name=verification["body"][:200], web_domain=web_domain(verification.get("body_website")))
    if verification.get("verifier"):
        data["third_party_verifier_name"] = verification["verifier"]
    return data


@cache
def _steel_path(openepd_class: str) -> list[str]:
    """["Steel", "StructuralSteel", "PlateSteel"] for "PlateSteel", found in openepd's spec tree."""

    def walk(spec: type[BaseOpenEpdHierarchicalSpec], path: list[str]) -> list[str] | None:
        if spec._CATEGORY_META.unique_name == openepd_class:
            return path
        for name, child in _child_specs(spec):
            found = walk(child, [*path, name])
            if found:
                return found
        return None

    found = walk(SteelV1, ["Steel"])
    if found is None:
        raise ExportError(f"openEPD has no steel category {openepd_class!r}")
    return found


def _child_specs(spec: type[BaseOpenEpdHierarchicalSpec]) -> Iterator[tuple[str, type[BaseOpenEpdHierarchicalSpec]]]:
    for name, info in spec.model_fields.items():
        for arg in getattr(info.annotation, "__args__", (info.annotation,)):
            if isinstance(arg, type) and issubclass(arg, BaseOpenEpdHierarchicalSpec):
                yield name, arg


def _steel_spec(product: dict, category: catalogue.Category | None) -> dict:
    standards = product.get("standards") or []
    flags = category or catalogue.Category("", "", "", "Steel")
    spec: dict[str, Any] = {
        "making_route": MAKING_ROUTE.get(product.get("production_route") or ""),
        "stainless": True if flags.stainless else None,
        "composition": "Stainless" if flags.stainless else None,
        "galvanized": True if flags.galvanized else None,
        "cold_finished": True if flags.cold_finished else None,
        "en_standards": [{"short_name": s} for s in standards if s.upper().startswith("EN ")] or None,
        "astm_standards": [{"short_name": s} for s in standards if s.upper().startswith("ASTM")] or None,
    }
    recycled = product.get("recycled_content_percent")
    if recycled not in (None, ""):
        spec["recycled_content"] = float(Decimal(recycled) / 100)
    nested = spec
    for name in _steel_path(flags.openepd_class)[1:]:
        nested[name] = {}
        nested = nested[name]
    if flags.fabricated:
        nested["fabricated"] = True  # a flag of the category's own spec (openepd's SteelFabricatedMixin)
    return {key: value for key, value in spec.items() if value is not None}


def _manufacturing(document: dict) -> str:
    route = document["product"].get("production_route") or ""
    label = catalogue.ProductionRoute(route).label if route in catalogue.ProductionRoute.values else route
    plants = "; ".join(f"{p['name']}, {p.get('city') or ''} ({p['country']})".replace(",  (", " (") for p in document.get("plants", []))
    return "\n".join(line for line in (f"Production route: {label}" if label else "", f"Plants: {plants}" if plants else "") if line)


def _lca_discussion(lca: dict) -> str:
    scenarios = lca.get("scenarios") or {}
    lines = [
        ("Characterisation factors", lca.get("characterisation_method")),
        ("LCA software", lca.get("software")),
        ("Background database", lca.get("background_database")),
        ("Reference year", lca.get("reference_year")),
        ("Data period", " to ".join(d for d in lca.get("data_period") or [] if d)),
        ("Declared modules", ", ".join(lca.get("declared_modules") or [])),
        ("Allocation", lca.get("allocation")),
        ("Cut-off", lca.get("cut_off")),
        ("Data quality", lca.get("data_quality")),
        ("LCA practitioner", lca.get("practitioner")),
    ]
    lines += [(f"Scenario {module}", s.get("description") if isinstance(s, dict) else s) for module, s in scenarios.items()]
    return "\n".join(f"- **{name}**: {value}" for name, value in lines if value not in (None, ""))


def _extension(document: dict) -> dict:
    """What openEPD has no field for: the exact route (DRI), declared modules (MND), the method, the
    original date of issue, registrations elsewhere, and how units were converted."""
    lca = document["lca"]
    extension = {
        "registration_number": document["registration_number"],
        "version": document["version"],
        "production_route": document["product"].get("production_route"),
        "product_category": document["product"].get("category"),
        "product_name_zh": document["product"].get("name_zh") or None,
        "other_names": document["product"].get("other_names") or None,
        "characterisation_method": lca.get("characterisation_method"),
        "declared_unit": lca.get("declared_unit"),
        "declared_modules": lca.get("declared_modules") or [],
        "first_issued": document.get("first_issued"),
        "registrations_elsewhere": document.get("registrations_elsewhere") or None,
        "unit_conversions": [
            {
                "indicator": code,
                "openepd_key": catalogue.indicators()[code].openepd_key,
                "declared_in": catalogue.indicators()[code].unit,
                "exported_in": openepd_io.export_unit(code),
                "factor": str(openepd_io.export_factor(code)),
            }
            for code in document["results"]
            if code in catalogue.indicators() and openepd_io.export_factor(code) != 1
        ]
        or None,
    }
    return {key: value for key, value in extension.items() if value is not None}


def _results(document: dict) -> dict:
    """impacts / resource_uses / output_flows: {key: {scope: {"mean", "unit"}}}, ND values left out.

    Values are in the unit openepd allows for each key: EP-freshwater goes from kg P eq. to kgPO4e."""
    method = document["lca"].get("characterisation_method")
    if method not in openepd_io.EF_METHODS:
        raise ExportError(f"characterisation method {method!r} is not EF 3.0 or EF 3.1")
    indicators = catalogue.indicators()
    sections: dict[str, dict] = {"impacts": {}, "resource_uses": {}, "output_flows": {}}
    for code, row in document["results"].items():
        indicator = indicators.get(code)
        if indicator is None or not indicator.openepd_key:
            raise ExportError(f"{code} has no openEPD key")
        unit, factor = openepd_io.export_unit(code), openepd_io.export_factor(code)
        scope_of = openepd_io.scope_by_module()
        # float("2.40") is the float nearest the decimal, as float(Decimal("2.40")) is, without the Decimal.
        scopes = {
            scope_of[module]: {"mean": float(value) if factor == 1 else float(Decimal(value) * factor), "unit": unit}
            for module, value in row.items()
            if value is not None and module in scope_of
        }
        if scopes:
            sections[openepd_io.SECTION_BY_CATEGORY[indicator.category]][indicator.openepd_key] = scopes
    data: dict[str, Any] = {name: sets for name, sets in sections.items() if sets and name != "impacts"}
    if sections["impacts"]:
        data["impacts"] = {method: sections["impacts"]}
    return data
