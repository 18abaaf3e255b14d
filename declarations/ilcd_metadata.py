"""What an ILCD+EPD process dataset states about the declaration beyond its results (imports.Stated).

Where each field is read from; of several places, the first that gives a value is taken:
- product names: dataSetInformation/name/baseName per xml:lang; the description: common:generalComment.
- declared unit: the reference flow's amount times its flow's mass (the flow dataset in a ZIP), written as
  name/functionalUnitFlowProperties gives it when that is the same mass; without the flow dataset, the
  functionalUnitFlowProperties when it is a mass ("1 t").
- reference year: time/common:referenceYear. Issue and validity dates: time/common:other (epd2:publicationDateOfEPD,
  epd24:expirationDateOfEPD), else the labelled dates operators write in common:timeRepresentativenessDescription
  ("Registration date: 2020-05-06", "Validity date: 2025-04-22"), which also gives the data period ("Data period
  2025-01-01 to 2025-12-31"). common:dataSetValidUntil is a year, never taken as a date.
- PCR: LCIMethodAndAllocation/referenceToLCAMethodDetails.
- characterisation method: declared by the compliance systems, by UUID (the InDataWG list names c0016b33 "EN 15804+A2
  (EF 3.0)" and d4aa3ec7 "(EF 3.1)") or by a name that says "EF 3.x"; else by the first LCIA method dataset of a
  ZIP whose name or methodology says "EF 3.x" (our export writes "EN 15804+A2, EF 3.1"). The indicator UUIDs are only evidence
  (ParsedResults.method_evidence): they are what the LCA software wrote, and EF 3.1 kept most EF 3.0 UUIDs.
- registrations: common:registrationNumber with the registration authority (else the publisher, else the entity
  that entered the data, as Environdec names itself); registration numbers in common:synonyms ("S-P-01937"),
  and the registrations elsewhere that our export lists as external documentation "EPD <number> (<operator>)".
  The verifier: the reviewers of a review other than "Not reviewed", "person (body)" when a ZIP tells which is which.
- LCA practitioner: dataGenerator. Software: "LCA software: …" in useAdviceForDataSet. Background database: the data
  sources the master data lists as one (a release rather than the database in general) or whose name says so.
- scenarios: each epd:scenario goes to the modules whose amounts name it (of several at one module, the default
  one, as the results are read) or to the module that is its name ("C2"); the description is the scenario's.
- plants: epd24:manufacturers/…/epd24:sites (the city from a streetAddress "…, 50667 Cologne, Germany").
- production route and recycled content: "Production route: <label>." and "Recycled content: 12.5 %." in the
  technology description (our export); recycled content else from epd2:contentDeclaration when every product
  material gives its share and recycled percentage.
Contacts and sources are named by their dataset when a ZIP holds it, else by the reference's shortDescription;
a shortDescription that names something other than the dataset it points to is a warning.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from . import catalogue, ilcd_master, imports, locations
from .ilcd import EPD, EPD2, PROCESS, XML_LANG, Archive, IlcdFileError, _blocks, _reference_mass_kg, _short_description
from .ilcd import NS as PROCESS_NS
from .models import PCR
from .validation import INFO, WARNING, Finding, declared_mass_kg

EPD24 = "http://www.indata.network/EPD/2024"
NS = {**PROCESS_NS, "epd24": EPD24}

INFO_PATH = "p:processInformation/p:dataSetInformation"
TIME = "p:processInformation/p:time"
MODELLING = "p:modellingAndValidation"
ADMIN = "p:administrativeInformation"
PUBLICATION = f"{ADMIN}/p:publicationAndOwnership"

ISSUE_LABELS = (
    r"registration date|date of registration|date of issue|issue date|issued on|publication date|date of publication|published on"
)
VALIDITY_LABELS = r"validity date|valid until|valid to|expiry date|expiration date|date of expiry|expires on|validity"
# Registration numbers that operators write among the synonyms: the International EPD System's two schemes, EPD-Norge's.
REGISTRATION_NUMBERS = re.compile(r"\b(S-P-\d{5}|EPD-IES-\d{7}(?::\d+)?|NEPD-\d+-\d+(?:-[A-Z]{2})?)\b")
OWN_EXPORT_REGISTRATION = re.compile(r"EPD (\S+) \((.+)\)")  # registry/ilcd_export.py names registrations elsewhere so
OWN_EXPORT_DATABASE = re.compile(r"Background database named in the EPD: (.+)\.")
EF_NAMED = re.compile(r"\bEF\s*3\.([01])\b")


def _where(xpath: str) -> str:
    """An XPath of this module as findings name places: without the process namespace prefix."""
    return xpath.replace("p:", "")


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _texts(elements: list[etree._Element]) -> list[tuple[str, str]]:
    """(text, language) of each element that has text, in document order."""
    return [(_clean(e.text), e.get(XML_LANG, "")) for e in elements if _clean(e.text)]


def _is_english(language: str) -> bool:
    return language.split("-")[0].lower() == "en"


def _english_or_first(elements: list[etree._Element]) -> str:
    texts = _texts(elements)
    return ([t for t, lang in texts if _is_english(lang)] or [t for t, _lang in texts] or [""])[0]


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[^\W_]+", text.casefold())) + " "


def _same_thing(label: str, name: str) -> bool:
    """Whether a label and a name may name the same thing: one within the other ("The Swift® EPD Program", "The Swift
    EPD Program"), most words of the shorter in the longer ("PCR 2019:14 Construction products, version 1.3.4", "PCR
    2019:14 Construction products (EN 15804:A2) v1.3.4"), or one the initials of the other ("IBU", "Institut Bauen
    und Umwelt e.V.")."""
    a, b = _words(label), _words(name)
    if a in b or b in a:
        return True
    shorter, longer = sorted((set(a.split()), set(b.split())), key=len)
    if shorter and len(shorter & longer) >= 0.6 * len(shorter):
        return True
    initials = {"".join(w[0] for w in re.findall(r"[^\W_]{2,}", text) if w[0].isupper()).casefold() for text in (label, name)}
    return bool({a.strip(), b.strip()} & {i for i in initials if len(i) > 1})


@dataclass
class _Named:
    """A contact or source as the process refers to it: its name, and its dataset when the ZIP holds it."""

    name: str
    path: str
    uuid: str
    dataset: etree._Element | None


@dataclass
class _Reader:
    root: etree._Element
    archive: Archive | None
    parsed: "imports.ParsedResults"

    @property
    def stated(self) -> "imports.Stated":
        return self.parsed.stated

    def warn(self, check: str, message: str, where: str, severity: str = WARNING) -> None:
        self.parsed.findings.append(Finding(severity, check, message, field=where))

    # ------------------------------------------------------------ referenced contacts and sources

    def referenced(self, xpath: str, folder: str) -> list[_Named]:
        """Every reference at `xpath`, named by its dataset in the ZIP (else its label), each at its own path."""
        references = self.root.findall(xpath, NS)
        found = []
        for number, reference in enumerate(references, 1):
            path = _where(xpath) + (f"[{number}]" if len(references) > 1 else "")
            named = self.named(reference, path, folder)
            if named.name:
                found.append(named)
        return found

    def named(self, reference: etree._Element, path: str, folder: str, *, check_label: bool = True) -> _Named:
        label = _short_description(reference)
        ref_uuid = reference.get("refObjectId", "").strip().lower()
        dataset = None
        if self.archive is not None and ref_uuid:
            try:
                dataset = self.archive.dataset(folder, ref_uuid)
            except IlcdFileError as exc:
                self.parsed.findings.append(Finding(WARNING, "reference", str(exc), field=exc.finding.field))
        names = _dataset_names(dataset) if dataset is not None else []
        if not names:
            return _Named(label, path, ref_uuid, dataset)
        labels = [text for text, _lang in _texts(reference.findall("common:shortDescription", NS))]
        if check_label and labels and not any(_same_thing(label_text, name) for label_text in labels for name in names):
            self.warn(
                "reference",
                _(
                    "%(path)s is labelled “%(label)s”, but the dataset it points to (%(uuid)s) is “%(name)s”; "
                    "it was read as “%(name)s”, by its UUID."
                )
                % {"path": path, "label": labels[0], "uuid": ref_uuid, "name": names[0]},
                path,
            )
        return _Named(names[0], path, ref_uuid, dataset)

    # ------------------------------------------------------------ the fields

    def product(self) -> None:
        by_language: dict[str, str] = {}
        for text, language in _texts(self.root.findall(f"{INFO_PATH}/p:name/p:baseName", NS)):
            by_language.setdefault(language, text)
        base = _where(f"{INFO_PATH}/p:name/p:baseName")

        def where(language: str) -> str:
            return f"{base}[@xml:lang='{language}']" if language else base

        english = next((language for language in by_language if _is_english(language)), None)
        if by_language:
            language = english if english is not None else next(iter(by_language))
            self.stated.set("product_name", by_language[language], where(language))
        chinese = next((language for language in by_language if language.lower().startswith("zh")), None)
        if chinese is not None:
            self.stated.set("product_name_zh", by_language[chinese], where(chinese))
        others = {language: name for language, name in by_language.items() if language and language not in (english, chinese)}
        self.stated.set("other_names", others, base)
        comment = _english_or_first(self.root.findall(f"{INFO_PATH}/common:generalComment", NS))
        # Our export adds the first issue of the EPD to the description; it is not the product's description.
        comment = re.sub(r"\n?First issued on \d{4}-\d{2}-\d{2}\.$", "", comment).strip()
        self.stated.set("description", comment, _where(f"{INFO_PATH}/common:generalComment"))
        owners = self.referenced(f"{PUBLICATION}/common:referenceToOwnershipOfDataSet", "contacts") or self.referenced(
            f"{ADMIN}/common:commissionerAndGoal/common:referenceToCommissioner", "contacts"
        )
        if owners:
            self.stated.set("manufacturer", owners[0].name, owners[0].path)

    def declared_unit(self, *, per_file_unit: bool, take_declared_unit: bool) -> None:
        named_xpath = f"{INFO_PATH}/p:name/p:functionalUnitFlowProperties"
        named = _english_or_first(self.root.findall(named_xpath, NS))
        named_mass = declared_mass_kg(named) if named else None
        mass, path = _reference_mass_kg(self.root, self.archive)
        unit, where = "", ""
        if mass is not None and mass > 0:
            unit, where = (named if named_mass == mass else imports.mass_unit_text(mass)), path
        elif named_mass is not None:
            unit, where = named, _where(named_xpath)
        if not per_file_unit:
            return
        if unit:
            self.stated.set("declared_unit", unit, where)
        elif take_declared_unit:
            self.warn(
                "P1",
                _(
                    "The dataset does not state the mass of its declared unit (no flow dataset of its reference flow, no "
                    "mass in its name); its results were read as they are. Set the declared unit they are per."
                ),
                path,
            )

    def dates(self) -> None:
        year = _clean(self.root.findtext(f"{TIME}/common:referenceYear", namespaces=NS))
        if re.fullmatch(r"\d{4}", year):
            self.stated.set("reference_year", int(year), _where(f"{TIME}/common:referenceYear"))
        description_xpath = f"{TIME}/common:timeRepresentativenessDescription"
        description = "\n".join(text for text, _lang in _texts(self.root.findall(description_xpath, NS)))
        period = re.search(
            r"data period\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\s*(?:to|until|–|—|-)\s*(\d{4}-\d{2}-\d{2})", description, re.IGNORECASE
        )
        if period:
            self.stated.set("data_period_start", imports.date_of(period.group(1)), _where(description_xpath))
            self.stated.set("data_period_end", imports.date_of(period.group(2)), _where(description_xpath))
        for name, element, labels in (
            ("original_issue_date", f"{TIME}/common:other/epd2:publicationDateOfEPD", ISSUE_LABELS),
            ("valid_until", f"{TIME}/common:other/epd24:expirationDateOfEPD", VALIDITY_LABELS),
        ):
            structured = imports.date_of(self.root.findtext(element, namespaces=NS))
            if structured:
                self.stated.set(name, structured, _where(element))
            else:
                self.stated.set(name, imports.labelled_date(description, labels), _where(description_xpath))
        self._validity_year()

    def _validity_year(self) -> None:
        xpath = f"{TIME}/common:dataSetValidUntil"
        year = _clean(self.root.findtext(xpath, namespaces=NS))
        valid = self.stated.values.get("valid_until")
        if not re.fullmatch(r"\d{4}", year):
            return
        if valid is None:
            self.warn(
                "metadata",
                _("The dataset gives only the year until which it is valid (%(year)s), not the date; give the date the EPD is valid until.")
                % {"year": year},
                _where(xpath),
                INFO,
            )
        elif valid.year != int(year):
            self.warn(
                "metadata",
                _("The dataset is valid until %(year)s (%(year_where)s), the EPD until %(date)s (%(date_where)s); the EPD's date was read.")
                % {"year": year, "year_where": _where(xpath), "date": valid.isoformat(), "date_where": self.stated.where["valid_until"]},
                self.stated.where["valid_until"],
                INFO,
            )

    def pcr(self) -> None:
        named = self.referenced(f"{MODELLING}/p:LCIMethodAndAllocation/p:referenceToLCAMethodDetails", "sources")
        if not named:
            return
        catalogue_pcrs = PCR.objects.filter(active=True)  # one query: matching() reuses the evaluated queryset
        matches = [(n, catalogue_pcrs.matching(n.name)) for n in named]
        found = [(n, pcr) for n, pcr in matches if pcr is not None]
        looks_like_pcr = [n for n in named if re.search(r"\bc?-?PCR\b|product category rules", n.name, re.IGNORECASE)]
        chosen = found[0][0] if found else (looks_like_pcr or named)[0]
        self.stated.set("pcr_named", chosen.name, chosen.path)
        if found:
            self.stated.set("pcr", found[0][1], chosen.path)

    def method(self) -> None:
        xpath = f"{MODELLING}/p:complianceDeclarations/p:compliance/common:referenceToComplianceSystem"
        for system in self.referenced(xpath, "sources"):
            by_uuid = ilcd_master.compliance_methods().get(system.uuid)
            named = EF_NAMED.search(system.name)
            by_name = f"EF 3.{named.group(1)}" if named else None
            if by_uuid and by_name and by_uuid != by_name:
                self.warn(
                    "method",
                    _(
                        "The compliance system %(uuid)s is EN 15804+A2 (%(method)s), but the dataset names it “%(name)s”; "
                        "it was read as %(method)s, by its UUID."
                    )
                    % {"uuid": system.uuid, "method": by_uuid, "name": system.name},
                    system.path,
                )
            if by_uuid or by_name:
                self.stated.set("characterisation_method", by_uuid or by_name, system.path)
                return
        # No compliance system says: the first LCIA method dataset of the ZIP that names its method does.
        for block in _blocks(self.root) if self.archive is not None else ():
            if block.element.tag != f"{{{PROCESS}}}LCIAResult" or not block.uuid:
                continue
            # Indicator labels are checked against their UUIDs already (ilcd._identify).
            named = self.named(block.reference, f"{block.path}/referenceToLCIAMethodDataSet", "lciamethods", check_label=False)
            if named.dataset is None:
                continue
            texts = [named.name, *(_clean(e.text) for e in named.dataset.iterfind(".//{*}methodology"))]
            method = next((m for m in map(EF_NAMED.search, texts) if m), None)
            if method:
                self.stated.set("characterisation_method", f"EF 3.{method.group(1)}", named.path)
                return

    def registrations(self) -> None:
        """The dataset's own registration (and its numbers among the synonyms), then those it lists elsewhere."""
        elsewhere = {number: (path, registration) for number, path, registration in self._elsewhere()}
        operators = (
            self.referenced(f"{PUBLICATION}/common:referenceToRegistrationAuthority", "contacts")
            + self.referenced(f"{PUBLICATION}/common:other/epd2:referenceToPublisher", "contacts")
            + self.referenced(f"{ADMIN}/p:dataEntryBy/common:referenceToPersonOrEntityEnteringTheData", "contacts")
        )
        own = {
            "verifier": self.verifier(),
            "url": _clean(self.root.findtext(f"{PUBLICATION}/common:permanentDataSetURI", namespaces=NS)),
        }
        synonyms_xpath = f"{INFO_PATH}/common:synonyms"
        synonyms = " ".join(text for text, _lang in _texts(self.root.findall(synonyms_xpath, NS)))
        numbers = [
            (
                _clean(self.root.findtext(f"{PUBLICATION}/common:registrationNumber", namespaces=NS)),
                f"{PUBLICATION}/common:registrationNumber",
            )
        ]
        numbers += [(number, synonyms_xpath) for number in REGISTRATION_NUMBERS.findall(synonyms)]
        found: dict[str, tuple[str, dict[str, str]]] = {}
        for number, xpath in numbers:
            if not number or number in found:
                continue
            if number in elsewhere:
                found[number] = elsewhere.pop(number)
            elif operators:
                registration = {"programme_operator": operators[0].name, "registration_number": number}
                found[number] = (_where(xpath), registration | {key: value for key, value in own.items() if value})
                own["url"] = ""  # the data set's own address goes with its first registration only
            else:
                self.warn(
                    "metadata",
                    _("The dataset gives the registration number %(number)s but not the programme operator that registered it.")
                    % {"number": number},
                    _where(xpath),
                    INFO,
                )
        found |= elsewhere
        if found:
            paths, registrations = zip(*found.values(), strict=True)
            self.stated.set("registrations_elsewhere", list(registrations), paths[0])

    def _elsewhere(self) -> Iterator[tuple[str, str, dict[str, str]]]:
        """Registrations elsewhere as our export lists them: external documentation "EPD <number> (<operator>)"."""
        for named in self.referenced(f"{INFO_PATH}/p:referenceToExternalDocumentation", "sources"):
            match = OWN_EXPORT_REGISTRATION.fullmatch(named.name)
            if not match:
                continue
            registration = {"programme_operator": match.group(2), "registration_number": match.group(1)}
            files = named.dataset.iterfind(".//{*}referenceToDigitalFile") if named.dataset is not None else []
            links = [f.get("uri", "") for f in files if f.get("uri", "").startswith(("http://", "https://"))]
            if links:
                registration["url"] = links[0]
            yield match.group(1), named.path, registration

    def verifier(self) -> str:
        """The reviewers of the dataset's reviews, "person (body)" when the ZIP says the person belongs to the body."""
        reviewers: list[_Named] = []
        for number, review in enumerate(self.root.findall(f"{MODELLING}/p:validation/p:review", NS), 1):
            if review.get("type") == "Not reviewed":
                continue
            for index, reference in enumerate(review.findall("common:referenceToNameOfReviewerAndInstitution", NS), 1):
                path = _where(f"{MODELLING}/p:validation/p:review[{number}]/common:referenceToNameOfReviewerAndInstitution[{index}]")
                named = self.named(reference, path, "contacts")
                if named.name:
                    reviewers.append(named)
        by_uuid = {r.uuid: r for r in reviewers if r.uuid}
        member_of = {r.uuid: _member_of(r.dataset) for r in reviewers if r.dataset is not None}
        bodies = {body for body in member_of.values() if body in by_uuid}
        names = []
        for reviewer in reviewers:
            body = member_of.get(reviewer.uuid)
            if reviewer.uuid in bodies:
                continue
            names.append(f"{reviewer.name} ({by_uuid[body].name})" if body in bodies else reviewer.name)
        return "; ".join(dict.fromkeys(names))

    def people(self) -> None:
        practitioners = self.referenced(f"{ADMIN}/p:dataGenerator/common:referenceToPersonOrEntityGeneratingTheDataSet", "contacts")
        if practitioners:
            self.stated.set("lca_practitioner", "; ".join(dict.fromkeys(p.name for p in practitioners)), practitioners[0].path)
        advice_xpath = f"{MODELLING}/p:dataSourcesTreatmentAndRepresentativeness/p:useAdviceForDataSet"
        advice = "\n".join(text for text, _lang in _texts(self.root.findall(advice_xpath, NS)))
        software = re.search(r"^\s*(?:LCA software|Software)\s*:\s*(.+?)\s*$", advice, re.IGNORECASE | re.MULTILINE)
        if software:
            self.stated.set("lca_software", software.group(1), _where(advice_xpath))

    def background_database(self) -> None:
        sources = self.referenced(f"{MODELLING}/p:dataSourcesTreatmentAndRepresentativeness/p:referenceToDataSource", "sources")
        found: list[tuple[str, str, str, bool]] = []  # name, family, path, names a release
        for source in sources:
            master = ilcd_master.background_databases_by_uuid().get(source.uuid)
            description = (
                _english_or_first(source.dataset.findall(".//{*}sourceDescriptionOrComment")) if source.dataset is not None else ""
            )
            named = OWN_EXPORT_DATABASE.search(description)
            name = named.group(1) if named else source.name
            if master is not None:
                found.append((name, master[1], source.path, master[2]))
            elif _is_database(source):
                found.append((name, "", source.path, bool(re.search(r"\d", name))))
        releases = {family for _name, family, _path, release in found if release and family}
        kept = [(name, path) for name, family, path, release in found if release or not family or family not in releases]
        if kept:
            self.stated.set("background_database", "; ".join(dict.fromkeys(name for name, _path in kept)), kept[0][1])

    def scenarios(self) -> None:
        xpath = f"{INFO_PATH}/common:other/epd:scenarios/epd:scenario"
        defined = {s.get(f"{{{EPD}}}name", ""): s for s in self.root.iterfind(xpath, NS) if s.get(f"{{{EPD}}}name")}
        if not defined:
            return
        by_module: dict[str, list[str]] = {}
        for block in _blocks(self.root):
            for amount in block.amounts:
                module = catalogue.module_code((amount.get(f"{{{EPD}}}module") or "").strip())
                name = amount.get(f"{{{EPD}}}scenario")
                if module and name in defined and name not in by_module.setdefault(module, []):
                    by_module[module].append(name)
        for name in defined:
            module = catalogue.module_code(name)
            if module and not by_module.get(module):
                by_module[module] = [name]
        scenarios: dict[str, dict] = {}
        for module in catalogue.module_codes():
            names = by_module.get(module, [])
            chosen = names if len(names) == 1 else [n for n in names if defined[n].get(f"{{{EPD}}}default") == "true"]
            if len(chosen) == 1:
                element = defined[chosen[0]]
                text = _english_or_first(element.findall("epd:description", NS)) or chosen[0]
                scenario: dict[str, object] = {"description": text}
                if (distance := imports.distance_km(text)) is not None:
                    scenario["distance_km"] = distance
                scenarios[module] = scenario
        self.stated.set("scenarios", scenarios, _where(xpath.rsplit("/", 1)[0]))

    def plants(self) -> None:
        sources = f"{MODELLING}/p:dataSourcesTreatmentAndRepresentativeness"
        xpath = f"{sources}/common:other/epd24:manufacturers/epd24:manufacturer/epd24:sites/epd24:site"
        plants = []
        for number, site in enumerate(self.root.iterfind(xpath, NS), 1):
            path = f"{_where(xpath)}[{number}]"
            plant = {"name": _clean(site.findtext("epd24:name", namespaces=NS))}
            country = _clean(site.findtext("epd24:geoCode", namespaces=NS))
            if re.fullmatch(r"[A-Za-z]{2}", country):
                plant["country"] = country.upper()
            city = _city(_clean(site.findtext("epd24:streetAddress", namespaces=NS)))
            if city:
                plant["city"] = city
            olc = _clean(site.findtext("epd24:olc", namespaces=NS))
            if olc:
                try:
                    plant["olc"] = locations.plus_code(olc)
                except ValueError as error:
                    self.warn("metadata", str(error), f"{path}/epd24:olc")
            if plant["name"]:
                plants.append(plant)
        self.stated.set("plants", plants, _where(xpath))

    def production(self) -> None:
        xpath = "p:processInformation/p:technology/p:technologyDescriptionAndIncludedProcesses"
        technology = "\n".join(text for text, _lang in _texts(self.root.findall(xpath, NS)))
        route = re.search(r"Production route:\s*(.+?)\.(?:\s|$)", technology)
        if route:
            with translation.override("en"):
                routes = {str(label): value for value, label in catalogue.ProductionRoute.choices}
            self.stated.set("production_route", routes.get(route.group(1)), _where(xpath))
        recycled = re.search(r"Recycled content:\s*(\d+(?:\.\d+)?)\s*%", technology)
        if recycled:
            self.stated.set("recycled_content", imports.plain(Decimal(recycled.group(1))), _where(xpath))
            return
        content_xpath = f"{INFO_PATH}/common:other/epd2:contentDeclaration"
        declaration = self.root.find(content_xpath, NS)
        if declaration is not None:
            self.stated.set("recycled_content", _recycled_share(declaration), _where(content_xpath))


def _dataset_names(dataset: etree._Element) -> list[str]:
    """A contact's or source's names, the preferred first: common:name, common:shortName, sourceCitation (English first)."""
    information = dataset.find("*/{*}dataSetInformation")
    if information is None:
        return []
    names = []
    for tag in ("common:name", "common:shortName", "{*}sourceCitation"):
        texts = _texts(information.findall(tag, NS))
        names += [t for t, lang in texts if _is_english(lang)] + [t for t, lang in texts if not _is_english(lang)]
    return list(dict.fromkeys(names))


def _member_of(contact: etree._Element) -> str:
    reference = contact.find("*/{*}dataSetInformation/{*}referenceToContact")
    return reference.get("refObjectId", "").strip().lower() if reference is not None else ""


def _is_database(source: _Named) -> bool:
    if source.dataset is not None:
        classes = {_clean(c.text).lower() for c in source.dataset.iterfind(".//common:class", NS)}
        kind = _clean(source.dataset.findtext(".//{*}publicationType")).lower()
        if "databases" in classes or kind == "software or database":
            return True
    return ilcd_master.background_database(source.name) is not None or bool(re.search(r"database|datenbank", source.name, re.IGNORECASE))


def _city(address: str) -> str:
    """The town of a street address written "street, postcode town, country" ("Domkloster 4, 50667 Cologne, Germany")."""
    for part in address.split(",")[1:]:
        match = re.fullmatch(r"\s*(?:[A-Z]{1,2}-)?\d[\dA-Z-]{2,9}\s+(\D.*?)\s*", part)
        if match:
            return match.group(1)
    return ""


def _recycled_share(declaration: etree._Element) -> Decimal | None:
    """Recycled content of the product in %, from its materials (packaging left out), when every one gives it."""

    def number(element: etree._Element | None, attribute: str) -> Decimal | None:
        try:
            return Decimal(element.get(f"{{{EPD2}}}{attribute}")) if element is not None else None
        except (InvalidOperation, TypeError):
            return None

    def materials() -> Iterator[tuple[etree._Element, Decimal | None]]:
        for child in declaration:
            if child.tag == f"{{{EPD2}}}component":
                share = number(child.find("epd2:weightPerc", NS), "value")
                for material in child.iterfind("epd2:material", NS):
                    yield material, share
            elif child.tag == f"{{{EPD2}}}material":
                yield child, Decimal(100)

    total, counted = Decimal(0), 0
    for material, share in materials():
        if material.get(f"{{{EPD2}}}packaging") == "true":
            continue
        weight, recycled = number(material.find("epd2:weightPerc", NS), "value"), number(material, "recycled")
        if share is None or weight is None or recycled is None:
            return None
        total += weight * recycled * share / Decimal(10000)
        counted += 1
    return imports.plain(total) if counted else None


def read_stated(
    root: etree._Element, archive: Archive | None, parsed: "imports.ParsedResults", *, per_file_unit: bool, take_declared_unit: bool
) -> None:
    """Fill `parsed.stated` from the process dataset (and the ZIP's contacts and sources); warnings go to its findings.

    `per_file_unit`: the results were read per the dataset's own declared unit, which is then stated."""
    reader = _Reader(root, archive, parsed)
    reader.product()
    reader.declared_unit(per_file_unit=per_file_unit, take_declared_unit=take_declared_unit)
    reader.dates()
    reader.pcr()
    reader.method()
    imports.check_method(parsed)
    reader.registrations()
    reader.people()
    reader.background_database()
    reader.scenarios()
    reader.plants()
    reader.production()
