"""Publishing: one immutable publication per approved version, signed artefacts, the log, supersession."""

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from declarations import editing
from declarations.models import Declaration
from registry import publishing, search, signing, transparency
from registry.fonts import MissingCJKFont
from registry.models import ArtefactName, LogEntry, Publication, RegistryEntry


def test_publish_assigns_number_signs_stores_and_logs(approved):
    declaration = approved()
    publication = publishing.publish(declaration.pk)

    year = publication.issued.year
    assert publication.registration_number == f"EPD-STEEL-{year}-{declaration.epd_id:06d}"
    assert publication.version == 1
    declaration.refresh_from_db()
    assert declaration.status == "published"
    assert declaration.epd.registration_number == publication.registration_number

    artefacts = {a.name: a for a in publication.artefacts.all()}
    assert set(artefacts) == set(ArtefactName.values)
    for artefact in artefacts.values():
        content = artefact.file.read()
        assert hashlib.sha256(content).hexdigest() == artefact.sha256
        assert len(content) == artefact.size
        logged = LogEntry.objects.get(index=artefact.log_index)
        assert (logged.registration_number, logged.version, logged.artefact, logged.sha256, logged.event) == (
            publication.registration_number, 1, artefact.name, artefact.sha256, "published",
        )

    pdf = artefacts[ArtefactName.PDF].file.open("rb").read()
    assert signing.verify_pdf(pdf).authentic
    document = artefacts[ArtefactName.JSON].file.open("rb").read()
    assert json.loads(document) == publication.document
    assert signing.verify_json(document, artefacts[ArtefactName.JSON_SIGNATURE].file.open("rb").read().decode()).authentic
    openepd = artefacts[ArtefactName.OPENEPD].file.open("rb").read()
    assert signing.verify_json(openepd, artefacts[ArtefactName.OPENEPD_SIGNATURE].file.open("rb").read().decode()).authentic

    entry = publication.entry
    assert entry.status == "valid" and entry.is_latest
    assert entry.gwp_a1a3 == declaration.gwp_a1a3()
    assert entry.valid_until == publication.valid_until
    assert entry.search_text == search.document_text(publication.document)
    assert f" {publication.registration_number.lower().split('-')[-1]} " in entry.search_text


def test_publishing_twice_yields_one_publication(approved):
    declaration = approved()
    first = publishing.publish(declaration.pk)
    again = publishing.publish(declaration.pk)
    assert first.pk == again.pk
    assert Publication.objects.count() == 1
    assert LogEntry.objects.count() == len(ArtefactName.values)


def test_a_second_publisher_that_loses_the_race_uses_the_winners_publication(approved):
    """Both render and sign; the unique constraint lets one commit. The loser's log entries roll back."""
    declaration = approved()
    built = publishing.build(declaration)
    stored = {name: publishing.store(content, name) for name, content in built.files.items()}
    winner = publishing.publish(declaration.pk)
    sizes = {name: len(content) for name, content in built.files.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        publishing._commit(declaration, built, stored, sizes)
    assert Publication.objects.get() == winner
    assert transparency.current_size() == len(ArtefactName.values)


def test_without_a_cjk_font_the_publish_task_fails_naming_it_and_nothing_is_signed_stored_or_logged(
    approved, fontconfig_without_cjk, settings
):
    from registry.tasks import publish_declaration

    declaration = approved()
    log_size = transparency.current_size()
    result = publish_declaration.apply(args=(declaration.pk,), throw=False)  # runs here, records the outcome as a worker does
    assert result.failed()
    assert isinstance(result.result, MissingCJKFont)
    assert "fonts-noto-cjk" in str(result.result) and "empty boxes" in str(result.result)
    assert not Publication.objects.exists()
    assert transparency.current_size() == log_size
    assert not (settings.MEDIA_ROOT / "artefacts").exists()
    declaration.refresh_from_db()
    assert declaration.status == "approved"  # the sweeper queues it again; with the font installed it publishes


def test_only_approved_declarations_are_published(make_declaration):
    draft = make_declaration()
    assert publishing.publish(draft.pk) is None
    assert publishing.publish(999_999) is None
    assert not Publication.objects.exists()


def test_published_rows_refuse_changes(published):
    publication = published()
    publication.document = {"tampered": True}
    with pytest.raises(ValidationError):
        publication.save()
    with pytest.raises(ValidationError):
        publication.delete()
    artefact = publication.artefacts.first()
    with pytest.raises(ValidationError):
        artefact.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; SQLite relies on the model")
def test_postgresql_trigger_refuses_updates_that_bypass_the_model(published):
    publication = published()
    statements = [
        ("UPDATE registry_publication SET version = 7 WHERE id = %s", publication.pk),
        ("DELETE FROM registry_publication WHERE id = %s", publication.pk),
        ("UPDATE registry_artefact SET sha256 = repeat('0', 64) WHERE publication_id = %s", publication.pk),
        ("DELETE FROM registry_artefact WHERE publication_id = %s", publication.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    assert Publication.objects.get(pk=publication.pk).version == 1


def test_a_new_version_supersedes_the_old_one(published, approved, mill_alice, verifier_vera, operator_olga):
    from declarations import workflow
    from verification import checks, review
    from verification.models import StoredFinding

    first = published()
    draft = editing.start_new_version(first.declaration, actor=mill_alice)
    assert draft.version == 2 and draft.status == "draft"
    assert draft.results.count() == first.declaration.results.count()
    draft, _ = workflow.submit(draft, actor=mill_alice)
    checks.run_checks(draft)
    review.assign(draft, verifier_vera, by=operator_olga)
    review.update_checklist(draft, verifier=verifier_vera, items={key: True for key in review.CHECKLIST})
    for finding in StoredFinding.objects.filter(check_run__revision__declaration=draft, severity="warning"):
        review.acknowledge(finding, verifier=verifier_vera, comment="ok")
    review.approve(draft, verifier=verifier_vera)

    second = publishing.publish(draft.pk)
    assert (second.registration_number, second.version) == (first.registration_number, 2)
    assert second.document["supersedes"] == {"registration_number": first.registration_number, "version": 1}
    old = RegistryEntry.objects.get(publication=first)
    assert old.status == "superseded" and not old.is_latest and old.superseded_by == second.entry
    assert Declaration.objects.get(pk=first.declaration_id).status == "superseded"
    assert second.entry.is_latest and second.entry.status == "valid"
    events = list(LogEntry.objects.filter(registration_number=first.registration_number, version=1).values_list("event", flat=True))
    assert events.count("superseded") == 1
