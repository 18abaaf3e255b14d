"""A draft shows what the automated checks will find after submission: the same checks, the same words,
and which checks did not run (and why) instead of a claim that everything passed."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client

from declarations import editing, workflow
from declarations.models import EPD, Declaration
from declarations.validation import ResultCell
from verification import tasks
from verification.models import StoredFinding

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def with_values(declaration: Declaration, owner, changes: dict[tuple[str, str], Decimal]) -> Declaration:
    """Save the declaration's results again with some cells changed."""
    cells = [ResultCell(r.indicator, r.module, changes.get((r.indicator, r.module), r.value)) for r in declaration.results.all()]
    editing.replace_results(declaration, cells, declaration.declared_modules, actor=owner)
    declaration.refresh_from_db()
    return declaration


def with_mostly_non_fossil_gwp(declaration: Declaration, owner) -> Declaration:
    """P5: GWP-fossil at 85 % of GWP-total in A1-A3, the rest moved to GWP-luluc, so the sum (P4) still holds."""
    values = {(r.indicator, r.module): r.value for r in declaration.results.all()}
    total, biogenic = values[("GWP-total", "A1-A3")], values[("GWP-biogenic", "A1-A3")]
    fossil = (total * Decimal("0.85")).quantize(Decimal("0.1"))
    return with_values(declaration, owner, {("GWP-fossil", "A1-A3"): fossil, ("GWP-luluc", "A1-A3"): total - fossil - biogenic})


def findings_of(user, declaration: Declaration, language: str = "en") -> dict:
    response = logged_in(user, language).get(f"/api/v1/declarations/{declaration.pk}/findings/")
    assert response.status_code == 200, response.content
    return response.json()


def comparable(findings) -> list[tuple]:
    return sorted((f["severity"], f["check"], f["message"], f.get("indicator", ""), f.get("module", "")) for f in findings)


def checks_by_id(body: dict) -> dict[str, dict]:
    return {c["id"]: c for c in body["checks"]}


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


# ---------------------------------------------------------------- the same checks as the automated run


def test_a_draft_shows_the_plausibility_warnings_the_automated_checks_store(make_declaration, mill_alice):
    declaration = with_mostly_non_fossil_gwp(make_declaration(), mill_alice)

    page = text_of(logged_in(mill_alice).get(f"/declarations/{declaration.pk}/").content.decode())
    assert "GWP-fossil is only 85 % of GWP-total in A1-A3" in page
    english, chinese = findings_of(mill_alice, declaration), findings_of(mill_alice, declaration, "zh-hans")
    p5 = [f for f in english["findings"] if f["check"] == "P5"]
    assert p5 and all(f["severity"] == "warning" for f in p5)
    assert all(f["message"] in page for f in p5)

    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    tasks.run_checks(declaration.pk)  # the Celery task's own function, in this process
    stored = StoredFinding.objects.filter(check_run__revision__declaration=declaration)
    assert stored.filter(rule="P5").exists()
    assert comparable(english["findings"]) == comparable(
        {"severity": f.severity, "check": f.rule, "message": f.message, "indicator": f.indicator, "module": f.module} for f in stored
    )
    assert comparable(chinese["findings"]) == comparable(
        {"severity": f.severity, "check": f.rule, "message": f.message_zh, "indicator": f.indicator, "module": f.module} for f in stored
    )


def test_submission_reports_the_plausibility_warnings_it_sends_to_the_verifier(make_declaration, mill_alice, client_for):
    declaration = with_mostly_non_fossil_gwp(make_declaration(), mill_alice)
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/")
    assert response.status_code == 200
    assert "P5" in {w["check"] for w in response.json()["warnings"]}


# ---------------------------------------------------------------- no claim that every check passed


def test_the_draft_page_lists_the_checks_that_did_not_run_instead_of_claiming_all_passed(make_declaration, mill_alice):
    declaration = make_declaration()
    page = text_of(logged_in(mill_alice).get(f"/declarations/{declaration.pk}/").content.decode())
    assert "every EN 15804+A2 and steel plausibility check passes" not in page
    assert "P23 Verifier independence — checked when a verifier is assigned" in page
    assert "P5 GWP composition" in page

    body = findings_of(mill_alice, declaration)
    assert body["findings"] == []
    checks = checks_by_id(body)
    assert list(checks) == [f"P{n}" for n in range(1, 24)]
    assert checks["P5"]["ran"] and checks["P16"]["ran"] is False and checks["P23"]["ran"] is False
    assert "verifier is assigned" in checks["P23"]["reason"]
    assert "imported" in checks["P22"]["reason"]
    ran = sum(1 for c in checks.values() if c["ran"])
    assert f"No problems found by the {ran} checks that ran" in page

    chinese = text_of(logged_in(mill_alice, "zh-hans").get(f"/declarations/{declaration.pk}/").content.decode())
    assert "P23 验证员独立性 — 在指派验证员时检查" in chinese


