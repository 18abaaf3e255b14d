"""Issue 11: the published PDF is PDF/A-3 and carries the signed JSON documents, as served, as associated files;
read back with pypdf (an independent reader) and validated with pyHanko after embedding."""

import io
import shutil
import subprocess

import pypdf
import pytest

from registry import signing
from registry.models import ArtefactName


@pytest.fixture
def served(published, client):
    """A publication, and its PDF and JSON documents as the public API serves them."""
    publication = published()
    base, query = f"/api/v1/epds/{publication.registration_number}", {"version": publication.version}
    content = {}
    for name in (ArtefactName.PDF, ArtefactName.JSON, ArtefactName.OPENEPD):
        response = client.get(f"{base}/{name}", query)
        assert response.status_code == 200
        content[name] = b"".join(response.streaming_content)
    return publication, content


def test_the_pdf_carries_the_served_json_and_openepd_documents_as_associated_files(served):
    _, files = served
    reader = pypdf.PdfReader(io.BytesIO(files[ArtefactName.PDF]))
    assert reader.attachments == {"epd.json": [files[ArtefactName.JSON]], "openepd.json": [files[ArtefactName.OPENEPD]]}

    # PDF/A-3 associated files: listed in the catalog's /AF, each with its relationship and MIME type.
    specs = {str(spec.get_object()["/UF"]): spec.get_object() for spec in reader.trailer["/Root"]["/AF"]}
    assert {name: spec["/AFRelationship"] for name, spec in specs.items()} == {"epd.json": "/Data", "openepd.json": "/Alternative"}
    for spec in specs.values():
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] == "/application/json"
        assert stream["/Params"]["/Size"] == len(stream.get_data())
        assert spec["/Desc"]


def test_the_published_pdf_is_pdfa_3b_signed_over_everything_with_its_chinese_as_text(served):
    publication, files = served
    pdf = files[ArtefactName.PDF]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert (reader.xmp_metadata.pdfaid_part, reader.xmp_metadata.pdfaid_conformance) == ("3", "B")
    (intent,) = reader.trailer["/Root"]["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    assert signing.verify_pdf(pdf).authentic  # pyHanko: intact, trusted, and covering every byte, the embedded files too
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert publication.document["product"]["name_zh"] in text
        assert "环境产品声明" in text
