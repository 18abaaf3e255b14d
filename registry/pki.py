"""The platform's small PKI: an offline root CA, the signing keys, the time-stamping authority and the CRL.

Layout of settings.SIGNING_KEY_DIR, the online key directory (private keys mode 0600):

    root-ca.cert.pem                        the root certificate (public: the trust anchor)
    signing-<kid>.key.pem, .cert.pem        each signing key (ECDSA P-256) and its certificate from the root
    tsa.key.pem, tsa.cert.pem               the time-stamping key and its certificate (EKU timeStamping)
    root.crl                                the root's current CRL (DER), also served at /api/v1/keys/root.crl
    keys.json                               which key is current; when each was created, retired, revoked

The root key is not there: `key_ceremony` writes it to an offline directory (removable media), and only the
commands that need it (rotate_signing_key, revoke_signing_key, issue_crl) read it, from `--root-dir`.
The embedded default (`make run`, tests) is the exception: on first use everything, the root key
included (root-ca.key.pem), is created in SIGNING_KEY_DIR, and those commands find it there.

`kid` is the RFC 7638 JWK thumbprint of a signing key. Retired keys stay in the JWKS and keep verifying;
a revoked key verifies only what was time-stamped before its revocation time.
"""

import base64
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

MANIFEST = "keys.json"
MANIFEST_FORMAT = "steel-epd-platform/keys/1"
ROOT_KEY, ROOT_CERT = "root-ca.key.pem", "root-ca.cert.pem"
TSA_KEY, TSA_CERT = "tsa.key.pem", "tsa.cert.pem"
CRL_FILE = "root.crl"
ROOT_VALIDITY = timedelta(days=30 * 365)
# Signatures outlive their certificate (PAdES B-LTA, time-stamped JWS), so a signing certificate need only
# last until the next rotation; five years leaves room for a late one.
SIGNING_VALIDITY = timedelta(days=5 * 365)
# The last document time stamp of a PDF must still verify when someone checks it: longer than an EPD lives
# (five years) plus the ten years a registry keeps answering for it.
TSA_VALIDITY = timedelta(days=16 * 365)
CLOCK_SKEW = timedelta(minutes=5)
REVOCATION_REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "affiliationChanged": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}


class SigningKeyError(RuntimeError):
    """The key directory is unusable: missing files, a bad manifest, no current key, no root where one is needed."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    certificate: x509.Certificate
    created: datetime
    retired: datetime | None
    private_key: ec.EllipticCurvePrivateKey | None  # loaded for the current key only
    revoked: datetime | None = None
    revocation_reason: str | None = None

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    @property
    def status(self) -> str:
        return "revoked" if self.revoked else "retired" if self.retired else "current"

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


@dataclass
class KeyRing:
    root: x509.Certificate
    keys: dict[str, SigningKey]
    current_kid: str
    tsa_certificate: x509.Certificate
    tsa_private_key: ec.EllipticCurvePrivateKey
    crl_der: bytes

    @property
    def current(self) -> SigningKey:
        return self.keys[self.current_kid]

    def key_for_certificate(self, der: bytes) -> SigningKey | None:
        return next((k for k in self.keys.values() if k.certificate.public_bytes(serialization.Encoding.DER) == der), None)

    @cached_property
    def root_asn1(self) -> asn1_x509.Certificate:
        return as_asn1(self.root)

    @cached_property
    def crl_asn1(self) -> asn1_crl.CertificateList:
        return asn1_crl.CertificateList.load(self.crl_der)

    @cached_property
    def crl(self) -> x509.CertificateRevocationList:
        return x509.load_der_x509_crl(self.crl_der)

    @cached_property
    def pdf_signer(self):
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        current = self.current
        assert current.private_key is not None
        cert = as_asn1(current.certificate)
        return SimpleSigner(
            signing_cert=cert,
            signing_key=_pyhanko_key(current.private_key),
            cert_registry=SimpleCertificateStore.from_certs([cert, self.root_asn1]),
        )

    @cached_property
    def timestamper(self):
        from .timestamping import PlatformTimeStamper

        return PlatformTimeStamper(self.tsa_certificate, self.tsa_private_key, chain=[self.root])


def tsa_trust_roots() -> list[asn1_x509.Certificate]:
    """Roots trusted for time stamps (not for signatures): the platform root, and an outside TSA's when TSA_URL is set."""
    roots = [keyring().root_asn1]
    if settings.TSA_URL and settings.TSA_ROOT_CERT_FILE:
        from pyhanko.keys import load_certs_from_pemder

        roots += list(load_certs_from_pemder([str(settings.TSA_ROOT_CERT_FILE)]))
    return roots