def test_the_summary_counts_what_ran_when_there_are_findings(make_declaration, mill_alice):
    declaration = with_mostly_non_fossil_gwp(make_declaration(), mill_alice)
    page = text_of(logged_in(mill_alice).get(f"/declarations/{declaration.pk}/").content.decode())
    body = findings_of(mill_alice, declaration)
    ran = sum(1 for c in body["checks"] if c["ran"])
    assert f"{ran} of 23 checks ran" in page
    assert "No problems found" not in page


# ---------------------------------------------------------------- P16 and P17 against the mill's own published EPDs


def test_p16_and_p17_compare_with_the_mills_own_published_uncoated_product_only(make_declaration, published, mill_alice, mill_bob):
    draft = make_declaration(category="flat.coated.metallic", production_route="bf_bof", gwp_a1a3=2000)
    draft = with_values(draft, mill_alice, {("ADP-minerals&metals", "A1-A3"): Decimal("0.008")})

    # Another mill's hot-rolled coil, dearer in CO2 and in minerals: not the same producer, no comparison.
    published(owner=mill_bob, category="flat.hrc", production_route="bf_bof", gwp_a1a3=2500, product_name="Bob's HRC")
    body = findings_of(mill_alice, draft)
    assert not {"P16", "P17"} & {f["check"] for f in body["findings"]}
    assert checks_by_id(body)["P16"] == {
        "id": "P16",
        "name": checks_by_id(body)["P16"]["name"],
        "ran": False,
        "reason": "no published EPD of yours (same route) to compare with yet",
    }

    own = published(category="flat.hrc", production_route="bf_bof", gwp_a1a3=2500, product_name="Alice's HRC")
    body = findings_of(mill_alice, draft)
    found = {f["check"]: f for f in body["findings"] if f["check"] in ("P16", "P17")}
    assert set(found) == {"P16", "P17"}
    assert all(f["severity"] == "warning" for f in found.values())
    assert own.registration_number in found["P16"]["message"] and own.registration_number in found["P17"]["message"]
    assert (found["P16"]["indicator"], found["P17"]["indicator"]) == ("GWP-total", "ADP-minerals&metals")
    assert checks_by_id(body)["P16"]["ran"] and checks_by_id(body)["P17"]["ran"]
    page = text_of(logged_in(mill_alice).get(f"/declarations/{draft.pk}/").content.decode())
    assert found["P16"]["message"] in page and found["P17"]["message"] in page


def publish_directly(declaration: Declaration) -> Declaration:
    """The state publishing leaves (signing and rendering are tested in tests/registry); twenty real
    publications would take most of a minute."""
    EPD.objects.filter(pk=declaration.epd_id).update(registration_number=f"EPD-STEEL-2026-{declaration.epd_id:06d}")
    Declaration.objects.filter(pk=declaration.pk).update(status="published")
    return declaration


def test_findings_queries_do_not_grow_with_the_mills_published_epds(
    make_declaration, mill_alice, client_for, django_assert_max_num_queries
):
    draft = make_declaration(category="flat.crc", production_route="bf_bof", gwp_a1a3=2000)
    client = client_for(mill_alice)
    url = f"/api/v1/declarations/{draft.pk}/findings/"

    def count() -> tuple[int, dict]:
        with django_assert_max_num_queries(12) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured.captured_queries), response.json()

    publish_directly(make_declaration(category="flat.hrc", production_route="bf_bof", gwp_a1a3=2400, seed=2))
    small, body = count()
    assert "P16" in {f["check"] for f in body["findings"]}
    for seed in range(3, 23):
        category = ("flat.hrc", "flat.coated.metallic", "flat.coated.organic", "long.rebar")[seed % 4]
        publish_directly(make_declaration(category=category, production_route="bf_bof", gwp_a1a3=2100 + seed, seed=seed))
    large, body = count()
    assert "P16" in {f["check"] for f in body["findings"]}
    assert small == large
