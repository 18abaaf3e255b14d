"""Issue 13: a declaration without allocation, cut-off rules, data quality or LCA practitioner passed the
submission checks, so an EPD could be published without what EN 15804+A2 clause 7 asks it to state. A draft
may lack them; submission refuses with an error naming each missing field, through the workflow and the API."""

import pytest

from declarations import workflow
from declarations.errors import InvalidDeclaration
from declarations.models import Declaration

pytestmark = pytest.mark.django_db

CLAUSE_7_FIELDS = ["allocation", "cut_off", "data_quality", "lca_practitioner"]


def test_a_draft_without_them_is_saved(make_declaration):
    declaration = make_declaration(allocation="", cut_off="", data_quality="", lca_practitioner="")
    assert declaration.status == "draft"


def test_submission_names_each_missing_field(make_declaration, mill_alice):
    declaration = make_declaration(allocation="", cut_off=" ", data_quality="", lca_practitioner="")
    with pytest.raises(InvalidDeclaration) as refused:
        workflow.submit(declaration, actor=mill_alice)
    missing = {f.field for f in refused.value.findings if f.is_error}
    assert set(CLAUSE_7_FIELDS) <= missing
    assert Declaration.objects.get(pk=declaration.pk).status == "draft"


@pytest.mark.parametrize("field", CLAUSE_7_FIELDS)
def test_submit_over_the_api_refuses_each_one_missing(client_for, make_declaration, mill_alice, field):
    declaration = make_declaration(**{field: ""})
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/")
    assert response.status_code == 400, response.json()
    errors = [f for f in response.json()["error"]["findings"] if f["severity"] == "error"]
    assert [f["field"] for f in errors] == [field]
    assert errors[0]["message"]
    declaration.refresh_from_db()
    assert declaration.status == "draft" and declaration.revision == 0


def test_the_practitioners_organisation_names_the_practitioner(make_declaration, mill_alice):
    declaration = make_declaration(lca_practitioner="", lca_practitioner_organization=mill_alice.organization)
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    assert declaration.status == "submitted"


def test_the_findings_page_lists_them_before_submission(client, make_declaration, mill_alice):
    declaration = make_declaration(allocation="", data_quality="")
    client.force_login(mill_alice)
    response = client.post(f"/declarations/{declaration.pk}/submit/", follow=True)
    html = response.content.decode()
    assert "State the allocation rules" in html and "State the data quality" in html
    declaration.refresh_from_db()
    assert declaration.status == "draft"