def as_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _pyhanko_key(key: ec.EllipticCurvePrivateKey):
    from pyhanko.keys import load_private_key_from_pemder_data

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return load_private_key_from_pemder_data(pem, passphrase=None)


# ---------------------------------------------------------------- loading


_cache: dict[Path, tuple[tuple, KeyRing]] = {}
_cache_lock = threading.Lock()


def key_dir() -> Path:
    return Path(settings.SIGNING_KEY_DIR)


def crl_url() -> str:
    """Where relying parties fetch the CRL; written into every certificate the root issues."""
    return settings.PKI_CRL_URL or f"{settings.SITE_URL}/api/v1/keys/root.crl"


def keyring() -> KeyRing:
    """The online keys, loaded once per process and again whenever keys.json or the CRL changes.

    On first use of an empty directory this is the embedded default: everything is created there, root included.
    """
    directory = key_dir()
    manifest = directory / MANIFEST
    if not manifest.exists():
        _initialise(directory)
    stamp = _stamp(directory)
    with _cache_lock:
        cached = _cache.get(directory)
        if cached and cached[0] == stamp:
            return cached[1]
    ring = _load(directory)
    renew_before = min(settings.PKI_CRL_RENEW_BEFORE, settings.PKI_CRL_VALIDITY / 2)
    if ring.crl.next_update_utc - _now() < renew_before and (directory / ROOT_KEY).exists():
        issue_crl(directory)  # the embedded default keeps its own CRL fresh; production runs issue_crl
        ring = _load(directory)
    with _cache_lock:
        _cache[directory] = (_stamp(directory), ring)
    return ring


def reload_keys() -> None:
    """Forget the cached keys of every directory; the next use reads them from disk."""
    with _cache_lock:
        _cache.clear()


def _stamp(directory: Path) -> tuple:
    stamps = []
    for name in (MANIFEST, CRL_FILE):
        try:
            stat = (directory / name).stat()
            stamps.append((stat.st_mtime_ns, stat.st_ino, stat.st_size))
        except FileNotFoundError:
            stamps.append(None)
    return tuple(stamps)


