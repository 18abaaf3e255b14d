"""openEPD: the unit system the `openepd` models need, and the reader of an openEPD EPD document.

openepd checks units only through a validator the caller registers
(`openepd.model.specs.base.setup_external_validators`); with none registered any unit string
passes, so every entry point here registers ours first. The export lives in registry/exports.py.
"""

import copy
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pydantic
from django.utils.translation import gettext as _
from openepd.model.epd import Epd
from openepd.model.lcia import ImpactSet, LCIAMethod, OutputFlowSet, ResourceUseSet
from openepd.model.specs.base import setup_external_validators
from openepd.model.validation.quantity import ExternalValidationConfig, QuantityValidator

from . import catalogue, imports, thresholds
from .validation import ERROR, WARNING, Finding, ResultCell, declared_mass_kg, normalise_unit, parse_value, rescale

EF_METHODS = (LCIAMethod.EF_3_1.value, LCIAMethod.EF_3_0.value)
SECTION_BY_CATEGORY = {
    "core impact": "impacts",
    "additional impact": "impacts",
    "resource use": "resource_uses",
    "waste": "output_flows",
    "output flow": "output_flows",
}


@dataclass(frozen=True)
class Unit:
    quantity: str  # the platform's spelling of the base unit of what is measured
    scale: Decimal  # base units in one of this unit


def _unit(quantity: str, scale: str = "1") -> Unit:
    return Unit(quantity, Decimal(scale))


# openEPD unit spellings (openepd/model/lcia.py allowed_units, plus common multiples). The first
# spelling of each quantity at scale 1 is the one we export.
OPENEPD_UNITS: dict[str, Unit] = {
    "kgCO2e": _unit("kg CO2 eq."),
    "tCO2e": _unit("kg CO2 eq.", "1000"),
    "gCO2e": _unit("kg CO2 eq.", "0.001"),
    "kgCO2": _unit("kg CO2"),
    "kgCFC11e": _unit("kg CFC 11 eq."),
    "kgCFC-11e": _unit("kg CFC 11 eq."),
    "kgR11e": _unit("kg CFC 11 eq."),
    "molHe": _unit("mol H+ eq."),
    "kgSO2e": _unit("kg SO2 eq."),
    "kgPe": _unit("kg P eq."),
    "kgPO4e": _unit("kg PO4 eq."),
    "kgNe": _unit("kg N eq."),
    "molNe": _unit("mol N eq."),
    "kgNMVOCe": _unit("kg NMVOC eq."),
    "kgO3e": _unit("kg O3 eq."),
    "kgC2H4e": _unit("kg ethene eq."),
    "kgSbe": _unit("kg Sb eq."),
    "m3AWARE": _unit("m3 world eq. deprived"),
    "AnnualPerCapita": _unit("disease incidence"),
    "kBqU235e": _unit("kBq U235 eq."),
    "CTUe": _unit("CTUe"),
    "CTUh": _unit("CTUh"),
    "Point": _unit("dimensionless"),
    "MJ": _unit("MJ"),
    "GJ": _unit("MJ", "1000"),
    "kJ": _unit("MJ", "0.001"),
    "kWh": _unit("MJ", "3.6"),
    "kg": _unit("kg"),
    "t": _unit("kg", "1000"),
    "g": _unit("kg", "0.001"),
    "m3": _unit("m3"),
    "l": _unit("m3", "0.001"),
    "L": _unit("m3", "0.001"),
    # Declared units and product specs, which openepd checks with the same validator.
    "m": _unit("m"),
    "mm": _unit("m", "0.001"),
    "cm": _unit("m", "0.01"),
    "km": _unit("m", "1000"),
    "m2": _unit("m2"),
    "sqft": _unit("m2", "0.09290304"),
    "item": _unit("item"),
    # Declared units of openepd's category tree (openepd.category), built with this validator in place.
    "kW": _unit("kW"),
    "tkm": _unit("t km"),
    "MPa": _unit("MPa"),
    "GPa": _unit("MPa", "1000"),
    "kPa": _unit("MPa", "0.001"),
    "Pa": _unit("MPa", "0.000001"),
    "°C": _unit("°C"),
}

