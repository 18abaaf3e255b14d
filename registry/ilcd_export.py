"""ILCD+EPD v1.2 export of a published EPD, for ÖKOBAUDAT / ECO Portal style databases.

The writer starts from the platform's full JSON (registry.documents.build_document). Namespaces,
master-data UUIDs and the indicator catalogue are shared with the reader in declarations/ilcd.py.
"""

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from declarations import catalogue
from declarations.ilcd import (
    COMMON,
    CONTACT,
    EPD,
    EPD2,
    EPD_FORMAT_SOURCE,
    FLOW,
    ILCD_FORMAT_SOURCE,
    MASS_FLOW_PROPERTY,
    PROCESS,
    SOURCE,
    UNIT_GROUPS,
    UUID_NAMESPACE,
    XML_LANG,
    XSI,
)
from declarations.validation import declared_mass_kg


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


def _version(number: int) -> str:
    return f"{number:02d}.00.000"


def _el(parent: etree._Element, tag: str, text: object = None, **attrs: str) -> etree._Element:
    prefix, _sep, local = tag.rpartition(":")
    namespace = {"common": COMMON, "epd": EPD, "epd2": EPD2}.get(prefix, etree.QName(parent).namespace)
    element = etree.SubElement(parent, f"{{{namespace}}}{local}")
    for name, value in attrs.items():
        key = {"lang": XML_LANG, "module": f"{{{EPD}}}module"}.get(name, name)
        element.set(key, value)
    if text is not None:
        element.text = str(text)
    return element


def _text(parent: etree._Element, tag: str, text: object, lang: str = "en") -> None:
    if text not in (None, ""):
        _el(parent, tag, text, lang=lang)


def _ref(
    parent: etree._Element, tag: str, kind: str, target: str, label: str, *, folder: str, version: str | None = None
) -> etree._Element:
    attrs = {"type": kind, "refObjectId": target, "uri": f"../{folder}/{target}.xml"}
    if version:
        attrs["version"] = version
    reference = _el(parent, tag, **attrs)
    _el(reference, "common:shortDescription", label[:500], lang="en")
    return reference


@dataclass
class _Dataset:
    folder: str
    uuid: str
    root: etree._Element


