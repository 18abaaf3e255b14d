"""Registry pages through Django's test client: search with filters and errors, one EPD, compare, verify,
and the operator's status form."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from declarations.numbers import format_value
from registry import lifecycle
from registry.models import ArtefactName, RegistryEntry


@pytest.fixture
def publication(published):
    return published()


def pdf_of(publication) -> bytes:
    with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as handle:
        return handle.read()


def test_search_page_lists_filters_and_names_bad_filters(client, db):
    call_command("generate_registry", count=30, seed=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    valid = RegistryEntry.objects.filter(status="valid", is_latest=True)
    assert f"{valid.count()} EPD" in html
    rebar = client.get("/", {"category": "long.rebar"}).content.decode()
    for entry in valid.filter(category="long.rebar")[:3]:
        assert entry.registration_number in rebar
    assert all(e.registration_number not in rebar for e in valid.exclude(category="long.rebar")[:3])
    bad = client.get("/", {"category": "bananas", "gwp_a1a3_max": "cheap"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Unknown category" in text and "GWP A1-A3 maximum must be a number" in text
    assert "gwp_a1a3_max" not in text.split('id="gwp_a1a3_max"')[1].split("</form>")[0].replace('name="gwp_a1a3_max"', "")


def test_search_page_in_chinese(client, publication):
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/").content.decode()
    assert "搜索" in html and publication.registration_number in html


def test_epd_page_shows_figures_chart_downloads_and_versions(client, publication):
    html = client.get(f"/epds/{publication.registration_number}/").content.decode()
    assert publication.document["product"]["name"] in html
    assert "<svg" in html  # the GWP chart
    for name in ArtefactName.values:
        assert f"/api/v1/epds/{publication.registration_number}/{name}?version=1" in html
    assert "Version history" in html and "GWP-total" in html
    assert client.get("/epds/EPD-STEEL-2026-999999/").status_code == 404


def test_compare_warns_when_not_comparable(client, published):
    from declarations.models import PCR

    first, same_basis = published(), published(seed=2)
    other_pcr = published(seed=3, pcr=PCR.objects.get(code="ies-2019-14"))
    comparable = client.get("/compare/", {"epd": [first.registration_number, same_basis.registration_number]}).content.decode()
    assert first.registration_number in comparable and same_basis.registration_number in comparable
    assert "Not comparable" not in comparable
    mixed = client.get("/compare/", {"epd": [first.registration_number, other_pcr.registration_number]}).content.decode()
    assert "Not comparable" in mixed and "PCR" in mixed
    too_many = client.get("/compare/", {"epd": ["A", "B", "C", "D", "E"]})
    assert too_many.status_code == 400 and "at most 4" in too_many.content.decode()


def test_compare_shows_exactly_the_versions_ticked(client, publication, republish):
    republish(publication)
    number = publication.registration_number
    listed = client.get("/", {"status": "superseded"}).content.decode()
    assert f'name="epd" value="{number}@1"' in listed  # the superseded version is ticked as itself
    html = client.get("/compare/", {"epd": [f"{number}@1", f"{number}@2"]}).content.decode()
    assert re.findall(r'data-testid="compared" data-version="(\d+)"', html) == ["1", "2"]
    assert f'href="/epds/{number}/?version=1"' in html and f'href="/epds/{number}/?version=2"' in html
    assert client.get("/compare/", {"epd": [f"{number}@9"]}).status_code == 400


def test_verify_page_authentic_then_revoked_and_tampered(client, publication, operator_olga):
    answer = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", pdf_of(publication))})
    html = answer.content.decode()
    assert answer.status_code == 200 and "Authentic" in html and publication.registration_number in html and ">valid<" in html
    lifecycle.revoke(publication.entry, actor=operator_olga, reason="Falsified data")
    html = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", pdf_of(publication))}).content.decode()
    assert ">revoked<" in html
    tampered = bytearray(pdf_of(publication))
    tampered[len(tampered) // 2] ^= 0x01
    html = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", bytes(tampered))}).content.decode()
    assert "Not authentic" in html
    assert client.post("/verify/", {}).status_code == 400


def verdict(client, content: bytes) -> str:
    html = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", content)}).content.decode()
    return html[html.index('data-testid="verdict"') - 200 :]


def test_verify_page_headline_is_the_status_not_the_signature(client, publication, republish, operator_olga):
    original = pdf_of(publication)
    html = verdict(client, original)
    assert 'data-tone="good"' in html and "Authentic and valid" in html
    lifecycle.revoke(publication.entry, actor=operator_olga, reason="Falsified energy data")
    html = verdict(client, original)
    assert 'data-tone="bad"' in html and "✓ Authentic and valid" not in html
    assert "Revoked: this EPD is withdrawn" in html and "Falsified energy data" in html
    day = RegistryEntry.objects.get(publication=publication).status_changed_at.date().isoformat()
    assert f"Revoked on {day}" in html
    assert "Authentic file: unchanged since the registry signed it." in html  # authenticity is the small print


def test_verify_page_superseded_links_the_current_version(client, publication, republish):
    second = republish(publication)
    html = verdict(client, pdf_of(publication))
    assert 'data-tone="warn"' in html and "Superseded: a newer version replaces this one" in html
    assert "Replaced by version 2 on" in html
    assert f'data-testid="verdict-current" href="/epds/{second.registration_number}/"' in html
    client.cookies["django_language"] = "zh-hans"
    html = verdict(client, pdf_of(publication))
    assert "Superseded: a newer version" not in html and "当前版本" in html


def test_operator_suspends_on_the_page_and_others_cannot(client, publication, operator_olga, mill_alice):
    url = f"/epds/{publication.registration_number}/status/"
    client.force_login(mill_alice)
    assert client.post(url, {"version": 1, "status": "suspended", "reason": "x"}).status_code == 403
    client.force_login(operator_olga)
    page = client.get(f"/epds/{publication.registration_number}/").content.decode()
    assert "Operator: change the status" in page
    asked = client.post(url, {"version": 1, "status": "suspended", "reason": "Complaint under review"})
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()  # a confirmation step first …
    assert RegistryEntry.objects.get(publication=publication).status == "valid"  # … that changed nothing yet
    assert "Complaint under review" in asked.content.decode()
    confirmed = {"version": 1, "status": "suspended", "reason": "Complaint under review", "confirm": "yes"}
    response = client.post(url, confirmed, follow=True)
    assert "is now suspended" in response.content.decode()
    assert RegistryEntry.objects.get(publication=publication).status == "suspended"
    refused = client.post(url, {"version": 1, "status": "revoked", "reason": "", "confirm": "yes"}, follow=True)
    assert "reason is required" in refused.content.decode()


def test_revoking_asks_for_confirmation_in_both_languages(client, publication, operator_olga):
    url = f"/epds/{publication.registration_number}/status/"
    client.force_login(operator_olga)
    client.cookies["django_language"] = "zh-hans"
    asked = client.post(url, {"version": 1, "status": "revoked", "reason": "Falsified data"}).content.decode()
    assert "撤销此 EPD？" in asked and "Revoke this EPD?" not in asked
    assert RegistryEntry.objects.get(publication=publication).status == "valid"
    client.post(url, {"version": 1, "status": "revoked", "reason": "Falsified data", "confirm": "yes"})
    assert RegistryEntry.objects.get(publication=publication).status == "revoked"


def test_pages_show_labels_not_codes_in_both_languages(client, publication):
    search = client.get("/").content.decode()
    assert '<option value="long">All long products</option>' in search and "— all" not in search
    compared = client.get("/compare/", {"epd": [publication.registration_number]}).content.decode()
    assert publication.document["lca"]["pcr"]["name"] in compared and ">en17662<" not in compared
    odp = publication.document["results"]["ODP"]["A1-A3"]
    assert f'<td class="num">{format_value(odp)}</td>' in compared  # the same number format as the EPD page
    client.cookies["django_language"] = "zh-hans"
    search = client.get("/", {"gwp_a1a3_min": "cheap"}).content.decode()
    assert "全部长材" in search and "GWP A1-A3 最小值 必须是数字" in search
    epd = client.get(f"/epds/{publication.registration_number}/").content.decode()
    assert "各模块 GWP-total（kg CO2 eq.）" in epd and "by module" not in epd
    tampered = bytearray(pdf_of(publication))
    tampered[len(tampered) // 2] ^= 0x01
    html = client.post("/verify/", {"document": SimpleUploadedFile("epd.pdf", bytes(tampered))}).content.decode()
    assert "不可信" in html and "the signed bytes" not in html and "已签名的字节在签名后被更改" in html
