"""Signatures that outlive their keys: PAdES B-LTA, RFC 3161 time stamps, CRLs, revocation, the offline root.

pyHanko's validators (legacy and AdES long-term) and `cryptography` are the independent checks; nothing is
fetched from a network: the files carry their validation data, and the current CRL comes from the test client.
"""

import asyncio
import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from asn1crypto import cms, core, tsp
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from registry import pki, signing, timestamping

DOCUMENT = {"registration_number": "EPD-STEEL-2026-000123", "version": 1, "results": {"GWP-total": {"A1-A3": "412.5"}}}


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    return settings.SIGNING_KEY_DIR


@pytest.fixture(scope="module")
def pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Environmental Product Declaration 环境产品声明</h1>").write_pdf()


def der(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def root_from(client) -> asn1_x509.Certificate:
    return der(x509.load_pem_x509_certificate(client.get("/api/v1/keys/root.pem").content))


def lta_result(pdf: bytes, root: asn1_x509.Certificate, *, at: datetime | None = None, crls: list[bytes] = ()):
    """pyHanko's AdES long-term validation (ETSI EN 319 102-1 § 5.6.3), CRL or OCSP required for every certificate,
    no fetching: the file's DSS plus the CRLs the relying party brings."""
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[root]), revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
            local_knowledge=LocalKnowledge(known_crls=[CRLContainer(asn1_crl.CertificateList.load(c)) for c in crls]),
        )
    )
    at = at or datetime.now(UTC)
    timing = ValidationTimingInfo(validation_time=at, best_signature_time=at, point_in_time_validation=False)
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    return asyncio.run(ades_lta_validation(signature, spec, timing_info=timing))


# ---------------------------------------------------------------- 1. time stamps and validation data


def test_every_pdf_signature_carries_a_time_stamp_from_a_tsa_certified_for_time_stamping_only(pdf, client):
    signed = signing.sign_pdf(pdf)
    reader = PdfFileReader(BytesIO(signed))
    signature = reader.embedded_regular_signatures[0]
    unsigned = {attr["type"].native: attr["values"] for attr in signature.signer_info["unsigned_attrs"]}
    token = unsigned["signature_time_stamp_token"][0]
    info = token["content"]["encap_content_info"]["content"].parsed
    # The imprint is over the signature value: the time stamp proves when the signature existed.
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(signature.signer_info["signature"].native).digest()
    assert info["policy"].dotted == timestamping.TSA_POLICY
    sid = token["content"]["signer_infos"][0]["sid"].chosen
    tsa_cert = x509.load_der_x509_certificate(
        next(c.chosen.dump() for c in token["content"]["certificates"] if c.chosen.serial_number == sid["serial_number"].native)
    )
    usage = tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    tsa_cert.verify_directly_issued_by(x509.load_pem_x509_certificate(client.get("/api/v1/keys/root.pem").content))


def test_the_pdf_is_pades_b_lta_with_chain_and_crl_in_the_dss_sealed_by_a_document_time_stamp(pdf, client):
    reader = PdfFileReader(BytesIO(signing.sign_pdf(pdf)))
    assert [s.sig_object["/Type"] for s in reader.embedded_signatures] == ["/Sig", "/DocTimeStamp"]
    dss = DocumentSecurityStore.read_dss(reader)
    names = sorted(c.subject.human_friendly.split(",")[0] for c in dss.load_certs())
    assert len(names) == 3 and any("Root CA" in n for n in names) and any("Time-Stamping" in n for n in names)
    (crl,) = [asn1_crl.CertificateList.load(c.get_object().data) for c in dss.crls]
    assert crl.dump() == client.get("/api/v1/keys/root.crl").content  # the one the platform serves


