"""What an openEPD EPD document states about the declaration beyond its results (imports.Stated).

Where each field is read from (JSON paths): product_name, product_description, manufacturer.name;
declared_unit {qty, unit} (else kg_per_declared_unit); date_of_issue and valid_until; pcr (its name and version,
issuer_doc_id and open xPD id); the impacts' method key ("EF 3.1"); program_operator + program_operator_doc_id with
third_party_verifier(_name) and declaration_url, then alt_ids {operator: number}; epd_developer; plants; the Steel
spec's making_route and recycled_content (0..1). openEPD has no field for the reference year, data period, software,
background database or scenarios: they are read from lca_discussion lines "Label: value" (our export writes
"- **Reference year**: 2025", "- **Scenario C2**: …"). Our own extension (ext.steel_epd_platform) states the
production route, the registrations elsewhere and the method exactly, and is preferred where it does.

The Steel spec's making route is only taken when it tells the route: BOF alone is BF-BOF, BOF and EAF together a
mix; EAF alone is scrap EAF or DRI-EAF, which openEPD cannot tell apart, so it is left for the mill to choose.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from . import catalogue, imports, locations
from .models import PCR
from .validation import INFO, WARNING, Finding, declared_mass_kg

EXTENSION = "steel_epd_platform"  # registry/exports.py PLATFORM_EXTENSION: our export's own fields
EF_METHODS = ("EF 3.0", "EF 3.1")
_DISCUSSION_LINE = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?(?P<label>[^*:\n]{2,40}?)(?:\*\*)?\s*:\s*(?P<value>.+?)\s*$", re.MULTILINE)
DISCUSSION_FIELDS = {
    "reference year": "reference_year",
    "data period": "data_period",
    "lca software": "lca_software",
    "software": "lca_software",
    "background database": "background_database",
    "lca practitioner": "lca_practitioner",
}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool) else None
    except InvalidOperation:
        return None


class _Reader:
    def __init__(self, data: dict, parsed: "imports.ParsedResults"):
        self.data = data
        self.parsed = parsed
        self.stated = parsed.stated
        self.extension = _dict(_dict(data.get("ext")).get(EXTENSION))
        self.discussion = self._discussion()

    def warn(self, check: str, message: str, where: str, severity: str = WARNING) -> None:
        self.parsed.findings.append(Finding(severity, check, message, field=where))

    def _discussion(self) -> dict[str, str]:
        """lca_discussion's "Label: value" lines by lowercase label (the first of each)."""
        lines: dict[str, str] = {}
        for match in _DISCUSSION_LINE.finditer(_text(self.data.get("lca_discussion"))):
            lines.setdefault(match.group("label").strip().lower(), match.group("value"))
        return lines

    def product(self) -> None:
        self.stated.set("product_name", _text(self.data.get("product_name")), "product_name")
        self.stated.set("product_name_zh", _text(self.extension.get("product_name_zh")), f"ext.{EXTENSION}.product_name_zh")
        names = {k: _text(v) for k, v in _dict(self.extension.get("other_names")).items() if isinstance(k, str) and _text(v)}
        self.stated.set("other_names", names, f"ext.{EXTENSION}.other_names")
        self.stated.set("description", _text(self.data.get("product_description")), "product_description")
        self.stated.set("manufacturer", _text(_dict(self.data.get("manufacturer")).get("name")), "manufacturer.name")

    def declared_unit(self, *, per_file_unit: bool, take_declared_unit: bool) -> None:
        raw = _dict(self.data.get("declared_unit"))
        amount, unit = _decimal(raw.get("qty", 1)), _text(raw.get("unit"))
        unit_text, where = "", "declared_unit"
        if raw and amount is not None and declared_mass_kg(f"{amount} {unit}") is not None:
            unit_text = f"{amount.normalize():f} {unit}"
        elif not raw:
            per_unit = _dict(self.data.get("kg_per_declared_unit"))
            mass = _decimal(per_unit.get("qty"))
            if mass is not None and mass > 0 and _text(per_unit.get("unit")) == "kg":
                unit_text, where = imports.mass_unit_text(mass), "kg_per_declared_unit"
        if not per_file_unit:
            return
        if unit_text:
            self.stated.set("declared_unit", unit_text, where)
        elif take_declared_unit:
            self.warn(
                "P1",
                _(
                    "The document states neither its declared unit nor its mass; its results were read as they are. "
                    "Set the declared unit they are per."
                ),
                "declared_unit",
            )

    def dates(self) -> None:
        self.stated.set("original_issue_date", imports.date_of(self.data.get("date_of_issue")), "date_of_issue")
        self.stated.set("valid_until", imports.date_of(self.data.get("valid_until")), "valid_until")
        year = self.discussion.get("reference year", "")
        if re.fullmatch(r"\d{4}", year):
            self.stated.set("reference_year", int(year), "lca_discussion")
        period = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:to|until|–|—|-)\s*(\d{4}-\d{2}-\d{2})", self.discussion.get("data period", ""))
        if period:
            self.stated.set("data_period_start", imports.date_of(period.group(1)), "lca_discussion")
            self.stated.set("data_period_end", imports.date_of(period.group(2)), "lca_discussion")

    def pcr(self) -> None:
        pcr = _dict(self.data.get("pcr"))
        name, version, doc_id = (
            _text(pcr.get("name")) or _text(pcr.get("short_name")),
            _text(pcr.get("version")),
            _text(pcr.get("issuer_doc_id")),
        )
        named = name or doc_id
        if version and named and version not in named:
            named = f"{named}, version {version}"
        if not named:
            return
        self.stated.set("pcr_named", named, "pcr")
        catalogue_pcrs = PCR.objects.filter(active=True)  # one query: matching() reuses the evaluated queryset
        text = named if doc_id in named else f"{doc_id} {named}"
        by_id = catalogue_pcrs.matching("", openepd_id=_text(pcr.get("id"))) if _text(pcr.get("id")) else None
        by_name = catalogue_pcrs.matching(text)
        if by_id is not None and by_name is not None and by_id != by_name:
            self.warn(
                "reference",
                _(
                    "The PCR id %(id)s is “%(by_id)s” in the PCR catalogue, but the document names it “%(named)s” "
                    "(“%(by_name)s”); it was read by its id."
                )
                % {"id": pcr.get("id"), "by_id": by_id, "named": named, "by_name": by_name},
                "pcr.id",
            )
        self.stated.set("pcr", by_id or by_name, "pcr.id" if by_id else "pcr")

    def method(self) -> None:
        impacts = _dict(self.data.get("impacts"))
        declared = [m for m in EF_METHODS if m in impacts]
        if len(declared) == 1:
            self.stated.set("characterisation_method", declared[0], f"impacts.{declared[0]}")
        ours = _text(self.extension.get("characterisation_method"))
        if len(declared) == 1 and ours in EF_METHODS and ours != declared[0]:
            self.warn(
                "method",
                _("The document's impacts are under %(method)s, but %(where)s says %(other)s; they were read as %(method)s.")
                % {"method": declared[0], "where": f"ext.{EXTENSION}.characterisation_method", "other": ours},
                f"impacts.{declared[0]}",
            )

    def registrations(self) -> None:
        found: dict[str, tuple[str, dict]] = {}
        operator = _text(_dict(self.data.get("program_operator")).get("name"))
        number = _text(self.data.get("program_operator_doc_id"))
        if operator and number:
            registration = {"programme_operator": operator, "registration_number": number}
            body = _text(_dict(self.data.get("third_party_verifier")).get("name"))
            person = _text(self.data.get("third_party_verifier_name"))
            verifier = f"{person} ({body})" if person and body else person or body
            url = _text(self.data.get("declaration_url"))
            registration |= {key: value for key, value in (("verifier", verifier), ("url", url)) if value}
            found[number] = ("program_operator_doc_id", registration)
        listed = self.extension.get("registrations_elsewhere")
        for index, entry in enumerate(listed if isinstance(listed, list) else []):
            entry = _dict(entry)
            operator, number = _text(entry.get("programme_operator")), _text(entry.get("registration_number"))
            if operator and number and number not in found:
                registration = {"programme_operator": operator, "registration_number": number}
                registration |= {key: _text(entry.get(key)) for key in ("verifier", "url") if _text(entry.get(key))}
                found[number] = (f"ext.{EXTENSION}.registrations_elsewhere[{index}]", registration)
        for key, number in _dict(self.data.get("alt_ids")).items():
            number = _text(number)
            if _text(key) and number and number not in found:
                found[number] = (f"alt_ids.{key}", {"programme_operator": _text(key), "registration_number": number})
        if found:
            paths, registrations = zip(*found.values(), strict=True)
            self.stated.set("registrations_elsewhere", list(registrations), paths[0])

    def lca(self) -> None:
        developer = _text(_dict(self.data.get("epd_developer")).get("name"))
        if developer:
            self.stated.set("lca_practitioner", developer, "epd_developer.name")
        for label, name in DISCUSSION_FIELDS.items():
            if (
                label in self.discussion
                and name in ("lca_software", "background_database", "lca_practitioner")
                and name not in self.stated.values
            ):
                self.stated.set(name, self.discussion[label], "lca_discussion")
        scenarios: dict[str, dict] = {}
        for label, text in self.discussion.items():
            module = catalogue.module_code(label.removeprefix("scenario").strip().upper()) if label.startswith("scenario ") else None
            if module and module not in scenarios:
                scenario: dict[str, object] = {"description": text}
                if (distance := imports.distance_km(text)) is not None:
                    scenario["distance_km"] = distance
                scenarios[module] = scenario
        ordered = {module: scenarios[module] for module in catalogue.module_codes() if module in scenarios}
        self.stated.set("scenarios", ordered, "lca_discussion")

    def plants(self) -> None:
        plants = []
        for index, raw in enumerate(self.data.get("plants") or []):
            raw = _dict(raw)
            location = _dict(raw.get("location"))
            name = _text(raw.get("name"))
            address = _text(raw.get("address")) or _text(location.get("address"))
            plant: dict[str, str] = {}
            country = _text(location.get("country"))
            if re.fullmatch(r"[A-Za-z]{2}", country):
                plant["country"] = country.upper()
            if address and re.fullmatch(r"[^\d,;]+", address):  # a town alone, as our export and EC3 write it
                plant["city"] = address
                name = name.removesuffix(f", {address}")
            code = _text(raw.get("pluscode")) or _text(location.get("pluscode")) or _text(raw.get("id")).split(".", 1)[0]
            if code:
                try:
                    plant["olc"] = locations.plus_code(code)
                except ValueError as error:
                    self.warn("metadata", str(error), f"plants[{index}]")
            if name:
                plants.append({"name": name, **plant})
        self.stated.set("plants", plants, "plants")

    def production(self) -> None:
        steel = _dict(_dict(self.data.get("specs")).get("Steel"))
        route = _text(self.extension.get("production_route"))
        if route in catalogue.ProductionRoute.values:
            self.stated.set("production_route", route, f"ext.{EXTENSION}.production_route")
        else:
            making = _dict(steel.get("making_route"))
            used = {name for name in ("bof", "eaf", "ohf") if making.get(name) is True}
            by_route = {
                frozenset({"bof"}): catalogue.ProductionRoute.BF_BOF.value,
                frozenset({"bof", "eaf"}): catalogue.ProductionRoute.MIXED.value,
            }
            self.stated.set("production_route", by_route.get(frozenset(used)), "specs.Steel.making_route")
            if used == {"eaf"}:
                self.warn(
                    "metadata",
                    _(
                        "The document's making route is EAF: scrap EAF or DRI-EAF, which openEPD does not tell apart. "
                        "Choose the production route."
                    ),
                    "specs.Steel.making_route",
                    INFO,
                )
        share = _decimal(steel.get("recycled_content"))
        if share is not None and 0 <= share <= 1:
            self.stated.set("recycled_content", imports.plain(share * 100), "specs.Steel.recycled_content")


def read_stated(data: dict, parsed: "imports.ParsedResults", *, per_file_unit: bool, take_declared_unit: bool) -> None:
    """Fill `parsed.stated` from an openEPD document that openepd's model accepted; warnings go to its findings.

    `per_file_unit`: the results were read per the document's own declared unit, which is then stated."""
    reader = _Reader(data, parsed)
    reader.product()
    reader.declared_unit(per_file_unit=per_file_unit, take_declared_unit=take_declared_unit)
    reader.dates()
    reader.pcr()
    reader.method()
    reader.registrations()
    reader.lca()
    reader.plants()
    reader.production()
