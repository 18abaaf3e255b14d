"""Issue 9, done-when: an EPD already published elsewhere comes in as ILCD+EPD or openEPD, as it was printed; the mill
sees what the file brought and every finding before submitting, submits without a false error, and the published PDF,
JSON, openEPD and ILCD name the same method, standard, dates and numbers as the source.

Before this, such an EPD got a validity of five years from the day it was registered here, was published as EF 3.1
whatever it was characterised with, and lost its registration elsewhere.
"""

import copy
import json
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from declarations import checks
from declarations.models import Declaration
from declarations.samples import plausible_results, sample_document
from registry.exports import openepd_document
from registry.ilcd_export import write_ilcd
from registry.pdf import format_value

FIRST_ISSUED, VALID_UNTIL = "2024-03-01", "2029-02-28"
ELSEWHERE = {"name": "EPD Italy", "address": "Via Gaetano De Castillia 10, Milano", "website": "https://www.epditaly.it"}


def source_document() -> dict:
    """An EF 3.0 EPD as another programme operator published it (registration EPDITALY0091), values as printed."""
    document = sample_document()
    document.update(registration_number="EPDITALY0091", issued=FIRST_ISSUED, valid_until=VALID_UNTIL, programme_operator=ELSEWHERE)
    document["lca"]["characterisation_method"] = "EF 3.0"
    document["product"]["name"] = "Wire rod for drawing"
    document["product"]["name_zh"] = "拉丝用线材"
    document["product"].update(category="long.wirerod", production_route="scrap_eaf", recycled_content_percent="96.0")
    document["lca"].update(reference_year=2023, data_period=["2023-01-01", "2023-12-31"])
    sample = plausible_results("scrap_eaf", "long.wirerod")
    document["results"] = {code: {m: _printed(v) for m, v in row.items()} for code, row in sample.results.items()}
    document["lca"]["declared_modules"] = sample.declared_modules
    return document


def _printed(value) -> str:
    """Three significant figures in E notation, as the operator's PDF tables print them."""
    return format(value, ".2E") if value else "0"


def _given(text: str) -> tuple:
    """A number with its precision: "8.78E+2" and "878" are the same three digits, "878.0" is not."""
    return Decimal(text).as_tuple()


def same_numbers(ours: dict, source: dict, *, digits: bool) -> bool:
    read = _given if digits else Decimal
    return {c: {m: read(v) for m, v in row.items()} for c, row in ours.items()} == {
        c: {m: read(v) for m, v in row.items()} for c, row in source.items()
    }


def as_file(kind: str, document: dict) -> tuple[str, bytes]:
    if kind == "ilcd":
        return "EPDITALY0091.zip", write_ilcd(document, archive=True)
    # Built with our exporter (validated by the openepd package), then made the other operator's: its number, no id of ours.
    ours = copy.deepcopy(document)
    ours["registration_number"] = "EPD-STEEL-2024-000091"
    data = openepd_document(ours)
    data.pop("id", None)
    data.pop("ext", None)
    data.update(program_operator_doc_id="EPDITALY0091", declaration_url="https://www.epditaly.it/en/epd/EPDITALY0091")
    return "EPDITALY0091.openepd.json", json.dumps(data).encode()


