"""Verification pages through the test client: queue, review page, each action and its refusals, the
operator's assignment page, and who may see what."""

import pytest

from verification import review
from verification.models import Comment, StoredFinding


@pytest.fixture
def reviewing(in_verification, client, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")  # P2 and P11 warn
    client.force_login(verifier_vera)
    return declaration


def test_queue_lists_only_the_verifiers_assignments(client, reviewing, make_declaration, verification_body):
    from accounts.models import User

    html = client.get("/reviews/").content.decode()
    assert reviewing.product_name in html and f"/reviews/{reviewing.pk}/" in html
    other = User.objects.create_user("otto", password="x", organization=verification_body)
    client.force_login(other)
    assert f"/reviews/{reviewing.pk}/" not in client.get("/reviews/").content.decode()
    assert client.get(f"/reviews/{reviewing.pk}/").status_code == 404


def test_review_page_shows_data_findings_checklist_and_audit(client, reviewing):
    html = client.get(f"/reviews/{reviewing.pk}/").content.decode()
    for text in ("Automated findings", "P11", "Checklist and decision", "Audit trail", "Approve", "GWP-total"):
        assert text in html
    assert client.get(f"/reviews/{reviewing.pk}/report/").status_code == 200


def test_producer_reads_its_review_and_answers_but_cannot_decide(client, reviewing, mill_alice, mill_bob, verifier_vera):
    review.add_comment(reviewing, author=verifier_vera, text="Source of the scrap rate?", indicator="SM", module="A1-A3")
    client.force_login(mill_alice)
    html = client.get(f"/reviews/{reviewing.pk}/").content.decode()
    assert "Source of the scrap rate?" in html and "Checklist and decision" not in html
    question = Comment.objects.get()
    response = client.post(f"/reviews/{reviewing.pk}/comment/", {"text": "Plant weighbridge data 2025.", "parent": question.pk})
    assert response.status_code == 302 and question.replies.get().text == "Plant weighbridge data 2025."
    assert client.post(f"/reviews/{reviewing.pk}/approve/", {"statement": "x"}).status_code == 403
    client.force_login(mill_bob)
    assert client.get(f"/reviews/{reviewing.pk}/").status_code == 404


def test_approval_is_refused_until_warnings_are_acknowledged_and_the_checklist_ticked(client, reviewing):
    refused = client.post(f"/reviews/{reviewing.pk}/approve/", {"statement": "Verified.", "kind": "external"})
    assert refused.status_code == 409
    assert "The review is not complete yet." in refused.content.decode() and "Acknowledge the warning" in refused.content.decode()
    for finding in StoredFinding.objects.filter(severity="warning"):
        empty = client.post(f"/reviews/{reviewing.pk}/acknowledge/", {"finding": finding.pk, "comment": " "})
        assert empty.status_code == 400
        assert client.post(f"/reviews/{reviewing.pk}/acknowledge/", {"finding": finding.pk, "comment": "Checked."}).status_code == 302
    client.post(f"/reviews/{reviewing.pk}/checklist/", {"item": list(review.CHECKLIST)})
    approved = client.post(f"/reviews/{reviewing.pk}/approve/", {"statement": "Verified.", "kind": "external"})
    assert approved.status_code == 302
    reviewing.refresh_from_db()
    assert reviewing.status == "approved" and reviewing.verification_statement.statement == "Verified."


def test_request_changes_and_reject_need_words(client, reviewing):
    assert client.post(f"/reviews/{reviewing.pk}/request-changes/", {"comment": ""}).status_code == 400
    assert client.post(f"/reviews/{reviewing.pk}/reject/", {"comment": ""}).status_code == 400
    assert client.post(f"/reviews/{reviewing.pk}/request-changes/", {"comment": "Document C3."}).status_code == 302
    reviewing.refresh_from_db()
    assert reviewing.status == "changes_requested"
    assert client.post(f"/reviews/{reviewing.pk}/reject/", {"comment": "Too late"}).status_code == 409


def test_bad_comment_targets_are_refused(client, reviewing):
    assert client.post(f"/reviews/{reviewing.pk}/comment/", {"text": "x", "indicator": "NOPE"}).status_code == 400
    assert client.post(f"/reviews/{reviewing.pk}/comment/", {"text": "x", "parent": 999999}).status_code == 404
    assert client.post(f"/reviews/{reviewing.pk}/acknowledge/", {"finding": "abc", "comment": "x"}).status_code == 404


def test_operator_assigns_and_conflicts_are_refused(client, make_declaration, mill_alice, operator_olga, verifier_vera, accredited, mill_a):
    from accounts.models import User
    from declarations import workflow
    from verification import checks

    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    checks.run_checks(declaration)
    accredited(verifier_vera)
    client.force_login(operator_olga)
    page = client.get("/operator/assignments/").content.decode()
    assert declaration.product_name in page
    assert client.post("/operator/assignments/", {"declaration": declaration.pk, "verifier": verifier_vera.pk}).status_code == 302
    assert review.current_assignment(declaration).verifier == verifier_vera
    insider = User.objects.create_user("insider", password="x", organization=mill_a)
    refused = client.post("/operator/assignments/", {"declaration": declaration.pk, "verifier": insider.pk})
    assert refused.status_code in (400, 409) and "assign-error" in refused.content.decode()
    assert client.post("/operator/assignments/", {"declaration": declaration.pk, "verifier": ""}).status_code == 400
    client.force_login(mill_alice)
    assert client.get("/operator/assignments/").status_code == 403
