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

from . import catalogue, imports
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

# Unit groups of the ILCD+EPD master data (ÖKOBAUDAT; the InData sample dataset and the reference
# data shipped with ilcdlib use the same UUIDs), by the platform's spelling of the unit.
UNIT_GROUPS: dict[str, str] = {
    "kg CO2 eq.": "1ebf3012-d0db-4de2-aefd-ef30cedb0be1",
    "kg CFC 11 eq.": "d9e957c9-7309-4474-bf3a-7777df6c4e5b",
    "mol H+ eq.": "42e089ac-92bf-4bf2-8ca1-5fc40d18f2ed",
    "kg P eq.": "0429039d-a61d-4590-ba67-aa4a20a810a1",
    "kg N eq.": "d05bb823-ecdf-4686-8c40-bf1d9257859f",
    "mol N eq.": "71b4d617-0ec9-4d3f-b65e-e438940c2401",
    "kg NMVOC eq.": "d27c25f8-fbc1-44c6-b47b-4adbae4199c6",
    "kg Sb eq.": "54ccd2d9-a32a-4fc2-923d-f2c8c93e89d4",
    "MJ, net calorific value": "93a60a57-a3c8-11da-a746-0800200c9a66",
    "MJ": "93a60a57-a3c8-11da-a746-0800200c9a66",
    "m3 world eq. deprived": "6ae2df01-888e-46c8-b17d-49fa3869b476",
    "disease incidence": "3883559b-648f-4afc-8ba2-0bd24f3affa3",
    "kBq U235 eq.": "456b05bf-1415-44a9-9993-02452f554c09",
    "CTUe": "aa959ded-f1eb-4efb-9c5c-2d60be36b3e6",
    "CTUh": "d4c9523e-2d7e-49fd-8469-998f547d3a70",
    "dimensionless": "f130951c-e67f-4f7f-8dd4-665de3974e18",
    "kg": "ad38d542-3fe9-439d-9b95-2f5f7752acaf",
    "m3": "cd950537-0a98-4044-9ba7-9f9a68d0a504",
}
# Further unit groups met in imports: other spellings of the same units, and EN 15804+A1 ones, so
# that validation.normalise_unit can name an A1 unit as such.
UNIT_GROUPS_READ: dict[str, str] = {
    **{group: unit for unit, group in UNIT_GROUPS.items() if unit != "MJ, net calorific value"},
    "93a60a57-a4c8-11da-a746-0800200c9a66": "kg",
    "de5104d8-3de0-4218-a29d-b7123ce9ca3c": "MJ",
    "93a60a57-a3c8-12da-a746-0800200c9a66": "m3",
    "88054749-b0a6-47ea-a82b-dc5b29326512": "kg CFC 11 eq.",
    "bc50c624-a9bc-45b1-a9b0-e6b10d00476f": "kg SO2 eq.",
    "01c26c17-9a76-406e-8295-f17b55fd909e": "kg ethene eq.",
    "67b5401d-873c-485f-bcf3-6ae83b918822": "kg PO4 eq.",
}
MASS_FLOW_PROPERTY = "93a60a56-a3c8-11da-a746-0800200b9a66"
MASS_UNIT_GROUP = "93a60a57-a4c8-11da-a746-0800200c9a66"
ILCD_FORMAT_SOURCE = "a97a0155-0234-4b87-b4ce-a45da52f2a40"
EPD_FORMAT_SOURCE = "a29449fd-aa2f-4de8-b5d7-4b06b43c6fde"  # "EPD Data Format Extensions v1.2"
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
    """Parse without entity expansion, DTD loading or network access; refuse a document with a DTD."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or "<!DOCTYPE".encode("utf-16-le") in head or "<!DOCTYPE".encode("utf-16-be") in head:
        raise IlcdFileError(_("%(name)s declares a DTD. ILCD datasets have none; it was refused.") % {"name": name or _("The file")}, name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise IlcdFileError(_("%(name)s is not well-formed XML: %(problem)s.") % {"name": name or _("The file"), "problem": exc.msg}, name)
    if root.getroottree().docinfo.internalDTD is not None:
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
    if group in UNIT_GROUPS_READ:
        return UNIT_GROUPS_READ[group]
    dataset = archive.dataset("unitgroups", group) if archive and group else None
    name = _reference_unit_name(dataset) if dataset is not None else ""
    return _plain_unit(name or _short_description(reference))


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
            and prop_ref.get("refObjectId", "").lower() == MASS_FLOW_PROPERTY
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
