"""The platform's signing keys and what is signed with them: PAdES on PDFs, detached JWS on JSON.

Layout of settings.SIGNING_KEY_DIR (created on first use, private keys mode 0600):

    root-ca.key.pem, root-ca.cert.pem       the platform root CA, ECDSA P-256, self-signed
    signing-<kid>.key.pem, .cert.pem        each signing key (ECDSA P-256) and its certificate from the root
    keys.json                               which key is current; when each was created and retired

`kid` is the RFC 7638 JWK thumbprint of the signing key. Rotation (`rotate_signing_key`) adds a key
and marks the previous one retired; retired keys stay in the JWKS and keep verifying old signatures.
"""

import base64
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

import rfc8785
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _

MANIFEST = "keys.json"
MANIFEST_FORMAT = "steel-epd-platform/keys/1"
ROOT_KEY, ROOT_CERT = "root-ca.key.pem", "root-ca.cert.pem"
ROOT_VALIDITY = timedelta(days=30 * 365)
# Longer than an EPD is valid (five years): a PDF signed on the last day before rotation must still check out.
SIGNING_VALIDITY = timedelta(days=10 * 365)
CLOCK_SKEW = timedelta(minutes=5)
JWS_HEADER_TYPE = "JOSE"
MAX_JWS_LENGTH = 4096
SIGNATURE_FIELD = "EPDPlatformSignature"


class SigningKeyError(RuntimeError):
    """The key directory is unusable: missing files, a bad manifest, no current key."""


@dataclass(frozen=True)
class Verdict:
    """Whether a signed artefact is authentic, and if not, why, in plain words."""

    authentic: bool
    reasons: list[str] = field(default_factory=list)
    kid: str | None = None
    signer: str | None = None
    key_status: str | None = None  # "current" or "retired"
    signed_at: datetime | None = None  # PDFs only: the time the signer claims

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signed_at"] = self.signed_at.isoformat() if self.signed_at else None
        return data


def refused(*reasons: str) -> Verdict:
    return Verdict(authentic=False, reasons=list(reasons))


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class SigningKey:
    kid: str
    certificate: x509.Certificate
    created: datetime
    retired: datetime | None
    private_key: ec.EllipticCurvePrivateKey | None  # loaded for the current key only

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    @property
    def status(self) -> str:
        return "retired" if self.retired else "current"

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


@dataclass
class KeyRing:
    root: x509.Certificate
    keys: dict[str, SigningKey]
    current_kid: str

    @property
    def current(self) -> SigningKey:
        return self.keys[self.current_kid]

    def key_for_certificate(self, der: bytes) -> SigningKey | None:
        return next((k for k in self.keys.values() if k.certificate.public_bytes(serialization.Encoding.DER) == der), None)

    @cached_property
    def root_asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.root.public_bytes(serialization.Encoding.DER))

    @cached_property
    def pdf_signer(self):
        from pyhanko.keys import load_private_key_from_pemder_data
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        current = self.current
        assert current.private_key is not None
        key_pem = current.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        cert = asn1_x509.Certificate.load(current.certificate.public_bytes(serialization.Encoding.DER))
        return SimpleSigner(
            signing_cert=cert,
            signing_key=load_private_key_from_pemder_data(key_pem, passphrase=None),
            cert_registry=SimpleCertificateStore.from_certs([cert, self.root_asn1]),
        )


_cache: dict[Path, tuple[tuple[int, int, int], KeyRing]] = {}
_cache_lock = threading.Lock()


def key_dir() -> Path:
    return Path(settings.SIGNING_KEY_DIR)


def keyring() -> KeyRing:
    """The signing keys, loaded once per process and again whenever keys.json changes (rotation)."""
    directory = key_dir()
    manifest = directory / MANIFEST
    if not manifest.exists():
        _initialise(directory)
    stat = manifest.stat()
    stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    with _cache_lock:
        cached = _cache.get(directory)
        if cached and cached[0] == stamp:
            return cached[1]
    ring = _load(directory)
    with _cache_lock:
        _cache[directory] = (stamp, ring)
    return ring


