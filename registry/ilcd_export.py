"""ILCD+EPD v1.2 export of a published EPD: the process dataset, or one ILCD ZIP with every dataset it refers to.

The writer starts from the platform's full JSON (registry.documents.build_document). Master-data UUIDs come from
the InDataWG identifier lists (declarations.ilcd_master); our own datasets (process, product flow, contacts,
sources) get stable uuid5 UUIDs. The ZIP holds, besides the process: the product flow and the indicator flows,
their flow properties and unit groups, the LCIA methods of the results, the contacts (manufacturer, programme
operator, verification body and verifier, LCA practitioner), the sources (PCR, background database, compliance
systems, format definitions, the EPD itself with its signed PDF under ILCD/external_docs/). Master data that only
the InData network holds in full (LCIA methods, indicator flows, unit groups, compliance systems) is shipped as
stub datasets carrying the official UUID, version (where the lists give one), name and unit, as soda4LCA exports
do for referenced data, so that every reference resolves inside the archive.
"""

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from declarations import catalogue, ilcd_master
from declarations.ilcd import COMMON, CONTACT, EPD, EPD2, FLOW, PROCESS, SOURCE, UUID_NAMESPACE, XML_LANG, XSI
from declarations.validation import declared_mass_kg

EPD24 = "http://www.indata.network/EPD/2024"
LCIA_METHOD = "http://lca.jrc.it/ILCD/LCIAMethod"
UNIT_GROUP = "http://lca.jrc.it/ILCD/UnitGroup"
FLOW_PROPERTY = "http://lca.jrc.it/ILCD/FlowProperty"
NAMESPACES = {"common": COMMON, "epd": EPD, "epd2": EPD2, "epd24": EPD24}
# Dataset kind: (folder in the ZIP, ILCD reference type, namespace, root element).
KINDS = {
    "process": ("processes", "process data set", PROCESS, "processDataSet"),
    "flow": ("flows", "flow data set", FLOW, "flowDataSet"),
    "flowproperty": ("flowproperties", "flow property data set", FLOW_PROPERTY, "flowPropertyDataSet"),
    "unitgroup": ("unitgroups", "unit group data set", UNIT_GROUP, "unitGroupDataSet"),
    "lciamethod": ("lciamethods", "LCIA method data set", LCIA_METHOD, "LCIAMethodDataSet"),
    "contact": ("contacts", "contact data set", CONTACT, "contactDataSet"),
    "source": ("sources", "source data set", SOURCE, "sourceDataSet"),
}
FOLDER_KIND = {folder: kind for kind, (folder, *_rest) in KINDS.items()}
OWN_VERSION = "01.00.000"
STUB_NOTE = "Stub of ILCD+EPD master data (UUID, name and unit as in the InDataWG identifier lists); the full data set is the network's."
# The master data set c0016b33 predates EF 3.1 and is named plain "EN 15804+A2" (ÖKOBAUDAT's copy, also in
# ilcdlib's reference data); the identifier list qualifies it "(EF 3.0)" to tell it from the EF 3.1 one.
MASTER_SHORT_NAMES = {"EN 15804+A2 (EF 3.0)": "EN 15804+A2"}
# EN 15804+A2 Table 3 impact categories that the master-data names of the toxicity indicators leave out. Labels
# name them, so that a reader matching labels by keyword (ilcdlib reads "fw" as freshwater eutrophication unless
# "toxicity" is there too) does not take ETP-fw for EP-freshwater.
IMPACT_CATEGORIES = {
    "ETP-fw": "Eco-toxicity (freshwater)",
    "HTP-c": "Human toxicity, cancer effects",
    "HTP-nc": "Human toxicity, non-cancer effects",
}


def ilcd_uuid(indicator: catalogue.Indicator, method: str) -> str | None:
    """The indicator's UUID under EF 3.0 or EF 3.1; indicators EF 3.1 left unchanged keep their EF 3.0 UUID."""
    if method == "EF 3.1" and indicator.ilcd_uuid_ef31:
        return indicator.ilcd_uuid_ef31
    return indicator.ilcd_uuid_ef30


