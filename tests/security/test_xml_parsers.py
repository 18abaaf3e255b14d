"""XML the platform reads from uploads: no DTD in any part of a workbook, whatever the part is called, and the
memory one upload can take stays bounded (review attacks: an upper-case `.XML` worksheet with an entity bomb,
a workbook of a million shared strings)."""

import io
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from declarations.errors import InvalidFile
from declarations.ilcd import IlcdFileError, parse_xml
from declarations.spreadsheet.results import read_spreadsheet

ROOT = Path(__file__).resolve().parents[2]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Reads the file named in argv[1] the way an upload is read and reports how far the process's peak RSS grew.
MEASURE = """
import json, os, resource, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epd_platform.settings")
import django
django.setup()
from declarations.spreadsheet.results import read_spreadsheet
content = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_spreadsheet("results.xlsx", content)
    outcome = "read"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"grown_mb": grown_kb / 1024, "outcome": outcome}))
"""


def _blank_workbook() -> zipfile.ZipFile:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Code"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return zipfile.ZipFile(buffer)


def entity_bomb_xlsx(megabytes: int = 3) -> bytes:
    """A workbook whose worksheet part is renamed `sheet1.XML` and expands an entity about 90-fold: each
    reference stays under expat's amplification guard, so only refusing the DTD stops it."""
    source = _blank_workbook()
    entity = "x" * 280
    references = "&a;" * (megabytes * 1024 * 1024 // 3)
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "{entity}">]><worksheet xmlns="{MAIN_NS}"><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{references}</t></is></c></row></sheetData></worksheet>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                # stored, not deflated: the repetitive body would otherwise trip the compression-ratio check
                archive.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.XML"), sheet, compress_type=zipfile.ZIP_STORED)
            else:
                archive.writestr(item, source.read(item.filename).replace(b"sheet1.xml", b"sheet1.XML"))
    return out.getvalue()


def shared_strings_xlsx(count: int = 1_200_000) -> bytes:
    """A workbook under the 5 MB upload limit whose shared-strings part holds a million distinct strings."""
    source = _blank_workbook()
    rnd = random.Random(1)
    strings = "".join(f"<si><t>{rnd.randrange(10**6)}</t></si>" for _ in range(count))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/Strings.bin" ContentType="application/vnd.openxmlformats-officedocument.'
                    b'spreadsheetml.sharedStrings+xml"/></Types>',
                )
            archive.writestr(item, data)
        archive.writestr("xl/Strings.bin", f'<sst xmlns="{MAIN_NS}">{strings}</sst>')
    return out.getvalue()


def _measure(tmp_path: Path, content: bytes) -> dict:
    upload = tmp_path / "upload.xlsx"
    upload.write_bytes(content)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(upload)], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_entity_bomb_in_upper_case_part_is_refused_with_bounded_memory(tmp_path):
    content = entity_bomb_xlsx()
    assert 3_000_000 < len(content) < 3_500_000
    measured = _measure(tmp_path, content)
    assert measured["outcome"].startswith("InvalidFile") and "document type declaration" in measured["outcome"]
    # Before the mend the same file grew the process by about 620 MB.
    assert measured["grown_mb"] < 100


def test_huge_shared_strings_part_is_refused_with_bounded_memory(tmp_path):
    content = shared_strings_xlsx()
    assert len(content) < 5 * 1024 * 1024
    measured = _measure(tmp_path, content)
    assert measured["outcome"].startswith("InvalidFile") and "unpacks to far more data" in measured["outcome"]
    # Before the mend openpyxl held all 1.2 million strings: about 100 MB more.
    assert measured["grown_mb"] < 40


@pytest.mark.parametrize("codec", ["utf-8", "utf-16"])
def test_dtd_is_refused_in_any_part_and_encoding(codec):
    source = _blank_workbook()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item.filename))
        declaration = f'<?xml version="1.0" encoding="{codec}"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
        archive.writestr("customXml/ITEM1.XmL", declaration.encode(codec))
    with pytest.raises(InvalidFile, match="document type declaration"):
        read_spreadsheet("results.xlsx", out.getvalue())


def test_ilcd_dataset_with_doctype_after_a_long_comment_is_refused():
    data = b"<?xml version='1.0'?><!--" + b"x" * 5000 + b'--><!DOCTYPE p SYSTEM "http://example.com/p.dtd"><p/>'
    with pytest.raises(IlcdFileError, match="DTD"):
        parse_xml(data, "processes/p.xml")