def reload_keys() -> None:
    """Forget the cached keys of every directory; the next use reads them from disk."""
    with _cache_lock:
        _cache.clear()


def rotate_signing_key() -> tuple[str, str]:
    """Make a new current signing key under the same root; the old one is kept, marked retired.

    Returns (old kid, new kid).
    """
    directory = key_dir()
    keyring()  # creates the directory on first use
    with _locked(directory):
        manifest = _read_manifest(directory)
        root_key = _load_private_key(directory / ROOT_KEY)
        root_cert = x509.load_pem_x509_certificate((directory / ROOT_CERT).read_bytes())
        new_kid = _new_signing_key(directory, root_key, root_cert)
        now = _now().isoformat()
        old_kid = manifest["current"]
        for entry in manifest["keys"]:
            if entry["kid"] == old_kid:
                entry["retired"] = now
        manifest["keys"].append({"kid": new_kid, "created": now, "retired": None})
        manifest["current"] = new_kid
        _write_manifest(directory, manifest)
    return old_kid, new_kid


def jwk_thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    members = _public_members(public_key)
    canonical = json.dumps({k: members[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


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
    return jwk


def _public_members(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64url(numbers.x.to_bytes(32, "big")), "y": _b64url(numbers.y.to_bytes(32, "big"))}


def _initialise(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(directory):
        if (directory / MANIFEST).exists():
            return  # another process won the race
        root_key = ec.generate_private_key(ec.SECP256R1())
        root_cert = _root_certificate(root_key)
        _write_private_key(directory / ROOT_KEY, root_key)
        (directory / ROOT_CERT).write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
        kid = _new_signing_key(directory, root_key, root_cert)
        _write_manifest(
            directory,
            {"format": MANIFEST_FORMAT, "current": kid, "keys": [{"kid": kid, "created": _now().isoformat(), "retired": None}]},
        )


def _load(directory: Path) -> KeyRing:
    manifest = _read_manifest(directory)
    try:
        root = x509.load_pem_x509_certificate((directory / ROOT_CERT).read_bytes())
        keys = {}
        for entry in manifest["keys"]:
            kid = entry["kid"]
            current = kid == manifest["current"]
            keys[kid] = SigningKey(
                kid=kid,
                certificate=x509.load_pem_x509_certificate((directory / f"signing-{kid}.cert.pem").read_bytes()),
                created=datetime.fromisoformat(entry["created"]),
                retired=datetime.fromisoformat(entry["retired"]) if entry.get("retired") else None,
                private_key=_load_private_key(directory / f"signing-{kid}.key.pem") if current else None,
            )
    except (OSError, KeyError, ValueError) as exc:
        raise SigningKeyError(f"cannot load the signing keys from {directory}: {exc}") from exc
    if manifest["current"] not in keys:
        raise SigningKeyError(f"{directory / MANIFEST} names no current key")
    for kid, key in keys.items():
        if jwk_thumbprint(key.public_key) != kid:
            raise SigningKeyError(f"the certificate of key {kid} holds another key")
    return KeyRing(root=root, keys=keys, current_kid=manifest["current"])


def _new_signing_key(directory: Path, root_key: ec.EllipticCurvePrivateKey, root_cert: x509.Certificate) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = jwk_thumbprint(key.public_key())
    cert = _signing_certificate(key, root_key, root_cert)
    _write_private_key(directory / f"signing-{kid}.key.pem", key)
    (directory / f"signing-{kid}.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return kid


def _operator_name() -> str:
    return settings.PROGRAMME_OPERATOR.get("name") or "Steel EPD Platform"


def _root_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _operator_name()),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{_operator_name()} Root CA"),
        ]
    )
    now = _now()
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _signing_certificate(
    key: ec.EllipticCurvePrivateKey, root_key: ec.EllipticCurvePrivateKey, root_cert: x509.Certificate
) -> x509.Certificate:
    now = _now()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _operator_name()),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{_operator_name()} EPD signing key {now:%Y-%m-%d}"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + SIGNING_VALIDITY, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: enabled.get(name, False) for name in names})


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"cannot read {directory / MANIFEST}: {exc}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise SigningKeyError(f"{directory / MANIFEST} is not a {MANIFEST_FORMAT} manifest")
    return manifest


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    # Written aside and renamed, so a reader never sees half a manifest.
    temporary = directory / f".{MANIFEST}.{os.getpid()}"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(temporary, directory / MANIFEST)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def _load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"{path} is not an ECDSA P-256 key")
    return key


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock across processes (web, worker, the rotate command) on the key directory."""
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


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


def verify_json(document: bytes | str | dict[str, Any], jws: str) -> Verdict:
    """Check a detached JWS against the document, with current and retired platform keys.

    `document` may be the JSON as uploaded (any key order or whitespace: the signature covers its
    RFC 8785 canonical form) or an already parsed dict.
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
    return Verdict(authentic=True, kid=key.kid, signer=key.subject, key_status=key.status)


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


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- PDF (PAdES)


