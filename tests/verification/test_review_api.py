import pytest

from accounts.models import User
from verification import review
from verification.models import StoredFinding

pytestmark = pytest.mark.django_db


def test_verifier_sees_only_assigned_declarations(client_for, in_verification, verification_body, accredited):
    declaration = in_verification()
    other = User.objects.create_user("verifier_otto", organization=verification_body)
    accredited(other)
    assert client_for(other).get("/api/v1/reviews/").json()["results"] == []
    assert client_for(other).get(f"/api/v1/reviews/{declaration.pk}/").status_code == 404
    assert client_for(other).post(f"/api/v1/reviews/{declaration.pk}/approve/").status_code == 404


def test_review_detail_shows_data_findings_checklist(client_for, in_verification, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")
    body = client_for(verifier_vera).get(f"/api/v1/reviews/{declaration.pk}/").json()
    assert body["document"]["results"]["GWP-total"]["A1-A3"]
    assert {f["check"] for f in body["findings"]} >= {"P2", "P11"}
    assert [item["confirmed"] for item in body["checklist"]] == [False] * len(review.CHECKLIST)
    assert set(body["allowed_moves"]) == {"changes_requested", "approved", "rejected"}
    assert [e["to_status"] for e in body["audit"]] == ["submitted", "in_verification"]


def test_producer_cannot_approve_its_own(client_for, in_verification, mill_alice):
    declaration = in_verification()
    response = client_for(mill_alice).post(f"/api/v1/reviews/{declaration.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "verifier" in response.json()["error"]["message"]


def test_operator_cannot_approve(client_for, in_verification, operator_olga):
    declaration = in_verification()
    response = client_for(operator_olga).post(f"/api/v1/reviews/{declaration.pk}/approve/", {}, format="json")
    assert response.status_code == 403


def test_approve_before_review_is_complete_lists_what_is_missing(client_for, in_verification, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")
    response = client_for(verifier_vera).post(f"/api/v1/reviews/{declaration.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    findings = response.json()["error"]["findings"]
    assert len([f for f in findings if f["check"] == "checklist"]) == len(review.CHECKLIST)
    assert any(f["check"] == "acknowledge" for f in findings)


def test_full_review_over_the_api(client_for, in_verification, verifier_vera, mill_alice):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")
    vera, alice = client_for(verifier_vera), client_for(mill_alice)
    url = f"/api/v1/reviews/{declaration.pk}/"
    comment = vera.post(url + "comments/", {"text": "Why is SM above 1000 kg?", "indicator": "SM", "module": "A1-A3"}, format="json")
    assert comment.status_code == 201
    answer = alice.post(
        url + "comments/", {"text": "Yield losses: 1.1 t scrap per t billet.", "parent": comment.json()["id"]}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["parent"] == comment.json()["id"]
    assert (
        vera.post(url + "request-changes/", {"comment": "Fix the route: it is scrap EAF."}, format="json").json()["status"]
        == "changes_requested"
    )
    # The mill fixes the route and resubmits; the checks (run here directly, on a worker in production) pass.
    assert alice.patch(f"/api/v1/declarations/{declaration.pk}/", {"production_route": "scrap_eaf"}, format="json").status_code == 200
    assert alice.post(f"/api/v1/declarations/{declaration.pk}/submit/").json()["status"] == "submitted"
    from verification import checks

    declaration.refresh_from_db()
    checks.run_checks(declaration)
    diff = vera.get(url + "diff/").json()
    assert {"field": "product.production_route", "before": "bf_bof", "after": "scrap_eaf"} in diff["fields"]
    assert vera.post(url + "checklist/", {"items": dict.fromkeys(review.CHECKLIST, True)}, format="json").status_code == 200
    for finding in StoredFinding.objects.filter(
        check_run__revision__declaration=declaration, check_run__revision__number=2, severity="warning"
    ):
        assert vera.post(url + "acknowledge/", {"finding": finding.pk, "comment": "ok"}, format="json").status_code == 200
    approved = vera.post(url + "approve/", {"statement": "No relevant deviations found.", "follow_up": True}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["statement"]["statement"] == "No relevant deviations found."
    revisions = vera.get(url + "revisions/").json()
    assert [r["number"] for r in revisions] == [1, 2]


def test_assign_with_conflict_of_interest_answers_400(client_for, make_declaration, mill_alice, mill_a, operator_olga, accredited):
    from declarations import workflow

    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    User.objects.create_user("insider", organization=mill_a)
    response = client_for(operator_olga).post("/api/v1/assignments/", {"declaration": declaration.pk, "verifier": "insider"}, format="json")
    assert response.status_code == 400
    assert "verifier" in {f.get("field") for f in response.json()["error"]["findings"]}


def test_assign_conflict_via_api_names_the_rule(client_for, make_declaration, mill_alice, operator_olga, accredited):
    from accounts.models import Organization
    from declarations import workflow

    lab = Organization.objects.create(name="Mill's own LCA lab", kind="verification_body", country="CN")
    consultant = User.objects.create_user("consultant", organization=lab)
    accredited(consultant)
    declaration = make_declaration()
    type(declaration).objects.filter(pk=declaration.pk).update(lca_practitioner_organization=lab)  # as the operator names it
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    response = client_for(operator_olga).post(
        "/api/v1/assignments/", {"declaration": declaration.pk, "verifier": "consultant"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "conflict_of_interest"
    assert response.json()["error"]["findings"][0]["check"] == "P23"


def test_only_operators_assign_and_accredit(client_for, make_declaration, mill_alice, verifier_vera):
    for user in (mill_alice, verifier_vera):
        client = client_for(user)
        assert client.post("/api/v1/assignments/", {}, format="json").status_code == 403
        assert client.get("/api/v1/accreditations/").status_code == 403


def test_operator_accredits_a_verifier(client_for, operator_olga, verifier_vera):
    response = client_for(operator_olga).post(
        "/api/v1/accreditations/",
        {
            "verifier": "verifier_vera",
            "number": "D-ZE-99999-01",
            "accredited_by": "DAkkS",
            "valid_from": "2026-01-01",
            "valid_until": "2025-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["findings"][0]["field"] == "valid_until"
    response = client_for(operator_olga).post(
        "/api/v1/accreditations/",
        {"verifier": "verifier_vera", "number": "D-ZE-99999-01", "accredited_by": "DAkkS", "valid_from": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["body"] == "Veritas Certification GmbH"
    # A later change is checked against what is stored: an end before the stored start is refused.
    number = response.json()["id"]
    backwards = client_for(operator_olga).patch(f"/api/v1/accreditations/{number}/", {"valid_until": "2025-06-30"}, format="json")
    assert backwards.status_code == 400 and backwards.json()["error"]["findings"][0]["field"] == "valid_until"
    ended = client_for(operator_olga).patch(f"/api/v1/accreditations/{number}/", {"active": False}, format="json")
    assert ended.status_code == 200 and ended.json()["active"] is False
