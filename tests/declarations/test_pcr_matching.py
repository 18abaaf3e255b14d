"""A PCR as an imported file names it is matched to the catalogue by its id, registration id or name, and version."""

import pytest

from declarations.models import PCR

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("PCR 2019:14 Construction products, version 1.3.4", "ies-2019-14"),
        ("PCR 2019:14 Construction products (EN 15804:A2) v1.3.4", "ies-2019-14"),
        ("PCR 2019:14", "ies-2019-14"),
        ("EN 17662:2021 Steel and aluminium structural products", "en17662"),
        ("c-PCR to EN 15804+A2: EN 17662", "en17662"),
        ("NPCR 013:2021 Part B for steel and aluminium construction products, version 3.0", "npcr-013"),
        ("PCR Part B: Requirements on the EPD for Reinforcing Steel", "ibu-reinforcing-steel"),
    ],
)
def test_a_pcr_is_matched_by_registration_id_or_name(text, code):
    assert PCR.objects.matching(text) == PCR.objects.get(code=code)


@pytest.mark.parametrize(
    "text",
    [
        "PCR 2019:145 Something else",  # another PCR whose number starts alike
        "PCR 2019:14 Construction products, version 1.2.5",  # another version than the catalogue's
        "PCR 2019:14 Construction products and c-PCR EN 17662",  # two catalogue PCRs: which one is not ours to guess
        "Wood Products PCR",
        "",
    ],
)
def test_anything_else_matches_nothing(text):
    assert PCR.objects.matching(text) is None


def test_an_open_xpd_id_identifies_the_pcr_whatever_the_text():
    PCR.objects.filter(code="npcr-013").update(openepd_id="EC3E432H")

    assert PCR.objects.matching("", openepd_id="ec3e-432h") == PCR.objects.get(code="npcr-013")


def test_only_the_pcrs_of_the_queryset_are_candidates():
    PCR.objects.filter(code="ies-2019-14").update(active=False)

    assert PCR.objects.filter(active=True).matching("PCR 2019:14 Construction products") is None
