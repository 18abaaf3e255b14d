"""Publishing an approved declaration: number, documents, signatures, stored artefacts, the log.

`publish()` is idempotent and safe to run twice at once or again after a crash. The slow part
(render the PDF, sign, write files) runs outside any transaction; the commit happens under the
unique constraint on (registration number, version): of two publishers, one inserts and the other
finds the publication already there. Files are stored under their SHA-256, so a publisher killed
between writing files and committing leaves nothing that a second attempt would trip over.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from declarations import workflow
from declarations.models import Declaration
from declarations.workflow import Status

from . import documents, exports, ilcd_checks, search, signing, timestamping, transparency
from .models import Artefact, ArtefactName, IlcdDataset, LogEvent, Publication, RegistryEntry, RegistryStatus
from .pdf import machine_readable_files, render_pdf

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """Everything a publication consists of, rendered and signed, not yet stored."""

    number: str
    document: dict
    files: dict[str, bytes]  # artefact name → bytes
    timestamps: dict[str, bytes]  # JWS artefact name → RFC 3161 token over that JWS


def build(declaration: Declaration, *, today: date | None = None) -> Built:
    """Render and sign every artefact of this declaration's publication. Pure: writes nothing."""
    today = today or timezone.localdate()
    number = documents.registration_number(declaration, today.year)
    valid_until = documents.validity(today, declaration.valid_until, first_issued=declaration.original_issue_date)
    document = documents.build_document(declaration, number=number, issued=today, valid_until=valid_until)
    openepd = exports.openepd_document(document)
    full_json, openepd_json = signing.canonical_json(document), signing.canonical_json(openepd)
    # The PDF carries the JSON documents inside it (PDF/A-3 associated files): the very bytes stored and served.
    pdf = signing.sign_pdf(render_pdf(document, embedded=machine_readable_files(full_json, openepd_json)))
    files = {
        ArtefactName.PDF: pdf,
        ArtefactName.JSON: full_json,
        ArtefactName.JSON_SIGNATURE: signing.sign_json(document).encode("ascii"),
        ArtefactName.OPENEPD: openepd_json,
        ArtefactName.OPENEPD_SIGNATURE: signing.sign_json(openepd).encode("ascii"),
        ArtefactName.ILCD: exports.ilcd_export(document),
        ArtefactName.ILCD_ZIP: exports.ilcd_archive(document, pdf=pdf),
    }
    timestamps = {
        name: signing.timestamp_json_signature(files[name].decode("ascii"))
        for name in (ArtefactName.JSON_SIGNATURE, ArtefactName.OPENEPD_SIGNATURE)
    }
    return Built(number=number, document=document, files=files, timestamps=timestamps)


def store(content: bytes, name: str) -> tuple[str, str]:
    """Write `content` under its digest (artefacts/ab/abcdef….pdf); returns (storage path, sha256)."""
    digest = hashlib.sha256(content).hexdigest()
    suffix = name.rsplit(".", 1)[-1]
    path = f"artefacts/{digest[:2]}/{digest}.{suffix}"
    if not default_storage.exists(path):
        saved = default_storage.save(path, ContentFile(content))
        if saved != path:  # a racing writer stored the same bytes first; keep one copy
            default_storage.delete(saved)
    return path, digest


def publish(declaration_id: int) -> Publication | None:
    """Publish an approved declaration; returns its publication (the existing one if already published),
    or None if the declaration is not approved (withdrawn meanwhile, or not yet approved)."""
    declaration = Declaration.objects.with_related().filter(pk=declaration_id).first()
    if declaration is None:
        return None
    existing = Publication.objects.filter(declaration_id=declaration_id).first()
    if existing is not None or declaration.status != Status.APPROVED:
        return existing

    built = build(declaration)
    stored = {name: store(content, name) for name, content in built.files.items()}
    for name, token in built.timestamps.items():
        timestamping.save_jws_token(built.files[name], token)
    try:
        return _commit(declaration, built, stored, {name: len(content) for name, content in built.files.items()})
    except IntegrityError:
        # Another publisher committed this version first (unique number + version): use theirs.
        publication = Publication.objects.filter(declaration_id=declaration_id).first()
        if publication is None:
            raise
        logger.info("%s v%s was published by another worker meanwhile", publication.registration_number, publication.version)
        return publication


