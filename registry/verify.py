"""Anyone's question "is this EPD file authentic, and is it still valid?", answered from the file alone.

A PDF carries its own signature (PAdES). A JSON (full or openEPD) needs its detached JWS beside it.
Authentic means: the platform's key signed exactly these bytes (PDF) or this content (JSON, in its
RFC 8785 form, so re-serialising does not matter), AND the signed digest is one the registry published.
The second half catches a signature that is valid but not ours to serve, e.g. made with a stolen test key.
The status is the one the version's log entries give it (registry.integrity), proven into the signed tree
head; a database whose status or log rows were edited is reported in `integrity_error`.
"""

import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import integrity, signing, timestamping
from .models import Artefact, ArtefactName, RegistryEntry

PDF_MAGIC = b"%PDF-"


@dataclass
class Answer:
    authentic: bool
    reasons: list[str] = field(default_factory=list)
    registration_number: str | None = None
    version: int | None = None
    status: str | None = None
    artefact: str | None = None
    log_index: int | None = None
    signed_by: str | None = None
    key_id: str | None = None
    successor_version: int | None = None
    log_status: str | None = None  # the status the version's log entries give it
    integrity_error: str | None = None  # the log, or the database against the log, failed its checks
    signature_level: str | None = None
    timestamped_at: str | None = None

    def as_dict(self) -> dict:
        return {
            "authentic": self.authentic,
            "reasons": self.reasons,
            "registration_number": self.registration_number,
            "version": self.version,
            "status": self.status,
            "artefact": self.artefact,
            "log_index": self.log_index,
            "signed_by": self.signed_by,
            "key_id": self.key_id,
            "successor_version": self.successor_version,
            "log_status": self.log_status,
            "integrity_error": self.integrity_error,
            "signature_level": self.signature_level,
            "timestamped_at": self.timestamped_at,
        }


def verify_upload(document: bytes, signature: bytes | None = None, timestamp: bytes | None = None) -> Answer:
    """The verdict on an uploaded PDF, or on a JSON with its JWS (and the JWS's time stamp token, which the
    registry looks up itself when it is not given)."""
    if document.startswith(PDF_MAGIC):
        return _verify_pdf(document)
    if signature is None:
        return Answer(False, [_("a JSON document needs its signature (the .jws file) to be checked; a PDF carries its own")])
    return _verify_json(document, signature, timestamp)


def _answer(verdict: signing.Verdict) -> Answer:
    return Answer(
        verdict.authentic,
        list(verdict.reasons),
        signed_by=verdict.signer,
        key_id=verdict.kid,
        signature_level=verdict.level,
        timestamped_at=verdict.timestamped_at.isoformat() if verdict.timestamped_at else None,
    )


def _verify_pdf(content: bytes) -> Answer:
    answer = _answer(signing.verify_pdf(content))
    digest = hashlib.sha256(content).hexdigest()
    artefact = Artefact.objects.filter(name=ArtefactName.PDF, sha256=digest).select_related("publication").first()
    if artefact is None and answer.authentic:
        answer.authentic = False
        answer.reasons.append(_("the signature is valid, but the registry never published this file (its SHA-256 is not in the log)"))
    return _with_registry_status(answer, artefact)


def _verify_json(content: bytes, signature: bytes, timestamp: bytes | None) -> Answer:
    try:
        jws = signature.decode("ascii").strip()
    except UnicodeDecodeError:
        return Answer(False, [_("the signature file is not a compact JWS (it must be ASCII text: header..signature)")])
    if timestamp is None:
        timestamp = timestamping.stored_jws_token(signature)
    verdict = signing.verify_json(content, jws, timestamp)
    answer = _answer(verdict)
    if not verdict.authentic:
        return answer
    # The signature covers the canonical form: find the artefact by the digest of that form.
    digest = hashlib.sha256(signing.canonical_json(signing.load_json(content))).hexdigest()
    artefact = (
        Artefact.objects.filter(name__in=[ArtefactName.JSON, ArtefactName.OPENEPD], sha256=digest).select_related("publication").first()
    )
    if artefact is None:
        answer.authentic = False
        answer.reasons.append(_("the signature is valid, but the registry never published this document (its digest is not in the log)"))
    return _with_registry_status(answer, artefact)


def _with_registry_status(answer: Answer, artefact: Artefact | None) -> Answer:
    if artefact is None:
        return answer
    entry = RegistryEntry.objects.select_related("superseded_by").get(publication_id=artefact.publication_id)
    answer.registration_number = entry.registration_number
    answer.version = entry.version
    # The status is the log's: a status edited in the database is reported, never served.
    view = integrity.log_view(entry.registration_number, entry.version)
    answer.log_status = answer.status = view.status
    if not view.intact:
        answer.authentic = False
        answer.integrity_error = "the transparency log fails its integrity checks: " + "; ".join(view.problems)
    else:
        answer.integrity_error = integrity.status_mismatch(entry.status, view, entry.registration_number, entry.version)
    if answer.integrity_error:
        answer.reasons.append(answer.integrity_error)
    answer.artefact = artefact.name
    answer.log_index = artefact.log_index
    answer.successor_version = entry.superseded_by.version if entry.superseded_by else None
    return answer