def test_pyhankos_long_term_validation_passes_now_and_ten_years_on_after_the_signing_certificate_expired(pdf, client, key_dir):
    signed = signing.sign_pdf(pdf)
    root = root_from(client)
    assert lta_result(signed, root).ades_subindic == AdESPassed.OK

    later = datetime.now(UTC) + timedelta(days=10 * 365 + 30)
    assert signing.keyring().current.certificate.not_valid_after_utc < later  # the signing certificate has expired
    # Ten years on the relying party fetches the CRL of that day; the operator, holding the root, still issues them.
    root_key = serialization.load_pem_private_key((key_dir / "root-ca.key.pem").read_bytes(), password=None)
    crl_then = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(signing.keyring().root.subject)
        .last_update(later - timedelta(days=1))
        .next_update(later + timedelta(days=30))
        .sign(root_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    result = lta_result(signed, root, at=later, crls=[crl_then])
    assert result.ades_subindic == AdESPassed.OK, result.failure_msg


# ---------------------------------------------------------------- 2. CRLs and revocation


def test_certificates_name_the_crl_the_platform_serves_and_the_root_signed_it(client, settings):
    ring = signing.keyring()
    url = f"{settings.SITE_URL}/api/v1/keys/root.crl"
    for cert in (ring.current.certificate, ring.tsa_certificate):
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [name.value for point in points for name in point.full_name] == [url]
    response = client.get("/api/v1/keys/root.crl")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(ring.root.public_key())
    assert crl.next_update_utc > datetime.now(UTC) + timedelta(days=300)
    assert len(crl) == 0


def test_a_signature_made_with_a_key_after_its_revocation_fails_and_one_made_before_stays_valid(pdf, client, key_dir):
    ring = signing.keyring()
    stolen_kid, stolen_cert = ring.current_kid, ring.current.certificate
    stolen_key = (key_dir / f"signing-{stolen_kid}.key.pem").read_bytes()
    old_crl = ring.crl_der
    before = signing.sign_pdf(pdf)
    jws_before = signing.sign_json(DOCUMENT)
    token_before = signing.timestamp_json_signature(jws_before)
    time.sleep(1.1)  # CRL revocation times are whole seconds

    call_command("revoke_signing_key", stolen_kid, "--reason", "keyCompromise")
    time.sleep(1.1)
    assert signing.keyring().current_kid != stolen_kid  # revoking the current key rotated to a new one
    assert not (key_dir / f"signing-{stolen_kid}.key.pem").exists()

    # An insider who copied the key signs later: the TSA honestly stamps today, and he embeds the old CRL.
    root = der(signing.keyring().root)
    insider = SimpleSigner(
        signing_cert=der(stolen_cert),
        signing_key=load_private_key_from_pemder_data(stolen_key, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs([der(stolen_cert), root]),
    )
    context = ValidationContext(trust_roots=[root], crls=[old_crl], allow_fetching=False)
    metadata = PdfSignatureMetadata(
        field_name="Forged",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        embed_validation_info=True,
        use_pades_lta=True,
        validation_context=context,
    )
    after = (
        PdfSigner(metadata, signer=insider, timestamper=timestamping.timestamper())
        .sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))
        .getvalue()
    )

    current_crl = client.get("/api/v1/keys/root.crl").content
    revoked = x509.load_der_x509_crl(current_crl).get_revoked_certificate_by_serial_number(stolen_cert.serial_number)
    assert (
        revoked is not None and revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    )
    assert lta_result(before, root, crls=[current_crl]).ades_subindic == AdESPassed.OK
    assert lta_result(after, root, crls=[current_crl]).ades_subindic != AdESPassed.OK

    assert signing.verify_pdf(before).authentic
    refused = signing.verify_pdf(after)
    assert not refused.authentic and "revoked" in refused.reasons[0] and refused.key_status == "revoked"
    # The JSON side: a time stamp from before the revocation keeps the JWS valid; none, or a later one, does not.
    assert signing.verify_json(DOCUMENT, jws_before, token_before).authentic
    assert "no time stamp" in signing.verify_json(DOCUMENT, jws_before).reasons[0]
    late_token = timestamping.timestamp_jws(jws_before)
    assert "time-stamped later" in signing.verify_json(DOCUMENT, jws_before, late_token).reasons[0]
    jwk = next(k for k in client.get("/api/v1/keys/").json()["keys"] if k["kid"] == stolen_kid)
    assert jwk["status"] == "revoked" and jwk["revocation_reason"] == "keyCompromise"


def test_revoking_the_current_key_rotates_and_signing_goes_on_with_the_new_one(pdf, key_dir):
    kid = signing.keyring().current_kid
    pki.revoke_signing_key(kid, reason="superseded")
    assert signing.keyring().current_kid != kid
    assert signing.verify_pdf(signing.sign_pdf(pdf)).authentic


# ---------------------------------------------------------------- 3. JWS time stamps


