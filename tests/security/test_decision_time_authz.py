"""Issue 12, decision-time authorization: a verifier assigned while accredited and independent may act on the
review only while that is still true. Accreditations end (the operator withdraws one, or its period runs out)
and conflicts arise (the LCA practitioner is corrected) while a review is open; every verifier action, through
the API and the pages, is checked again at the moment it is made."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organization
from declarations.models import Declaration
from verification import review
from verification.models import Accreditation, Comment, StoredFinding, VerificationStatement

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(in_verification, verifier_vera):
    """A review verifier_vera has completed (checklist ticked, warnings acknowledged), not yet decided."""
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")  # P2 and P11 warn
    review.update_checklist(declaration, verifier=verifier_vera, items=dict.fromkeys(review.CHECKLIST, True))
    for finding in StoredFinding.objects.filter(check_run__revision__declaration=declaration, severity="warning"):
        review.acknowledge(finding, verifier=verifier_vera, comment="Checked against the plant's records.")
    return declaration


def _end_accreditation(verifier) -> Accreditation:
    accreditation = verifier.accreditations.get()
    accreditation.active = False
    accreditation.save(update_fields=["active"])
    return accreditation


def _expire_accreditation(verifier) -> Accreditation:
    accreditation = verifier.accreditations.get()
    accreditation.valid_from = timezone.localdate() - timedelta(days=400)
    accreditation.valid_until = timezone.localdate() - timedelta(days=1)
    accreditation.save(update_fields=["valid_from", "valid_until"])
    return accreditation


API_ACTIONS = {
    "approve": ("approve/", {"statement": "No relevant deviations."}),
    "reject": ("reject/", {"comment": "The data do not hold."}),
    "request-changes": ("request-changes/", {"comment": "Fix A1-A3."}),
    "comment": ("comments/", {"text": "One more question."}),
    "checklist": ("checklist/", {"items": {"presentation": False}}),
}


@pytest.mark.parametrize("action", list(API_ACTIONS))
def test_api_refuses_every_action_after_the_accreditation_ended(client_for, ready, verifier_vera, action):
    accreditation = _end_accreditation(verifier_vera)
    path, body = API_ACTIONS[action]
    response = client_for(verifier_vera).post(f"/api/v1/reviews/{ready.pk}/{path}", body, format="json")
    assert response.status_code == 403, response.json()
    error = response.json()["error"]
    assert error["code"] == "verifier_not_authorized"
    assert accreditation.number in error["message"] and "accreditation" in error["message"]
    ready.refresh_from_db()
    assert ready.status == "in_verification"
    assert not VerificationStatement.objects.filter(declaration=ready).exists()
    assert not Comment.objects.filter(declaration=ready).exists()


def test_api_refuses_an_acknowledgement_after_the_accreditation_ran_out(client_for, in_verification, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")
    _expire_accreditation(verifier_vera)
    warning = StoredFinding.objects.filter(check_run__revision__declaration=declaration, severity="warning").first()
    response = client_for(verifier_vera).post(
        f"/api/v1/reviews/{declaration.pk}/acknowledge/", {"finding": warning.pk, "comment": "ok"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verifier_not_authorized"
    warning.refresh_from_db()
    assert warning.acknowledged_at is None


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("approve/", {"statement": "Verified.", "kind": "external"}),
        ("reject/", {"comment": "No."}),
        ("request-changes/", {"comment": "Fix it."}),
        ("comment/", {"text": "A question."}),
        ("checklist/", {"item": list(review.CHECKLIST)}),
    ],
)
def test_pages_refuse_every_action_after_the_accreditation_ran_out(client, ready, verifier_vera, path, data):
    accreditation = _expire_accreditation(verifier_vera)
    client.force_login(verifier_vera)
    response = client.post(f"/reviews/{ready.pk}/{path}", data)
    assert response.status_code == 403
    assert accreditation.number in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == "in_verification"
    assert not Comment.objects.filter(declaration=ready).exists()


def test_review_page_says_why_the_verifier_cannot_decide(client, ready, verifier_vera):
    accreditation = _end_accreditation(verifier_vera)
    client.force_login(verifier_vera)
    html = client.get(f"/reviews/{ready.pk}/").content.decode()
    assert 'data-testid="review-not-authorized"' in html and accreditation.number in html
    assert f'action="/reviews/{ready.pk}/approve/"' not in html


def test_a_conflict_that_arises_after_assignment_blocks_the_approval(client_for, ready, verifier_vera):
    # The operator learns that the verifier's own body made the LCA and corrects the practitioner.
    Declaration.objects.filter(pk=ready.pk).update(lca_practitioner_organization=verifier_vera.organization)
    response = client_for(verifier_vera).post(f"/api/v1/reviews/{ready.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "verifier_not_authorized" and "LCA practitioner" in error["message"]
    assert error["findings"][0]["check"] == "P23"
    ready.refresh_from_db()
    assert ready.status == "in_verification"


def test_a_verifier_who_changed_body_cannot_approve_on_the_old_accreditation(client_for, ready, verifier_vera):
    verifier_vera.organization = Organization.objects.create(name="Other Cert Ltd", kind="verification_body", country="GB")
    verifier_vera.save(update_fields=["organization"])
    response = client_for(verifier_vera).post(f"/api/v1/reviews/{ready.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verifier_not_authorized"


def test_a_renewed_accreditation_lets_the_verifier_approve_and_the_statement_names_it(client_for, ready, verifier_vera):
    _expire_accreditation(verifier_vera)
    renewal = Accreditation.objects.create(verifier=verifier_vera, body=verifier_vera.organization, number="D-ZE-RENEWED-02")
    response = client_for(verifier_vera).post(f"/api/v1/reviews/{ready.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["statement"]["accreditation_number"] == renewal.number