def _load(directory: Path) -> KeyRing:
    manifest = _read_manifest(directory)
    if "tsa" not in manifest:
        _upgrade(directory)
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
                retired=_time(entry.get("retired")),
                private_key=load_private_key(directory / f"signing-{kid}.key.pem") if current else None,
                revoked=_time(entry.get("revoked")),
                revocation_reason=entry.get("reason"),
            )
        tsa_cert = x509.load_pem_x509_certificate((directory / TSA_CERT).read_bytes())
        tsa_key = load_private_key(directory / TSA_KEY)
        crl_der = (directory / CRL_FILE).read_bytes()
    except (OSError, KeyError, ValueError) as exc:
        raise SigningKeyError(f"cannot load the signing keys from {directory}: {exc}") from exc
    if manifest["current"] not in keys:
        raise SigningKeyError(f"{directory / MANIFEST} names no current key")
    for kid, key in keys.items():
        if jwk_thumbprint(key.public_key) != kid:
            raise SigningKeyError(f"the certificate of key {kid} holds another key")
    return KeyRing(
        root=root, keys=keys, current_kid=manifest["current"], tsa_certificate=tsa_cert, tsa_private_key=tsa_key, crl_der=crl_der
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- ceremonies (each needs the root key)


@dataclass(frozen=True)
class Root:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def load_root(root_dir: Path, passphrase: bytes | None = None) -> Root:
    """The root key and certificate from the offline directory (or the key directory, in the embedded default)."""
    try:
        key = serialization.load_pem_private_key((root_dir / ROOT_KEY).read_bytes(), password=passphrase or None)
        cert = x509.load_pem_x509_certificate((root_dir / ROOT_CERT).read_bytes())
    except FileNotFoundError as exc:
        raise SigningKeyError(f"no root key in {root_dir} ({exc.filename}): give the offline root directory with --root-dir") from exc
    except (TypeError, ValueError) as exc:
        raise SigningKeyError(f"cannot open the root key in {root_dir}: {exc} (wrong or missing passphrase?)") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise SigningKeyError(f"{root_dir / ROOT_KEY} is not the key of {root_dir / ROOT_CERT}")
    return Root(key, cert)


def key_ceremony(root_dir: Path, passphrase: bytes | None = None) -> str:
    """Create a new root in `root_dir` (meant for removable media; the key encrypted when a passphrase is
    given), and issue into the key directory the signing key, the TSA key and the CRL. Returns the kid.

    The key directory receives the root certificate but never the root key.
    """
    directory = key_dir()
    if (directory / MANIFEST).exists():
        raise SigningKeyError(f"{directory} already holds keys; rotate_signing_key makes a new signing key under the same root")
    if (root_dir / ROOT_KEY).exists():
        raise SigningKeyError(f"{root_dir} already holds a root key; refusing to overwrite it")
    root_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(directory):
        root = _new_root(root_dir, passphrase)
        return _issue_everything(directory, root)


def rotate_signing_key(root_dir: Path | None = None, passphrase: bytes | None = None) -> tuple[str, str]:
    """Make a new current signing key under the same root; the old one is kept, marked retired.

    Returns (old kid, new kid).
    """
    directory = key_dir()
    keyring()  # creates the directory on first use
    root = load_root(root_dir or directory, passphrase)
    with _locked(directory):
        manifest = _read_manifest(directory)
        new_kid = _new_signing_key(directory, root)
        now = _now().isoformat()
        old_kid = manifest["current"]
        for entry in manifest["keys"]:
            if entry["kid"] == old_kid and not entry.get("retired"):
                entry["retired"] = now
        manifest["keys"].append({"kid": new_kid, "created": now, "retired": None})
        manifest["current"] = new_kid
        _write_manifest(directory, manifest)
        # A retired key only verifies, and its certificate is enough for that: the private key goes.
        (directory / f"signing-{old_kid}.key.pem").unlink(missing_ok=True)
    return old_kid, new_kid


def revoke_signing_key(
    kid: str, *, reason: str, at: datetime | None = None, root_dir: Path | None = None, passphrase: bytes | None = None
) -> str | None:
    """Revoke a signing key from `at` (default now) and publish a new CRL. Signatures time-stamped before `at`
    stay valid; any later one is refused. Revoking the current key first rotates to a new one.

    Returns the new current kid when a rotation happened, else None.
    """
    if reason not in REVOCATION_REASONS:
        raise SigningKeyError(f"reason must be one of {', '.join(REVOCATION_REASONS)}")
    directory = key_dir()
    ring = keyring()
    if kid not in ring.keys:
        raise SigningKeyError(f"no signing key {kid!r} in {directory}")
    root = load_root(root_dir or directory, passphrase)  # before changing anything: a wrong passphrase stops here
    new_kid = rotate_signing_key(root_dir, passphrase)[1] if kid == ring.current_kid else None
    at = (at or _now()).astimezone(UTC).replace(microsecond=0)
    with _locked(directory):
        manifest = _read_manifest(directory)
        for entry in manifest["keys"]:
            if entry["kid"] == kid:
                entry.update(revoked=at.isoformat(), reason=reason, retired=entry.get("retired") or _now().isoformat())
        _write_manifest(directory, manifest)
        _write_crl(directory, root, manifest)
    return new_kid


def issue_crl(root_dir: Path | None = None, passphrase: bytes | None = None) -> x509.CertificateRevocationList:
    """Sign a fresh CRL (every revoked key, the next CRL number) and store it as root.crl. Production runs this
    from the offline root before the current CRL's next update (docs/operations.md)."""
    directory = key_dir()
    keyring()  # a directory from before time stamps is upgraded first
    root = load_root(root_dir or directory, passphrase)
    with _locked(directory):
        return _write_crl(directory, root, _read_manifest(directory))


def _initialise(directory: Path) -> None:
    if not settings.PKI_EMBEDDED_ROOT:
        raise SigningKeyError(
            f"no keys in {directory}: run `manage.py key_ceremony --root-dir <removable media>` (docs/operations.md), "
            "or set PKI_EMBEDDED_ROOT=True to keep a root key online as the embedded default does"
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(directory):
        if (directory / MANIFEST).exists():
            return  # another process won the race
        _issue_everything(directory, _new_root(directory, None))


def _upgrade(directory: Path) -> None:
    """A key directory from before time stamps and CRLs (no TSA in keys.json): issue the TSA and the CRL, and a
    new signing key whose certificate names the CRL. Only possible where the root key is (the embedded default)."""
    if not (directory / ROOT_KEY).exists():
        raise SigningKeyError(
            f"{directory} has no time-stamping key and no root key to issue one: put root-ca.key.pem back for one start "
            "(docs/operations.md, deployments from before time stamps)"
        )
    root = load_root(directory)
    with _locked(directory):
        manifest = _read_manifest(directory)
        if "tsa" in manifest:
            return
        _new_tsa_key(directory, root)
        manifest["tsa"] = {"created": _now().isoformat()}
        new_kid = _new_signing_key(directory, root)
        for entry in manifest["keys"]:
            entry["retired"] = entry.get("retired") or _now().isoformat()
        manifest["keys"].append({"kid": new_kid, "created": _now().isoformat(), "retired": None})
        manifest["current"] = new_kid
        _write_crl(directory, root, manifest)
        _write_manifest(directory, manifest)


def _issue_everything(directory: Path, root: Root) -> str:
    (directory / ROOT_CERT).write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))
    kid = _new_signing_key(directory, root)
    _new_tsa_key(directory, root)
    now = _now().isoformat()
    manifest = {
        "format": MANIFEST_FORMAT,
        "current": kid,
        "keys": [{"kid": kid, "created": now, "retired": None}],
        "tsa": {"created": now},
    }
    _write_crl(directory, root, manifest)
    _write_manifest(directory, manifest)
    return kid