# openEPD declares EP-freshwater in kgPO4e, EN 15804+A2 in kg P eq.: one quantity, two reference
# substances. The validator accepts both; the reader passes kg PO4 eq. on so that
# validation.normalise_unit converts it with a warning, never silently.
_SAME_QUANTITY = {"kg PO4 eq.": "kg P eq."}
_COMPOSITE = re.compile(r"[/*^()]")
_QUANTITY = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*")


def _spelling(text: str) -> str:
    return text.strip().replace("^2", "2").replace("^3", "3")


def openepd_unit(text: object) -> Unit | None:
    return OPENEPD_UNITS.get(_spelling(text)) if isinstance(text, str) else None


def _family(unit: Unit) -> str:
    return _SAME_QUANTITY.get(unit.quantity, unit.quantity)


class PlatformUnitValidator(QuantityValidator):
    """openepd's unit hook, backed by OPENEPD_UNITS.

    Composite units ("W / (m * K)") occur only in product performance specs, never in results; they
    are accepted unchecked rather than refusing a real EPD over a spec the platform ignores.
    """

    def _known(self, text: str | None) -> Unit | None:
        """The unit, None for a composite unit, ValueError for anything else."""
        if not text or not text.strip():
            raise ValueError("no unit is given")
        unit = openepd_unit(text)
        if unit is None and not _COMPOSITE.search(_spelling(text).removeprefix("1 ")):
            raise ValueError(f"'{text}' is not a unit we know")
        return unit

    def validate_same_dimensionality(self, unit: str | None, dimensionality_unit: str | None) -> None:
        first, second = self._known(unit), self._known(dimensionality_unit)
        if first and second and _family(first) != _family(second):
            raise ValueError(f"'{unit}' does not measure the same thing as '{dimensionality_unit}'")

    def _quantity(self, text: str) -> tuple[Decimal, Unit | None]:
        match = _QUANTITY.fullmatch(text or "")
        if not match:
            raise ValueError(f"'{text}' is not a number followed by a unit")
        return Decimal(match.group(1)), self._known(match.group(2))

    def validate_unit_correctness(self, value: str, dimensionality: str) -> None:
        _number, unit = self._quantity(value)
        expected = self._known(dimensionality.strip().removeprefix("1 "))
        if unit and expected and _family(unit) != _family(expected):
            raise ValueError(f"'{value}' is not measured in '{dimensionality}'")

    def _compare(self, value: str, other: str) -> Decimal | None:
        number, unit = self._quantity(value)
        other_number, other_unit = self._quantity(other)
        if unit is None or other_unit is None or unit.quantity != other_unit.quantity:
            return None
        return number * unit.scale - other_number * other_unit.scale

    def validate_quantity_greater_or_equal(self, value: str, min_value: str) -> None:
        difference = self._compare(value, min_value)
        if difference is not None and difference < 0:
            raise ValueError(f"'{value}' is less than {min_value}")

    def validate_quantity_less_or_equal(self, value: str, max_value: str) -> None:
        difference = self._compare(value, max_value)
        if difference is not None and difference > 0:
            raise ValueError(f"'{value}' is more than {max_value}")


def register_unit_validator() -> None:
    if not isinstance(ExternalValidationConfig.QUANTITY_VALIDATOR, PlatformUnitValidator):
        setup_external_validators(PlatformUnitValidator())


register_unit_validator()


@cache
def indicators_by_key() -> dict[tuple[str, str], catalogue.Indicator]:
    """(openEPD section, key) → indicator: ("impacts", "gwp") → GWP-total."""
    return {(SECTION_BY_CATEGORY[ind.category], ind.openepd_key): ind for ind in catalogue.indicators().values() if ind.openepd_key}


@cache
def module_by_scope() -> dict[str, str]:
    modules = catalogue.modules()
    aggregated = catalogue.AGGREGATED_PRODUCT_MODULE
    return {key: aggregated if key == "A1A2A3" else key for key in catalogue.openepd_scope_keys() if key == "A1A2A3" or key in modules}


