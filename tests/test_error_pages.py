"""403, 404 and 500 are pages of the site (its layout, both languages), and a 403 still says why."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from declarations.errors import server_error


def test_404_is_a_page_of_the_site_in_both_languages(client, db):
    page = client.get("/epds/EPD-STEEL-2026-999999/")
    html = page.content.decode()
    assert page.status_code == 404 and 'class="site-header"' in html and "Page not found" in html
    assert "No published EPD EPD-STEEL-2026-999999." in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/no/such/page/").content.decode()
    assert "找不到页面" in html and "Resolver404" not in html and "钢铁 EPD 平台" in html


def test_403_keeps_its_reason(client, mill_alice, published):
    publication = published()
    client.force_login(mill_alice)
    page = client.post(f"/epds/{publication.registration_number}/status/", {"version": 1, "status": "revoked", "reason": "x"})
    html = page.content.decode()
    assert page.status_code == 403 and 'class="site-header"' in html
    assert "Only the programme operator&#x27;s staff can change the status of a published EPD." in html
    client.cookies["django_language"] = "zh-hans"
    html = client.post(f"/epds/{publication.registration_number}/status/", {"version": 1}).content.decode()
    assert "您无权执行此操作" in html or "不允许" in html


@pytest.mark.parametrize("language, text", [("en", "Something went wrong on our side"), ("zh-hans", "我们这边出了问题")])
def test_500_is_a_page_of_the_site(db, language, text):
    with translation.override(language):
        page = server_error(RequestFactory().get("/epds/"))
    html = page.content.decode()
    assert page.status_code == 500 and 'class="site-header"' in html and text in html
