"""Signing keys, PAdES on PDFs and detached JWS on JSON.

pyHanko's validator and the `cryptography` package check our output independently of registry.signing.
"""

import base64
import hashlib
import json
import os
import threading
from io import BytesIO

import pytest
import rfc8785
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.core.management import call_command
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from registry import signing

DOCUMENT = {
    "registration_number": "EPD-STEEL-2026-000123",
    "version": 2,
    "product": {"name": "Reinforcing steel B500B", "name_zh": "热轧带肋钢筋"},
    "results": {"GWP-total": {"A1-A3": "412.5", "C3": "1.25", "D": "-120.0"}},
    "recycled_content": 0.92,
    "valid": True,
    "supersedes": None,
}


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    return settings.SIGNING_KEY_DIR


def bilingual_html(pages: int = 3) -> str:
    rows = "".join(
        f"<tr><td>GWP-total 全球变暖潜势 {i}</td><td>kg CO₂ eq.</td>" + "".join(f"<td>{i * 1.234 + j:.3E}</td>" for j in range(8)) + "</tr>"
        for i in range(20 * pages)
    )
    return f"""<html lang="zh-Hans"><head><style>
    @page {{ size: A4; margin: 2cm; @bottom-center {{ content: "EPD-STEEL-2026-000123 · page " counter(page); font-size: 8pt; }} }}
    body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 10pt; }}
    td {{ border: 1px solid #999; font-size: 7pt; }}
    </style></head><body>
    <h1>Environmental Product Declaration 环境产品声明</h1>
    <p>{"热轧带肋钢筋 Reinforcing steel B500B, scrap EAF route. 本产品采用电弧炉短流程工艺生产。" * 10 * pages}</p>
    <table>{rows}</table>
    <p>{"验证声明：本环境产品声明已由独立第三方根据 EN 15804+A2 与 ISO 14025 进行验证。" * 12 * pages}</p>
    </body></html>"""


@pytest.fixture(scope="session")
def epd_pdf() -> bytes:
    from weasyprint import HTML

    document = HTML(string=bilingual_html()).render()
    assert len(document.pages) == 3
    return document.write_pdf()