@cache
def scope_by_module() -> dict[str, str]:
    return {module: scope for scope, module in module_by_scope().items()}


# EN 15804+A2 declares EP-freshwater in kg P eq.; openepd allows "ep-fresh" only in kgPO4e. Exports convert
# with P20's factor (thresholds.PO4_PER_P), the reverse of validation.normalise_unit on import.
EXPORT_CONVERSIONS: dict[tuple[str, str], Decimal] = {("kg P eq.", "kg PO4 eq."): thresholds.PO4_PER_P}


@cache
def export_unit(code: str) -> str:
    """The openEPD spelling of an indicator's unit: one openepd allows for its key (e.g. "kgPO4e" for EP-freshwater)."""
    return _export(code)[0]


@cache
def export_factor(code: str) -> Decimal:
    """What to multiply the platform's values of an indicator by to express them in export_unit(code)."""
    return _export(code)[1]


@cache
def _export(code: str) -> tuple[str, Decimal]:
    indicator = catalogue.indicators()[code]
    ours = _platform_quantity(code)
    allowed = _allowed_units(SECTION_BY_CATEGORY[indicator.category], indicator.openepd_key or "") or tuple(OPENEPD_UNITS)
    for spelling in allowed:
        unit = OPENEPD_UNITS.get(spelling)
        if unit is None or unit.scale != 1:
            continue
        if unit.quantity == ours:
            return spelling, Decimal(1)
        if (ours, unit.quantity) in EXPORT_CONVERSIONS:
            return spelling, EXPORT_CONVERSIONS[(ours, unit.quantity)]
    raise LookupError(f"no openEPD unit for {code} among {allowed}")


def _platform_quantity(code: str) -> str:
    """The quantity the platform keeps an indicator in: the first that validation.normalise_unit accepts as is."""
    for unit in OPENEPD_UNITS.values():
        if unit.scale != 1:
            continue
        cell = ResultCell(code, catalogue.AGGREGATED_PRODUCT_MODULE, Decimal(1), unit=unit.quantity)
        normalised, findings = normalise_unit(cell)
        if not findings and normalised.value == 1:
            return unit.quantity
    raise LookupError(f"no openEPD unit for {code}")


# ---------------------------------------------------------------- reading


def read_openepd(data: object, *, declared_unit: str | None, take_declared_unit: bool = False) -> "imports.ParsedResults":
    """Result cells from an openEPD EPD document (a parsed JSON object), and what it states about the declaration
    (openepd_metadata).

    The document must validate with openepd's `Epd` model. Impacts come from its "EF 3.1" or
    "EF 3.0" set; resource uses and output flows from their sets. Values are converted to the
    platform's units and to the declaration's declared unit (with `take_declared_unit`, to none: they
    stay per the document's, which is then stated); units that are not simply a multiple
    of ours are passed on in `ResultCell.unit` for `validation.normalise_unit` to judge.
    """
    from . import openepd_metadata  # it imports models.PCR: not at this module's import time

    parsed = imports.ParsedResults()
    parsed.findings += _document_problems(data)
    if parsed.findings or not isinstance(data, dict):
        return parsed
    factor = _declared_unit_factor(data.get("declared_unit"), None if take_declared_unit else declared_unit, parsed.findings)
    if factor is None:
        return parsed
    for path, section, key, scopes in _scope_sets(data, parsed.findings):
        indicator = indicators_by_key().get((section, key))
        if indicator is None:
            parsed.findings.append(
                Finding(
                    WARNING,
                    "P22",
                    _("“%(key)s” is not an EN 15804+A2 indicator; it was not imported.") % {"key": key},
                    field=path,
                )
            )
            continue
        for cell in _cells(indicator, path, scopes, factor, parsed.findings):
            parsed.add_once(cell, cell.field)
    # openEPD has no "module not declared" marker: a scope with no entry is not declared.
    parsed.declared_modules = imports.declared_modules_of(parsed.cells, set())
    openepd_metadata.read_stated(data, parsed, per_file_unit=factor == 1, take_declared_unit=take_declared_unit)
    return parsed