def _uuid(kind: str, name: str) -> str:
    """Stable UUIDs: the same EPD, contact or source gets the same UUID in every export."""
    return str(uuid.uuid5(UUID_NAMESPACE, f"{kind}/{name}"))


def process_uuid(registration_number: str) -> str:
    """The EPD's process dataset UUID: the same for all its versions, as ILCD versions a dataset."""
    return _uuid("process", registration_number)


def dataset_version(number: int) -> str:
    return f"{number:02d}.00.000"


def pdf_file_name(document: dict) -> str:
    return f"{document['registration_number']}-v{document['version']}.pdf"


def _el(parent: etree._Element, tag: str, text: object = None, **attrs: str) -> etree._Element:
    prefix, _sep, local = tag.rpartition(":")
    namespace = NAMESPACES.get(prefix, etree.QName(parent).namespace)
    element = etree.SubElement(parent, f"{{{namespace}}}{local}")
    for name, value in attrs.items():
        key = {"lang": XML_LANG, "module": f"{{{EPD}}}module"}.get(name, name)
        element.set(key, value)
    if text is not None:
        element.text = str(text)
    return element


def _text(parent: etree._Element, tag: str, text: object, lang: str | None = "en") -> None:
    if text not in (None, ""):
        if lang:
            _el(parent, tag, text, lang=lang)
        else:
            _el(parent, tag, text)


@dataclass(frozen=True)
class Ref:
    """What a reference element needs: kind, UUID, label and (when known) the version of the target."""

    kind: str
    uuid: str
    label: str
    version: str | None = None


def _ref(parent: etree._Element, tag: str, target: Ref, *, uri: bool = True) -> etree._Element:
    folder, ref_type, *_rest = KINDS[target.kind]
    attrs = {"type": ref_type, "refObjectId": target.uuid}
    if target.version:
        attrs["version"] = target.version
    if uri:
        attrs["uri"] = f"../{folder}/{target.uuid}.xml"
    reference = _el(parent, tag, **attrs)
    _el(reference, "common:shortDescription", target.label[:500] or target.uuid, lang="en")
    return reference


@dataclass
class Dataset:
    kind: str
    uuid: str
    version: str | None
    name: str
    root: etree._Element

    @property
    def folder(self) -> str:
        return KINDS[self.kind][0]

    @property
    def path(self) -> str:
        return f"ILCD/{self.folder}/{self.uuid}.xml"


