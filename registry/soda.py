"""A soda4LCA-compatible read-only service under /resource/: the part of the soda4LCA Service API that harvesting
clients (ilcdlib's Soda4LcaXmlApiClient, openLCA-style importers) use.

    GET /resource/datastocks                                  the one data stock of the registry
    GET /resource/processes?search=true&startIndex=&pageSize= valid EPDs, as sapi:dataSetList (also under
                                                              /resource/datastocks/{stock}/processes)
    GET /resource/{type}/{uuid}?version=&format=xml           one dataset, the bytes stored in the EPD's ILCD ZIP
    GET /resource/processes/{uuid}/zipexport?version=         the stored ILCD ZIP (ilcd.zip artefact)
    GET /resource/processes/{uuid}/epd?version=               the signed PDF (document.pdf artefact)
    GET /resource/sources/{uuid}/{file}?version=              a source's digital file, from the same ZIP

What a harvester sees: the list holds the latest version of every *valid* EPD (published, not expired,
superseded, suspended or revoked), so an LCA database that mirrors the list holds what may be used today.
Any published version stays fetchable by UUID and version (superseded and expired ones are history that
harvested data and citations point at), except suspended and revoked EPDs, which answer 410 Gone: their
data must not be imported again. Every dataset is served from the publication's stored ZIP, so the bytes
never change after publication; datasets are found through the IlcdDataset index written at publish time.
"""

import re
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from lxml import etree

from declarations.ilcd import EPD, parse_xml

from .ilcd_export import FOLDER_KIND, KINDS, UUID_NAMESPACE, dataset_version, process_uuid
from .models import ARTEFACT_CONTENT_TYPES, Artefact, ArtefactName, IlcdDataset, RegistryEntry, RegistryStatus

SAPI = "http://www.ilcd-network.org/ILCD/ServiceAPI"
SAPI_PROCESS = "http://www.ilcd-network.org/ILCD/ServiceAPI/Process"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATA_STOCK = str(uuid.uuid5(UUID_NAMESPACE, "datastock/registry"))
DATA_STOCK_SHORT_NAME = "steel-epd-registry"
DEFAULT_PAGE_SIZE = 500  # soda4LCA's default
MAX_PAGE_SIZE = 500
MAX_START_INDEX = 10_000_000
VERSION = re.compile(r"^\d{2}\.\d{2}(\.\d{3})?$")
WITHDRAWN = (RegistryStatus.SUSPENDED, RegistryStatus.REVOKED)
FORMATS = {"dataset": ("xml",), "zipexport": ("xml", "zip")}


class SodaError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _answer(function):
    """Errors as soda4LCA answers them: the status and a plain-text message naming what is wrong."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return function(request, *args, **kwargs)
        except SodaError as exc:
            return HttpResponse(exc.message + "\n", status=exc.status, content_type="text/plain; charset=utf-8")

    wrapped.__name__ = function.__name__
    return require_safe(wrapped)


# ---------------------------------------------------------------- parameters


def _integer(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or not low <= int(raw) <= high:
        raise SodaError(400, _("%(name)s must be a whole number from %(low)d to %(high)d.") % {"name": name, "low": low, "high": high})
    return int(raw)


def _version(request: HttpRequest) -> str | None:
    raw = request.GET.get("version", "").strip()
    if raw == "":
        return None
    if not VERSION.match(raw):
        raise SodaError(400, _("version must be a data set version such as 01.00.000."))
    return raw if raw.count(".") == 2 else f"{raw}.000"


def _format(request: HttpRequest, allowed: tuple[str, ...]) -> None:
    raw = request.GET.get("format", "").strip().lower()
    if raw and raw not in allowed:
        raise SodaError(400, _("format must be one of: %(formats)s.") % {"formats": ", ".join(allowed)})


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise SodaError(400, _("“%(uuid)s” is not a UUID.") % {"uuid": text[:60]})


def _stock(stock: str | None) -> None:
    if stock not in (None, "", DATA_STOCK, DATA_STOCK_SHORT_NAME):
        raise SodaError(
            404, _("There is no data stock %(stock)s; this node has one: %(ours)s.") % {"stock": stock[:60], "ours": DATA_STOCK}
        )


# ---------------------------------------------------------------- lookups


@dataclass
class Found:
    """A dataset in a publication's stored ZIP."""

    member: str
    version: str
    zip_file: str
    pdf_file: str
    status: str
    registration_number: str


