"""What the platform signs and how it is checked: PAdES B-LTA on PDFs, detached JWS (with an RFC 3161 time
stamp) on JSON. The keys, certificates and CRLs are registry.pki's; the time stamps registry.timestamping's.

Levels (docs/architecture.md): a PDF published since issue 11 is PAdES B-LTA: its signature carries a
signature time stamp, and a document time stamp seals the validation data (certificates, the CRL) in the
DSS, so it validates after its signing certificate expired or its key was revoked, without fetching
anything. PDFs signed before are PAdES B-B and still verify as the legacy level, as long as their key is
not revoked. A JWS signed since comes with a time stamp token over its signature value; a JWS without one
verifies only while its key is not revoked.
"""

import asyncio
import base64
import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.conf import settings
from django.utils.translation import gettext as _

from . import timestamping
from .pki import SigningKey, SigningKeyError, jwk_thumbprint, keyring, reload_keys, rotate_signing_key, tsa_trust_roots  # noqa: F401
from .pki import b64url as _b64url
from .pki import public_members as _public_members


class _NoFetchWarning(logging.Filter):
    """pyHanko warns on every signature that it may not fetch revocation data: with our CRL at hand it needs none."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchWarning())

JWS_HEADER_TYPE = "JOSE"
MAX_JWS_LENGTH = 4096
SIGNATURE_FIELD = "EPDPlatformSignature"
TIMESTAMP_FIELD = "EPDPlatformDocumentTimestamp"
# Room for the CMS signature with its chain and signature time stamp (about 3 KB); reserving it spares
# pyHanko a trial signature to measure the size.
SIGNATURE_BYTES = 12 * 1024
LEVEL_LTA, LEVEL_LEGACY = "PAdES-B-LTA", "PAdES-B-B"
LEVEL_JWS_TIMESTAMPED, LEVEL_JWS = "JWS with RFC 3161 time stamp", "JWS"


@dataclass(frozen=True)
class Verdict:
    """Whether a signed artefact is authentic, and if not, why, in plain words."""

    authentic: bool
    reasons: list[str] = field(default_factory=list)
    kid: str | None = None
    signer: str | None = None
    key_status: str | None = None  # "current", "retired" or "revoked"
    signed_at: datetime | None = None  # the time the signer claims (PDFs)
    timestamped_at: datetime | None = None  # the time a TSA attests the signature existed
    level: str | None = None  # LEVEL_*

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("signed_at", "timestamped_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


def refused(*reasons: str) -> Verdict:
    return Verdict(authentic=False, reasons=list(reasons))


# ---------------------------------------------------------------- keys (registry.pki holds them)


def jwks() -> dict[str, list[dict[str, Any]]]:
    """Every signing key, current first, with its certificate chain in x5c (signing cert, root)."""
    ring = keyring()
    root_der = ring.root.public_bytes(serialization.Encoding.DER)
    ordered = sorted(ring.keys.values(), key=lambda k: (k.retired is not None, -k.created.timestamp()))
    return {"keys": [_jwk(key, root_der) for key in ordered]}


def root_certificate_pem() -> str:
    return keyring().root.public_bytes(serialization.Encoding.PEM).decode()


def _jwk(key: SigningKey, root_der: bytes) -> dict[str, Any]:
    cert_der = key.certificate.public_bytes(serialization.Encoding.DER)
    jwk: dict[str, Any] = {
        **_public_members(key.public_key),
        "kid": key.kid,
        "use": "sig",
        "alg": "ES256",
        "x5c": [base64.b64encode(cert_der).decode(), base64.b64encode(root_der).decode()],
        "x5t#S256": _b64url(hashlib.sha256(cert_der).digest()),
        "status": key.status,
        "created": key.created.isoformat(),
    }
    if key.retired:
        jwk["retired"] = key.retired.isoformat()
    if key.revoked:
        jwk["revoked"] = key.revoked.isoformat()
        jwk["revocation_reason"] = key.revocation_reason
    return jwk


def crl_der() -> bytes:
    return keyring().crl_der


# ---------------------------------------------------------------- JWS (RFC 7515, detached, RFC 8785 payload)


def canonical_json(document: Any) -> bytes:
    """RFC 8785 (JCS): the exact bytes that are signed and hashed."""
    return rfc8785.dumps(document)


def sign_json(document: dict[str, Any]) -> str:
    """Compact JWS with a detached payload ("header..signature"), ES256 over the JCS form of `document`."""
    key = keyring().current
    assert key.private_key is not None
    header = _b64url(json.dumps({"alg": "ES256", "kid": key.kid, "typ": JWS_HEADER_TYPE, "cty": "json"}, separators=(",", ":")).encode())
    signing_input = f"{header}.{_b64url(canonical_json(document))}".encode("ascii")
    r, s = decode_dss_signature(key.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{header}..{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def timestamp_json_signature(jws: str) -> bytes:
    """The RFC 3161 token (DER) over a JWS made by sign_json: proof of when the signature existed."""
    return timestamping.timestamp_jws(jws)


def verify_json(document: bytes | str | dict[str, Any], jws: str, timestamp: bytes | None = None) -> Verdict:
    """Check a detached JWS against the document, with the platform keys (current, retired or revoked).

    `document` may be the JSON as uploaded (any key order or whitespace: the signature covers its
    RFC 8785 canonical form) or an already parsed dict. `timestamp` is the RFC 3161 token over the JWS
    (see timestamp_json_signature); a signature by a revoked key is authentic only with a token from
    before the revocation time.
    """
    try:
        parsed = load_json(document) if isinstance(document, bytes | str) else document
        payload = canonical_json(parsed)
    except (ValueError, TypeError, RecursionError) as exc:
        return refused(_("the document is not JSON that can be canonicalised (RFC 8785): %(error)s") % {"error": exc})
    try:
        header, signature, header_b64 = _parse_jws(jws)
    except ValueError as exc:
        return refused(str(exc))
    key = keyring().keys.get(header["kid"])
    if key is None:
        return refused(
            _("the signature names key id %(kid)r, which is not one of the platform's keys (see /api/v1/keys/)") % {"kid": header["kid"]}
        )
    signing_input = f"{header_b64}.{_b64url(payload)}".encode("ascii")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.public_key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return Verdict(
            authentic=False,
            reasons=[
                _("the signature does not match this document under key %(kid)s: the document was changed, or another key signed it")
                % {"kid": key.kid}
            ],
            kid=key.kid,
        )
    found = dict(kid=key.kid, signer=key.subject, key_status=key.status)
    if timestamp is None:
        if key.revoked:
            reason = _revoked_reason(key, "the signature has no time stamp to show it was made before then")
            return Verdict(False, [reason], level=LEVEL_JWS, **found)
        return Verdict(True, level=LEVEL_JWS, **found)
    check = timestamping.check_jws_timestamp(timestamp, jws)
    if check.time is None:
        return Verdict(False, [check.problem or "the time stamp cannot be checked"], level=LEVEL_JWS_TIMESTAMPED, **found)
    if key.revoked and check.time >= key.revoked:
        reason = _revoked_reason(key, f"the signature was time-stamped later, at {check.time.isoformat()}")
        return Verdict(False, [reason], timestamped_at=check.time, level=LEVEL_JWS_TIMESTAMPED, **found)
    return Verdict(True, timestamped_at=check.time, level=LEVEL_JWS_TIMESTAMPED, **found)


def _revoked_reason(key: SigningKey, detail: str) -> str:
    assert key.revoked is not None
    return f"key {key.kid} was revoked at {key.revoked.isoformat()} ({key.revocation_reason}); {detail}"


def load_json(data: bytes | str) -> Any:
    """Parse JSON strictly: a repeated key or NaN/Infinity is an error, not silently resolved."""
    return json.loads(data, object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_jws(jws: str) -> tuple[dict[str, Any], bytes, str]:
    if not isinstance(jws, str) or len(jws) > MAX_JWS_LENGTH:
        raise ValueError("the signature is not a compact JWS")
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise ValueError("the signature is not a compact JWS (header..signature)")
    header_b64, payload_b64, signature_b64 = parts
    if payload_b64:
        raise ValueError("the signature carries its own payload; the platform's signatures are detached (RFC 7515 Appendix F)")
    try:
        header = json.loads(_b64url_decode(header_b64))
    except ValueError as exc:
        raise ValueError(f"the signature header is not base64url JSON: {exc}")
    if not isinstance(header, dict) or not isinstance(header.get("kid"), str):
        raise ValueError("the signature header names no key id (kid)")
    if header.get("alg") != "ES256":
        raise ValueError(f"the signature algorithm {header.get('alg')!r} is not ES256")
    if "crit" in header:
        raise ValueError(f"the signature header has critical parameters the platform does not use: {header['crit']!r}")
    try:
        signature = _b64url_decode(signature_b64)
    except ValueError:
        signature = b""
    if len(signature) != 64:
        raise ValueError("the signature value is not an ES256 signature (64 bytes r || s, base64url)")
    return header, signature, header_b64


def _b64url_decode(text: str) -> bytes:
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- PDF (PAdES)


def sign_pdf(pdf_bytes: bytes) -> bytes:
    """A PAdES B-LTA certification signature (DocMDP: no changes allowed) with the current key.

    The signature carries an RFC 3161 signature time stamp; then the chain and the CRL go into the DSS and a
    document time stamp seals them. Those two are the only incremental updates verify_pdf accepts after the
    signature; any other, even a harmless one, makes it refuse the file.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference

    ring = keyring()
    if ring.current.revoked:
        raise SigningKeyError(f"the current signing key {ring.current_kid} is revoked; rotate_signing_key first")
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason="Verified EPD published in the registry",
        name=_operator_name(),
        contact_info=settings.SITE_URL,
        embed_validation_info=True,
        use_pades_lta=True,
        timestamp_field_name=TIMESTAMP_FIELD,
        validation_context=_signing_context(),
        # The chain and CRL go into the signed revision itself, and the document time stamp is the last
        # revision: a file that ends anywhere else was changed.
        dss_settings=DSSContentSettings(placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    signer = PdfSigner(metadata, signer=ring.pdf_signer, timestamper=timestamping.timestamper())
    return signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES).getvalue()


