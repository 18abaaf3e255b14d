"""`manage.py seed_demo` (what `make run` loads): mills, verifiers, declarations in several states,
published EPDs with valid signatures, and a second version that supersedes the first."""

import pytest
from celery import current_app
from django.core.management import call_command

from declarations.models import Declaration
from registry import signing
from registry.models import ArtefactName, Publication, RegistryEntry


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

    call_command("seed_demo", quiet=True)  # a second run changes nothing
    assert Publication.objects.count() == 4