def _find(folder: str, dataset_uuid: str, version: str | None) -> Found:
    """The dataset by UUID (and version): for a process its newest version, for the datasets EPDs share (contacts,
    master data) the copy in the newest publication that is not suspended or revoked. One query."""
    rows = IlcdDataset.objects.filter(folder=folder, uuid=dataset_uuid)
    if version:
        rows = rows.filter(version=version)
    if folder != "processes":
        rows = rows.exclude(publication__entry__status__in=WITHDRAWN)
    artefacts = Artefact.objects.filter(publication_id=OuterRef("publication_id"))
    row = (
        rows.annotate(
            zip_file=Subquery(artefacts.filter(name=ArtefactName.ILCD_ZIP).values("file")[:1]),
            pdf_file=Subquery(artefacts.filter(name=ArtefactName.PDF).values("file")[:1]),
        )
        .order_by("-publication__version" if folder == "processes" else "-publication_id")
        .values("member", "version", "zip_file", "pdf_file", "publication__entry__status", "publication__registration_number")
        .first()
    )
    if row is None:
        kind = KINDS[FOLDER_KIND[folder]][1]
        raise SodaError(
            404,
            _("No %(kind)s %(uuid)s%(version)s on this node.")
            % {"kind": kind, "uuid": dataset_uuid, "version": _(" in version %(v)s") % {"v": version} if version else ""},
        )
    found = Found(
        row["member"],
        row["version"],
        row["zip_file"],
        row["pdf_file"],
        row["publication__entry__status"],
        row["publication__registration_number"],
    )
    if found.status in WITHDRAWN:
        raise SodaError(
            410,
            _("EPD %(number)s is %(status)s: its data sets are no longer served for harvesting.")
            % {"number": found.registration_number, "status": RegistryStatus(found.status).label},
        )
    return found


def _read_member(zip_file: str, member: str) -> bytes:
    with default_storage.open(zip_file, "rb") as handle, zipfile.ZipFile(handle) as archive:
        return archive.read(member)


def _immutable(response: HttpResponse, version: str | None) -> HttpResponse:
    response["Cache-Control"] = "public, max-age=31536000, immutable" if version else "public, max-age=60"
    return response


# ---------------------------------------------------------------- views


@_answer
def data_stocks(request: HttpRequest) -> HttpResponse:
    _format(request, FORMATS["dataset"])
    root = etree.Element(f"{{{SAPI}}}dataStockList", nsmap={"sapi": SAPI})
    stock = etree.SubElement(root, f"{{{SAPI}}}dataStock")
    stock.set(f"{{{SAPI}}}root", "true")
    etree.SubElement(stock, f"{{{SAPI}}}uuid").text = DATA_STOCK
    etree.SubElement(stock, f"{{{SAPI}}}shortName").text = DATA_STOCK_SHORT_NAME
    name = etree.SubElement(stock, f"{{{SAPI}}}name")
    name.set(XML_LANG, "en")
    name.text = f"{settings.PROGRAMME_OPERATOR['name']}: valid EPDs"
    description = etree.SubElement(stock, f"{{{SAPI}}}description")
    description.set(XML_LANG, "en")
    description.text = "The latest version of every valid EPD of the registry, as ILCD+EPD v1.2 data sets."
    return _xml(root)