def _document_problems(data: object) -> list[Finding]:
    """Everything that stops the document from being read, each problem named by its JSON path."""
    if not isinstance(data, dict):
        return [Finding(ERROR, "format", _("An openEPD document is a JSON object; this is not one."), field="")]
    doctype = data.get("doctype")
    if not isinstance(doctype, str) or doctype.lower() != "openepd":
        return [
            Finding(
                ERROR,
                "format",
                _("This is not an openEPD product EPD: its “doctype” is “%(doctype)s”, not “openEPD”.") % {"doctype": doctype or ""},
                field="doctype",
            )
        ]
    findings = _shape_problems(data)
    if findings:
        return findings
    # A copy: openepd's ImpactSet validator rewrites hyphenated keys ("ep-fresh") of its input in place,
    # and the unit check takes out the measurements it has already reported.
    checked = copy.deepcopy(data)
    findings += _unit_problems(checked)
    register_unit_validator()
    try:
        Epd.model_validate(checked)
    except pydantic.ValidationError as exc:
        findings += [_pydantic_finding(error) for error in exc.errors(include_url=False)]
    except (TypeError, AttributeError, KeyError) as exc:  # openepd's own validators crash on some shapes
        findings.append(Finding(ERROR, "format", _("The document does not fit the openEPD format (%(problem)s).") % {"problem": exc}))
    return findings


def _shape_problems(data: dict) -> list[Finding]:
    """Sets that are not JSON objects: openepd's validators raise instead of reporting them."""
    findings = []
    for name in ("impacts", "resource_uses", "output_flows"):
        sets = data.get(name)
        nested = list(sets.items()) if name == "impacts" and isinstance(sets, dict) else [("", sets)]
        for method, inner in nested:
            path = f"{name}.{method}" if method else name
            if inner is not None and not isinstance(inner, dict):
                findings.append(Finding(ERROR, "format", _("“%(path)s” must be a JSON object.") % {"path": path}, field=path))
                continue
            for key, scopes in (inner or {}).items():
                if scopes is not None and not isinstance(scopes, dict):
                    where = f"{path}.{key}"
                    findings.append(Finding(ERROR, "format", _("“%(path)s” must be a JSON object.") % {"path": where}, field=where))
    return findings


@cache
def _allowed_units(section: str, key: str) -> tuple[str, ...] | None:
    """The units openepd's model allows for a key ("gwp" → ("kgCO2e",)), None for keys it does not know."""
    model = {"impacts": ImpactSet, "resource_uses": ResourceUseSet, "output_flows": OutputFlowSet}[section]
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            for arg in typing.get_args(info.annotation) or (info.annotation,):
                allowed = getattr(arg, "allowed_units", None)
                if allowed:
                    return allowed if isinstance(allowed, tuple) else (allowed,)
    return None


def _all_scope_sets(data: dict) -> Iterator[tuple[str, str, str, dict]]:
    for method, sets in (data.get("impacts") or {}).items():
        for key, scopes in (sets or {}).items():
            yield f"impacts.{method}.{key}", "impacts", key, scopes
    for section in ("resource_uses", "output_flows"):
        for key, scopes in (data.get(section) or {}).items():
            yield f"{section}.{key}", section, key, scopes