def test_a_jws_time_stamp_is_an_rfc3161_token_over_the_signature_value_that_pyhanko_accepts(client):
    jws = signing.sign_json(DOCUMENT)
    token = signing.timestamp_json_signature(jws)
    signed_data = cms.ContentInfo.load(token)["content"]
    imprint = hashlib.sha256(jws.split(".")[2].encode()).digest()
    context = ValidationContext(
        trust_roots=[root_from(client)], crls=[client.get("/api/v1/keys/root.crl").content], allow_fetching=False, revocation_mode="require"
    )
    status = TimestampSignatureStatus(**asyncio.run(validate_tst_signed_data(signed_data, context, lambda _algorithm: imprint)))
    assert status.intact and status.valid and status.trusted
    verdict = signing.verify_json(DOCUMENT, jws, token)
    assert verdict.authentic and verdict.level == signing.LEVEL_JWS_TIMESTAMPED
    assert abs(verdict.timestamped_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_time_stamp_over_another_jws_or_from_a_foreign_tsa_is_refused(settings, tmp_path):
    jws = signing.sign_json(DOCUMENT)
    other = signing.timestamp_json_signature(signing.sign_json({"another": "document"}))
    assert "another signature" in signing.verify_json(DOCUMENT, jws, other).reasons[0]
    assert "not an RFC 3161 token" in signing.verify_json(DOCUMENT, jws, b"\x30\x03junk").reasons[0]
    ours = settings.SIGNING_KEY_DIR
    settings.SIGNING_KEY_DIR = tmp_path / "another-platform"
    foreign = timestamping.timestamp_jws(jws)
    settings.SIGNING_KEY_DIR = ours
    assert "not signed by a time-stamping authority under the platform's root" in signing.verify_json(DOCUMENT, jws, foreign).reasons[0]


def test_published_jws_are_time_stamped_and_the_verify_endpoint_reports_it(published, client):
    from registry.models import ArtefactName

    publication = published()
    number = publication.registration_number
    document = b"".join(client.get(f"/api/v1/epds/{number}/epd.json").streaming_content)
    jws = b"".join(client.get(f"/api/v1/epds/{number}/epd.jws").streaming_content)
    token = client.get(f"/api/v1/timestamps/{hashlib.sha256(jws).hexdigest()}.tst")
    assert token.status_code == 200 and signing.verify_json(document, jws.decode(), token.content).authentic
    assert client.get(f"/api/v1/timestamps/{'0' * 64}.tst").status_code == 404
    answer = client.post("/api/v1/verify/", {"document": upload("epd.json", document), "signature": upload("epd.jws", jws)}).json()
    assert answer["authentic"] and answer["signature_level"] == signing.LEVEL_JWS_TIMESTAMPED and answer["timestamped_at"]
    pdf = b"".join(client.get(f"/api/v1/epds/{number}/document.pdf").streaming_content)
    answer = client.post("/api/v1/verify/", {"document": upload("document.pdf", pdf)}).json()
    assert answer["authentic"] and answer["signature_level"] == signing.LEVEL_LTA
    page = client.post("/verify/", {"document": upload("document.pdf", pdf)}).content.decode()
    assert "PAdES-B-LTA" in page and re.search(r"time-stamped \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)
    assert publication.artefacts.filter(name=ArtefactName.JSON_SIGNATURE).exists()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ---------------------------------------------------------------- the TSA over HTTP


def test_the_tsa_answers_rfc3161_requests_over_http(client):
    digest = hashlib.sha256(b"anything").digest()
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "nonce": 12345,
            "cert_req": True,
        }
    )
    response = client.post("/api/v1/tsa", request.dump(), content_type="application/timestamp-query")
    assert response.status_code == 200 and response["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    assert signed_data["encap_content_info"]["content"].parsed["nonce"].native == 12345
    context = ValidationContext(
        trust_roots=[root_from(client)], crls=[client.get("/api/v1/keys/root.crl").content], revocation_mode="require"
    )
    status = TimestampSignatureStatus(**asyncio.run(validate_tst_signed_data(signed_data, context, lambda _algorithm: digest)))
    assert status.intact and status.valid and status.trusted

    md5 = tsp.TimeStampReq({"version": 1, "message_imprint": {"hash_algorithm": {"algorithm": "md5"}, "hashed_message": b"0" * 16}})
    refused = client.post("/api/v1/tsa", md5.dump(), content_type="application/timestamp-query").content
    status = tsp.PKIStatusInfo.load(core.Sequence.load(refused).contents)  # RFC 3161: no token on a rejection
    assert status["status"].native == "rejection" and "bad_alg" in status["fail_info"].native
    broken = client.post("/api/v1/tsa", b"not der", content_type="application/timestamp-query")
    assert broken.status_code == 400 and "TimeStampReq" in json.loads(broken.content)["error"]["message"]


# ---------------------------------------------------------------- 4. the key ceremony and the offline root


def test_the_key_ceremony_leaves_the_root_key_offline_encrypted_and_the_key_directory_signing_only(tmp_path, key_dir, pdf):
    offline = tmp_path / "usb"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple\n")
    call_command("key_ceremony", "--root-dir", str(offline), "--passphrase-file", str(passphrase))
    assert sorted(p.name for p in offline.iterdir()) == ["root-ca.cert.pem", "root-ca.key.pem"]
    assert b"ENCRYPTED PRIVATE KEY" in (offline / "root-ca.key.pem").read_bytes()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key((offline / "root-ca.key.pem").read_bytes(), password=None)
    online = sorted(p.name for p in key_dir.iterdir() if not p.name.startswith("."))
    assert "root-ca.key.pem" not in online and {"root.crl", "tsa.key.pem", "tsa.cert.pem", "root-ca.cert.pem"} <= set(online)
    assert signing.verify_pdf(signing.sign_pdf(pdf)).authentic  # everything signing needs is online

    kid = signing.keyring().current_kid
    with pytest.raises(CommandError, match="no root key"):
        call_command("rotate_signing_key")
    with pytest.raises(CommandError, match="passphrase"):
        call_command("rotate_signing_key", "--root-dir", str(offline))
    call_command("rotate_signing_key", "--root-dir", str(offline), "--passphrase-file", str(passphrase))
    assert signing.keyring().current_kid != kid and signing.keyring().keys[kid].status == "retired"
    call_command("revoke_signing_key", kid, "--reason", "superseded", "--root-dir", str(offline), "--passphrase-file", str(passphrase))
    crl = x509.load_der_x509_crl((key_dir / "root.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(signing.keyring().keys[kid].certificate.serial_number) is not None
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    call_command("issue_crl", "--root-dir", str(offline), "--passphrase-file", str(passphrase))
    assert (
        x509.load_der_x509_crl((key_dir / "root.crl").read_bytes()).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        == number + 1
    )
    with pytest.raises(CommandError, match="already holds"):
        call_command("key_ceremony", "--root-dir", str(tmp_path / "another-usb"))


# ---------------------------------------------------------------- legacy signatures


def test_a_legacy_pades_b_b_pdf_still_verifies_until_its_key_is_revoked(pdf, key_dir):
    """PDFs published before B-LTA carry only the signature; they stay authentic as the legacy level."""
    ring = signing.keyring()
    metadata = PdfSignatureMetadata(
        field_name=signing.SIGNATURE_FIELD, subfilter=SigSeedSubFilter.PADES, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES
    )
    legacy = PdfSigner(metadata, signer=ring.pdf_signer).sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf))).getvalue()
    verdict = signing.verify_pdf(legacy)
    assert verdict.authentic and verdict.level == signing.LEVEL_LEGACY
    pki.revoke_signing_key(ring.current_kid, reason="keyCompromise")
    refused = signing.verify_pdf(legacy)
    assert not refused.authentic and "no time stamp" in refused.reasons[0]


