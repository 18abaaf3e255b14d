"""An outside auditor's checks, using nothing but the public API: no database, no Django settings.

`Auditor(fetch)` takes a function that GETs or POSTs a path of the public API and returns
(status, body bytes); `http_fetch(site)` makes one with urllib. It checks, each step on its own:

1. the signed tree head, against the published JWKS (cryptography's ECDSA, RFC 8785 payload);
2. a downloaded artefact: its signature (JSON + JWS with the JWKS; PDF with pyHanko under the root
   certificate that the JWKS carries in x5c), and that its SHA-256 is a log entry whose inclusion
   proof leads to the signed root;
3. optionally the whole log: every leaf recomputed from its entry and the root from the leaves, so a
   rewritten or removed entry shows; and consistency with a tree head saved earlier;
4. the C2SP checkpoint (registry.checkpoint): its Ed25519 signature under the log's note key, and that
   it names the same tree as the signed tree head (or one consistent with it);
5. the EPD's status as the registry's verify endpoint reports it from the log, with any integrity error.

The hashing is registry.transparency's plain-Python half (no ORM).
"""

import base64
import hashlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from . import checkpoint, transparency

Fetch = Callable[..., tuple[int, bytes]]
ENTRIES_PAGE = 1000


def http_fetch(site: str, timeout: float = 30) -> Fetch:
    """GET (or multipart POST with `files`) against a running registry at `site`."""

    def fetch(path: str, files: dict[str, bytes] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(site.rstrip("/") + path, headers={"Accept": "application/json, text/plain;q=0.9, */*;q=0.5"})
        if files:
            boundary = uuid.uuid4().hex
            body = (
                b"".join(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                    f"Content-Type: application/octet-stream\r\n\r\n".encode()
                    + content
                    + b"\r\n"
                    for name, content in files.items()
                )
                + f"--{boundary}--\r\n".encode()
            )
            request.data = body
            request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    return fetch


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts to report that are neither pass nor fail

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        (self.passed if ok else self.failed).append(what if ok else f"{what}: {why}" if why else what)
        return ok

    @property
    def ok(self) -> bool:
        return not self.failed


class Auditor:
    def __init__(self, fetch: Fetch):
        self.fetch = fetch
        self.report = Report()
        self._jwks: list[dict[str, Any]] | None = None

    def get(self, path: str) -> bytes:
        status, body = self.fetch(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")
        return body

    def get_json(self, path: str) -> Any:
        try:
            return json.loads(self.get(path))
        except ValueError as error:
            raise RuntimeError(f"GET {path} did not answer JSON") from error

    # ---------------------------------------------------------------- keys and signatures

    @property
    def jwks(self) -> list[dict[str, Any]]:
        if self._jwks is None:
            self._jwks = self.get_json("/api/v1/keys/")["keys"]
        return self._jwks

    def verify_jws(self, document: Any, jws: str) -> str | None:
        """None if a JWKS key signed the RFC 8785 form of `document`, else why not."""
        try:
            header_b64, payload, signature_b64 = jws.strip().split(".")
            header = json.loads(_b64url_decode(header_b64))
        except ValueError:
            return "the signature is not a compact JWS"
        if payload or header.get("alg") != "ES256":
            return "the JWS must be ES256 with a detached payload"
        key = next((k for k in self.jwks if k["kid"] == header.get("kid")), None)
        if key is None:
            return f"key id {header.get('kid')!r} is not in the registry's JWKS"
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_b64url_decode(key["x"]), "big"), int.from_bytes(_b64url_decode(key["y"]), "big"), ec.SECP256R1()
        ).public_key()
        signature = _b64url_decode(signature_b64)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        signing_input = f"{header_b64}.{base64.urlsafe_b64encode(rfc8785.dumps(document)).rstrip(b'=').decode()}".encode()
        try:
            public.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return f"the signature does not match under key {key['kid']}"
        return None

    def verify_pdf(self, content: bytes) -> str | None:
        """None if pyHanko finds the PDF signed under the root certificate published in the JWKS x5c."""
        from asn1crypto import x509 as asn1_x509
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.diff_analysis import ModificationLevel
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.sign.validation.status import SignatureCoverageLevel
        from pyhanko_certvalidator import ValidationContext

        # The last certificate of each key's x5c chain is the registry's root.
        trust = [asn1_x509.Certificate.load(base64.b64decode(der)) for der in {key["x5c"][-1] for key in self.jwks}]
        try:
            reader = PdfFileReader(BytesIO(content), strict=False)
            signatures = reader.embedded_regular_signatures
            if not signatures:
                return "the PDF carries no signature"
            status = validate_pdf_signature(
                signatures[0], signer_validation_context=ValidationContext(trust_roots=trust, allow_fetching=False)
            )
            # PAdES B-LTA: after the signature come only the validation data and a document time stamp, which
            # must then cover the whole file. A legacy B-B signature covers the whole file itself.
            timestamps = reader.embedded_timestamp_signatures
            sealed = timestamps[-1].evaluate_signature_coverage() if timestamps else status.coverage
        except Exception as exc:  # a broken upload can make pyHanko raise anything
            return f"the PDF signature cannot be checked ({exc})"
        if not status.bottom_line:
            return f"pyHanko's verdict is negative ({status.summary()})"
        lta_only = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or status.modification_level == ModificationLevel.LTA_UPDATES
        if not lta_only or sealed != SignatureCoverageLevel.ENTIRE_FILE:
            return "bytes were added after the signature"
        return None

    # ---------------------------------------------------------------- the log

    def tree_head(self) -> dict[str, Any]:
        head = self.get_json("/api/v1/log/tree-head")
        signed = {key: head[key] for key in ("tree_size", "root_hash", "timestamp")}
        problem = self.verify_jws(signed, head["signature"])
        self.report.check(problem is None, f"tree head of size {head['tree_size']} is signed by the registry's key", problem or "")
        return head

    def entry(self, index: int) -> dict[str, Any]:
        return self.get_json(f"/api/v1/log/entries?start={index}&end={index}")["entries"][0]

    def check_inclusion(self, index: int, head: dict[str, Any]) -> dict[str, Any]:
        entry = self.entry(index)
        leaf = transparency.entry_leaf_hash(entry)
        proof = self.get_json(f"/api/v1/log/proof/inclusion?leaf_index={index}&tree_size={head['tree_size']}")
        ok = transparency.verify_inclusion(
            index, head["tree_size"], leaf, [bytes.fromhex(h) for h in proof["inclusion_path"]], bytes.fromhex(head["root_hash"])
        )
        self.report.check(ok, f"log entry {index} is included in the signed tree head", "the inclusion proof does not lead to the root")
        return entry

    def check_checkpoint(self, head: dict[str, Any], vkey: str | None) -> tuple[checkpoint.Checkpoint | None, str, str]:
        """(checkpoint or None, its note, the verifier key used): the note checked under `vkey` (pinned by
        the caller) or, the first time, under the key the registry serves; and checked against `head`."""
        vkey = vkey or self.get("/api/v1/log/checkpoint-key").decode().strip()
        note = self.get("/api/v1/log/checkpoint").decode()
        try:
            noted = checkpoint.verify(note, vkey)
        except checkpoint.NoteError as error:
            self.report.check(False, "the checkpoint is signed by the log's note key", str(error))
            return None, note, vkey
        self.report.check(True, f"the checkpoint of size {noted.tree_size} is signed by {vkey.split('+')[0]}")
        as_head = {"tree_size": noted.tree_size, "root_hash": noted.root_hash.hex()}
        if noted.tree_size == head["tree_size"]:
            self.report.check(
                noted.root_hash.hex() == head["root_hash"],
                "the checkpoint and the signed tree head name the same tree",
                f"same size {noted.tree_size}, different roots: the registry shows two different logs",
            )
        else:
            earlier, later = sorted([as_head, head], key=lambda h: h["tree_size"])
            self.check_consistency(earlier, later)
        return noted, note, vkey

    def check_consistency(self, earlier: dict[str, Any], head: dict[str, Any]) -> bool:
        if earlier["tree_size"] > head["tree_size"]:
            return self.report.check(False, "the log only grows", f"it had {earlier['tree_size']} entries and now has {head['tree_size']}")
        proof = self.get_json(f"/api/v1/log/proof/consistency?first={earlier['tree_size']}&second={head['tree_size']}")
        ok = transparency.verify_consistency(
            earlier["tree_size"],
            head["tree_size"],
            bytes.fromhex(earlier["root_hash"]),
            bytes.fromhex(head["root_hash"]),
            [bytes.fromhex(h) for h in proof["consistency_path"]],
        )
        return self.report.check(
            ok,
            f"the log of {head['tree_size']} entries extends the one of {earlier['tree_size']} seen before",
            "the consistency proof fails: entries were rewritten or removed",
        )

    def check_whole_log(self, head: dict[str, Any], progress: Callable[[int], None] | None = None) -> bool:
        leaves: list[bytes] = []
        start = 0
        while start < head["tree_size"]:
            page = self.get_json(f"/api/v1/log/entries?start={start}&end={min(start + ENTRIES_PAGE, head['tree_size']) - 1}")
            for entry in page["entries"]:
                if entry["index"] != len(leaves):
                    return self.report.check(
                        False, "every log entry is served in order", f"expected index {len(leaves)}, got {entry['index']}"
                    )
                leaves.append(transparency.entry_leaf_hash(entry))
            if not page["entries"]:
                break
            start += len(page["entries"])
            if progress:
                progress(len(page["entries"]))
        leaves = leaves[: head["tree_size"]]
        root = transparency.merkle_root(leaves)
        return self.report.check(
            root.hex() == head["root_hash"],
            f"all {len(leaves)} entries hash to the signed root",
            "the recomputed root differs: an entry was rewritten or removed",
        )

    # ---------------------------------------------------------------- one downloaded artefact

    def check_artefact(self, content: bytes, signature: bytes | None, head: dict[str, Any]) -> None:
        if content.startswith(b"%PDF-"):
            problem = self.verify_pdf(content)
            self.report.check(problem is None, "the PDF's signature checks out under the registry's root certificate", problem or "")
            digest = hashlib.sha256(content).hexdigest()
        else:
            document = json.loads(content)
            if signature is None:
                self.report.check(False, "the JSON's signature", "give the .jws file with --signature")
                return
            problem = self.verify_jws(document, signature.decode("ascii", "replace"))
            self.report.check(problem is None, "the JSON's JWS checks out with the registry's JWKS", problem or "")
            digest = hashlib.sha256(rfc8785.dumps(document)).hexdigest()
        files = {"document": content, **({"signature": signature} if signature else {})}
        status, body = self.fetch("/api/v1/verify/", files=files)
        located = json.loads(body) if status == 200 else {}
        index = located.get("log_index")
        if not self.report.check(index is not None, "the registry knows the file", "it names no log entry for it"):
            return
        integrity_error = located.get("integrity_error")
        self.report.check(not integrity_error, "the registry's record of this EPD agrees with its log", integrity_error or "")
        status = located.get("status") or "unknown"
        successor = f", superseded by version {located['successor_version']}" if located.get("successor_version") else ""
        self.report.notes.append(f"{located.get('registration_number')} v{located.get('version')} is {status}{successor}")
        entry = self.check_inclusion(index, head)
        self.report.check(
            entry["sha256"] == digest,
            f"log entry {index} records this file's SHA-256 ({entry['registration_number']} v{entry['version']}, {entry['artefact']})",
            f"the log records {entry['sha256']}, the file is {digest}",
        )
