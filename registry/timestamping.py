"""RFC 3161 time stamps: the platform's own time-stamping authority, and checking tokens over JWS signatures.

The TSA signs with its own ECDSA P-256 key, whose certificate (from the platform root) carries the critical
timeStamping extended key usage. Signing uses it in-process (no HTTP round trip on the publish path) unless
settings.TSA_URL names another TSA; it is also served at POST /api/v1/tsa for anyone's RFC 3161 client.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

# The platform's TSA policy (RFC 3161 §2.4.2): a UUID-derived OID (ITU-T X.667), so no registered arc is needed.
TSA_POLICY = "2.25.297825284830429084187361597106793077980"
DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}
MAX_TOKEN_BYTES = 16 * 1024


class TimeStampRefused(ValueError):
    """A request the TSA does not serve (RFC 3161 status `rejection`), with the failure info to send back."""

    def __init__(self, message: str, failure: str):
        super().__init__(message)
        self.failure = failure


class PlatformTimeStamper(TimeStamper):
    """The TSA itself, as a pyHanko TimeStamper (so PdfSigner can use it in-process) and as a request handler."""

    def __init__(self, certificate: x509.Certificate, private_key: ec.EllipticCurvePrivateKey, *, chain: list[x509.Certificate]):
        super().__init__(include_nonce=False)  # in-process: there is no network for a reply to be replayed on
        self.certificate = certificate
        self.private_key = private_key
        tsa_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
        # Everything that does not change between tokens is encoded once and reloaded: asn1crypto re-encodes
        # freshly built structures, which costs milliseconds per certificate.
        self._tsa_name = asn1_x509.GeneralName.load(asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject).dump())
        self._sid = cms.SignerIdentifier.load(
            cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}}).dump()
        )
        self._signing_certificate = cms.CMSAttribute.load(
            simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(tsa_cert)).dump()
        )
        certificates = [tsa_cert] + [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
        choices = [cms.CertificateChoices({"certificate": c}) for c in certificates]
        self._certificates = cms.CertificateSet.load(cms.CertificateSet(choices).dump())

    def respond(self, request: tsp.TimeStampReq) -> bytes:
        """A TimeStampResp (DER): granted with a token over the request's imprint, or a rejection saying why."""
        try:
            token = self.token(request)
        except TimeStampRefused as refusal:
            status = {"status": "rejection", "status_string": [str(refusal)], "fail_info": tsp.PKIFailureInfo({refusal.failure})}
            # asn1crypto's TimeStampResp insists on a token, which RFC 3161 makes optional: encode the
            # SEQUENCE { PKIStatusInfo } by hand.
            return _sequence(tsp.PKIStatusInfo(status).dump())
        return tsp.TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}).dump()

    def token(self, request: tsp.TimeStampReq) -> cms.ContentInfo:
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in DIGESTS:
            raise TimeStampRefused(f"hash algorithm {algorithm} is not accepted (use one of {', '.join(DIGESTS)})", "bad_alg")
        if len(imprint["hashed_message"].native) != DIGESTS[algorithm]:
            raise TimeStampRefused(f"the imprint is not a {algorithm} digest", "bad_data_format")
        if request["req_policy"].native not in (None, TSA_POLICY):
            raise TimeStampRefused(f"this TSA issues tokens under policy {TSA_POLICY} only", "unaccepted_policy")
        now = datetime.now(UTC)
        info = {
            "version": "v1",
            "policy": TSA_POLICY,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(120),
            "gen_time": now,
            "tsa": self._tsa_name,
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        encoded = tsp.TSTInfo(info).dump()
        attributes = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
                self._signing_certificate,
                simple_cms_attribute("message_digest", hashlib.sha256(encoded).digest()),
            ]
        )
        signature = self.private_key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
        signer = {
            "version": "v1",
            "sid": self._sid,
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(encoded)},
            "signer_infos": [signer],
        }
        if request["cert_req"].native:
            signed_data["certificates"] = self._certificates
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        from pyhanko.sign.timestamps.common_utils import TimestampRequestError

        try:
            token = self.token(req)
        except TimeStampRefused as refusal:
            raise TimestampRequestError(str(refusal)) from refusal
        return tsp.TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token})

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.request_tsa_response(req)


