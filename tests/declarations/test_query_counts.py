"""List endpoints run the same number of SQL queries whatever the number of rows."""

import pytest

from declarations import editing
from tests.conftest import complete_fields

pytestmark = pytest.mark.django_db


def add_declarations(user, count: int) -> None:
    for index in range(count):
        editing.create_declaration(
            user.organization, actor=user, plants=[{"name": f"P{index}", "country": "CN"}], **complete_fields(product_name=f"Rebar {index}")
        )


def queries_for(client, url, django_assert_max_num_queries, budget: int):
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_declaration_list_queries_do_not_grow(client_for, mill_alice, django_assert_max_num_queries):
    client = client_for(mill_alice)
    add_declarations(mill_alice, 2)
    small = queries_for(client, "/api/v1/declarations/", django_assert_max_num_queries, 12)
    add_declarations(mill_alice, 40)
    large = queries_for(client, "/api/v1/declarations/", django_assert_max_num_queries, 12)
    assert small == large


def test_review_queue_queries_do_not_grow(client_for, in_verification, verifier_vera, django_assert_max_num_queries):
    client = client_for(verifier_vera)
    for seed in range(2):
        in_verification(seed=seed)
    small = queries_for(client, "/api/v1/reviews/", django_assert_max_num_queries, 12)
    assert len(client.get("/api/v1/reviews/").json()["results"]) == 2
    for seed in range(2, 8):
        in_verification(seed=seed)
    large = queries_for(client, "/api/v1/reviews/", django_assert_max_num_queries, 12)
    assert small == large
