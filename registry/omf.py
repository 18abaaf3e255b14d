"""Open Material Filter (OMF), the query language of openEPD searches, as far as the registry answers it.

    !EC3 search("RebarSteel") WHERE jurisdiction: IN("CN", "150") AND valid_until: >"2027-01-01" !pragma oMF("1.0/1")

The category is any name openepd's category tree knows (unique name, hierarchical name, former names;
case does not matter); it selects the steel categories at or below it, so "Concrete" finds nothing and
"ConstructionMaterials" everything. The conditions the registry answers are FIELDS below, joined by AND;
pragmas are accepted and repeated in the effective filter. Anything else is a 400 that names it, rather
than a filter silently ignored.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openepd.category.base import CATEGORY_TREE
from openepd.m49.const import OPENEPD_SPECIAL_REGIONS
from openepd.m49.utils import flatten_to_iso3166_alpha2, is_iso_code, is_m49_code

from declarations import catalogue

from . import queries
from .models import RegistryEntry, RegistryStatus

MAX_LENGTH = 2000
COMPARISONS = (">=", "<=", ">", "<", "=")
FIELDS = {
    "jurisdiction": "plant country: ISO 3166 codes, M49 regions (150 = Europe) or EU27 / NAFTA",
    "plant_geography": "the same as jurisdiction",
    "valid_until": "a date, with > >= < <= =",
    "epd__date_validity_ends": "the same as valid_until",
    "date_of_issue": "a date, with > >= < <= =",
    "epd__date_of_issue": "the same as date_of_issue",
    "gwp": 'GWP-total A1-A3 per declared unit, e.g. <"800 kgCO2e"',
    "program_operator_doc_id": 'registration numbers, e.g. IN("EPD-STEEL-2026-000123")',
    "epd_types": 'IN("Product EPDs"): the registry holds product EPDs only',
    "status": 'the registry status, e.g. IN("valid", "superseded"); valid when left out',
}
_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|[><=:(),])|(?P<word>!?[A-Za-z_][A-Za-z0-9_.\-]*)|(?P<number>[+-]?\d+(?:\.\d+)?))'
)
_GWP_UNITS = {"kgco2e": Decimal(1), "tco2e": Decimal(1000)}


class OmfError(ValueError):
    pass


@dataclass
class Condition:
    field: str
    op: str  # "in" or one of COMPARISONS
    values: list[str]

    def text(self) -> str:
        quoted = ", ".join(f'"{v}"' for v in self.values)
        return f"{self.field}: IN({quoted})" if self.op == "in" else f"{self.field}: {self.op}{quoted}"


@dataclass
class Omf:
    category: str = ""
    conditions: list[Condition] = field(default_factory=list)
    pragmas: list[tuple[str, list[str]]] = field(default_factory=list)

    def effective(self) -> str:
        """The filter as the registry applied it, in a canonical spelling (for meta.material_filter)."""
        text = f'!EC3 search("{self.category}")' if self.category else "!EC3 search()"
        if self.conditions:
            text += " WHERE " + " AND ".join(c.text() for c in self.conditions)
        if self.pragmas:
            text += " !pragma " + ", ".join(f"{name}({', '.join(chr(34) + a + chr(34) for a in args)})" for name, args in self.pragmas)
        return text

    def digest(self) -> str:
        return hashlib.sha1(self.effective().encode(), usedforsecurity=False).hexdigest()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise OmfError(_("the filter cannot be read at “%(rest)s”") % {"rest": text[position : position + 30].strip()})
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, value[1:-1].replace('\\"', '"') if kind == "string" else value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, expected: str | None = None) -> str:
        kind, value = self.peek()
        if kind == "end" or (expected is not None and value.lower() != expected.lower()):
            shown = value or _("the end")
            raise OmfError(_("expected “%(expected)s” but found “%(found)s”") % {"expected": expected or "…", "found": shown})
        self.at += 1
        return value

    def word(self, value: str) -> bool:
        return self.peek()[0] == "word" and self.peek()[1].lower() == value.lower()

    def arguments(self) -> list[str]:
        self.take("(")
        values = []
        while self.peek()[1] != ")":
            kind, value = self.peek()
            if kind not in ("string", "number", "word"):
                raise OmfError(_("expected a value but found “%(found)s”") % {"found": value or _("the end")})
            values.append(self.take())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return values

    def parse(self) -> Omf:
        omf = Omf()
        if self.word("!EC3"):
            self.take()
        self.take("search")
        arguments = self.arguments()
        if len(arguments) > 1:
            raise OmfError(_("search() takes one category"))
        omf.category = arguments[0] if arguments else ""
        if self.word("WHERE"):
            self.take()
        while self.peek()[0] == "word" and not self.word("!pragma"):
            omf.conditions.append(self.condition())
            if self.word("AND"):
                self.take()
            elif self.word("OR"):
                raise OmfError(_("OR is not supported; run one search per alternative"))
        if self.word("!pragma"):
            self.take()
            while self.peek()[0] == "word":
                omf.pragmas.append((self.take(), self.arguments()))
                if self.peek()[1] == ",":
                    self.take(",")
        if self.peek()[0] != "end":
            raise OmfError(_("the filter cannot be read at “%(rest)s”") % {"rest": self.peek()[1]})
        return omf

    def condition(self) -> Condition:
        name = self.take()
        if name not in FIELDS:
            raise OmfError(
                _("the registry does not filter by “%(field)s”; it filters by %(fields)s") % {"field": name, "fields": ", ".join(FIELDS)}
            )
        self.take(":")
        if self.word("IN"):
            self.take()
            return Condition(name, "in", self.arguments())
        op = self.take() if self.peek()[1] in COMPARISONS else "="
        kind, _value = self.peek()
        if kind not in ("string", "number"):
            raise OmfError(_("expected a value for “%(field)s”") % {"field": name})
        return Condition(name, op, [self.take()])


def parse(text: str) -> Omf:
    """The filter, or queries.BadQuery naming `omf` and what is wrong with it."""
    if not text or not text.strip():
        raise queries.BadQuery.of("omf", _('omf is required, e.g. !EC3 search("RebarSteel") !pragma oMF("1.0/1").'))
    if len(text) > MAX_LENGTH or any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        raise queries.BadQuery.of("omf", _("omf is longer than %(n)d characters or contains a control character.") % {"n": MAX_LENGTH})
    try:
        omf = _Parser(text).parse()
        _category_codes(omf.category)
        for condition in omf.conditions:
            _check(condition)
    except OmfError as error:
        raise queries.BadQuery.of("omf", _("omf: %(problem)s.") % {"problem": error}) from error
    return omf


# ---------------------------------------------------------------- what it selects


@cache
def _category_lineage() -> dict[str, frozenset[str]]:
    """catalogue category code → the openEPD categories it is in (its own and every ancestor)."""
    lineage = {}
    for category in catalogue.CATEGORIES:
        node = CATEGORY_TREE.find_one(category.openepd_class)
        lineage[category.code] = frozenset([node.unique_name, *(a.unique_name for a in node.ancestors)])
    return lineage


def _category_codes(name: str) -> list[str] | None:
    """The catalogue codes inside openEPD category `name`; None for no restriction."""
    if not name:
        return None
    try:
        node = CATEGORY_TREE.find_one(name)
    except ValueError as error:
        raise OmfError(_("“%(name)s” names several openEPD categories; use its unique name") % {"name": name}) from error
    if node is None:
        raise OmfError(_("“%(name)s” is not an openEPD category (e.g. RebarSteel, HotRolledSections, Steel)") % {"name": name})
    return [code for code, names in _category_lineage().items() if node.unique_name in names]


def _countries(values: list[str]) -> set[str]:
    for value in values:
        if not (is_iso_code(value) or is_m49_code(value) or value in OPENEPD_SPECIAL_REGIONS):
            raise OmfError(_("“%(value)s” is not a country (ISO 3166), an M49 region or EU27 / NAFTA") % {"value": value})
    return {code.split("-")[0] for code in flatten_to_iso3166_alpha2(values)}


def _day(condition: Condition) -> datetime.date:
    try:
        return datetime.date.fromisoformat(condition.values[0][:10])
    except ValueError as error:
        raise OmfError(_("%(field)s needs a date like 2027-01-01") % {"field": condition.field}) from error


def _gwp(condition: Condition) -> Decimal:
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z0-9]*)\s*", condition.values[0])
    scale = _GWP_UNITS.get(match.group(2).lower() or "kgco2e") if match else None
    if match is None or scale is None:
        raise OmfError(_('gwp needs an amount of kgCO2e, e.g. <"800 kgCO2e"'))
    return Decimal(match.group(1)) * scale


def _check(condition: Condition) -> None:
    """Refuse what cannot be applied: wrong operators, values of the wrong kind."""
    name, op = condition.field, condition.op
    if name in ("jurisdiction", "plant_geography", "epd_types", "status", "program_operator_doc_id"):
        if op not in ("in", "="):
            raise OmfError(_("%(field)s takes IN(…) or one value") % {"field": name})
    elif op == "in":
        raise OmfError(_("%(field)s takes a comparison such as >, not IN(…)") % {"field": name})
    if name in ("jurisdiction", "plant_geography"):
        _countries(condition.values)
    elif name == "status" and any(v not in RegistryStatus.values for v in condition.values):
        raise OmfError(_("status takes %(values)s") % {"values": ", ".join(RegistryStatus.values)})
    elif name in ("valid_until", "epd__date_validity_ends", "date_of_issue", "epd__date_of_issue"):
        _day(condition)
    elif name == "gwp":
        _gwp(condition)


_LOOKUP = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "exact"}
_COLUMN = {
    "valid_until": "valid_until",
    "epd__date_validity_ends": "valid_until",
    "date_of_issue": "issued",
    "epd__date_of_issue": "issued",
    "gwp": "gwp_a1a3",
}


def entries(omf: Omf) -> QuerySet[RegistryEntry]:
    """The registry entries the filter selects: valid, latest versions unless it asks for a status."""
    statuses = next((tuple(c.values) for c in omf.conditions if c.field == "status"), (RegistryStatus.VALID,))
    selected = queries.filtered(queries.Query(statuses=statuses))
    codes = _category_codes(omf.category)
    if codes is not None:
        selected = selected.filter(category__in=codes)
    for condition in omf.conditions:
        name = condition.field
        if name in ("jurisdiction", "plant_geography"):
            selected = selected.filter(country__in=_countries(condition.values))
        elif name == "program_operator_doc_id":
            selected = selected.filter(registration_number__in=condition.values)
        elif name == "epd_types" and "Product EPDs" not in condition.values:
            selected = selected.none()
        elif name in _COLUMN:
            value = _gwp(condition) if name == "gwp" else _day(condition)
            selected = selected.filter(**{f"{_COLUMN[name]}__{_LOOKUP[condition.op]}": value})
    return selected
