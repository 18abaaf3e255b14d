"""The issue's searches against the demo registry (seed_demo), in a module of their own: the test commits
(transaction=True), so it must not share a connection with test_search_queries's module-wide rows."""

import pytest
from django.core.management import call_command

# The issue's five searches that found nothing, and the categories of the demo EPDs they are after.
ISSUE_EXAMPLES = {
    "hot rolled coil": {"flat.hrc"},
    "coil hot-rolled": {"flat.hrc"},
    "S355 coil": {"flat.hrc"},
    "Huadong coil": {"flat.hrc", "flat.crc", "flat.coated.metallic"},
    "螺纹钢": {"long.rebar"},
}


@pytest.mark.django_db(transaction=True)
def test_the_issue_examples_find_the_demo_epds(client, in_process_tasks):
    call_command("seed_demo", quiet=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    for q, expected in ISSUE_EXAMPLES.items():
        response = client.get("/api/v1/epds/", {"q": q})
        assert response.status_code == 200
        categories = {row["category"] for row in response.json()["results"]}
        assert categories and categories <= expected, q