def pyhanko_status(pdf: bytes, root_pem: bytes, revocation_mode: str = "require"):
    """pyHanko's own verdict, trusting only the given root, with the revocation data the file carries in its DSS
    (no fetching), as a relying party's validator set to `revocation_mode` would check it."""
    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(root_pem).public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(BytesIO(pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    context = ValidationContext(
        trust_roots=[root],
        crls=[crl.get_object().data for crl in dss.crls],
        other_certs=list(dss.load_certs()),
        allow_fetching=False,
        revocation_mode=revocation_mode,
    )
    return validate_pdf_signature(reader.embedded_regular_signatures[0], context)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws_with(key: ec.EllipticCurvePrivateKey, header: dict, document: dict) -> str:
    """A detached ES256 JWS made without registry.signing, by RFC 7515 alone."""
    protected = b64url(json.dumps(header).encode())
    der = key.sign(f"{protected}.{b64url(rfc8785.dumps(document))}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{protected}..{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


# ---------------------------------------------------------------- keys


def test_first_use_creates_root_signing_and_time_stamping_keys_and_crl_with_private_files_0600(key_dir):
    """The embedded default: everything, the root key included, in the key directory (key_ceremony does otherwise)."""
    ring = signing.keyring()
    files = sorted(p.name for p in key_dir.iterdir() if not p.name.startswith("."))
    assert files == [
        "keys.json",
        "root-ca.cert.pem",
        "root-ca.key.pem",
        "root.crl",
        f"signing-{ring.current_kid}.cert.pem",
        f"signing-{ring.current_kid}.key.pem",
        "tsa.cert.pem",
        "tsa.key.pem",
    ]
    for name in files:
        mode = os.stat(key_dir / name).st_mode & 0o777
        assert (mode == 0o600) if name.endswith(".key.pem") else not mode & 0o002, name


def test_signing_certificate_is_p256_for_non_repudiation_and_issued_by_the_root(key_dir):
    ring = signing.keyring()
    root = x509.load_pem_x509_certificate((key_dir / "root-ca.cert.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((key_dir / f"signing-{ring.current_kid}.cert.pem").read_bytes())
    cert.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "Steel EPD Platform" in cert.subject.rfc4514_string()


def test_processes_starting_together_share_one_key(key_dir):
    kids = []

    def start():
        kids.append(signing.keyring().current_kid)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(kids)) == 1
    assert len(list(key_dir.glob("signing-*.key.pem"))) == 1


def test_rotation_is_seen_without_a_restart():
    before = signing.keyring().current_kid
    call_command("rotate_signing_key")
    after = signing.keyring()
    assert after.current_kid != before
    assert after.keys[before].status == "retired"


# ---------------------------------------------------------------- JWKS


def test_jwks_lists_each_key_with_rfc7638_kid_and_x5c_chaining_to_the_root(client):
    signing.keyring()
    call_command("rotate_signing_key")
    response = client.get("/api/v1/keys/")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [k["status"] for k in keys] == ["current", "retired"]
    assert "retired" in keys[1] and "retired" not in keys[0]
    root_pem = client.get("/api/v1/keys/root.pem")
    assert root_pem.status_code == 200 and root_pem["Content-Type"] == "application/x-pem-file"
    root = x509.load_pem_x509_certificate(root_pem.content)
    for jwk in keys:
        assert {k: jwk[k] for k in ("kty", "crv", "use", "alg")} == {"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256"}
        thumbprint_input = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
        assert jwk["kid"] == b64url(hashlib.sha256(thumbprint_input.encode()).digest())
        cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
        chain_root = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][1]))
        assert chain_root == root
        cert.verify_directly_issued_by(chain_root)
        numbers = cert.public_key().public_numbers()
        assert (numbers.x, numbers.y) == (int.from_bytes(b64url_decode(jwk["x"]), "big"), int.from_bytes(b64url_decode(jwk["y"]), "big"))
        assert jwk["x5t#S256"] == b64url(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest())


# ---------------------------------------------------------------- JWS


def test_signed_json_verifies_and_is_a_detached_es256_jws():
    jws = signing.sign_json(DOCUMENT)
    verdict = signing.verify_json(DOCUMENT, jws)
    assert verdict.authentic, verdict.reasons
    assert verdict.kid == signing.keyring().current_kid and verdict.key_status == "current"
    protected, payload, _signature = jws.split(".")
    assert payload == ""
    header = json.loads(b64url_decode(protected))
    assert header["alg"] == "ES256" and header["kid"] == verdict.kid


def test_signature_checks_out_with_cryptography_alone(client):
    """A client with nothing but the JWKS and RFC 7515/8785 can verify."""
    jws = signing.sign_json(DOCUMENT)
    protected, _, signature = jws.split(".")
    kid = json.loads(b64url_decode(protected))["kid"]
    jwk = next(k for k in client.get("/api/v1/keys/").json()["keys"] if k["kid"] == kid)
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(jwk["x"]), "big"), int.from_bytes(b64url_decode(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{protected}.{b64url(rfc8785.dumps(DOCUMENT))}".encode(), ec.ECDSA(hashes.SHA256()))


def test_changed_value_fails():
    jws = signing.sign_json(DOCUMENT)
    changed = json.loads(json.dumps(DOCUMENT))
    changed["results"]["GWP-total"]["A1-A3"] = "312.5"
    verdict = signing.verify_json(changed, jws)
    assert not verdict.authentic
    assert "changed" in verdict.reasons[0]


def test_reserialised_json_with_the_same_content_verifies():
    jws = signing.sign_json(DOCUMENT)
    reordered = dict(reversed(list(DOCUMENT.items())))
    for text in (
        json.dumps(reordered, indent=4, ensure_ascii=True),
        json.dumps(DOCUMENT, separators=(",", ":"), ensure_ascii=False),
        "\n  " + json.dumps(reordered, indent="\t", ensure_ascii=False) + "\n",
    ):
        assert signing.verify_json(text.encode(), jws).authentic, text


def test_json_with_a_repeated_key_is_refused():
    jws = signing.sign_json({"version": 1})
    verdict = signing.verify_json(b'{"version": 2, "version": 1}', jws)
    assert not verdict.authentic
    assert "twice" in verdict.reasons[0]


def test_broken_json_and_broken_signatures_are_refused_with_a_reason():
    jws = signing.sign_json(DOCUMENT)
    assert "not JSON" in signing.verify_json(b"{not json", jws).reasons[0]
    for bad in ("", "abc", "a.b.c.d", jws.replace("..", ".eyJ4IjoxfQ."), jws[:-4], "!!.." + jws.split("..")[1]):
        verdict = signing.verify_json(DOCUMENT, bad)
        assert not verdict.authentic and verdict.reasons, bad


def test_unknown_kid_fails():
    foreign = ec.generate_private_key(ec.SECP256R1())
    jws = jws_with(foreign, {"alg": "ES256", "kid": "someone-else"}, DOCUMENT)
    verdict = signing.verify_json(DOCUMENT, jws)
    assert not verdict.authentic
    assert "not one of the platform's keys" in verdict.reasons[0]


def test_foreign_key_claiming_our_kid_fails():
    foreign = ec.generate_private_key(ec.SECP256R1())
    jws = jws_with(foreign, {"alg": "ES256", "kid": signing.keyring().current_kid}, DOCUMENT)
    verdict = signing.verify_json(DOCUMENT, jws)
    assert not verdict.authentic
    assert "another key" in verdict.reasons[0]


def test_other_algorithms_are_refused():
    kid = signing.keyring().current_kid
    header = b64url(json.dumps({"alg": "none", "kid": kid}).encode())
    verdict = signing.verify_json(DOCUMENT, f"{header}..")
    assert not verdict.authentic and "ES256" in verdict.reasons[0]


def test_rotation_keeps_old_signatures_valid_and_signs_with_the_new_key(epd_pdf):
    old_kid = signing.keyring().current_kid
    old_jws = signing.sign_json(DOCUMENT)
    old_pdf = signing.sign_pdf(epd_pdf)
    call_command("rotate_signing_key")
    old = signing.verify_json(DOCUMENT, old_jws)
    assert old.authentic and old.kid == old_kid and old.key_status == "retired"
    assert signing.verify_pdf(old_pdf).authentic
    new = signing.verify_json(DOCUMENT, signing.sign_json(DOCUMENT))
    assert new.authentic and new.kid != old_kid and new.key_status == "current"
    assert signing.verify_pdf(signing.sign_pdf(epd_pdf)).kid == new.kid


# ---------------------------------------------------------------- PDF


def test_signed_pdf_is_authentic_for_us_and_for_pyhanko(epd_pdf, client):
    signed = signing.sign_pdf(epd_pdf)
    verdict = signing.verify_pdf(signed)
    assert verdict.authentic, verdict.reasons
    assert verdict.kid == signing.keyring().current_kid and verdict.signed_at is not None
    status = pyhanko_status(signed, client.get("/api/v1/keys/root.pem").content)
    # The signature covers its revision; after it comes only the document time stamp (an LTA update).
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    assert status.md_algorithm == "sha256"


@pytest.mark.parametrize("revocation_mode", ["hard-fail", "require"])
def test_a_published_pdf_validates_in_pyhankos_hard_fail_and_revocation_required_modes(published, client, revocation_mode):
    """As a relying party's pyHanko set to hard-fail, or to require CRL/OCSP, would check the PDF a buyer downloads
    from the registry: with no network, from the certificates and CRL the file carries."""
    publication = published()
    pdf = b"".join(client.get(f"/api/v1/epds/{publication.registration_number}/document.pdf").streaming_content)
    status = pyhanko_status(pdf, client.get("/api/v1/keys/root.pem").content, revocation_mode)
    assert status.intact and status.valid and status.trusted and status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted


def test_signed_pdf_is_a_pades_certification_with_no_changes_allowed_and_the_chain_embedded(epd_pdf):
    from pyhanko.sign.fields import MDPPerm

    signature = PdfFileReader(BytesIO(signing.sign_pdf(epd_pdf))).embedded_regular_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    embedded = {choice.chosen.subject.human_friendly for choice in signature.signed_data["certificates"]}
    assert any("Root CA" in name for name in embedded) and any("signing key" in name for name in embedded)


def test_a_tampered_byte_fails(epd_pdf):
    signed = bytearray(signing.sign_pdf(epd_pdf))
    position = signed.index(b"stream\n", len(signed) // 3) + 40
    signed[position] ^= 0x01
    verdict = signing.verify_pdf(bytes(signed))
    assert not verdict.authentic
    assert "changed after signing" in " ".join(verdict.reasons)


@pytest.mark.parametrize("change", ["page_mode", "trailing_bytes"])
def test_anything_appended_after_signing_fails(epd_pdf, change):
    signed = signing.sign_pdf(epd_pdf)
    if change == "page_mode":
        writer = IncrementalPdfFileWriter(BytesIO(signed))
        writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
        writer.update_root()
        out = BytesIO()
        writer.write(out)
        tampered = out.getvalue()
    else:
        tampered = signed + b"\n% appended\n"
    verdict = signing.verify_pdf(tampered)
    assert not verdict.authentic
    assert any("added after the signature" in reason for reason in verdict.reasons)


def test_a_signature_under_a_foreign_root_fails(epd_pdf, settings, tmp_path):
    signed = signing.sign_pdf(epd_pdf)
    settings.SIGNING_KEY_DIR = tmp_path / "another-platform"
    verdict = signing.verify_pdf(signed)
    assert not verdict.authentic
    assert "not trusted under the platform's root" in verdict.reasons[0]
    assert verdict.kid is None


def test_unsigned_and_non_pdf_files_fail(epd_pdf):
    assert signing.verify_pdf(epd_pdf).reasons == ["the PDF carries no signature"]
    verdict = signing.verify_pdf(b"%PDF-1.7 certainly not a pdf")
    assert not verdict.authentic and "not a readable PDF" in verdict.reasons[0]
    assert not signing.verify_pdf(b"").authentic


@pytest.mark.parametrize("accept", ["application/x-pem-file", "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_the_root_certificate_is_served_as_pem_whatever_the_client_accepts(client, accept):
    response = client.get("/api/v1/keys/root.pem", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert x509.load_pem_x509_certificate(response.content).subject.rfc4514_string().startswith("CN=Steel EPD Platform Root CA")