@dataclass
class _Writer:
    """Builds the process dataset and every dataset it refers to (self.datasets, in order of first reference)."""

    document: dict
    pdf: bytes | None = None
    datasets: dict[tuple[str, str], Dataset] = field(default_factory=dict)

    @property
    def lca(self) -> dict:
        return self.document["lca"]

    @property
    def method(self) -> str:
        return self.lca["characterisation_method"]

    @property
    def timestamp(self) -> str:
        return f"{self.document['issued']}T00:00:00Z"

    # ------------------------------------------------------------ dataset scaffolding

    def _root(self, kind: str) -> etree._Element:
        _folder, _type, namespace, tag = KINDS[kind]
        nsmap = {None: namespace, "common": COMMON, "xsi": XSI}
        if kind == "process":
            nsmap.update(epd=EPD, epd2=EPD2, epd24=EPD24)
        return etree.Element(f"{{{namespace}}}{tag}", nsmap=nsmap, version="1.1")

    def _add(self, kind: str, dataset_uuid: str, version: str | None, name: str, root: etree._Element) -> Ref:
        self.datasets.setdefault((kind, dataset_uuid), Dataset(kind, dataset_uuid, version, name, root))
        return Ref(kind, dataset_uuid, name, version)

    def _known(self, kind: str, dataset_uuid: str) -> Ref | None:
        found = self.datasets.get((kind, dataset_uuid))
        return Ref(kind, dataset_uuid, found.name, found.version) if found else None

    def _administrative(self, root: etree._Element, version: str | None, *, epd_format: bool = False) -> etree._Element | None:
        """dataEntryBy (time stamp, format) and the version; master-data stubs without a known version get none."""
        if version is None:
            return None
        admin = _el(root, "administrativeInformation")
        entry = _el(admin, "dataEntryBy")
        _el(entry, "common:timeStamp", self.timestamp)
        _ref(entry, "common:referenceToDataSetFormat", self.format_source(ilcd_master.ILCD_FORMAT))
        if epd_format:
            _ref(entry, "common:referenceToDataSetFormat", self.format_source(ilcd_master.EPD_FORMAT))
        _el(_el(admin, "publicationAndOwnership"), "common:dataSetVersion", version)
        return admin

    # ------------------------------------------------------------ contacts

    def contact(
        self, name: str, *, name_zh: str = "", person: bool = False, address: str = "", website: str = "", member_of: Ref | None = None
    ) -> Ref:
        contact_uuid = _uuid("contact", name)
        if known := self._known("contact", contact_uuid):
            return known
        root = self._root("contact")
        info = _el(_el(root, "contactInformation"), "dataSetInformation")
        _el(info, "common:UUID", contact_uuid)
        _text(info, "common:shortName", name[:500])
        _text(info, "common:name", name[:500])
        _text(info, "common:name", name_zh[:500], lang="zh")
        classification = _el(_el(info, "classificationInformation"), "common:classification")
        _el(classification, "common:class", "Persons" if person else "Organisations", level="0")
        _text(info, "contactAddress", address)
        if website:
            _el(info, "WWWAddress", website)
        if member_of:
            _ref(info, "referenceToContact", member_of)
        self._administrative(root, OWN_VERSION)
        return self._add("contact", contact_uuid, OWN_VERSION, name, root)

    # ------------------------------------------------------------ sources

    def source(
        self,
        key: str,
        name: str,
        *,
        source_uuid: str | None = None,
        version: str | None = OWN_VERSION,
        classification: str = "",
        description: str = "",
        files: tuple[str, ...] = (),
        publication_type: str = "",
        stub: bool = False,
    ) -> Ref:
        source_uuid = source_uuid or _uuid(f"source/{key}", name)
        if known := self._known("source", source_uuid):
            return known
        root = self._root("source")
        info = _el(_el(root, "sourceInformation"), "dataSetInformation")
        _el(info, "common:UUID", source_uuid)
        _text(info, "common:shortName", name[:500])
        if classification:
            _el(_el(_el(info, "classificationInformation"), "common:classification"), "common:class", classification, level="0")
        _text(info, "sourceCitation", name[:500], lang=None)
        _text(info, "publicationType", publication_type, lang=None)
        _text(info, "sourceDescriptionOrComment", "\n".join(part for part in (description, STUB_NOTE if stub else "") if part))
        for uri in files:
            _el(info, "referenceToDigitalFile", uri=uri)
        # The format sources refer to themselves for their own format: write them without dataEntryBy recursion.
        if key == "format":
            if version:
                _el(_el(_el(root, "administrativeInformation"), "publicationAndOwnership"), "common:dataSetVersion", version)
        else:
            self._administrative(root, version)
        return self._add("source", source_uuid, version, name, root)

    def format_source(self, name: str) -> Ref:
        master = ilcd_master.common_references()[name]
        return self.source("format", name, source_uuid=master.uuid, version=master.version, classification="Data set formats", stub=True)

    def compliance_source(self, name: str) -> Ref:
        master = ilcd_master.common_references()[name]
        description = f"{name}" + (f", {self.method} characterisation factors." if "EF 3." in name else ".")
        return self.source(
            "compliance",
            MASTER_SHORT_NAMES.get(name, name),
            source_uuid=master.uuid,
            version=master.version,
            classification="Compliance systems",
            description=description,
            stub=True,
        )

    def compliance_systems(self) -> list[str]:
        """The compliance systems of the declaration: the PCR's core standard (method-specific for EN 15804+A2) and ISO 14025."""
        core = ((self.lca.get("pcr") or {}).get("core_standard") or "EN 15804:2012+A2:2019").upper().replace(" ", "")
        if "15804" in core and "A1" in core:
            systems = ["EN 15804+A1"]
        elif "15804" in core:
            systems = [f"EN 15804+A2 ({self.method})"]
        elif "21930" in core:
            systems = ["ISO 21930"]
        else:
            systems = []
        return [*systems, "ISO 14025"]

    def background_database(self, name: str) -> Ref:
        master = ilcd_master.background_database(name)
        if master is None:
            return self.source("database", name, classification="Databases", publication_type="Software or database")
        description = f"Background database named in the EPD: {name}."
        return self.source(
            "database",
            master.name,
            source_uuid=master.uuid,
            version=None,
            classification="Databases",
            publication_type="Software or database",
            description=description,
            stub=True,
        )

    def epd_source(self) -> Ref:
        """The EPD document itself: its signed PDF inside the archive (ILCD/external_docs/) and on the registry."""
        document = self.document
        files = []
        if self.pdf is not None:
            files.append(f"../external_docs/{pdf_file_name(document)}")
        if (document.get("links") or {}).get("pdf"):
            files.append(document["links"]["pdf"])
        operator = document["programme_operator"]["name"]
        return self.source(
            "epd",
            f"EPD {document['registration_number']} version {document['version']} ({operator})",
            classification="Publications and communications",
            publication_type="Monograph",
            description=f"The verified EPD as published and signed (PAdES) by {operator} on {document['issued']}.",
            files=tuple(files),
        )

    def registrations_elsewhere(self) -> list[Ref]:
        found = []
        for registration in self.document.get("registrations_elsewhere") or []:
            operator, number = registration.get("programme_operator") or "", registration.get("registration_number") or ""
            name = f"EPD {number} ({operator})"
            url = registration.get("url") or ""
            found.append(
                self.source(
                    "registration",
                    name,
                    classification="Publications and communications",
                    description=f"Also registered by {operator} as {number}.",
                    files=(url,) if url else (),
                )
            )
        return found

    # ------------------------------------------------------------ master data: unit groups, flow properties, indicators

    def unit_group(self, group_uuid: str) -> Ref:
        if known := self._known("unitgroup", group_uuid):
            return known
        master = ilcd_master.unit_groups()[group_uuid]
        root = self._root("unitgroup")
        information = _el(root, "unitGroupInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", group_uuid)
        _text(info, "common:name", master.name)
        _text(info, "common:generalComment", STUB_NOTE)
        _el(_el(information, "quantitativeReference"), "referenceToReferenceUnit", "0")
        self._administrative(root, master.version)
        unit = _el(_el(root, "units"), "unit", dataSetInternalID="0")
        _el(unit, "name", master.unit)
        _el(unit, "meanValue", "1.0")
        return self._add("unitgroup", group_uuid, master.version, master.name, root)

    def flow_property(self, prop: ilcd_master.FlowProperty) -> Ref:
        if known := self._known("flowproperty", prop.uuid):
            return known
        group = self.unit_group(prop.unit_group.uuid)
        root = self._root("flowproperty")
        information = _el(root, "flowPropertiesInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", prop.uuid)
        _text(info, "common:name", prop.name)
        _text(info, "common:generalComment", STUB_NOTE)
        _ref(_el(information, "quantitativeReference"), "referenceToReferenceUnitGroup", group)
        self._administrative(root, prop.version)
        return self._add("flowproperty", prop.uuid, prop.version, prop.name, root)

    def indicator_flow(self, master: ilcd_master.MasterIndicator) -> Ref:
        """An EN 15804 inventory indicator (PERE, HWD, …) as the "other flow" of the master data."""
        if known := self._known("flow", master.uuid):
            return known
        prop = ilcd_master.flow_property_of_unit_group(master.unit_group)
        if prop is None:
            raise ValueError(f"the master data names no flow property for the unit group of {master.name}")
        prop_ref = self.flow_property(prop)
        root = self._root("flow")
        information = _el(root, "flowInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", master.uuid)
        name = _el(info, "name")
        _text(name, "baseName", master.name)
        _text(name, "baseName", master.name_de, lang="de")
        _text(info, "common:generalComment", f"Indicator according to EN 15804+A2. {STUB_NOTE}")
        _el(_el(information, "quantitativeReference"), "referenceToReferenceFlowProperty", "0")
        _el(_el(_el(root, "modellingAndValidation"), "LCIMethod"), "typeOfDataSet", "Other flow")
        self._administrative(root, master.version)
        flow_prop = _el(_el(root, "flowProperties"), "flowProperty", dataSetInternalID="0")
        _ref(flow_prop, "referenceToFlowPropertyDataSet", prop_ref)
        _el(flow_prop, "meanValue", "1.0")
        return self._add("flow", master.uuid, master.version, master.name, root)

    def lcia_method(self, master: ilcd_master.MasterIndicator, indicator: catalogue.Indicator) -> Ref:
        if known := self._known("lciamethod", master.uuid):
            return known
        category = IMPACT_CATEGORIES.get(indicator.code)
        label = f"{category}: {master.name}" if category else master.name
        root = self._root("lciamethod")
        information = _el(root, "LCIAMethodInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", master.uuid)
        _text(info, "common:name", master.name)
        _text(info, "common:name", master.name_de, lang="de")
        _text(info, "methodology", f"EN 15804+A2, {self.method}", lang=None)
        _text(info, "impactIndicator", master.name[:500], lang=None)
        _text(info, "common:generalComment", f"Unit: {master.unit} (unit group {master.unit_group}). {STUB_NOTE}")
        _el(information, "geography")
        _el(root, "modellingAndValidation")
        # An LCIA method's administrative information requires a data generator, which a stub cannot name
        # truthfully; the version is carried by the references to it instead.
        return self._add("lciamethod", master.uuid, master.version, label, root)

    # ------------------------------------------------------------ the product flow

    def product_flow(self) -> Ref:
        product = self.document["product"]
        flow_uuid = _uuid("flow", self.document["registration_number"])
        version = dataset_version(self.document["version"])
        mass = self.flow_property(ilcd_master.flow_properties()["Mass"])
        root = self._root("flow")
        information = _el(root, "flowInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", flow_uuid)
        name = _el(info, "name")
        _text(name, "baseName", product["name"])
        _text(name, "baseName", product.get("name_zh"), lang="zh")
        for language, other in (product.get("other_names") or {}).items():
            _text(name, "baseName", other, lang=language)
        _text(name, "treatmentStandardsRoutes", _standards_and_grades(product))
        _text(info, "common:synonyms", "; ".join(product.get("grades") or []))
        self._classification(info)
        _text(info, "common:generalComment", product.get("description"))
        _el(_el(information, "quantitativeReference"), "referenceToReferenceFlowProperty", "0")
        _el(_el(_el(root, "modellingAndValidation"), "LCIMethod"), "typeOfDataSet", "Product flow")
        self._administrative(root, version)
        prop = _el(_el(root, "flowProperties"), "flowProperty", dataSetInternalID="0")
        _ref(prop, "referenceToFlowPropertyDataSet", mass)
        _el(prop, "meanValue", "1.0")
        return self._add("flow", flow_uuid, version, product["name"], root)

    def _classification(self, info: etree._Element) -> None:
        code = self.document["product"].get("category") or ""
        category = catalogue.CATEGORY_BY_CODE.get(code)
        if category:
            classification = _el(_el(info, "classificationInformation"), "common:classification", name="Steel EPD Platform")
            _el(classification, "common:class", category.name, level="0", classId=code)

    # ------------------------------------------------------------ the process dataset

    def process(self) -> etree._Element:
        root = self._root("process")
        root.set(f"{{{XSI}}}schemaLocation", f"{PROCESS} ../../schemas/EPD_DataSet.xsd")
        root.set(f"{{{EPD2}}}epd-version", "1.2")
        number = self.document["registration_number"]
        self._add("process", process_uuid(number), dataset_version(self.document["version"]), self.document["product"]["name"], root)
        self._process_information(_el(root, "processInformation"))
        self._modelling(_el(root, "modellingAndValidation"))
        self._administration(_el(root, "administrativeInformation"))
        self._results(root)
        return root

    def process_uuid(self) -> str:
        return process_uuid(self.document["registration_number"])

    def _process_information(self, information: etree._Element) -> None:
        document, product, lca = self.document, self.document["product"], self.lca
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", self.process_uuid())
        name = _el(info, "name")
        _text(name, "baseName", product["name"])
        _text(name, "baseName", product.get("name_zh"), lang="zh")
        for language, other in (product.get("other_names") or {}).items():
            _text(name, "baseName", other, lang=language)
        _text(name, "functionalUnitFlowProperties", lca["declared_unit"])
        elsewhere = [r.get("registration_number") for r in document.get("registrations_elsewhere") or [] if r.get("registration_number")]
        _text(info, "common:synonyms", "; ".join([document["registration_number"], *elsewhere, *(product.get("grades") or [])]))
        self._classification(info)
        comment = product.get("description") or ""
        if document.get("first_issued"):
            comment = f"{comment}\nFirst issued on {document['first_issued']}.".strip()
        _text(info, "common:generalComment", comment)
        _ref(info, "referenceToExternalDocumentation", self.epd_source())
        for registration in self.registrations_elsewhere():
            _ref(info, "referenceToExternalDocumentation", registration)
        scenarios = {m: s for m, s in (lca.get("scenarios") or {}).items() if s}
        if scenarios:
            listing = _el(_el(info, "common:other"), "epd:scenarios")
            for module, scenario in scenarios.items():
                text = scenario.get("description") if isinstance(scenario, dict) else scenario
                entry = _el(listing, "epd:scenario")
                entry.set(f"{{{EPD}}}name", module)
                entry.set(f"{{{EPD}}}default", "true")
                entry.set(f"{{{EPD}}}group", module)
                _text(entry, "epd:description", text)
        _el(_el(information, "quantitativeReference", type="Reference flow(s)"), "referenceToReferenceFlow", "0")
        time = _el(information, "time")
        if lca.get("reference_year"):
            _el(time, "common:referenceYear", lca["reference_year"])
        _el(time, "common:dataSetValidUntil", document["valid_until"][:4])
        period = " to ".join(d for d in lca.get("data_period") or [] if d)
        _text(
            time,
            "common:timeRepresentativenessDescription",
            f"Data period {period}; valid until {document['valid_until']}." if period else "",
        )
        other = _el(time, "common:other")
        _el(other, "epd2:publicationDateOfEPD", document.get("first_issued") or document["issued"])
        _el(other, "epd24:expirationDateOfEPD", document["valid_until"])
        plants = document.get("plants") or []
        countries = sorted({p["country"] for p in plants})
        location = _el(
            _el(information, "geography"), "locationOfOperationSupplyOrProduction", location=countries[0] if len(countries) == 1 else "GLO"
        )
        _text(location, "descriptionOfRestrictions", "; ".join(f"{p['name']}, {p.get('city', '')} ({p['country']})" for p in plants))
        route = product.get("production_route") or ""
        label = catalogue.ProductionRoute(route).label if route in catalogue.ProductionRoute.values else route
        recycled = product.get("recycled_content_percent")
        technology = f"Production route: {label}." + (f" Recycled content: {recycled} %." if recycled else "")
        technology_element = _el(information, "technology")
        _text(technology_element, "technologyDescriptionAndIncludedProcesses", technology)
        _text(technology_element, "technologicalApplicability", _standards_and_grades(product))

    def _modelling(self, modelling: etree._Element) -> None:
        lca = self.lca
        method = _el(modelling, "LCIMethodAndAllocation")
        _el(method, "typeOfDataSet", "EPD")
        pcr = lca.get("pcr")
        if pcr:
            version = pcr.get("version") or ""
            pcr_name = pcr["name"] if version in pcr["name"] else f"{pcr['name']}, version {version}"
            issuer = f"Issued by {pcr['programme']}." if pcr.get("programme") else ""
            _ref(
                method,
                "referenceToLCAMethodDetails",
                self.source("pcr", pcr_name, classification="Product category rules", description=issuer),
            )
        _el(_el(method, "common:other"), "epd:subType", "specific dataset")
        sources = _el(modelling, "dataSourcesTreatmentAndRepresentativeness")
        if lca.get("background_database"):
            _ref(sources, "referenceToDataSource", self.background_database(lca["background_database"]))
        advice = "\n".join(
            f"{label}: {lca[key]}"
            for label, key in (
                ("Allocation", "allocation"),
                ("Cut-off", "cut_off"),
                ("Data quality", "data_quality"),
                ("LCA software", "software"),
            )
            if lca.get(key)
        )
        _text(sources, "useAdviceForDataSet", advice)
        _ref(_el(sources, "common:other"), "epd2:referenceToOriginalEPD", self.epd_source())
        self._review(_el(modelling, "validation"))
        compliance = _el(modelling, "complianceDeclarations")
        for name in self.compliance_systems():
            entry = _el(compliance, "compliance")
            _ref(entry, "common:referenceToComplianceSystem", self.compliance_source(name))
            _el(entry, "common:approvalOfOverallCompliance", "Fully compliant")

    def _review(self, validation: etree._Element) -> None:
        verification = self.document.get("verification") or {}
        kind = "Independent external review" if verification.get("type", "external") == "external" else "Independent internal review"
        review = _el(validation, "review", type=kind if verification else "Not reviewed")
        _text(review, "common:reviewDetails", verification.get("statement"))
        body = self.contact(verification["body"]) if verification.get("body") else None
        if body:
            _ref(review, "common:referenceToNameOfReviewerAndInstitution", body)
        if verification.get("verifier"):
            _ref(
                review,
                "common:referenceToNameOfReviewerAndInstitution",
                self.contact(verification["verifier"], person=True, member_of=body),
            )
        details = "; ".join(
            part
            for part in (
                f"Accreditation: {verification['accreditation']}" if verification.get("accreditation") else "",
                f"Verified on {verification['date']}" if verification.get("date") else "",
            )
            if part
        )
        _text(review, "common:otherReviewDetails", details)

    def _organisation(self, org: dict) -> Ref:
        return self.contact(
            org["name"], name_zh=org.get("name_zh") or "", address=org.get("address") or "", website=org.get("website") or ""
        )

    def _administration(self, admin: etree._Element) -> None:
        document = self.document
        owner = self._organisation(document["manufacturer"])
        registrar = self._organisation(document["programme_operator"])
        _ref(_el(admin, "common:commissionerAndGoal"), "common:referenceToCommissioner", owner)
        practitioner = self.contact(self.lca["practitioner"]) if self.lca.get("practitioner") else None
        if practitioner:
            _ref(_el(admin, "dataGenerator"), "common:referenceToPersonOrEntityGeneratingTheDataSet", practitioner)
        entry = _el(admin, "dataEntryBy")
        _el(entry, "common:timeStamp", self.timestamp)
        _ref(entry, "common:referenceToDataSetFormat", self.format_source(ilcd_master.ILCD_FORMAT))
        _ref(entry, "common:referenceToDataSetFormat", self.format_source(ilcd_master.EPD_FORMAT))
        if practitioner:
            # The LCA practitioner prepared the EPD data that the mill entered; ILCD's "entity entering the data".
            _ref(entry, "common:referenceToPersonOrEntityEnteringTheData", practitioner)
        publication = _el(admin, "publicationAndOwnership")
        _el(publication, "common:dataSetVersion", dataset_version(document["version"]))
        if document["version"] > 1:
            # The preceding version is another version of this very data set (same UUID): no file of its own here.
            previous = Ref("process", self.process_uuid(), document["product"]["name"], dataset_version(document["version"] - 1))
            _ref(publication, "common:referenceToPrecedingDataSetVersion", previous, uri=False)
        if (document.get("links") or {}).get("registry"):
            _el(publication, "common:permanentDataSetURI", document["links"]["registry"])
        _ref(publication, "common:referenceToRegistrationAuthority", registrar)
        _el(publication, "common:registrationNumber", document["registration_number"])
        _ref(publication, "common:referenceToOwnershipOfDataSet", owner)
        _ref(_el(publication, "common:other"), "epd2:referenceToPublisher", registrar)

    def _results(self, root: etree._Element) -> None:
        masters = ilcd_master.indicators(self.method)
        flow = self.product_flow()
        exchanges = _el(root, "exchanges")
        reference = _el(exchanges, "exchange", dataSetInternalID="0")
        _ref(reference, "referenceToFlowDataSet", flow)
        _el(reference, "exchangeDirection", "Output")
        mass = f"{_declared_mass(self.lca).normalize():f}"
        _el(reference, "meanAmount", mass)
        _el(reference, "resultingAmount", mass)
        lcia = etree.Element(f"{{{PROCESS}}}LCIAResults")
        for number, (indicator, row) in enumerate(_exported(self.document["results"]), 1):
            master = masters[ilcd_uuid(indicator, self.method)]
            if indicator.category in ("core impact", "additional impact"):
                block = _el(lcia, "LCIAResult")
                _ref(block, "referenceToLCIAMethodDataSet", self.lcia_method(master, indicator))
            else:
                block = _el(exchanges, "exchange", dataSetInternalID=str(number))
                _ref(block, "referenceToFlowDataSet", self.indicator_flow(master))
                _el(block, "exchangeDirection", "Input" if indicator.category == "resource use" else "Output")
            _el(block, "meanAmount", "0.0")
            self._amounts(block, master, row)
        if len(lcia):
            root.append(lcia)

    def _amounts(self, block: etree._Element, master: ilcd_master.MasterIndicator, row: dict) -> None:
        other = _el(block, "common:other")
        for module in self.lca.get("declared_modules") or []:
            if row.get(module) not in (None, ""):
                _el(other, "epd:amount", row[module], module=module)  # the producer's decimal text, as given
        _ref(other, "epd:referenceToUnitGroupDataSet", self.unit_group(master.unit_group))