def test_signing_uses_the_tsa_named_by_tsa_url(pdf, live_server, settings, client):
    """An outside RFC 3161 client (pyHanko's, over HTTP) gets its tokens from the platform's TSA endpoint."""
    settings.SITE_URL = live_server.url
    settings.TSA_URL = f"{live_server.url}/api/v1/tsa"
    signed = signing.sign_pdf(pdf)
    verdict = signing.verify_pdf(signed)
    assert verdict.authentic and verdict.level == signing.LEVEL_LTA, verdict.reasons
    token = PdfFileReader(BytesIO(signed)).embedded_regular_signatures[0].signer_info["unsigned_attrs"][0]["values"][0]
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native is not None  # a network client sends a nonce; the in-process one needs none
    settings.TSA_URL = "http://127.0.0.1:9/tsa"  # nothing listens there: publishing fails instead of signing without a time stamp
    with pytest.raises(Exception, match=r"(?i)timestamp|connect"):
        signing.sign_pdf(pdf)


def test_a_key_directory_from_before_time_stamps_is_upgraded_and_its_old_signatures_still_verify(pdf, key_dir):
    """The layout of the previous release: root, signing key, keys.json, no TSA and no CRL."""
    old_kid = signing.keyring().current_kid
    metadata = PdfSignatureMetadata(
        field_name=signing.SIGNATURE_FIELD, subfilter=SigSeedSubFilter.PADES, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES
    )
    legacy = PdfSigner(metadata, signer=signing.keyring().pdf_signer).sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf))).getvalue()
    legacy_jws = signing.sign_json(DOCUMENT)
    manifest = json.loads((key_dir / "keys.json").read_text())
    del manifest["tsa"]
    (key_dir / "keys.json").write_text(json.dumps(manifest))
    for name in ("tsa.key.pem", "tsa.cert.pem", "root.crl"):
        (key_dir / name).unlink()
    signing.reload_keys()

    ring = signing.keyring()
    assert ring.current_kid != old_kid and ring.keys[old_kid].status == "retired"
    assert (key_dir / "tsa.cert.pem").exists() and (key_dir / "root.crl").exists()
    assert signing.verify_pdf(legacy).level == signing.LEVEL_LEGACY and signing.verify_pdf(legacy).authentic
    assert signing.verify_json(DOCUMENT, legacy_jws).authentic
    assert signing.verify_pdf(signing.sign_pdf(pdf)).level == signing.LEVEL_LTA


def test_production_refuses_to_create_a_root_online(settings, key_dir):
    settings.PKI_EMBEDDED_ROOT = False
    with pytest.raises(pki.SigningKeyError, match="key_ceremony"):
        signing.keyring()
    assert not key_dir.exists()
