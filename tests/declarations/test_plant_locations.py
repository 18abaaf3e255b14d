"""Plant locations: a full plus code (or latitude, longitude turned into one), refused in words otherwise,
wherever plants are entered: the editor and the API (test_pages, test_api_declarations), the bulk-import
workbook and the model; kept when a new version starts."""

import pytest
from django.core.exceptions import ValidationError

from declarations import editing, spreadsheet
from declarations.locations import coordinates, plus_code
from declarations.models import Plant
from declarations.samples import plausible_results
from declarations.spreadsheet.declaration import read_declaration_workbook


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("8Q33CF4Q+QR", "8Q33CF4Q+QR"),
        (" 8q33cf4q+qr ", "8Q33CF4Q+QR"),
        ("8Q33CF4Q+", "8Q33CF4Q+"),  # 8 digits: a cell of about 275 m, enough for a steelworks
        ("31.4069, 121.4896", "8Q33CF4Q+QR"),
        ("31.4069 121.4896", "8Q33CF4Q+QR"),
        ("43.2627,-2.9253", "8CMV737F+3V"),
    ],
)
def test_a_plus_code_or_coordinates_become_a_full_plus_code(typed, kept):
    assert plus_code(typed) == kept


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("CF4Q+QR Shanghai", "short plus code"),
        ("8Q330000+", "too coarse"),
        ("Baoshan, Shanghai", "not a plus code"),
        ("91.0, 121.5", "between -90 and 90"),
        ("", "not a plus code"),
    ],
)
def test_anything_else_is_refused_in_words(typed, says):
    with pytest.raises(ValueError, match=says):
        plus_code(typed)


def test_the_centre_of_a_code_lies_in_its_cell():
    latitude, longitude = coordinates("8Q33CF4Q+QR")
    assert plus_code(f"{latitude}, {longitude}") == "8Q33CF4Q+QR"


def test_the_model_checks_and_normalises_the_code(make_declaration):
    plant = make_declaration().plants.get()
    plant.olc = "8q33cf4q+qr"
    plant.full_clean()
    assert plant.olc == "8Q33CF4Q+QR"
    plant.olc = "CF4Q+QR"
    with pytest.raises(ValidationError) as refused:
        plant.full_clean()
    assert list(refused.value.message_dict) == ["olc"]


def workbook(**declaration) -> bytes:
    sample = plausible_results("scrap_eaf", "long.rebar")
    values = {
        "product_name": "Rebar",
        "category": "long.rebar",
        "production_route": "scrap_eaf",
        "plant_name": "Works",
        "plant_country": "CN",
    }
    return spreadsheet.build_template("xlsx", results=sample.results, declaration=values | declaration)


def test_the_workbook_takes_the_plant_location(db):
    read = read_declaration_workbook("a.xlsx", workbook(plant_olc="31.4069, 121.4896"), pcr_codes=["en17662"])

    assert read.findings == []
    assert read.plants == [{"name": "Works", "country": "CN", "city": "", "olc": "8Q33CF4Q+QR"}]


def test_a_wrong_location_in_the_workbook_is_named_with_its_row(db):
    read = read_declaration_workbook("a.xlsx", workbook(plant_olc="Shanghai"), pcr_codes=["en17662"])

    (finding,) = read.findings
    assert finding.field == "plant_olc" and finding.row and "plus code" in finding.message


def test_a_new_version_keeps_the_plant_locations(published, mill_alice):
    publication = published(plants=[{"name": "Baoshan works", "country": "CN", "city": "Shanghai", "olc": "8Q33CF4Q+QR"}])

    draft = editing.start_new_version(publication.declaration, actor=mill_alice)

    assert list(draft.plants.values_list("olc", flat=True)) == ["8Q33CF4Q+QR"]
    assert publication.document["plants"][0]["olc"] == "8Q33CF4Q+QR"
    assert Plant.objects.filter(olc="8Q33CF4Q+QR").count() == 2