@dataclass
class _Writer:
    """Builds the process dataset and the contact, source and flow datasets it refers to."""

    document: dict
    related: list[_Dataset] = field(default_factory=list)

    @property
    def lca(self) -> dict:
        return self.document["lca"]

    @property
    def timestamp(self) -> str:
        return f"{self.document['issued']}T00:00:00Z"

    def contact(self, name: str, *, address: str = "", website: str = "") -> tuple[str, str]:
        contact_uuid = _uuid("contact", name)
        if all(d.uuid != contact_uuid for d in self.related):
            root = etree.Element(f"{{{CONTACT}}}contactDataSet", nsmap={None: CONTACT, "common": COMMON}, version="1.1")
            info = _el(_el(root, "contactInformation"), "dataSetInformation")
            _el(info, "common:UUID", contact_uuid)
            _text(info, "common:shortName", name[:100])
            _text(info, "common:name", name)
            _text(info, "contactAddress", address)
            if website:
                _el(info, "WWWAddress", website)
            self._administrative(root)
            self.related.append(_Dataset("contacts", contact_uuid, root))
        return contact_uuid, name

    def source(self, kind: str, name: str, *, url: str = "") -> tuple[str, str]:
        source_uuid = _uuid(f"source/{kind}", name)
        if all(d.uuid != source_uuid for d in self.related):
            root = etree.Element(f"{{{SOURCE}}}sourceDataSet", nsmap={None: SOURCE, "common": COMMON}, version="1.1")
            info = _el(_el(root, "sourceInformation"), "dataSetInformation")
            _el(info, "common:UUID", source_uuid)
            _text(info, "common:shortName", name[:500])
            _text(info, "sourceCitation", name)
            if url:
                _el(info, "referenceToDigitalFile", uri=url)
            self._administrative(root)
            self.related.append(_Dataset("sources", source_uuid, root))
        return source_uuid, name

    def product_flow(self) -> tuple[str, str]:
        name = self.document["product"]["name"]
        flow_uuid = _uuid("flow", self.document["registration_number"])
        root = etree.Element(f"{{{FLOW}}}flowDataSet", nsmap={None: FLOW, "common": COMMON}, version="1.1")
        information = _el(root, "flowInformation")
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", flow_uuid)
        _text(_el(info, "name"), "baseName", name)
        self._classification(info)
        _el(_el(information, "quantitativeReference"), "referenceToReferenceFlowProperty", "0")
        _el(_el(_el(root, "modellingAndValidation"), "LCIMethod"), "typeOfDataSet", "Product flow")
        self._administrative(root, version=_version(self.document["version"]))
        prop = _el(_el(root, "flowProperties"), "flowProperty", dataSetInternalID="0")
        _ref(prop, "referenceToFlowPropertyDataSet", "flow property data set", MASS_FLOW_PROPERTY, "Mass", folder="flowproperties")
        _el(prop, "meanValue", "1.0")
        self.related.append(_Dataset("flows", flow_uuid, root))
        return flow_uuid, name

    def _administrative(self, root: etree._Element, version: str = "01.00.000") -> None:
        admin = _el(root, "administrativeInformation")
        entry = _el(admin, "dataEntryBy")
        _el(entry, "common:timeStamp", self.timestamp)
        _ref(entry, "common:referenceToDataSetFormat", "source data set", ILCD_FORMAT_SOURCE, "ILCD format", folder="sources")
        _el(_el(admin, "publicationAndOwnership"), "common:dataSetVersion", version)

    def _classification(self, info: etree._Element) -> None:
        code = self.document["product"].get("category") or ""
        category = catalogue.CATEGORY_BY_CODE.get(code)
        if category:
            classification = _el(_el(info, "classificationInformation"), "common:classification", name="Steel EPD Platform")
            _el(classification, "common:class", category.name, level="0", classId=code)

    # ------------------------------------------------------------ the process dataset

    def process(self) -> etree._Element:
        nsmap = {None: PROCESS, "common": COMMON, "epd": EPD, "epd2": EPD2, "xsi": XSI}
        root = etree.Element(f"{{{PROCESS}}}processDataSet", nsmap=nsmap, version="1.1", locations="../ILCDLocations.xml")
        root.set(f"{{{XSI}}}schemaLocation", f"{PROCESS} ../../schemas/EPD_DataSet.xsd")
        root.set(f"{{{EPD2}}}epd-version", "1.2")
        self._process_information(_el(root, "processInformation"))
        self._modelling(_el(root, "modellingAndValidation"))
        self._administration(_el(root, "administrativeInformation"))
        self._results(root)
        return root

    def process_uuid(self) -> str:
        return process_uuid(self.document["registration_number"])

    def _process_information(self, information: etree._Element) -> None:
        product, lca = self.document["product"], self.lca
        info = _el(information, "dataSetInformation")
        _el(info, "common:UUID", self.process_uuid())
        name = _el(info, "name")
        _text(name, "baseName", product["name"])
        _text(name, "baseName", product.get("name_zh"), lang="zh")
        _text(name, "treatmentStandardsRoutes", ", ".join([*product.get("standards", []), *product.get("grades", [])]))
        _text(name, "functionalUnitFlowProperties", lca["declared_unit"])
        _text(info, "common:synonyms", "; ".join([self.document["registration_number"], *product.get("grades", [])]))
        self._classification(info)
        _text(info, "common:generalComment", product.get("description"))
        scenarios = {m: s for m, s in (lca.get("scenarios") or {}).items() if s}
        if scenarios:
            listing = _el(_el(info, "common:other"), "epd:scenarios")
            for module, scenario in scenarios.items():
                text = scenario.get("description") if isinstance(scenario, dict) else scenario
                entry = _el(listing, "epd:scenario")
                entry.set(f"{{{EPD}}}default", "true")
                entry.set(f"{{{EPD}}}group", module)
                entry.set(f"{{{EPD}}}name", module)
                _text(entry, "epd:description", text)
        _el(_el(information, "quantitativeReference", type="Reference flow(s)"), "referenceToReferenceFlow", "0")
        time = _el(information, "time")
        if lca.get("reference_year"):
            _el(time, "common:referenceYear", lca["reference_year"])
        _el(time, "common:dataSetValidUntil", self.document["valid_until"][:4])
        period = " to ".join(d for d in lca.get("data_period") or [] if d)
        _text(
            time,
            "common:timeRepresentativenessDescription",
            f"Data period {period}; valid until {self.document['valid_until']}." if period else "",
        )
        _el(_el(time, "common:other"), "epd2:publicationDateOfEPD", self.document["issued"])
        plants = self.document.get("plants") or []
        countries = sorted({p["country"] for p in plants})
        location = _el(
            _el(information, "geography"), "locationOfOperationSupplyOrProduction", location=countries[0] if len(countries) == 1 else "GLO"
        )
        _text(location, "descriptionOfRestrictions", "; ".join(f"{p['name']}, {p.get('city', '')} ({p['country']})" for p in plants))
        route = product.get("production_route") or ""
        label = catalogue.ProductionRoute(route).label if route in catalogue.ProductionRoute.values else route
        recycled = product.get("recycled_content_percent")
        technology = f"Production route: {label}." + (f" Recycled content: {recycled} %." if recycled else "")
        _text(_el(information, "technology"), "technologyDescriptionAndIncludedProcesses", technology)

    def _modelling(self, modelling: etree._Element) -> None:
        lca, links = self.lca, self.document.get("links") or {}
        method = _el(modelling, "LCIMethodAndAllocation")
        _el(method, "typeOfDataSet", "EPD")
        pcr = lca.get("pcr")
        if pcr:
            version = pcr.get("version") or ""
            pcr_name = pcr["name"] if version in pcr["name"] else f"{pcr['name']}, version {version}"
            _ref(method, "referenceToLCAMethodDetails", "source data set", *self.source("pcr", pcr_name), folder="sources")
        _el(_el(method, "common:other"), "epd:subType", "specific dataset")
        sources = _el(modelling, "dataSourcesTreatmentAndRepresentativeness")
        _text(sources, "dataCutOffAndCompletenessPrinciples", lca.get("cut_off"))
        _text(sources, "dataTreatmentAndExtrapolationsPrinciples", lca.get("allocation"))
        if lca.get("background_database"):
            _ref(
                sources, "referenceToDataSource", "source data set", *self.source("database", lca["background_database"]), folder="sources"
            )
        _text(sources, "useAdviceForDataSet", lca.get("data_quality"))
        if links.get("pdf"):
            original = self.source(
                "epd", f"{self.document['registration_number']} version {self.document['version']} (PDF)", url=links["pdf"]
            )
            _ref(_el(sources, "common:other"), "epd2:referenceToOriginalEPD", "source data set", *original, folder="sources")
        self._review(_el(modelling, "validation"))
        compliance = _el(modelling, "complianceDeclarations")
        standards = catalogue.ilcd_compliance_sources()
        for name in (f"EN 15804+A2 ({lca['characterisation_method']})", "ISO 14025"):
            entry = _el(compliance, "compliance")
            _ref(entry, "common:referenceToComplianceSystem", "source data set", standards[name], name, folder="sources")
            _el(entry, "common:approvalOfOverallCompliance", "Fully compliant")

    def _review(self, validation: etree._Element) -> None:
        verification = self.document.get("verification") or {}
        if not verification:
            return
        kind = "Independent external review" if verification.get("type", "external") == "external" else "Independent internal review"
        review = _el(validation, "review", type=kind)
        _text(review, "common:reviewDetails", verification.get("statement"))
        reviewer = ", ".join(part for part in (verification.get("verifier"), verification.get("body")) if part)
        if reviewer:
            _ref(review, "common:referenceToNameOfReviewerAndInstitution", "contact data set", *self.contact(reviewer), folder="contacts")
        details = "; ".join(
            part
            for part in (
                f"Accreditation: {verification['accreditation']}" if verification.get("accreditation") else "",
                f"Verified on {verification['date']}" if verification.get("date") else "",
            )
            if part
        )
        _text(review, "common:otherReviewDetails", details)

    def _administration(self, admin: etree._Element) -> None:
        document = self.document
        manufacturer = document["manufacturer"]
        owner = self.contact(manufacturer["name"], address=manufacturer.get("address") or "", website=manufacturer.get("website") or "")
        operator = document["programme_operator"]
        registrar = self.contact(operator["name"], address=operator.get("address") or "", website=operator.get("website") or "")
        _ref(_el(admin, "common:commissionerAndGoal"), "common:referenceToCommissioner", "contact data set", *owner, folder="contacts")
        if self.lca.get("practitioner"):
            generator = _el(admin, "dataGenerator")
            practitioner = self.contact(self.lca["practitioner"])
            _ref(generator, "common:referenceToPersonOrEntityGeneratingTheDataSet", "contact data set", *practitioner, folder="contacts")
        entry = _el(admin, "dataEntryBy")
        _el(entry, "common:timeStamp", self.timestamp)
        _ref(entry, "common:referenceToDataSetFormat", "source data set", ILCD_FORMAT_SOURCE, "ILCD format", folder="sources")
        _ref(
            entry,
            "common:referenceToDataSetFormat",
            "source data set",
            EPD_FORMAT_SOURCE,
            "EPD Data Format Extensions v1.2",
            folder="sources",
        )
        publication = _el(admin, "publicationAndOwnership")
        _el(publication, "common:dataSetVersion", _version(document["version"]))
        if document["version"] > 1:
            _ref(
                publication,
                "common:referenceToPrecedingDataSetVersion",
                "process data set",
                self.process_uuid(),
                document["product"]["name"],
                folder="processes",
                version=_version(document["version"] - 1),
            )
        if (document.get("links") or {}).get("registry"):
            _el(publication, "common:permanentDataSetURI", document["links"]["registry"])
        _ref(publication, "common:referenceToRegistrationAuthority", "contact data set", *registrar, folder="contacts")
        _el(publication, "common:registrationNumber", document["registration_number"])
        _ref(publication, "common:referenceToOwnershipOfDataSet", "contact data set", *owner, folder="contacts")
        _ref(_el(publication, "common:other"), "epd2:referenceToPublisher", "contact data set", *registrar, folder="contacts")

    def _results(self, root: etree._Element) -> None:
        method = self.lca["characterisation_method"]
        flow_uuid, flow_name = self.product_flow()
        exchanges = _el(root, "exchanges")
        reference = _el(exchanges, "exchange", dataSetInternalID="0")
        _ref(
            reference,
            "referenceToFlowDataSet",
            "flow data set",
            flow_uuid,
            flow_name,
            folder="flows",
            version=_version(self.document["version"]),
        )
        _el(reference, "exchangeDirection", "Output")
        mass = f"{_declared_mass(self.lca).normalize():f}"
        _el(reference, "meanAmount", mass)
        _el(reference, "resultingAmount", mass)
        lcia = etree.Element(f"{{{PROCESS}}}LCIAResults")
        for number, (indicator, row) in enumerate(_exported(self.document["results"]), 1):
            target = ilcd_uuid(indicator, method)
            label = indicator.ilcd_name or indicator.name
            if indicator.category in ("core impact", "additional impact"):
                block = _el(lcia, "LCIAResult")
                _ref(block, "referenceToLCIAMethodDataSet", "LCIA method data set", target, label, folder="lciamethods")
            else:
                block = _el(exchanges, "exchange", dataSetInternalID=str(number))
                _ref(block, "referenceToFlowDataSet", "flow data set", target, label, folder="flows")
                _el(block, "exchangeDirection", "Input" if indicator.category == "resource use" else "Output")
            _el(block, "meanAmount", "0.0")
            self._amounts(block, indicator, row)
        if len(lcia):
            root.append(lcia)

    def _amounts(self, block: etree._Element, indicator: catalogue.Indicator, row: dict) -> None:
        other = _el(block, "common:other")
        for module in self.lca.get("declared_modules") or []:
            if module in row:
                _el(other, "epd:amount", row[module], module=module)
        group = UNIT_GROUPS[indicator.unit]
        _ref(
            other,
            "epd:referenceToUnitGroupDataSet",
            "unit group data set",
            group,
            indicator.ilcd_unit or indicator.unit,
            folder="unitgroups",
        )


