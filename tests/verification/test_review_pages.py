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


def assign_choices(client) -> str:
    """The assignment table of the operator's page (before the accreditations section)."""
    return client.get("/operator/assignments/").content.decode().split("accreditations-title")[0]


def test_operator_accredits_and_ends_accreditations_on_the_page(client, operator_olga, verifier_vera, mill_alice, make_declaration):
    from declarations import workflow
    from verification.models import Accreditation

    workflow.submit(make_declaration(), actor=mill_alice)  # a declaration waiting for a verifier
    client.force_login(operator_olga)
    page = client.get("/operator/assignments/").content.decode()
    assert 'data-testid="accreditation-form"' in page and (verifier_vera.get_full_name() or verifier_vera.username) in page
    form = {"verifier": verifier_vera.pk, "number": "D-ZE-12345-01", "accredited_by": "DAkkS", "scope": "EN 15804+A2 steel"}
    backwards = client.post("/operator/accreditations/", {**form, "valid_from": "2026-06-01", "valid_until": "2026-01-01"})
    assert backwards.status_code == 400 and "cannot end before it starts" in backwards.content.decode()
    missing = client.post("/operator/accreditations/", {**form, "number": "", "valid_from": "2026-01-01"})
    assert missing.status_code == 400
    assert 'id="id_number"' in missing.content.decode() and "This field is required" in missing.content.decode()
    assert not Accreditation.objects.exists()  # nothing half-saved

    assert client.post("/operator/accreditations/", {**form, "valid_from": "2026-01-01"}).status_code == 302
    accreditation = Accreditation.objects.get()
    assert (accreditation.verifier, accreditation.body, accreditation.number, accreditation.active) == (
        verifier_vera,
        verifier_vera.organization,
        "D-ZE-12345-01",
        True,
    )
    assert f'<option value="{verifier_vera.pk}">' in assign_choices(client)

    assert client.post(f"/operator/accreditations/{accreditation.pk}/end/").status_code == 302
    accreditation.refresh_from_db()
    assert accreditation.active is False
    # An ended accreditation no longer offers its verifier for assignment.
    assert f'<option value="{verifier_vera.pk}">' not in assign_choices(client)


def test_only_operators_accredit_and_only_verification_body_people(client, operator_olga, verifier_vera, mill_alice):
    from verification.models import Accreditation

    form = {"verifier": verifier_vera.pk, "number": "N-1", "scope": "steel", "valid_from": "2026-01-01"}
    client.force_login(mill_alice)
    assert client.post("/operator/accreditations/", form).status_code == 403
    client.force_login(verifier_vera)
    assert client.post("/operator/accreditations/", form).status_code == 403
    client.force_login(operator_olga)
    mill_person = client.post("/operator/accreditations/", {**form, "verifier": mill_alice.pk})
    assert mill_person.status_code == 400 and "Select a valid choice" in mill_person.content.decode()
    assert client.get("/operator/accreditations/").status_code == 405
    assert client.post("/operator/accreditations/999999/end/").status_code == 404
    assert not Accreditation.objects.exists()


def test_conflicted_verifiers_are_offered_disabled(client, operator_olga, verifier_vera, mill_alice, make_declaration, accredited):
    from declarations import workflow

    accredited(verifier_vera)
    declaration = make_declaration()
    type(declaration).objects.filter(pk=declaration.pk).update(lca_practitioner_organization=verifier_vera.organization)  # the operator's
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    client.force_login(operator_olga)
    choices = assign_choices(client)
    assert f'<option value="{verifier_vera.pk}" disabled>' in choices and "(conflict of interest)" in choices
    refused = client.post("/operator/assignments/", {"declaration": declaration.pk, "verifier": verifier_vera.pk})
    assert refused.status_code in (400, 409) and "assign-error" in refused.content.decode()


def test_accreditation_dates_are_iso_in_every_language(client, operator_olga):
    """The browser's date picker takes only ISO dates; 简体中文 would otherwise format 2026/12/02 and show nothing."""
    from django.utils import timezone

    client.force_login(operator_olga)
    today = timezone.localdate().isoformat()
    for language in ("en", "zh-hans"):
        page = client.get("/operator/assignments/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'type="date" name="valid_from" value="{today}"' in page, language


def test_an_accreditation_that_starts_later_offers_nobody_yet(client, operator_olga, verifier_vera, mill_alice, make_declaration):
    from datetime import timedelta

    from django.utils import timezone

    from declarations import workflow
    from verification.models import Accreditation

    workflow.submit(make_declaration(), actor=mill_alice)
    Accreditation.objects.create(
        verifier=verifier_vera, body=verifier_vera.organization, number="N-LATER", valid_from=timezone.localdate() + timedelta(days=30)
    )
    client.force_login(operator_olga)
    assert f'<option value="{verifier_vera.pk}"' not in assign_choices(client)  # review.assign would refuse her today