def _sequence(content: bytes) -> bytes:
    length = len(content)
    encoded = (
        bytes([length])
        if length < 0x80
        else bytes([0x80 | ((length.bit_length() + 7) // 8)]) + length.to_bytes((length.bit_length() + 7) // 8, "big")
    )
    return b"\x30" + encoded + content


_outside: dict[str, TimeStamper] = {}


def timestamper() -> TimeStamper:
    """Who time-stamps the platform's signatures: settings.TSA_URL if set, else the platform's own TSA, in-process."""
    if settings.TSA_URL:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        # One per URL: pyHanko learns the TSA's certificates from a first token and keeps them.
        if settings.TSA_URL not in _outside:
            _outside[settings.TSA_URL] = HTTPTimeStamper(settings.TSA_URL, timeout=settings.TSA_TIMEOUT)
        return _outside[settings.TSA_URL]
    from .pki import keyring

    return keyring().timestamper


# ---------------------------------------------------------------- time stamps over JWS signatures


def jws_imprint(jws: str) -> bytes:
    """What a JWS time stamp covers: SHA-256 of the base64url signature value, as JAdES' sigTst does."""
    return hashlib.sha256(jws.strip().rsplit(".", 1)[-1].encode("ascii")).digest()


def timestamp_jws(jws: str) -> bytes:
    """An RFC 3161 TimeStampToken (DER) over the JWS's signature value."""
    token = asyncio.run(timestamper().async_timestamp(jws_imprint(jws), "sha256"))
    return token.dump()


@dataclass(frozen=True)
class TokenCheck:
    time: datetime | None
    problem: str | None = None


def check_jws_timestamp(token: bytes, jws: str) -> TokenCheck:
    """Is `token` a time stamp over this JWS by a TSA the platform root vouches for (revocation checked against
    the platform's CRL)? Returns the time it attests, or the problem."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    from .pki import keyring, tsa_trust_roots

    if len(token) > MAX_TOKEN_BYTES:
        return TokenCheck(None, "the time stamp is not an RFC 3161 token (too large)")
    try:
        info = cms.ContentInfo.load(token)
        signed_data = info["content"]
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        ring = keyring()
        context = ValidationContext(
            trust_roots=tsa_trust_roots(), crls=[ring.crl_asn1], allow_fetching=bool(settings.TSA_URL), revocation_mode="require"
        )
        status = TimestampSignatureStatus(
            **asyncio.run(validate_tst_signed_data(signed_data, context, lambda _algorithm: jws_imprint(jws)))
        )
    except Exception as exc:  # a token from anywhere can break the parser in many ways; each means "no time stamp"
        return TokenCheck(None, f"the time stamp is not an RFC 3161 token that can be checked ({exc})")
    if not status.intact:
        return TokenCheck(None, "the time stamp covers another signature (its imprint does not match this JWS)")
    if not (status.valid and status.trusted):
        return TokenCheck(None, "the time stamp is not signed by a time-stamping authority under the platform's root")
    return TokenCheck(status.timestamp)


# ---------------------------------------------------------------- where the tokens of published JWS live


def token_path(jws: bytes) -> str:
    """Stored by the SHA-256 of the JWS file: the digest the artefact list and the log already give for it."""
    return path_for_digest(hashlib.sha256(jws.strip()).hexdigest())


def path_for_digest(digest: str) -> str:
    return f"timestamps/{digest[:2]}/{digest}.tst"


def save_jws_token(jws: bytes, token: bytes) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    path = token_path(jws)
    if not default_storage.exists(path):
        saved = default_storage.save(path, ContentFile(token))
        if saved != path:  # a racing writer stored one first; keep theirs
            default_storage.delete(saved)


def stored_jws_token(jws: bytes) -> bytes | None:
    from django.core.files.storage import default_storage

    path = token_path(jws)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return handle.read()