def sign_pdf(pdf_bytes: bytes) -> bytes:
    """A PAdES certification signature (DocMDP: no changes allowed) with the current key and its chain.

    Any incremental update appended afterwards, even a harmless one, makes verify_pdf refuse the file.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner

    ring = keyring()
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason="Verified EPD published in the registry",
        name=_operator_name(),
        contact_info=settings.SITE_URL,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    return PdfSigner(metadata, signer=ring.pdf_signer).sign_pdf(writer).getvalue()


def verify_pdf(pdf_bytes: bytes) -> Verdict:
    """pyHanko's validation against the platform root: its overall verdict, and coverage of every byte."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    ring = keyring()
    # Uploaded files can be anything; pyHanko raises many kinds of errors on broken ones, and each means "not authentic".
    try:
        signatures = PdfFileReader(BytesIO(pdf_bytes), strict=False).embedded_regular_signatures
    except Exception as exc:
        return refused(_("the file is not a readable PDF (%(error)s)") % {"error": exc})
    if not signatures:
        return refused(_("the PDF carries no signature"))
    signature = signatures[0]
    context = ValidationContext(trust_roots=[ring.root_asn1], allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=True)
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context, key_usage_settings=usage)
    except Exception as exc:
        return refused(_("the signature cannot be read or checked (%(error)s)") % {"error": exc})

    reasons = []
    # pyHanko skips the later checks once an earlier one fails, so only the first of these is meaningful.
    if not status.intact:
        reasons.append(_("the signed bytes were changed after signing (their digest no longer matches)"))
    elif not status.valid:
        reasons.append(_("the signature value does not match the signed bytes"))
    elif not status.trusted:
        problem = status.trust_problem_indic.name if status.trust_problem_indic else "untrusted"
        reasons.append(
            _("the signing certificate is not trusted under the platform's root certificate (%(problem)s)") % {"problem": problem}
        )
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        reasons.append(_("bytes were added after the signature (an incremental update): the signature does not cover the whole file"))
    if status.docmdp_ok is False:
        reasons.append(_("the document was modified after certification, which allows no changes"))
    if signature.docmdp_level != MDPPerm.NO_CHANGES:
        reasons.append(_("the signature is not the platform's certification signature (DocMDP: no changes)"))
    if not status.bottom_line and not reasons:
        reasons.append(_("pyHanko's overall verdict is negative (%(summary)s)") % {"summary": status.summary()})

    signer_der = status.signing_cert.dump() if status.signing_cert is not None else b""
    key = ring.key_for_certificate(signer_der)
    return Verdict(
        authentic=status.bottom_line and not reasons,
        reasons=reasons,
        kid=key.kid if key else None,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert is not None else None,
        key_status=key.status if key else None,
        signed_at=status.signer_reported_dt,
    )
