"""What the mill sees after the verifier requests changes, and how result values print on the review page."""

import re

import pytest

from declarations.numbers import format_value
from verification import review


@pytest.fixture
def reviewing(in_verification):
    return in_verification()


def test_mill_sees_the_request_the_comments_and_the_commented_cells(client, reviewing, mill_alice, verifier_vera):
    review.add_comment(reviewing, author=verifier_vera, text="Source of the scrap rate?", indicator="SM", module="A1-A3")
    review.add_comment(reviewing, author=verifier_vera, text="Module D credits look high.", module="D")
    review.request_changes(reviewing, verifier=verifier_vera, comment="Document the scrap input and the module D credit.")
    client.force_login(mill_alice)
    page = client.get(f"/declarations/{reviewing.pk}/").content.decode()
    assert "The verifier requested changes" in page
    assert "Document the scrap input and the module D credit." in page
    assert "Source of the scrap rate?" in page and "Module D credits look high." in page
    assert f'href="/declarations/{reviewing.pk}/results/#cell-SM_A1_A3"' in page
    grid = client.get(f"/declarations/{reviewing.pk}/results/").content.decode()
    assert "Document the scrap input" in grid
    commented = re.findall(r'<td id="(cell-[^"]+)" class="[^"]*has-comment', grid)
    assert "cell-SM_A1_A3" in commented  # the cell the comment names
    assert "cell-GWP_total_D" in commented  # a comment on module D marks the column
    assert "cell-SM_C3" not in commented and "cell-GWP_total_A1_A3" not in commented


def test_review_page_prints_values_like_the_public_page(client, reviewing, verifier_vera):
    client.force_login(verifier_vera)
    html = client.get(f"/reviews/{reviewing.pk}/").content.decode()
    odp = reviewing.results.get(indicator="ODP", module="A1-A3").given_value
    assert format_value(odp) in html
    assert "E-" in format_value(odp) and f">{odp}<" not in html  # a tiny value in E notation, not a long decimal


def test_review_page_names_the_category_in_chinese(client, reviewing, verifier_vera):
    client.force_login(verifier_vera)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/reviews/{reviewing.pk}/").content.decode()
    assert '<dd data-testid="category">钢筋</dd>' in html


def test_changed_fields_show_labels_not_codes(client, reviewing, mill_alice, verifier_vera):
    from declarations import editing, workflow
    from declarations.models import Declaration
    from verification import checks

    review.request_changes(reviewing, verifier=verifier_vera, comment="Wrong category.")
    editing.update_declaration(reviewing, actor=mill_alice, category="long.wirerod")
    resubmitted, _ = workflow.submit(Declaration.objects.get(pk=reviewing.pk), actor=mill_alice)
    checks.run_checks(resubmitted)
    client.force_login(verifier_vera)
    html = client.get(f"/reviews/{reviewing.pk}/").content.decode()
    assert "Steel product category" in html and "Reinforcing bar and coil" in html and "Wire rod" in html
    assert ">long.wirerod<" not in html