@pytest.mark.parametrize("kind", ["ilcd", "openepd"])
def test_an_epd_published_elsewhere_is_registered_as_printed(kind, client_for, make_declaration, mill_alice, review_and_publish):
    source = source_document()
    draft = make_declaration(
        results=False, product_name="(to be imported)", characterisation_method="", reference_year=None, category="long.wirerod"
    )
    client = client_for(mill_alice)
    name, content = as_file(kind, source)

    # 1. The import page shows what the file brought and what is left.
    page = client.post(f"/declarations/{draft.pk}/import/", {"file": SimpleUploadedFile(name, content)})
    shown = page.content.decode()
    assert page.status_code == 200, shown[shown.find("<main"):][:5000]
    html = page.content.decode()
    for field in ("product_name", "original_issue_date", "valid_until", "characterisation_method", "registrations_elsewhere", "pcr"):
        assert f'data-field="{field}"' in html, field
    draft.refresh_from_db()
    assert draft.product_name == "Wire rod for drawing"
    assert (draft.original_issue_date, draft.valid_until) == (date(2024, 3, 1), date(2029, 2, 28))
    assert draft.characterisation_method == "EF 3.0" and draft.results_method in ("", "EF 3.0")
    assert {"programme_operator": "EPD Italy", "registration_number": "EPDITALY0091"}.items() <= draft.registrations_elsewhere[0].items()
    assert draft.pcr.code == "en17662" and draft.reference_year == 2023

    # 2. Every finding before submitting, and no false error.
    report = checks.check_declaration(draft)
    assert report.errors == [], [(f.check, f.message) for f in report.errors]

    # 3. Submitted, verified, published: the same method, standard, dates and numbers as the source.
    publication = review_and_publish(draft)
    document = publication.document
    assert (document["first_issued"], document["valid_until"]) == (FIRST_ISSUED, VALID_UNTIL)
    assert document["lca"]["characterisation_method"] == "EF 3.0" and document["lca"]["standard"] == "EN 15804+A2"
    # openEPD carries JSON numbers (0.480 arrives as 0.48): the same numbers; ILCD+EPD carries their digits too.
    assert same_numbers(document["results"], source["results"], digits=kind == "ilcd")
    assert document["registrations_elsewhere"][0]["registration_number"] == "EPDITALY0091"

    openepd = publication.artefacts.get(name="openepd.json").file.read()
    openepd = json.loads(openepd)
    assert openepd["date_of_issue"].startswith(FIRST_ISSUED) and openepd["valid_until"].startswith(VALID_UNTIL)
    assert list(openepd["impacts"]) == ["EF 3.0"]
    assert any("EPDITALY0091" in str(value) for value in (openepd.get("alt_ids") or {}).values())

    process = etree.fromstring(publication.artefacts.get(name="ilcd.xml").file.read())
    ns = {"epd2": "http://www.indata.network/EPD/2019", "epd": "http://www.iai.kit.edu/EPD/2013"}
    assert process.findtext(".//epd2:publicationDateOfEPD", namespaces=ns) == FIRST_ISSUED
    gwp_a1a3 = [Decimal(a.text) for a in process.iterfind(".//epd:amount[@epd:module='A1-A3']", ns)]
    assert _given(source["results"]["GWP-total"]["A1-A3"]) in [_given(str(v)) for v in gwp_a1a3]

    pdf = publication.artefacts.get(name="document.pdf").file.read()
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split())
    printed_gwp = format_value(source["results"]["GWP-total"]["A1-A3"])
    for expected in (FIRST_ISSUED, VALID_UNTIL, "EPDITALY0091", "EF 3.0", "EN 15804+A2", printed_gwp):
        assert expected in text, expected
    assert "EF 3.1" not in text

    # The EPD page keeps "also registered as".
    entry_page = client.get(f"/epds/{document['registration_number']}/").content.decode()
    assert "EPDITALY0091" in entry_page and FIRST_ISSUED in entry_page


def test_an_expired_epd_cannot_be_registered(client_for, make_declaration, mill_alice):
    source = source_document()
    source.update(issued="2019-01-10", valid_until="2024-01-09")
    draft = make_declaration(results=False)
    name, content = as_file("ilcd", source)
    response = client_for(mill_alice).post(
        f"/api/v1/declarations/{draft.pk}/results/import/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 400
    findings = response.json()["error"]["findings"]
    assert any(f["check"] == "P21" and f.get("field") == "valid_until" and "2024-01-09" in f["message"] for f in findings)
    assert not Declaration.objects.get(pk=draft.pk).results.exists()


def test_a_file_of_this_registry_or_of_another_maker_is_said_so(client_for, make_declaration, mill_alice, mill_bob):
    ours = source_document()
    ours.update(registration_number="EPD-STEEL-2026-000042", programme_operator={"name": "Steel EPD Platform"})
    ours["manufacturer"]["name"] = mill_alice.organization.name
    name, content = as_file("ilcd", ours)
    draft = make_declaration(results=False)
    response = client_for(mill_alice).post(
        f"/api/v1/declarations/{draft.pk}/results/import/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    notes = [w for w in response.json()["warnings"] if w["check"] == "metadata"]
    assert [(n["severity"], "EPD-STEEL-2026-000042" in n["message"]) for n in notes] == [("info", True)]
    assert Declaration.objects.get(pk=draft.pk).registrations_elsewhere == []  # this registry is not "elsewhere"

    theirs = source_document()  # Huadong's EPD, imported by another mill
    name, content = as_file("ilcd", theirs)
    draft = make_declaration(mill_bob, results=False)
    response = client_for(mill_bob).post(
        f"/api/v1/declarations/{draft.pk}/results/import/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    (warning,) = [w for w in response.json()["warnings"] if w["check"] == "metadata" and w["severity"] == "warning"]
    assert theirs["manufacturer"]["name"] in warning["message"] and mill_bob.organization.name in warning["message"]
