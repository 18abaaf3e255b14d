"""ILCD+EPD v1.2 (EN 15804+A2 profile): results read from a process dataset, and a process dataset
written for a published EPD, for ÖKOBAUDAT / ECO Portal style databases.

Indicators are known by their UUID alone (P22): LCIA method UUIDs for impacts, flow UUIDs for
resource use, waste and output flows, both from the reference (EF 3.0 and EF 3.1 columns). Labels
only serve to warn when they contradict the UUID. The XML parser resolves no entities and fetches
nothing; archives are read member by member under size caps, never extracted.
"""

import io
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.utils.translation import gettext as _
from lxml import etree

from . import catalogue, ilcd_master, imports
from .validation import ERROR, WARNING, Finding, ResultCell, declared_mass_kg, is_module_not_declared, parse_value, rescale

PROCESS = "http://lca.jrc.it/ILCD/Process"
FLOW = "http://lca.jrc.it/ILCD/Flow"
CONTACT = "http://lca.jrc.it/ILCD/Contact"
SOURCE = "http://lca.jrc.it/ILCD/Source"
COMMON = "http://lca.jrc.it/ILCD/Common"
EPD = "http://www.iai.kit.edu/EPD/2013"
EPD2 = "http://www.indata.network/EPD/2019"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NS = {"p": PROCESS, "f": FLOW, "common": COMMON, "epd": EPD, "epd2": EPD2}

# A unit group some older ÖKOBAUDAT datasets reference that the InDataWG lists do not name ("Units of energy").
_UNLISTED_UNIT_GROUPS = {"de5104d8-3de0-4218-a29d-b7123ce9ca3c": "MJ"}
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://steel-epd.example/ilcd")

MAX_ARCHIVE_MEMBERS = 5000
MAX_XML_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_READ_BYTES = 60 * 1024 * 1024


class IlcdFileError(Exception):
    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.finding = Finding(ERROR, "file", message, field=where)


# ---------------------------------------------------------------- safe input