def _unit_problems(data: dict) -> list[Finding]:
    """Measurements whose unit openepd's model would refuse, reported one by one and taken out of `data`."""
    findings = []
    validator = PlatformUnitValidator()
    for path, section, key, scopes in _all_scope_sets(data):
        allowed = _allowed_units(section, key) if key != "ext" else None
        indicator = indicators_by_key().get((section, "ep-marine" if key == "ep" else key))
        for scope, measurement in list((scopes or {}).items()):
            if not allowed or not isinstance(measurement, dict) or scope not in module_by_scope():
                continue
            unit = measurement.get("unit")
            fits = []
            for expected in allowed:
                try:
                    validator.validate_same_dimensionality(unit, expected)
                    fits.append(expected)
                except ValueError:
                    pass
            if fits:
                continue
            where = {"field": f"{path}.{scope}", "module": module_by_scope()[scope], "indicator": indicator.code if indicator else ""}
            name = indicator.code if indicator else key
            if not isinstance(unit, str) or not unit.strip():
                message = _("%(name)s in %(module)s has no unit; openEPD gives it, e.g. “%(expected)s”.")
            elif openepd_unit(unit) is None:
                message = _("%(name)s in %(module)s is in “%(unit)s”, which is not an openEPD unit we know (e.g. “%(expected)s”).")
            else:
                message = _("%(name)s in %(module)s is in “%(unit)s”; openEPD declares it in “%(expected)s”.")
            values = {"name": name, "module": where["module"], "unit": unit, "expected": " / ".join(allowed)}
            findings.append(Finding(ERROR, "P20", message % values, **where))
            del scopes[scope]
    return findings


_WRONG_UNIT = re.compile(r"'(.+)' is only allowed unit for this scopeset\. Provided '(.*)'\.?")


def _pydantic_finding(error: dict) -> Finding:
    loc = [str(part) for part in error.get("loc", ())]
    path = ".".join(loc)
    problem = str(error.get("msg", "")).removeprefix("Value error, ")
    wrong_unit = _WRONG_UNIT.fullmatch(problem)
    if wrong_unit:
        problem = _("the unit is “%(given)s” where openEPD expects “%(expected)s”") % {
            "given": wrong_unit.group(2) if wrong_unit.group(2) != "None" else _("(none)"),
            "expected": wrong_unit.group(1),
        }
    where: dict[str, str] = {}
    if len(loc) >= 2 and loc[0] in ("impacts", "resource_uses", "output_flows"):
        key = loc[2] if loc[0] == "impacts" and len(loc) > 2 else loc[1]
        indicator = indicators_by_key().get((loc[0], key))
        if indicator:
            where["indicator"] = indicator.code
        scope = loc[3] if loc[0] == "impacts" and len(loc) > 3 else (loc[2] if loc[0] != "impacts" and len(loc) > 2 else "")
        if scope in module_by_scope():
            where["module"] = module_by_scope()[scope]
    return Finding(
        ERROR,
        "format",
        _("“%(path)s” does not fit the openEPD format: %(problem)s.") % {"path": path or _("the document"), "problem": problem.rstrip(".")},
        field=path,
        **where,
    )


def _declared_unit_factor(raw: object, declared_unit: str | None, findings: list[Finding]) -> Decimal | None:
    """What to multiply the document's values by to get them per the declaration's declared unit (None: per the document's)."""
    ours = declared_mass_kg(declared_unit) if declared_unit else None
    if not raw and declared_unit is None:
        return Decimal(1)  # the document's own unit is wanted: the metadata reader states it, or says it is unknown
    if not raw:
        findings.append(
            Finding(
                WARNING,
                "P1",
                _("The document does not state its declared unit; its results were read as per %(unit)s.") % {"unit": declared_unit},
                field="declared_unit",
            )
        )
        return Decimal(1)
    raw = raw if isinstance(raw, dict) else {}
    amount, _problem = parse_value(raw.get("qty", 1))
    unit = openepd_unit(raw.get("unit"))
    shown = f"{raw.get('qty', 1)} {raw.get('unit') or ''}".strip()
    if unit is None or unit.quantity != "kg" or amount is None or amount <= 0:
        findings.append(
            Finding(
                ERROR,
                "P1",
                _("The document's declared unit is %(theirs)s, which is not a mass; steel EPDs declare 1 t (or a number of kg or t).")
                % {"theirs": shown},
                field="declared_unit",
            )
        )
        return None
    theirs = amount * unit.scale
    if ours is None or theirs == ours:
        return Decimal(1)
    factor = ours / theirs
    findings.append(
        Finding(
            WARNING,
            "P1",
            _(
                "The document's results are per %(theirs)s; this declaration's declared unit is %(ours)s. "
                "We multiplied every value by %(factor)s."
            )
            % {"theirs": shown, "ours": declared_unit, "factor": f"{factor.normalize():f}"},
            field="declared_unit",
        )
    )
    return factor


