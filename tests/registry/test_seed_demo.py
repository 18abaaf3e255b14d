"""`manage.py seed_demo` (what `make run` loads): mills, verifiers, declarations in several states,
published EPDs with valid signatures, and a second version that supersedes the first."""

import json

import pytest
from celery import current_app
from django.core.management import call_command

from declarations.models import Declaration
from registry import signing
from registry.models import ArtefactName, Publication, RegistryEntry
from tests.openepd_strict import strict_epd


@pytest.fixture
def in_process_tasks():
    # The demo loader is what `make run` does on the embedded default, where tasks run in-process.
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


@pytest.mark.django_db(transaction=True)
def test_demo_loader(in_process_tasks):
    call_command("seed_demo", quiet=True)
    statuses = set(Declaration.objects.values_list("status", flat=True))
    assert {"draft", "in_verification", "changes_requested", "published", "superseded"} <= statuses
    assert Publication.objects.count() == 4
    superseded = RegistryEntry.objects.get(status="superseded")
    assert superseded.superseded_by.version == 2 and superseded.superseded_by.registration_number == superseded.registration_number
    for publication in Publication.objects.all():
        with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as pdf:
            assert signing.verify_pdf(pdf.read()).authentic
        # Its openEPD document reads strictly, with what EC3 links by.
        with publication.artefacts.get(name=ArtefactName.OPENEPD).file.open("rb") as openepd:
            epd = strict_epd(openepd.read())
        assert epd.id == publication.entry.openepd_id
        assert epd.manufacturer.web_domain and all(plant.id.endswith(f".{epd.manufacturer.web_domain}") for plant in epd.plants)
        assert epd.third_party_verifier.web_domain == "veritas-certification.example"
    sections = Publication.objects.get(document__product__category="long.sections")
    pcr = json.loads(sections.openepd)["pcr"]
    assert pcr["issuer_doc_id"] == "PCR 2019:14" and pcr["doc"].startswith("https://www.environdec.com/")

    call_command("seed_demo", quiet=True)  # a second run changes nothing
    assert Publication.objects.count() == 4
