"""Issue 12, the LCA practitioner: the practitioner's organisation decides which verifiers count as conflicted
(P23), so a mill that could name any organisation — a verification body above all — would pick its verifier by
excluding the others. A mill names an LCA consultancy or itself; anything else is a 400 naming the field, and
only the operator (Django admin) names another kind."""

import re

import pytest

from accounts.models import Organization, User
from declarations import workflow
from declarations.models import Declaration
from verification import review

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultancy(db):
    return Organization.objects.create(name="GreenLCA Consulting Ltd.", kind="lca_consultancy", country="CN", city="Beijing")


def test_api_refuses_a_verification_body_as_practitioner_on_create(client_for, mill_alice, verification_body):
    response = client_for(mill_alice).post(
        "/api/v1/declarations/",
        {"product_name": "Rebar B500B", "category": "long.rebar", "lca_practitioner_organization": verification_body.name},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert [f["field"] for f in response.json()["error"]["findings"]] == ["lca_practitioner_organization"]
    assert verification_body.name in response.json()["error"]["findings"][0]["message"]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("kind", ["verification_body", "producer", "operator"])
def test_api_refuses_other_kinds_on_update(client_for, make_declaration, mill_alice, kind):
    declaration = make_declaration()
    other = Organization.objects.create(name=f"Some {kind}", kind=kind, country="DE")
    response = client_for(mill_alice).patch(
        f"/api/v1/declarations/{declaration.pk}/", {"lca_practitioner_organization": other.name, "cut_off": "changed"}, format="json"
    )
    assert response.status_code == 400
    assert {f["field"] for f in response.json()["error"]["findings"]} == {"lca_practitioner_organization"}
    declaration.refresh_from_db()
    assert declaration.lca_practitioner_organization is None and declaration.cut_off != "changed"


def test_api_accepts_a_consultancy_or_the_mill_itself(client_for, make_declaration, mill_alice, consultancy):
    declaration = make_declaration()
    client = client_for(mill_alice)
    for name in (consultancy.name, mill_alice.organization.name):
        response = client.patch(f"/api/v1/declarations/{declaration.pk}/", {"lca_practitioner_organization": name}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["lca_practitioner_organization"] == name


def test_editor_page_offers_only_consultancies_and_refuses_a_forged_choice(
    client, make_declaration, mill_alice, consultancy, verification_body
):
    from tests.declarations.test_pages import editor_post

    declaration = make_declaration()
    client.force_login(mill_alice)
    html = client.get(f"/declarations/{declaration.pk}/edit/").content.decode()
    select = re.search(r'<select name="lca_practitioner_organization".*?</select>', html, re.S).group(0)
    assert consultancy.name in select and "Huadong Iron &amp; Steel Co." in select and verification_body.name not in select
    forged = editor_post(product_name="Forged", lca_practitioner_organization=str(verification_body.pk))
    response = client.post(f"/declarations/{declaration.pk}/edit/", forged)
    assert response.status_code == 400
    assert 'name="lca_practitioner_organization"' in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.lca_practitioner_organization is None and declaration.product_name != "Forged"
    accepted = client.post(f"/declarations/{declaration.pk}/edit/", editor_post(lca_practitioner_organization=str(consultancy.pk)))
    assert accepted.status_code == 302
    declaration.refresh_from_db()
    assert declaration.lca_practitioner_organization == consultancy


def test_the_attack_a_mill_cannot_exclude_verifiers_by_naming_their_body(
    client_for, make_declaration, mill_alice, verifier_vera, operator_olga, accredited
):
    """The attack as reported: name the verifier's body as practitioner, so the operator cannot assign it."""
    accredited(verifier_vera)
    declaration = make_declaration()
    response = client_for(mill_alice).patch(
        f"/api/v1/declarations/{declaration.pk}/", {"lca_practitioner_organization": verifier_vera.organization.name}, format="json"
    )
    assert response.status_code == 400
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    assert review.conflict_of_interest(declaration, verifier_vera) is None


def test_operator_corrects_the_practitioner_in_the_admin_and_the_conflict_rule_follows(
    client, make_declaration, mill_alice, verifier_vera, verification_body
):
    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    admin = User.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    client.force_login(admin)
    listing = client.get("/admin/declarations/declaration/?lca_practitioner_organization__kind=verification_body")
    assert listing.status_code == 200
    page = client.get(f"/admin/declarations/declaration/{declaration.pk}/change/").content.decode()
    assert 'name="lca_practitioner_organization"' in page  # editable, unlike the other fields
    form = {"lca_practitioner_organization": verification_body.pk, "_save": "Save"}
    for prefix in ("plants", "audit_entries", "results"):
        form.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(f"/admin/declarations/declaration/{declaration.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    declaration.refresh_from_db()
    assert declaration.lca_practitioner_organization == verification_body
    assert "LCA practitioner" in review.conflict_of_interest(declaration, verifier_vera)


def test_a_new_version_does_not_inherit_an_organisation_only_the_operator_could_name(published, mill_alice, verification_body):
    from declarations import editing

    publication = published()
    Declaration.objects.filter(pk=publication.declaration_id).update(lca_practitioner_organization=verification_body)
    publication.declaration.refresh_from_db()
    draft = editing.start_new_version(publication.declaration, actor=mill_alice)
    assert draft.lca_practitioner_organization is None
    assert draft.lca_practitioner == publication.declaration.lca_practitioner  # the name stays