def _scope_sets(data: dict, findings: list[Finding]) -> Iterator[tuple[str, str, str, dict]]:
    """(JSON path, section, key, scope set) for every indicator of the EF impacts and the LCI sets."""
    method = _impact_method(data.get("impacts") or {}, findings)
    sections = [("impacts", f"impacts.{method}", (data.get("impacts") or {}).get(method) or {})] if method else []
    sections += [(name, name, data.get(name) or {}) for name in ("resource_uses", "output_flows")]
    for section, prefix, sets in sections:
        for key, scopes in sets.items():
            # "ep" has the same meaning as "ep-marine" in openEPD; read it only when "ep-marine" is absent.
            if key == "ext" or not scopes or (key == "ep" and sets.get("ep-marine")):
                continue
            yield f"{prefix}.{key}", section, "ep-marine" if key == "ep" else key, scopes


def _impact_method(impacts: dict, findings: list[Finding]) -> str | None:
    """The LCIA method whose impacts are EN 15804+A2 results."""
    ef = [m for m in EF_METHODS if m in impacts]
    if len(ef) > 1:
        findings.append(
            Finding(
                ERROR,
                "format",
                _("The document has impacts under both EF 3.0 and EF 3.1; send the set the EPD declares, alone."),
                field="impacts",
            )
        )
        return None
    unknown = LCIAMethod.UNKNOWN.value
    method = ef[0] if ef else (unknown if unknown in impacts else None)
    for other in impacts:
        if other != method:
            findings.append(
                Finding(
                    WARNING,
                    "format",
                    _("Impacts under “%(method)s” were not imported: EN 15804+A2 results are characterised with EF 3.0 or EF 3.1.")
                    % {"method": other},
                    field=f"impacts.{other}",
                )
            )
    if method == unknown:
        findings.append(
            Finding(
                WARNING,
                "format",
                _("The document does not name the LCIA method of its impacts; they were read as EF 3.x results. Check them."),
                field=f"impacts.{unknown}",
            )
        )
    return method


def _cells(indicator: catalogue.Indicator, path: str, scopes: dict, factor: Decimal, findings: list[Finding]) -> Iterator[ResultCell]:
    for scope, measurement in scopes.items():
        if scope in ("ext", "C_scenarios") or scope.endswith("_years") or measurement is None:
            continue
        where = {"field": f"{path}.{scope}", "indicator": indicator.code}
        module = module_by_scope().get(scope)
        if module is None:
            findings.append(
                Finding(
                    ERROR,
                    "module",
                    _("“%(scope)s” is not an openEPD scope (A1A2A3, A1 … A5, B1 … B7, C1 … C4, D).") % {"scope": scope},
                    **where,
                )
            )
            continue
        cell = _cell(indicator, module, measurement, where, factor, findings)
        if cell is not None:
            yield cell


def _cell(
    indicator: catalogue.Indicator, module: str, measurement: dict, where: dict, factor: Decimal, findings: list[Finding]
) -> ResultCell | None:
    number, problem = parse_value(measurement.get("mean"))
    if problem or number is None:
        findings.append(
            Finding(
                ERROR,
                "value",
                _("%(code)s in %(module)s: %(problem)s.") % {"code": indicator.code, "module": module, "problem": problem or _("no value")},
                module=module,
                **where,
            )
        )
        return None
    text = measurement.get("unit")
    unit = openepd_unit(text)
    if unit is None:
        message = (
            _("%(code)s in %(module)s has no unit; openEPD gives it, e.g. “%(example)s”.")
            if not text
            else _("%(code)s in %(module)s is in “%(unit)s”, which is not an openEPD unit we know (e.g. “%(example)s”).")
        )
        findings.append(
            Finding(
                ERROR,
                "P20",
                message % {"code": indicator.code, "module": module, "unit": text, "example": export_unit(indicator.code)},
                module=module,
                **where,
            )
        )
        return None
    return ResultCell(indicator.code, module, rescale(number, unit.scale * factor), unit=unit.quantity, field=where["field"])