def _commit(declaration: Declaration, built: Built, stored: dict[str, tuple[str, str]], sizes: dict[str, int]) -> Publication:
    document = built.document
    now = timezone.now()
    with transaction.atomic():
        publication = Publication.objects.create(
            declaration=declaration,
            registration_number=built.number,
            version=declaration.version,
            issued=date.fromisoformat(document["issued"]),
            valid_until=date.fromisoformat(document["valid_until"]),
            published_at=now,
            document=document,
            openepd=built.files[ArtefactName.OPENEPD].decode(),  # served as is by the openEPD read API
        )
        if not declaration.epd.registration_number:
            type(declaration.epd).objects.filter(pk=declaration.epd_id).update(registration_number=built.number)
        entries = transparency.append_many(
            dict(registration_number=built.number, version=declaration.version, artefact=name, sha256=digest, event=LogEvent.PUBLISHED)
            for name, (_path, digest) in stored.items()
        )
        Artefact.objects.bulk_create(
            Artefact(publication=publication, name=name, file=path, sha256=digest, size=sizes[name], log_index=entry.index)
            for (name, (path, digest)), entry in zip(stored.items(), entries, strict=True)
        )
        if ArtefactName.ILCD_ZIP in built.files:
            index_ilcd_archive(publication, built.files[ArtefactName.ILCD_ZIP])
        previous = _previous_latest(built.number)
        entry = RegistryEntry.objects.create(publication=publication, status_changed_at=now, **entry_fields(declaration, publication))
        if previous is not None and previous.status in (RegistryStatus.VALID, RegistryStatus.SUSPENDED):
            from .lifecycle import change_status  # lifecycle imports this module's neighbours, not the reverse

            change_status(previous, RegistryStatus.SUPERSEDED, actor=None, reason="", superseded_by=entry)
        workflow.transition(
            declaration,
            Status.PUBLISHED,
            actor=None,
            comment=f"Published as {built.number} version {declaration.version}.",
        )
    return publication


def index_ilcd_archive(publication: Publication, archive: bytes) -> None:
    """Record the datasets of the publication's ILCD ZIP, so /resource/ finds them by UUID without opening ZIPs."""
    IlcdDataset.objects.bulk_create(IlcdDataset(publication=publication, **row) for row in ilcd_checks.dataset_index(archive))


def add_ilcd_archive(publication: Publication) -> bool:
    """Give a publication made before ilcd.zip existed its ILCD ZIP, built from the signed document and the
    stored signed PDF, stored, logged and indexed like any artefact. Idempotent: False when it has one already."""
    if publication.artefacts.filter(name=ArtefactName.ILCD_ZIP).exists():
        return False
    with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as handle:
        pdf = handle.read()
    archive = exports.ilcd_archive(publication.document, pdf=pdf)
    path, digest = store(archive, ArtefactName.ILCD_ZIP)
    try:
        with transaction.atomic():
            (entry,) = transparency.append_many(
                [
                    dict(
                        registration_number=publication.registration_number,
                        version=publication.version,
                        artefact=ArtefactName.ILCD_ZIP,
                        sha256=digest,
                        event=LogEvent.PUBLISHED,
                    )
                ]
            )
            Artefact.objects.create(
                publication=publication, name=ArtefactName.ILCD_ZIP, file=path, sha256=digest, size=len(archive), log_index=entry.index
            )
            index_ilcd_archive(publication, archive)
    except IntegrityError:
        return False  # another run added it meanwhile (unique publication + artefact name)
    return True


def publications_without_ilcd_archive() -> list[int]:
    return list(Publication.objects.exclude(artefacts__name=ArtefactName.ILCD_ZIP).order_by("pk").values_list("pk", flat=True))


def _previous_latest(number: str) -> RegistryEntry | None:
    """The version published before this one, locked and no longer the latest (one latest per number)."""
    previous = RegistryEntry.objects.select_for_update().filter(registration_number=number, is_latest=True).first()
    if previous is not None:
        RegistryEntry.objects.filter(pk=previous.pk).update(is_latest=False)
        previous.is_latest = False
    return previous


def entry_fields(declaration: Declaration, publication: Publication) -> dict:
    """The searchable figures of a publication, read from the document that was signed."""
    document = publication.document
    product, manufacturer = document["product"], document["manufacturer"]
    plants = document.get("plants") or []
    gwp = declaration.gwp_a1a3()
    mass = declaration.declared_mass_kg
    per_tonne = gwp * Decimal(1000) / mass if gwp is not None and mass else None
    pcr = document["lca"].get("pcr") or {}
    return {
        "registration_number": publication.registration_number,
        "version": publication.version,
        "openepd_id": exports.openxpd_id(document),
        "is_latest": True,
        "manufacturer_id": declaration.epd.organization_id,
        "manufacturer_name": manufacturer["name"],
        "product_name": product["name"],
        "product_name_zh": product.get("name_zh") or "",
        "category": product.get("category") or "",
        "production_route": product.get("production_route") or "",
        "country": (plants[0]["country"] if plants else manufacturer.get("country")) or "",
        "pcr_code": pcr.get("code") or "",
        "declared_unit": document["lca"]["declared_unit"],
        "gwp_a1a3": gwp,
        "gwp_a1a3_per_tonne": per_tonne.quantize(Decimal("0.000001")) if per_tonne is not None else None,
        "recycled_content": declaration.recycled_content,
        "issued": publication.issued,
        "valid_until": publication.valid_until,
        "published_at": publication.published_at,
        "search_text": search.document_text(document),
    }


def unpublished_approvals() -> list[int]:
    """Approved declarations with no publication for a while: their task was lost (broker down, worker gone)."""
    before = timezone.now() - timedelta(seconds=settings.STUCK_AFTER_SECONDS)
    pending = Declaration.objects.filter(status=Status.APPROVED, publication__isnull=True, updated_at__lt=before)
    return list(pending.values_list("pk", flat=True))
