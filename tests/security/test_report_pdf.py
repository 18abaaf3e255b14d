"""The LCA report a mill attaches is accepted only if it opens as a PDF (review attack: any bytes that began
with %PDF- and ended with %%EOF were stored as the report a verifier must read)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from declarations.samples import minimal_pdf

MAGIC_ONLY = b"%PDF-1.7\n<html><body>not a report</body></html>\n%%EOF\n"
TRUNCATED = minimal_pdf()[:200] + b"\n%%EOF\n"


def _upload(client_for, mill_alice, declaration, content: bytes):
    return client_for(mill_alice).post(
        f"/api/v1/declarations/{declaration.pk}/report/",
        {"file": SimpleUploadedFile("report.pdf", content, content_type="application/pdf")},
        format="multipart",
    )


@pytest.mark.parametrize("content", [MAGIC_ONLY, TRUNCATED], ids=["magic-strings-only", "truncated"])
def test_a_report_that_does_not_open_as_a_pdf_is_a_400_naming_the_field(client_for, mill_alice, make_declaration, content):
    declaration = make_declaration(report=False)
    response = _upload(client_for, mill_alice, declaration, content)
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_file" and "report.pdf" in error["message"]
    assert [f["field"] for f in error["findings"]] == ["report"]
    declaration.refresh_from_db()
    assert not declaration.report


def test_a_real_pdf_is_attached(client_for, mill_alice, make_declaration):
    declaration = make_declaration(report=False)
    assert _upload(client_for, mill_alice, declaration, minimal_pdf()).status_code == 200
    declaration.refresh_from_db()
    assert declaration.report


def test_the_report_page_names_a_damaged_pdf(client_for, mill_alice, make_declaration):
    declaration = make_declaration(report=False)
    client = client_for(mill_alice)
    response = client.post(f"/declarations/{declaration.pk}/report/", {"report": SimpleUploadedFile("report.pdf", MAGIC_ONLY)})
    assert response.status_code == 400
    assert "it is not a PDF or it is damaged" in response.content.decode()