def parse_xml(data: bytes, name: str = "") -> etree._Element:
    """Parse without entity expansion, DTD loading or network access; refuse a document with a DTD.

    Every XML document the platform reads with lxml goes through here, our own stored exports included."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or "<!DOCTYPE".encode("utf-16-le") in head or "<!DOCTYPE".encode("utf-16-be") in head:
        raise IlcdFileError(_("%(name)s declares a DTD. ILCD datasets have none; it was refused.") % {"name": name or _("The file")}, name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise IlcdFileError(_("%(name)s is not well-formed XML: %(problem)s.") % {"name": name or _("The file"), "problem": exc.msg}, name)
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:  # a DOCTYPE after a long comment escapes the head check
        raise IlcdFileError(_("%(name)s declares a DTD. ILCD datasets have none; it was refused.") % {"name": name or _("The file")}, name)
    return root


class Archive:
    """An ILCD ZIP read in memory: members found by folder and UUID, each under a size cap."""

    def __init__(self, content: bytes):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(content))
            members = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise IlcdFileError(_("The file is not a readable ZIP archive."))
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise IlcdFileError(
                _("The archive has %(count)d files; at most %(max)d are read.") % {"count": len(members), "max": MAX_ARCHIVE_MEMBERS}
            )
        self.members = {m.filename: m for m in members if not m.is_dir()}
        self.read_bytes = 0

    def named(self, folder: str) -> list[str]:
        """Names of the XML files directly in a folder called `folder`, at any depth (ILCD/processes/…)."""
        return sorted(n for n in self.members if n.endswith(".xml") and n.rsplit("/", 2)[-2:-1] == [folder])

    def dataset(self, folder: str, dataset_uuid: str) -> etree._Element | None:
        """A referenced dataset, stored as <uuid>.xml or <uuid>_<version>.xml; None when absent."""
        for name in self.named(folder):
            stem = name.rsplit("/", 1)[-1].removesuffix(".xml")
            if stem.split("_", 1)[0].lower() == dataset_uuid.lower():
                return parse_xml(self.read(name), name)
        return None

    def read(self, name: str) -> bytes:
        member = self.members[name]
        if member.flag_bits & 0x1:
            raise IlcdFileError(_("%(name)s is encrypted.") % {"name": name}, name)
        limit = min(MAX_XML_BYTES, MAX_ARCHIVE_READ_BYTES - self.read_bytes)
        if member.file_size > limit:
            raise IlcdFileError(_("%(name)s is too large to read (%(size).1f MB).") % {"name": name, "size": member.file_size / 1e6}, name)
        # The size in the directory can lie; never read more than the cap, whatever it says.
        try:
            with self.zip.open(member) as stream:
                data = stream.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, zlib.error):
            raise IlcdFileError(_("%(name)s is damaged or compressed in a way we cannot read.") % {"name": name[:100]}, name)
        if len(data) > limit:
            raise IlcdFileError(_("%(name)s is too large to read.") % {"name": name}, name)
        self.read_bytes += len(data)
        return data


def is_zip(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def _process_root(content: bytes) -> tuple[etree._Element, Archive | None]:
    if not is_zip(content):
        return parse_xml(content), None
    archive = Archive(content)
    processes = archive.named("processes")
    if len(processes) != 1:
        message = (
            _("The archive has no processes/*.xml dataset.")
            if not processes
            else _("The archive has %(count)d process datasets (%(names)s); send one EPD per file.")
            % {"count": len(processes), "names": ", ".join(p.rsplit("/", 1)[-1] for p in processes[:5])}
        )
        raise IlcdFileError(message, "processes")
    return parse_xml(archive.read(processes[0]), processes[0]), archive


# ---------------------------------------------------------------- reading


@cache
def _indicators_by_uuid() -> dict[str, tuple[catalogue.Indicator, str]]:
    """UUID → (indicator, "EF 3.0" / "EF 3.1" when the UUID belongs to one of them only, else "")."""
    found: dict[str, tuple[catalogue.Indicator, str]] = {}
    for ind in catalogue.indicators().values():
        if ind.ilcd_uuid_ef30:
            found[ind.ilcd_uuid_ef30.lower()] = (ind, "EF 3.0" if ind.ilcd_uuid_ef31 else "")
        if ind.ilcd_uuid_ef31:
            found[ind.ilcd_uuid_ef31.lower()] = (ind, "EF 3.1")
    return found


@cache
def _a1_uuids() -> dict[str, str]:
    return {row["uuid"].lower(): code for code, row in catalogue.a1_legacy_indicators().items()}


@dataclass
class _Block:
    """One LCIAResult or exchange that carries epd:amount values."""

    path: str
    element: etree._Element
    reference: etree._Element | None
    amounts: list[etree._Element] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return (self.reference.get("refObjectId", "") if self.reference is not None else "").strip().lower()

    @property
    def label(self) -> str:
        return _short_description(self.reference) if self.reference is not None else ""


def _short_description(element: etree._Element) -> str:
    texts = element.findall("common:shortDescription", NS)
    english = [t for t in texts if t.get(XML_LANG) == "en"]
    chosen = (english or texts or [None])[0]
    return (chosen.text or "").strip() if chosen is not None else ""


def _blocks(root: etree._Element) -> Iterator[_Block]:
    for number, result in enumerate(root.iterfind("p:LCIAResults/p:LCIAResult", NS), 1):
        yield _Block(
            f"LCIAResults/LCIAResult[{number}]",
            result,
            result.find("p:referenceToLCIAMethodDataSet", NS),
            result.findall("common:other/epd:amount", NS),
        )
    for exchange in root.iterfind("p:exchanges/p:exchange", NS):
        amounts = exchange.findall("common:other/epd:amount", NS)
        if amounts:  # the reference flow and plain inventory exchanges carry no module amounts
            path = f"exchanges/exchange[@dataSetInternalID='{exchange.get('dataSetInternalID', '')}']"
            yield _Block(path, exchange, exchange.find("p:referenceToFlowDataSet", NS), amounts)


def read_ilcd(content: bytes, *, declared_unit: str | None = None, take_declared_unit: bool = False) -> "imports.ParsedResults":
    """Result cells from an ILCD+EPD process dataset: the XML, or an ILCD ZIP with one processes/*.xml, and what
    the dataset states about the declaration (ilcd_metadata).

    With `declared_unit`, results are converted to it when the archive's reference flow states its mass; with
    `take_declared_unit` they are read per the dataset's own declared unit, which is then stated.
    """
    from . import ilcd_metadata  # it reads this module's helpers

    parsed = imports.ParsedResults()
    try:
        root, archive = _process_root(content)
        if root.tag != f"{{{PROCESS}}}processDataSet":
            raise IlcdFileError(
                _("This is not an ILCD process dataset: its root element is “%(tag)s”.") % {"tag": etree.QName(root).localname},
                "processDataSet",
            )
        factor = Decimal(1) if take_declared_unit else _declared_unit_factor(root, archive, declared_unit, parsed.findings)
        _read_blocks(root, archive, factor, parsed)
        ilcd_metadata.read_stated(root, archive, parsed, per_file_unit=factor == 1, take_declared_unit=take_declared_unit)
    except IlcdFileError as exc:
        parsed.findings.append(exc.finding)
        return parsed
    parsed.declared_modules = imports.declared_modules_of(parsed.cells, set())
    return parsed


def _read_blocks(root: etree._Element, archive: Archive | None, factor: Decimal, parsed: "imports.ParsedResults") -> None:
    defaults = _default_scenarios(root)
    methods: dict[str, str] = {}  # method → the first block whose UUID is that method's own
    for block in _blocks(root):
        indicator = _identify(block, methods, parsed.findings)
        if indicator is None:
            continue
        unit = _unit_of(block, archive)
        for module, amount, path in _module_amounts(block, indicator, defaults, parsed):
            cell = _cell(indicator, module, amount, unit, path, factor, parsed.findings)
            if cell is not None:
                parsed.add_once(cell, path)
    parsed.method_evidence = list(methods.items())
    if len(methods) > 1:
        parsed.findings.append(
            Finding(
                WARNING,
                "P22",
                _("The dataset mixes EF 3.0 and EF 3.1 indicators (by their UUIDs); an EPD uses one set of characterisation factors."),
                field="LCIAResults",
            )
        )


def _identify(block: _Block, methods: dict[str, str], findings: list[Finding]) -> catalogue.Indicator | None:
    """The indicator by its UUID; a label that names another indicator is only a warning."""
    known = _indicators_by_uuid().get(block.uuid)
    if known is None:
        legacy = _a1_uuids().get(block.uuid)
        if legacy:
            findings.append(
                Finding(
                    ERROR,
                    "P22",
                    _(
                        "%(label)s (UUID %(uuid)s) is the EN 15804+A1 indicator %(code)s. This platform publishes EN 15804+A2 "
                        "EPDs: recalculate with the EF 3.0 or EF 3.1 method."
                    )
                    % {"label": block.label or legacy, "uuid": block.uuid, "code": legacy},
                    field=block.path,
                )
            )
        else:
            findings.append(
                Finding(
                    WARNING,
                    "P22",
                    _("“%(label)s” (UUID %(uuid)s) is not an EN 15804+A2 indicator we know by its UUID; it was not imported.")
                    % {"label": block.label or "?", "uuid": block.uuid or "?"},
                    field=block.path,
                )
            )
        return None
    indicator, method = known
    if method:
        methods.setdefault(method, block.path)
    named = catalogue.indicator_by_label(block.label) if block.label else None
    if named is not None and named.code != indicator.code:
        findings.append(
            Finding(
                WARNING,
                "P22",
                _("The UUID %(uuid)s is %(code)s, but the dataset labels it “%(label)s”; it was read as %(code)s, by its UUID.")
                % {"uuid": block.uuid, "code": indicator.code, "label": block.label},
                field=block.path,
                indicator=indicator.code,
            )
        )
    return indicator


def _unit_of(block: _Block, archive: Archive | None) -> str:
    """The unit of a block, from its unit group: known UUID, else the archive's dataset, else the label.

    Without any, the unit is the one the indicator's master data fixes, and stays "" (unchecked).
    """
    reference = block.element.find("common:other/epd:referenceToUnitGroupDataSet", NS)
    if reference is None:
        return ""
    group = reference.get("refObjectId", "").strip().lower()
    if group in _units_by_group():
        return _units_by_group()[group]
    dataset = archive.dataset("unitgroups", group) if archive and group else None
    name = _reference_unit_name(dataset) if dataset is not None else ""
    return _plain_unit(name or _short_description(reference))


@cache
def _units_by_group() -> dict[str, str]:
    """Unit group UUID → its reference unit, from the InDataWG master data: EN 15804+A2 and A1 groups (so that an A1
    unit is named as one), deprecated UUIDs too, in the spelling validation.normalise_unit reads."""
    units = {group: unit.unit for group, unit in ilcd_master.unit_groups().items()}
    units.update({group: unit for group, unit in ilcd_master.a1_unit_groups().items() if group not in units})
    units.update({old: units[new] for old, new in ilcd_master.deprecated_unit_groups().items() if new in units})
    return {group.lower(): _plain_unit(unit) for group, unit in {**_UNLISTED_UNIT_GROUPS, **units}.items()}


def _reference_unit_name(dataset: etree._Element) -> str:
    ug = {"ug": "http://lca.jrc.it/ILCD/UnitGroup"}
    reference = dataset.findtext("ug:unitGroupInformation/ug:quantitativeReference/ug:referenceToReferenceUnit", namespaces=ug)
    for unit in dataset.iterfind("ug:units/ug:unit", ug):
        if unit.get("dataSetInternalID") == (reference or "").strip():
            return (unit.findtext("ug:name", namespaces=ug) or "").strip()
    return ""


def _plain_unit(name: str) -> str:
    """ILCD spellings ("kg CO2-Äqv.", "kg P eqv.") as validation.normalise_unit reads them."""
    for suffix in ("-Äquiv.", "-Äqv.", " Äqv.", "-eqv.", " eqv.", "-eq."):
        if name.endswith(suffix):
            return name.removesuffix(suffix) + " eq."
    return name


def _default_scenarios(root: etree._Element) -> set[str]:
    path = "p:processInformation/p:dataSetInformation/common:other/epd:scenarios/epd:scenario"
    return {s.get(f"{{{EPD}}}name", "") for s in root.iterfind(path, NS) if s.get(f"{{{EPD}}}default") == "true"}


def _module_amounts(
    block: _Block, indicator: catalogue.Indicator, defaults: set[str], parsed: "imports.ParsedResults"
) -> Iterator[tuple[str, str, str]]:
    """(module, amount text, field) per module; of several scenarios, the one without a name or the default."""
    findings = parsed.findings
    by_module: dict[str, list[tuple[str | None, str]]] = {}
    for amount in block.amounts:
        given = (amount.get(f"{{{EPD}}}module") or "").strip()
        path = f"{block.path}/epd:amount[@module='{given}']"
        module = parsed.module(given, path)
        if module is None:
            findings.append(
                Finding(
                    ERROR,
                    "module",
                    _("“%(module)s” is not an EN 15804 module (A1-A3, A4, A5, B1-B7, C1-C4, D).") % {"module": given},
                    field=path,
                    indicator=indicator.code,
                )
            )
            continue
        text = (amount.text or "").strip()
        if text and not is_module_not_declared(text):
            by_module.setdefault(module, []).append((amount.get(f"{{{EPD}}}scenario"), text))
    for module, candidates in by_module.items():
        path = f"{block.path}/epd:amount[@module='{module}']"
        chosen = [t for s, t in candidates if s is None] or [t for s, t in candidates if s in defaults]
        if len(chosen) == 1 or len(candidates) == 1:
            yield module, (chosen or [candidates[0][1]])[0], path
            continue
        findings.append(
            Finding(
                ERROR,
                "value",
                _("%(code)s in %(module)s has %(count)d values (scenarios %(names)s) and none is marked as the default scenario.")
                % {"code": indicator.code, "module": module, "count": len(candidates), "names": ", ".join(str(s) for s, _t in candidates)},
                field=path,
                indicator=indicator.code,
                module=module,
            )
        )


def _cell(
    indicator: catalogue.Indicator, module: str, text: str, unit: str, path: str, factor: Decimal, findings: list[Finding]
) -> ResultCell | None:
    number, problem = parse_value(text)
    if problem:
        findings.append(
            Finding(
                ERROR,
                "value",
                _("%(code)s in %(module)s: %(problem)s.") % {"code": indicator.code, "module": module, "problem": problem},
                field=path,
                indicator=indicator.code,
                module=module,
            )
        )
        return None
    if number is None:
        return None
    return ResultCell(indicator.code, module, rescale(number, factor), unit=unit, field=path)


def _reference_mass_kg(root: etree._Element, archive: Archive | None) -> tuple[Decimal | None, str]:
    """Mass of the reference flow in kg, when the archive holds its flow dataset; and where it is."""
    reference = (root.findtext("p:processInformation/p:quantitativeReference/p:referenceToReferenceFlow", namespaces=NS) or "").strip()
    path = f"exchanges/exchange[@dataSetInternalID='{reference}']"
    exchange = root.find(f"p:exchanges/p:exchange[@dataSetInternalID='{reference}']", NS) if reference.isdigit() else None
    flow_ref = exchange.find("p:referenceToFlowDataSet", NS) if exchange is not None else None
    if archive is None or flow_ref is None:
        return None, path
    amount, _problem = parse_value(
        exchange.findtext("p:resultingAmount", namespaces=NS) or exchange.findtext("p:meanAmount", namespaces=NS)
    )
    flow = archive.dataset("flows", flow_ref.get("refObjectId", ""))
    if flow is None or amount is None:
        return None, path
    property_id = (
        flow.findtext("f:flowInformation/f:quantitativeReference/f:referenceToReferenceFlowProperty", namespaces=NS) or ""
    ).strip()
    for prop in flow.iterfind("f:flowProperties/f:flowProperty", NS):
        prop_ref = prop.find("f:referenceToFlowPropertyDataSet", NS)
        if (
            prop.get("dataSetInternalID") == property_id
            and prop_ref is not None
            and prop_ref.get("refObjectId", "").lower() == ilcd_master.flow_properties()["Mass"].uuid
        ):
            mean, _problem = parse_value(prop.findtext("f:meanValue", namespaces=NS) or "1")
            return (amount * mean if mean is not None else None), path
    return None, path


def _declared_unit_factor(root: etree._Element, archive: Archive | None, declared_unit: str | None, findings: list[Finding]) -> Decimal:
    ours = declared_mass_kg(declared_unit) if declared_unit else None
    theirs, path = _reference_mass_kg(root, archive)
    if ours is None or theirs is None or theirs <= 0 or theirs == ours:
        return Decimal(1)
    factor = ours / theirs
    findings.append(
        Finding(
            WARNING,
            "P1",
            _(
                "The dataset's results are per %(theirs)s kg of product; this declaration's declared unit is %(ours)s. "
                "We multiplied every value by %(factor)s."
            )
            % {"theirs": f"{theirs.normalize():f}", "ours": declared_unit, "factor": f"{factor.normalize():f}"},
            field=path,
        )
    )
    return factor
