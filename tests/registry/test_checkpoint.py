"""Tree heads as C2SP checkpoints: the note format checked by hand against the spec with `cryptography`'s
Ed25519, our signer against the reference vector of golang.org/x/mod/sumdb/note, and witness cosigning
(c2sp.org/tlog-witness add-checkpoint) with a real witness on loopback."""

import base64
import hashlib
import http.server
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry import checkpoint, transparency
from registry.models import LogState

# The reference vector of golang.org/x/mod/sumdb/note (note_test.go): key, text and the note Go signs.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNATURE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_our_signer_reproduces_the_go_reference_note_byte_for_byte():
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    assert checkpoint.verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    assert checkpoint.sign(GO_TEXT, "PeterNeumann", key) == GO_TEXT + "\n" + GO_SIGNATURE


def test_the_served_checkpoint_is_a_signed_note_that_verifies_by_the_spec(client, published, settings):
    published()
    head = client.get("/api/v1/log/tree-head").json()
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    note = response.content.decode()
    vkey = client.get("/api/v1/log/checkpoint-key").content.decode().strip()

    # Read by hand, as c2sp.org/signed-note and c2sp.org/tlog-checkpoint describe it, not with our parser.
    text, signatures = note.split("\n\n")
    origin, size, root = text.split("\n")
    assert (origin, int(size), base64.b64decode(root).hex()) == (settings.LOG_ORIGIN, head["tree_size"], head["root_hash"])
    dash, name, blob = signatures.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", settings.LOG_ORIGIN)
    key_name, key_hash, key_material = vkey.split("+", 2)
    raw = base64.b64decode(key_material)
    assert key_name == name and raw[0] == 0x01 and len(raw) == 33
    signature = base64.b64decode(blob)
    assert signature[:4] == hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4] == bytes.fromhex(key_hash)
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signature[4:], (text + "\n").encode())  # raises if it does not verify

    assert checkpoint.verify(note, vkey).tree_size == head["tree_size"]
    forged = note.replace(f"\n{size}\n", f"\n{int(size) + 1}\n")
    with pytest.raises(checkpoint.NoteError, match="does not match"):
        checkpoint.verify(forged, vkey)


def test_the_existing_signed_tree_head_api_still_works(client, published):
    from registry import signing

    published()
    head = client.get("/api/v1/log/tree-head").json()
    assert set(head) == {"tree_size", "root_hash", "timestamp", "signature"}
    assert signing.verify_json({k: head[k] for k in ("tree_size", "root_hash", "timestamp")}, head["signature"]).authentic


def test_an_empty_log_serves_a_checkpoint_of_size_zero(db, client):
    LogState.objects.filter(pk=1).update(checkpoint="")
    note = client.get("/api/v1/log/checkpoint").content.decode()
    assert checkpoint.verify(note, checkpoint.log_verifier_key()).tree_size == 0


class Witness(http.server.ThreadingHTTPServer):
    """A witness after c2sp.org/tlog-witness: checks the log's signature and the consistency proof from the
    size it last cosigned (409 with its size otherwise), then answers with its cosignature line."""

    def __init__(self, log_vkey: str):
        super().__init__(("127.0.0.1", 0), WitnessHandler)
        self.log_vkey, self.key, self.name = log_vkey, Ed25519PrivateKey.generate(), "witness.test/w1"
        self.latest: tuple[int, bytes] | None = None
        self.requests: list[int] = []

    @property
    def vkey(self) -> str:
        raw = checkpoint.raw_public_key(self.key.public_key())
        material = base64.b64encode(bytes([checkpoint.COSIGNATURE]) + raw).decode()
        return f"{self.name}+{checkpoint.key_id(self.name, checkpoint.COSIGNATURE, raw).hex()}+{material}"


class WitnessHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code: int, body: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/x.tlog.size" if code == 409 else "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def do_POST(self):
        witness: Witness = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        header, note = body.split("\n\n", 1)
        old_line, *proof = header.split("\n")
        old = int(old_line.removeprefix("old "))
        witness.requests.append(old)
        try:
            noted = checkpoint.verify(note, witness.log_vkey)
        except checkpoint.NoteError:
            return self.answer(403, "bad signature")
        known_size = witness.latest[0] if witness.latest else 0
        if old != known_size:
            return self.answer(409, f"{known_size}\n")
        if witness.latest and not transparency.verify_consistency(
            old, noted.tree_size, witness.latest[1], noted.root_hash, [base64.b64decode(p) for p in proof]
        ):
            return self.answer(422, "inconsistent")
        witness.latest = (noted.tree_size, noted.root_hash)
        return self.answer(200, checkpoint.cosign(note, witness.name, witness.key) + "\n")


@pytest.fixture
def witness(db):
    server = Witness(checkpoint.log_verifier_key())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_configured_witness_cosigns_each_new_checkpoint(settings, published, witness):
    settings.LOG_WITNESSES = [(witness.vkey, f"http://127.0.0.1:{witness.server_address[1]}")]
    published()
    size = LogState.objects.get(pk=1).tree_size
    assert checkpoint.cosign_current(size) == 1
    note = LogState.objects.get(pk=1).checkpoint
    assert checkpoint.verified_cosignatures(note, [witness.vkey]) == [witness.name]
    assert checkpoint.verify(note, checkpoint.log_verifier_key()).tree_size == size  # still the log's own note

    published(seed=2)  # the witness has seen `size`: the first request (old 0) gets 409, the second carries the proof
    bigger = LogState.objects.get(pk=1).tree_size
    assert checkpoint.cosign_current(bigger) == 1
    assert witness.requests == [0, 0, size]
    assert witness.latest[0] == bigger


def test_no_witness_configured_changes_nothing(settings, published):
    settings.LOG_WITNESSES = []
    published()
    state = LogState.objects.get(pk=1)
    assert checkpoint.cosign_current(state.tree_size) == 0
    assert LogState.objects.get(pk=1).checkpoint == state.checkpoint