def _new_root(root_dir: Path, passphrase: bytes | None) -> Root:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _operator_name()),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{_operator_name()} Root CA"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private_key(root_dir / ROOT_KEY, key, passphrase)
    (root_dir / ROOT_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Root(key, cert)


def _issued_certificate(
    root: Root, public_key: ec.EllipticCurvePublicKey, common_name: str, validity: timedelta, usage: x509.KeyUsage
) -> x509.CertificateBuilder:
    now = _now()
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, _operator_name()), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    distribution = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url())], None, None, None)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + validity, root.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
        .add_extension(x509.CRLDistributionPoints([distribution]), critical=False)
    )


def _new_signing_key(directory: Path, root: Root) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = jwk_thumbprint(key.public_key())
    usage = _key_usage(digital_signature=True, content_commitment=True)
    builder = _issued_certificate(root, key.public_key(), f"{_operator_name()} EPD signing key {_now():%Y-%m-%d}", SIGNING_VALIDITY, usage)
    cert = builder.sign(root.key, hashes.SHA256())
    _write_private_key(directory / f"signing-{kid}.key.pem", key)
    (directory / f"signing-{kid}.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return kid


def _new_tsa_key(directory: Path, root: Root) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _issued_certificate(
        root, key.public_key(), f"{_operator_name()} Time-Stamping Authority", TSA_VALIDITY, _key_usage(digital_signature=True)
    )
    # RFC 3161 §2.3: the one extended key usage, critical.
    cert = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True).sign(root.key, hashes.SHA256())
    for name in (TSA_KEY, TSA_CERT):
        (directory / name).unlink(missing_ok=True)
    _write_private_key(directory / TSA_KEY, key)
    (directory / TSA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_crl(directory: Path, root: Root, manifest: dict[str, Any]) -> x509.CertificateRevocationList:
    now = _now()
    number = 1
    if (directory / CRL_FILE).exists():
        previous = x509.load_der_x509_crl((directory / CRL_FILE).read_bytes())
        number = previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.certificate.subject)
        .last_update(now - timedelta(seconds=1))
        .next_update(now + settings.PKI_CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
    )
    for entry in manifest["keys"]:
        if entry.get("revoked"):
            cert = x509.load_pem_x509_certificate((directory / f"signing-{entry['kid']}.cert.pem").read_bytes())
            revoked = (
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(datetime.fromisoformat(entry["revoked"]))
                .add_extension(x509.CRLReason(REVOCATION_REASONS[entry["reason"]]), critical=False)
                .build()
            )
            builder = builder.add_revoked_certificate(revoked)
    crl = builder.sign(root.key, hashes.SHA256())
    temporary = directory / f".{CRL_FILE}.{os.getpid()}"
    temporary.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    os.replace(temporary, directory / CRL_FILE)
    return crl


# ---------------------------------------------------------------- small parts


def jwk_thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    members = public_members(public_key)
    canonical = json.dumps({k: members[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_members(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _operator_name() -> str:
    return settings.PROGRAMME_OPERATOR.get("name") or "Steel EPD Platform"


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


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey, passphrase: bytes | None = None) -> None:
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"{path} is not an ECDSA P-256 key")
    return key


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock across processes (web, worker, the key commands) on the key directory."""
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