def _standards_and_grades(product: dict) -> str:
    parts = [
        f"Product standards: {', '.join(product['standards'])}." if product.get("standards") else "",
        f"Grades: {', '.join(product['grades'])}." if product.get("grades") else "",
    ]
    return " ".join(p for p in parts if p)


def _exported(results: dict) -> Iterator[tuple[catalogue.Indicator, dict]]:
    """Indicators in catalogue order that ILCD+EPD has master data for."""
    for code, indicator in catalogue.indicators().items():
        if code in results and indicator.ilcd_uuid_ef30:
            yield indicator, results[code]


def _declared_mass(lca: dict) -> Decimal:
    mass = Decimal(lca["declared_unit_mass_kg"]) if lca.get("declared_unit_mass_kg") else declared_mass_kg(lca["declared_unit"])
    if mass is None:
        raise ValueError(f"the declared unit {lca['declared_unit']!r} is not a mass")
    return mass


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True)


def build_datasets(document: dict, *, pdf: bytes | None = None) -> list[Dataset]:
    """Every dataset of the EPD's ILCD export, the process first."""
    if document["lca"].get("characterisation_method") not in ilcd_master.INDICATOR_FILES:
        raise ValueError(f"characterisation method {document['lca'].get('characterisation_method')!r} is not EF 3.0 or EF 3.1")
    writer = _Writer(document, pdf=pdf)
    writer.process()
    return list(writer.datasets.values())


def write_ilcd(document: dict, *, archive: bool = False, pdf: bytes | None = None) -> bytes:
    """The ILCD+EPD v1.2 process dataset of a published document (registry.documents shape).

    With `archive`, an ILCD ZIP: ILCD/<folder>/<uuid>.xml for the process and every dataset it refers to, and
    with `pdf` the signed PDF as ILCD/external_docs/<registration number>-v<version>.pdf. Same bytes every run.
    """
    datasets = build_datasets(document, pdf=pdf)
    if not archive:
        return _serialise(datasets[0].root)
    buffer = io.BytesIO()
    issued = date.fromisoformat(document["issued"])
    day = (issued.year, issued.month, issued.day, 0, 0, 0)  # fixed time: same bytes every run
    members = [(dataset.path, _serialise(dataset.root)) for dataset in datasets]
    if pdf is not None:
        members.append((f"ILCD/external_docs/{pdf_file_name(document)}", pdf))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=day)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, content)
    return buffer.getvalue()