@_answer
def processes(request: HttpRequest, stock: str | None = None) -> HttpResponse:
    """The valid EPDs, oldest publication first (a stable order to page through), as sapi:dataSetList."""
    _stock(stock or request.GET.get("stock"))
    _format(request, FORMATS["dataset"])
    start = _integer(request, "startIndex", 0, 0, MAX_START_INDEX)
    size = _integer(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    entries = RegistryEntry.objects.filter(status=RegistryStatus.VALID, valid_until__gte=timezone.localdate())
    name = request.GET.get("name", "").strip()[:100]
    if name:
        entries = entries.filter(product_name__icontains=name)
    total = entries.count()
    page = entries.order_by("published_at", "id").values(
        "registration_number", "version", "product_name", "product_name_zh", "category", "country", "valid_until"
    )[start : start + size]
    root = etree.Element(f"{{{SAPI}}}dataSetList", nsmap={"sapi": SAPI, "p": SAPI_PROCESS, "xlink": XLINK, "epd": EPD})
    root.set(f"{{{SAPI}}}totalSize", str(total))
    root.set(f"{{{SAPI}}}startIndex", str(start))
    root.set(f"{{{SAPI}}}pageSize", str(size))
    base = request.build_absolute_uri("/resource/processes/")
    for entry in page:
        _process_overview(root, entry, base)
    return _xml(root)


def _process_overview(root: etree._Element, entry: dict, base: str) -> None:
    from declarations import catalogue

    dataset_uuid, version = process_uuid(entry["registration_number"]), dataset_version(entry["version"])
    process = etree.SubElement(root, f"{{{SAPI_PROCESS}}}process")
    process.set(f"{{{SAPI}}}sourceId", DATA_STOCK_SHORT_NAME)
    process.set(f"{{{XLINK}}}href", f"{base}{dataset_uuid}?version={version}")
    etree.SubElement(process, f"{{{SAPI}}}uuid").text = dataset_uuid
    etree.SubElement(
        process, f"{{{SAPI}}}permanentUri"
    ).text = f"{settings.SITE_URL}/epds/{entry['registration_number']}/?version={entry['version']}"
    etree.SubElement(process, f"{{{SAPI}}}dataSetVersion").text = version
    for lang, text in (("en", entry["product_name"]), ("zh", entry["product_name_zh"])):
        if text:
            name = etree.SubElement(process, f"{{{SAPI}}}name")
            name.set(XML_LANG, lang)
            name.text = text
    category = catalogue.CATEGORY_BY_CODE.get(entry["category"])
    if category:
        classification = etree.SubElement(process, f"{{{SAPI}}}classification", name="Steel EPD Platform")
        level = etree.SubElement(classification, f"{{{SAPI}}}class", level="0", classId=category.code)
        level.text = category.name
    etree.SubElement(process, f"{{{SAPI_PROCESS}}}type").text = "EPD"
    etree.SubElement(process, f"{{{SAPI_PROCESS}}}location").text = entry["country"] or "GLO"
    time = etree.SubElement(process, f"{{{SAPI_PROCESS}}}time")
    etree.SubElement(time, f"{{{SAPI_PROCESS}}}validUntil").text = str(entry["valid_until"].year)
    etree.SubElement(etree.SubElement(process, f"{{{SAPI}}}other"), f"{{{EPD}}}subType").text = "specific dataset"


@_answer
def dataset(request: HttpRequest, folder: str, dataset_uuid: str) -> HttpResponse:
    _format(request, FORMATS["dataset"])
    version = _version(request)
    found = _find(folder, _uuid(dataset_uuid), version)
    return _immutable(HttpResponse(_read_member(found.zip_file, found.member), content_type="application/xml"), version)


@_answer
def zip_export(request: HttpRequest, dataset_uuid: str) -> HttpResponse:
    _stock(request.GET.get("stock"))
    _format(request, FORMATS["zipexport"])
    version = _version(request)
    found = _find("processes", _uuid(dataset_uuid), version)
    response = FileResponse(default_storage.open(found.zip_file, "rb"), content_type=ARTEFACT_CONTENT_TYPES[ArtefactName.ILCD_ZIP])
    response["Content-Disposition"] = f'attachment; filename="{found.registration_number}-{found.version}-ilcd.zip"'
    return _immutable(response, version)


@_answer
def epd_document(request: HttpRequest, dataset_uuid: str) -> HttpResponse:
    version = _version(request)
    found = _find("processes", _uuid(dataset_uuid), version)
    response = FileResponse(default_storage.open(found.pdf_file, "rb"), content_type=ARTEFACT_CONTENT_TYPES[ArtefactName.PDF])
    response["Content-Disposition"] = f'inline; filename="{found.registration_number}-{found.version}.pdf"'
    return _immutable(response, version)


@_answer
def digital_file(request: HttpRequest, dataset_uuid: str, file_name: str) -> HttpResponse:
    """A file a source data set refers to as ../external_docs/<file>, read from the same ZIP."""
    version = _version(request)
    found = _find("sources", _uuid(dataset_uuid), version)
    source = parse_xml(_read_member(found.zip_file, found.member), found.member)
    uris = (e.get("uri") or "" for e in source.iter("{http://lca.jrc.it/ILCD/Source}referenceToDigitalFile"))
    files = {uri.removeprefix("../external_docs/") for uri in uris if uri.startswith("../external_docs/")}
    if file_name not in files:
        raise SodaError(404, _("Source data set %(uuid)s has no digital file %(file)s.") % {"uuid": dataset_uuid, "file": file_name[:100]})
    content = _read_member(found.zip_file, f"ILCD/external_docs/{file_name}")
    content_type = "application/pdf" if file_name.lower().endswith(".pdf") else "application/octet-stream"
    return _immutable(HttpResponse(content, content_type=content_type), version)


def _xml(root: etree._Element) -> HttpResponse:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True)
    return HttpResponse(body, content_type="application/xml; charset=utf-8")
