"""Checks of an ILCD ZIP before it is published: every dataset valid against the InDataWG ILCD+EPD v1.2 schemas,
every reference resolving to a file inside the archive.

The schemas import the W3C schema of the xml: namespace from the web; a resolver hands lxml our local copy
(registry/schemas/xml.xsd) and refuses any other network fetch.
"""

import io
import posixpath
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from lxml import etree

from declarations.catalogue import REFERENCE_DIR
from declarations.ilcd import parse_xml

SCHEMA_DIR = REFERENCE_DIR / "ilcd-epd" / "schemas"
XML_XSD = Path(__file__).resolve().parent / "schemas" / "xml.xsd"
SCHEMA_OF_FOLDER = {
    "processes": "EPD_DataSet.xsd",
    "flows": "ILCD_FlowDataSet.xsd",
    "flowproperties": "ILCD_FlowPropertyDataSet.xsd",
    "unitgroups": "ILCD_UnitGroupDataSet.xsd",
    "lciamethods": "ILCD_LCIAMethodDataSet.xsd",
    "contacts": "ILCD_ContactDataSet.xsd",
    "sources": "ILCD_SourceDataSet.xsd",
}
FOLDER_OF_TYPE = {
    "process data set": "processes",
    "flow data set": "flows",
    "flow property data set": "flowproperties",
    "unit group data set": "unitgroups",
    "LCIA method data set": "lciamethods",
    "contact data set": "contacts",
    "source data set": "sources",
}


class _LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url and url.startswith("http") and url.endswith("/xml.xsd"):
            return self.resolve_filename(str(XML_XSD), context)
        if url and url.startswith(("http:", "https:")):
            raise ValueError(f"schema import {url} is not available offline")
        return None


@cache
def schema(file_name: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / file_name), parser))


def _datasets(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(member name, folder) of every XML dataset under ILCD/<folder>/."""
    for name in archive.namelist():
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "ILCD" and name.endswith(".xml"):
            yield name, parts[1]


def schema_problems(content: bytes) -> list[str]:
    """'member:line: message' for every schema violation of every dataset in the ZIP (and unknown folders)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    problems = []
    for name, folder in _datasets(archive):
        if folder not in SCHEMA_OF_FOLDER:
            problems.append(f"{name}: no ILCD schema for the folder {folder!r}")
            continue
        validator = schema(SCHEMA_OF_FOLDER[folder])
        if not validator.validate(parse_xml(archive.read(name), name)):
            problems += [f"{name}:{error.line}: {error.message}" for error in validator.error_log]
    return problems


def unresolved_references(content: bytes) -> list[str]:
    """Every refObjectId and relative uri in the ZIP that names no file inside it."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    members = set(archive.namelist())
    present = {(folder, name.rsplit("/", 1)[-1].removesuffix(".xml").split("_", 1)[0]) for name, folder in _datasets(archive)}
    problems = []
    for name, _folder in _datasets(archive):
        for element in parse_xml(archive.read(name), name).iter():
            target, kind = element.get("refObjectId"), element.get("type")
            if target is not None and (FOLDER_OF_TYPE.get(kind or ""), target) not in present:
                problems.append(f"{name}: {etree.QName(element).localname} → {kind} {target}")
            for attribute in ("uri",):
                uri = element.get(attribute)
                if uri and "://" not in uri and posixpath.normpath(posixpath.join(posixpath.dirname(name), uri)) not in members:
                    problems.append(f"{name}: {etree.QName(element).localname} → {uri}")
    return problems


def dataset_index(content: bytes) -> list[dict[str, str]]:
    """Every dataset of the ZIP: folder, UUID, version and member path (the soda4LCA service's lookup rows).

    The version is the dataset's own dataSetVersion; a master-data stub that carries none gets the version the
    archive's references give it (or "")."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    common = "{http://lca.jrc.it/ILCD/Common}"
    own: dict[tuple[str, str], str] = {}
    referenced: dict[tuple[str, str], str] = {}
    for name, folder in _datasets(archive):
        root = parse_xml(archive.read(name), name)
        dataset_uuid = next(root.iter(f"{common}UUID")).text.strip()
        version = next((e.text.strip() for e in root.iter(f"{common}dataSetVersion")), "")
        own[(folder, dataset_uuid)] = version
        for element in root.iter():
            if element.get("refObjectId") and element.get("version"):
                referenced.setdefault(
                    (FOLDER_OF_TYPE.get(element.get("type") or "", ""), element.get("refObjectId")), element.get("version")
                )
    members = {key: name for name, folder in _datasets(archive) for key in [(folder, name.rsplit("/", 1)[-1].removesuffix(".xml"))]}
    return [
        {
            "folder": folder,
            "uuid": dataset_uuid,
            "version": version or referenced.get((folder, dataset_uuid), ""),
            "member": members[(folder, dataset_uuid)],
        }
        for (folder, dataset_uuid), version in own.items()
    ]