def _exported(results: dict) -> Iterator[tuple[catalogue.Indicator, dict]]:
    """Indicators in catalogue order that ILCD+EPD can carry (GWP-GHG has no ILCD UUID in the reference)."""
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


def write_ilcd(document: dict, *, archive: bool = False) -> bytes:
    """The ILCD+EPD v1.2 process dataset of a published document (registry.documents shape).

    With `archive`, an ILCD ZIP: ILCD/processes/<uuid>.xml plus the product flow, contact and source
    datasets it refers to. Indicator flows, LCIA methods, unit groups and compliance systems are
    ILCD+EPD master data that the receiving database already holds; they are referenced by UUID.
    """
    if document["lca"].get("characterisation_method") not in ("EF 3.0", "EF 3.1"):
        raise ValueError(f"characterisation method {document['lca'].get('characterisation_method')!r} is not EF 3.0 or EF 3.1")
    writer = _Writer(document)
    process = writer.process()
    if not archive:
        return _serialise(process)
    buffer = io.BytesIO()
    issued = date.fromisoformat(document["issued"])
    day = (issued.year, issued.month, issued.day, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for dataset in [_Dataset("processes", writer.process_uuid(), process), *writer.related]:
            info = zipfile.ZipInfo(f"ILCD/{dataset.folder}/{dataset.uuid}.xml", date_time=day)  # fixed time: same bytes every run
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, _serialise(dataset.root))
    return buffer.getvalue()