def _signing_context():
    """What pyHanko checks the chains against before signing, and what it embeds: our root and CRL. An outside
    TSA (settings.TSA_URL) brings its own root (TSA_ROOT_CERT_FILE) and revocation data, fetched."""
    from pyhanko_certvalidator import ValidationContext

    ring = keyring()
    return ValidationContext(
        trust_roots=tsa_trust_roots(), crls=[ring.crl_asn1], allow_fetching=bool(settings.TSA_URL), revocation_mode="require"
    )


def _operator_name() -> str:
    return settings.PROGRAMME_OPERATOR.get("name") or "Steel EPD Platform"


def verify_pdf(pdf_bytes: bytes) -> Verdict:
    """pyHanko's validation against the platform root and its current CRL.

    A B-LTA file goes through pyHanko's AdES long-term validation: the time stamps, not the clock, say when
    it was signed, so an expired certificate is fine and a revoked key is fine for what was stamped before
    the revocation. A legacy B-B file gets the plain check (no time proof: refused once its key is revoked).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_regular_signatures
        timestamps = reader.embedded_timestamp_signatures
    except Exception as exc:  # uploaded files can be anything; pyHanko raises many kinds of errors on broken ones
        return refused(_("the file is not a readable PDF (%(error)s)") % {"error": exc})
    if not signatures:
        return refused(_("the PDF carries no signature"))
    if timestamps:
        return _verify_lta(signatures[0], timestamps[-1])
    return _verify_legacy(signatures[0])


def _verify_lta(signature, last_timestamp) -> Verdict:
    from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        LocalKnowledge,
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager
    from pyhanko_certvalidator.revinfo.archival import CRLContainer

    ring = keyring()
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[ring.root_asn1]),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            ts_cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=tsa_trust_roots()),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
            # Today's CRL besides the one in the file: it knows revocations made after the file was sealed.
            local_knowledge=LocalKnowledge(known_crls=[CRLContainer(ring.crl_asn1)]),
            key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=True),
        )
    )
    try:
        result = asyncio.run(ades_lta_validation(signature, spec))
        sealed = last_timestamp.evaluate_signature_coverage()
    except Exception as exc:
        return refused(_("the signature cannot be read or checked (%(error)s)") % {"error": exc})
    status = result.api_status
    if status is None:
        return refused(f"the signature cannot be checked ({result.failure_msg})")
    key = ring.key_for_certificate(status.signing_cert.dump() if status.signing_cert is not None else b"")
    reasons = _integrity_reasons(signature, status, key)
    timestamped_at = status.timestamp_validity.timestamp if status.timestamp_validity else None
    if not reasons and result.ades_subindic != AdESPassed.OK:
        if result.ades_subindic in (AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE) and key and key.revoked:
            later = f", at {timestamped_at.isoformat()}" if timestamped_at else ""
            reasons.append(_revoked_reason(key, f"the signature was time-stamped later{later}"))
        elif result.ades_subindic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND or not status.trusted:
            reasons.append(_untrusted(status))
        else:
            reasons.append(f"pyHanko's long-term validation is not positive: {result.ades_subindic.name} ({result.failure_msg})")
    if sealed != SignatureCoverageLevel.ENTIRE_FILE:
        reasons.append("bytes were added after the signature and its document time stamp: the file is not as the registry sealed it")
    return _pdf_verdict(status, reasons, key, timestamped_at, LEVEL_LTA)


def _verify_legacy(signature) -> Verdict:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    ring = keyring()
    context = ValidationContext(trust_roots=[ring.root_asn1], allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=True)
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context, key_usage_settings=usage)
    except Exception as exc:
        return refused(_("the signature cannot be read or checked (%(error)s)") % {"error": exc})
    key = ring.key_for_certificate(status.signing_cert.dump() if status.signing_cert is not None else b"")
    reasons = _integrity_reasons(signature, status, key)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        reasons.append("bytes were added after the signature (an incremental update): the signature does not cover the whole file")
    if key and key.revoked and not reasons:
        reasons.append(_revoked_reason(key, "this legacy (PAdES B-B) signature has no time stamp to show it was made before then"))
    if not status.bottom_line and not reasons:
        reasons.append(_("pyHanko's overall verdict is negative (%(summary)s)") % {"summary": status.summary()})
    return _pdf_verdict(status, reasons, key, None, LEVEL_LEGACY)


def _integrity_reasons(signature, status, key: SigningKey | None) -> list[str]:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.fields import MDPPerm

    reasons = []
    # pyHanko skips the later checks once an earlier one fails, so only the first of these is meaningful.
    if not status.intact:
        reasons.append(_("the signed bytes were changed after signing (their digest no longer matches)"))
    elif not status.valid:
        reasons.append(_("the signature value does not match the signed bytes"))
    elif not status.trusted:
        reasons.append(_untrusted(status, key))
    level = getattr(status, "modification_level", None)
    if level is not None and level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        reasons.append("bytes were added after the signature (an incremental update that is neither validation data nor a time stamp)")
    if status.docmdp_ok is False:
        reasons.append(_("the document was modified after certification, which allows no changes"))
    if signature.docmdp_level != MDPPerm.NO_CHANGES:
        reasons.append(_("the signature is not the platform's certification signature (DocMDP: no changes)"))
    return reasons


def _untrusted(status, key: SigningKey | None = None) -> str:
    problem = status.trust_problem_indic.name if getattr(status, "trust_problem_indic", None) else "untrusted"
    if key is not None and key.revoked and "REVOKED" in problem:
        stamped = status.timestamp_validity.timestamp.isoformat() if getattr(status, "timestamp_validity", None) else "unknown"
        return _revoked_reason(key, f"the signature was time-stamped later (at {stamped}) or not at all")
    return f"the signing certificate is not trusted under the platform's root certificate ({problem})"


def _pdf_verdict(status, reasons: list[str], key: SigningKey | None, timestamped_at: datetime | None, level: str) -> Verdict:
    return Verdict(
        authentic=not reasons and (status.bottom_line or level == LEVEL_LTA),
        reasons=reasons,
        kid=key.kid if key else None,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert is not None else None,
        key_status=key.status if key else None,
        signed_at=status.signer_reported_dt or timestamped_at,
        timestamped_at=timestamped_at,
        level=level,
    )
