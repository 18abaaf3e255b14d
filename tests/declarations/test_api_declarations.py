import pytest

from declarations.models import AuditEntry, Declaration, Result

pytestmark = pytest.mark.django_db


def test_producer_creates_a_draft(client_for, mill_alice):
    response = client_for(mill_alice).post(
        "/api/v1/declarations/",
        {
            "product_name": "Hot-rolled coil S235JR",
            "category": "flat.hrc",
            "production_route": "bf_bof",
            "pcr": "en17662",
            "plants": [
                {"name": "Baoshan works", "country": "CN", "city": "Shanghai", "olc": "31.4069, 121.4896"},
                {"name": "Luojing plate mill", "country": "CN"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["version"] == 1
    assert body["organization"] == "Huadong Iron & Steel Co."
    # The location is kept as the full plus code, however it was given.
    assert body["plants"] == [
        {"name": "Baoshan works", "country": "CN", "city": "Shanghai", "olc": "8Q33CF4Q+QR"},
        {"name": "Luojing plate mill", "country": "CN", "city": "", "olc": ""},
    ]


def test_create_names_the_bad_field(client_for, mill_alice):
    response = client_for(mill_alice).post(
        "/api/v1/declarations/",
        {
            "product_name": "Rebar",
            "category": "long.nonsense",
            "plants": [{"name": "P", "country": "China"}, {"name": "Q", "country": "CN", "olc": "6FJ7+QW Shanghai"}],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["error"]["findings"]}
    assert fields == {"category", "plants[0].country", "plants[1].olc"}
    assert Declaration.objects.count() == 0


def test_text_fields_refuse_numbers_instead_of_storing_their_text(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    response = client_for(mill_alice).patch(
        f"/api/v1/declarations/{declaration.pk}/", {"data_quality": 1.192092896e-07, "lca_practitioner": 7}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert {f["field"] for f in response.json()["error"]["findings"]} == {"data_quality", "lca_practitioner"}
    before = declaration.data_quality
    declaration.refresh_from_db()
    assert declaration.data_quality == before  # unchanged: nothing half-saved


def test_other_mill_gets_404(client_for, make_declaration, mill_bob):
    declaration = make_declaration()
    client = client_for(mill_bob)
    assert client.get(f"/api/v1/declarations/{declaration.pk}/").status_code == 404
    assert client.patch(f"/api/v1/declarations/{declaration.pk}/", {"product_name": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/declarations/{declaration.pk}/submit/").status_code == 404
    assert client.get("/api/v1/declarations/").json()["results"] == []


def test_submit_moves_to_submitted_and_records_audit_and_revision(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/", {"comment": "ready"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    declaration.refresh_from_db()
    assert declaration.revision == 1
    entry = AuditEntry.objects.get(declaration=declaration)
    assert (entry.from_status, entry.to_status, entry.actor, entry.comment) == ("draft", "submitted", mill_alice, "ready")
    snapshot = declaration.revisions.get().snapshot
    assert snapshot["results"]["GWP-total"]["A1-A3"] == declaration.results_document()["GWP-total"]["A1-A3"]


def test_submit_refuses_missing_modules_listing_every_error(client_for, make_declaration, mill_alice):
    declaration = make_declaration(results=False, report=False)
    response = client_for(mill_alice).post(f"/api/v1/declarations/{declaration.pk}/submit/")
    assert response.status_code == 400
    findings = response.json()["error"]["findings"]
    assert {"report"} <= {f.get("field") for f in findings}
    assert any(f["check"] == "P18" for f in findings)
    declaration.refresh_from_db()
    assert declaration.status == "draft"


def test_put_results_with_errors_saves_nothing(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    before = list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value"))
    response = client_for(mill_alice).put(
        f"/api/v1/declarations/{declaration.pk}/results/",
        {
            "results": [
                {"indicator": "GWP-total", "module": "A1-A3", "value": "abc"},
                {"indicator": "AP", "module": "A1-A3", "value": "5", "unit": "kg SO2 eq."},
                {"indicator": "XYZ", "module": "A1-A3", "value": "1"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    findings = response.json()["error"]["findings"]
    assert {f["field"] for f in findings if "field" in f} >= {"results[0]", "results[1]", "results[2]"}
    assert any(f["check"] == "P20" and f["indicator"] == "AP" for f in findings)
    after = list(Result.objects.filter(declaration=declaration).values_list("indicator", "module", "value"))
    assert before == after


def test_submitted_declaration_is_not_editable(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    client = client_for(mill_alice)
    client.post(f"/api/v1/declarations/{declaration.pk}/submit/")
    response = client.patch(f"/api/v1/declarations/{declaration.pk}/", {"product_name": "changed"}, format="json")
    assert response.status_code == 409
    assert "only a draft" in response.json()["error"]["message"]


def test_withdraw_twice_is_a_conflict(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    client = client_for(mill_alice)
    assert client.post(f"/api/v1/declarations/{declaration.pk}/withdraw/").json()["status"] == "withdrawn"
    response = client.post(f"/api/v1/declarations/{declaration.pk}/withdraw/")
    assert response.status_code == 409


def test_verifier_cannot_create(client_for, verifier_vera):
    response = client_for(verifier_vera).post("/api/v1/declarations/", {"product_name": "x"}, format="json")
    assert response.status_code == 403


def test_json_results_given_twice_are_reported_at_the_second_place():
    from declarations.imports import read_json_results

    parsed = read_json_results(
        {
            "results": [
                {"indicator": "GWP-total", "module": "A1-A3", "value": "2100", "unit": "kg CO2 eq."},
                {"indicator": "PENRT", "module": "A1-A3", "value": "21000", "unit": "MJ"},
                {"indicator": "GWP-total", "module": "A1-A3", "value": "1", "unit": "kg CO2 eq."},
            ]
        }
    )
    assert [(f.check, f.field, f.indicator, f.module) for f in parsed.findings] == [("value", "results[2]", "GWP-total", "A1-A3")]
    assert [(c.indicator, c.module, str(c.value)) for c in parsed.cells] == [("GWP-total", "A1-A3", "2100"), ("PENRT", "A1-A3", "21000")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("data_quality", 1.192092896e-07), ("data_quality", 3), ("data_quality", True), ("data_quality", ["words"]),
     ("recycled_content", 96.5), ("biogenic_carbon_packaging", 0.12), ("renewable_electricity_claim", "yes"),
     ("renewable_electricity_claim", 1), ("reference_year", "2025"), ("reference_year", 2025.0), ("standards", [10080]),
     ("lca_practitioner_organization", ""), ("pcr", "")],
)  # fmt: skip
def test_fields_refuse_what_is_not_their_json_type(client_for, make_declaration, mill_alice, field, value):
    declaration = make_declaration()
    before = getattr(declaration, field)
    response = client_for(mill_alice).patch(f"/api/v1/declarations/{declaration.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert [f["field"].removesuffix("[0]") for f in response.json()["error"]["findings"]] == [field]
    declaration.refresh_from_db()
    assert getattr(declaration, field) == before


def test_decimals_as_strings_keep_their_digits(client_for, make_declaration, mill_alice):
    declaration = make_declaration()
    response = client_for(mill_alice).patch(f"/api/v1/declarations/{declaration.pk}/", {"recycled_content": "96.50"}, format="json")
    assert response.status_code == 200 and response.json()["recycled_content"] == "96.50"


@pytest.mark.parametrize(
    ("plant", "field"),
    [
        ({"country": "CN"}, "plants[0].name"),
        ({"name": "Plant 2"}, "plants[0].country"),
        ({"name": "Plant 2", "country": "CN", "city": 7}, "plants[0].city"),
    ],
)
def test_a_patch_gives_each_plant_whole(client_for, make_declaration, mill_alice, plant, field):
    declaration = make_declaration()
    response = client_for(mill_alice).patch(f"/api/v1/declarations/{declaration.pk}/", {"plants": [plant]}, format="json")
    assert response.status_code == 400, response.content
    assert [f["field"] for f in response.json()["error"]["findings"]] == [field]


def test_a_partial_update_still_needs_whole_plants(client_for, make_declaration, mill_alice):
    """PATCH makes the declaration's fields optional, not a plant's name or country (DRF passes `partial` on)."""
    declaration = make_declaration()

    response = client_for(mill_alice).patch(
        f"/api/v1/declarations/{declaration.pk}/", {"plants": [{"country": "CN", "olc": "8Q33CF4Q+QR"}, {"name": "Works"}]}, format="json"
    )

    assert response.status_code == 400
    assert {f["field"] for f in response.json()["error"]["findings"]} == {"plants[0].name", "plants[1].country"}
    assert [p.name for p in declaration.plants.all()] == ["Plant 1"]
