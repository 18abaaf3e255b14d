"""Tree heads as C2SP checkpoints (c2sp.org/tlog-checkpoint) in signed notes (c2sp.org/signed-note), so that
existing witnesses and monitors can read and cosign them.

    <origin>\\n<tree size>\\n<base64 root hash>\\n\\n— <key name> <base64(key id ‖ Ed25519 signature)>\\n

The Ed25519 signature covers the note text (the three lines, with their newlines); the key id is the first
4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). Witness cosignatures (c2sp.org/tlog-cosignature,
type 0x04) are further signature lines over "cosignature/v1\\ntime <t>\\n" + the note text.

The first half is plain Python plus `cryptography` so that a client can check a note without Django; the
second half keeps the log's note key (Ed25519, beside the platform's signing keys) and asks witnesses
(c2sp.org/tlog-witness, add-checkpoint) for cosignatures.
"""

import base64
import hashlib
import logging
import os
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

logger = logging.getLogger(__name__)

DASH = "\u2014"  # EM DASH: every signature line starts with "— "
ED25519, COSIGNATURE = 0x01, 0x04
WITNESS_TIMEOUT = 10


class NoteError(ValueError):
    """A note that is malformed, or whose signature by the expected key is missing or wrong."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    text: str  # the signed note text, ending in a newline
    signatures: tuple[str, ...]  # the signature lines, without their newline


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The note verifier key string: <name>+<hex key id>+<base64(0x01 ‖ public key)>."""
    raw = raw_public_key(public_key)
    return f"{name}+{key_id(name, ED25519, raw).hex()}+{base64.b64encode(bytes([ED25519]) + raw).decode()}"


def parse_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """(name, signature type, raw public key) of a verifier key string, checked against its key id."""
    try:
        name, id_hex, encoded = vkey.strip().split("+", 2)
        decoded = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise NoteError(f"not a note verifier key: {vkey!r}") from error
    if not name or not decoded or decoded[0] not in (ED25519, COSIGNATURE) or len(decoded) != 33:
        raise NoteError(f"not an Ed25519 note verifier key: {vkey!r}")
    if key_id(name, decoded[0], decoded[1:]).hex() != id_hex.lower():
        raise NoteError(f"the key id of {vkey!r} does not match its key")
    return name, decoded[0], decoded[1:]


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes) -> str:
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n"


def sign(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The note: `text`, a blank line, and one Ed25519 signature line by `name`."""
    raw = raw_public_key(private_key.public_key())
    signature = base64.b64encode(key_id(name, ED25519, raw) + private_key.sign(text.encode())).decode()
    return f"{text}\n{DASH} {name} {signature}\n"


def parse(note: str) -> Checkpoint:
    """Split a checkpoint note into its fields; checks the form only, not the signatures."""
    text, separator, signature_block = note.partition("\n\n")
    if not separator or not signature_block.endswith("\n"):
        raise NoteError("a signed note is text, a blank line, then signature lines, each ending in a newline")
    lines = text.split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a tree size and a root hash line")
    origin, size, root = lines[:3]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError(f"the tree size line is not a decimal number: {size!r}")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except ValueError as error:
        raise NoteError("the root hash line is not base64") from error
    if len(root_hash) != 32:
        raise NoteError("the root hash is not 32 bytes")
    signatures = tuple(signature_block[:-1].split("\n"))
    if not all(line.startswith(DASH + " ") and len(line.split(" ")) == 3 for line in signatures):
        raise NoteError("a signature line is '— <key name> <base64 signature>'")
    return Checkpoint(origin, int(size), root_hash, text + "\n", signatures)


def verify(note: str, vkey: str) -> Checkpoint:
    """The checkpoint, if `note` carries a valid Ed25519 signature by the key `vkey`; else NoteError."""
    name, signature_type, raw = parse_verifier_key(vkey)
    if signature_type != ED25519:
        raise NoteError("the log's key must be an Ed25519 note key")
    checkpoint = parse(note)
    public_key = Ed25519PublicKey.from_public_bytes(raw)
    wanted = key_id(name, ED25519, raw)
    for line in checkpoint.signatures:
        _, line_name, encoded = line.split(" ")
        signature = base64.b64decode(encoded)
        if line_name == name and signature[:4] == wanted:
            try:
                public_key.verify(signature[4:], checkpoint.text.encode())
            except InvalidSignature as error:
                raise NoteError(f"the signature by {name} does not match the checkpoint") from error
            return checkpoint
    raise NoteError(f"the checkpoint carries no signature by {name}")


def verified_cosignatures(note: str, witness_vkeys: Sequence[str]) -> list[str]:
    """The names of the witnesses among `witness_vkeys` whose cosignature on `note` checks out."""
    checkpoint = parse(note)
    names = []
    for vkey in witness_vkeys:
        name, signature_type, raw = parse_verifier_key(vkey)
        if signature_type != COSIGNATURE:
            continue
        for line in checkpoint.signatures:
            _, line_name, encoded = line.split(" ")
            signature = base64.b64decode(encoded)
            if line_name != name or signature[:4] != key_id(name, COSIGNATURE, raw) or len(signature) != 4 + 8 + 64:
                continue
            (timestamp,) = struct.unpack(">Q", signature[4:12])
            message = f"cosignature/v1\ntime {timestamp}\n{checkpoint.text}".encode()
            try:
                Ed25519PublicKey.from_public_bytes(raw).verify(signature[12:], message)
            except InvalidSignature:
                continue
            names.append(name)
    return names


def cosign(note: str, name: str, private_key: Ed25519PrivateKey, timestamp: int | None = None) -> str:
    """A witness's cosignature line on `note` (what a witness answers to add-checkpoint)."""
    checkpoint = parse(note)
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = raw_public_key(private_key.public_key())
    signature = private_key.sign(f"cosignature/v1\ntime {timestamp}\n{checkpoint.text}".encode())
    encoded = base64.b64encode(key_id(name, COSIGNATURE, raw) + struct.pack(">Q", timestamp) + signature).decode()
    return f"{DASH} {name} {encoded}"


# ---------------------------------------------------------------- the log's key and its witnesses (Django)


def _key_path() -> Path:
    from django.conf import settings

    return Path(settings.LOG_CHECKPOINT_KEY_FILE or Path(settings.SIGNING_KEY_DIR) / "checkpoint-ed25519.pem")


def private_key() -> Ed25519PrivateKey:
    """The log's Ed25519 note key, made on first use (mode 0600) beside the platform's signing keys."""
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def origin() -> str:
    from django.conf import settings

    return settings.LOG_ORIGIN


def log_verifier_key() -> str:
    return verifier_key(origin(), private_key().public_key())


def sign_checkpoint(tree_size: int, root_hash: bytes) -> str:
    return sign(checkpoint_text(origin(), tree_size, root_hash), origin(), private_key())


@dataclass(frozen=True)
class Witness:
    vkey: str
    url: str


def witnesses() -> list[Witness]:
    from django.conf import settings

    return [Witness(vkey, url.rstrip("/")) for vkey, url in settings.LOG_WITNESSES]


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The body of a tlog-witness add-checkpoint request."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def request_cosignature(witness: Witness, note: str, proof_from) -> str | None:
    """Ask one witness to cosign `note`; returns its verified cosignature line, or None (logged).

    `proof_from(size)` gives the consistency proof from the witness's size; a 409 answer names that size.
    """
    old_size = 0
    for _attempt in range(2):
        request = urllib.request.Request(
            f"{witness.url}/add-checkpoint",
            data=add_checkpoint_body(old_size, proof_from(old_size), note),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT) as response:
                answer = response.read().decode()
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace").strip()
            if error.code == 409 and body.isdigit() and int(body) != old_size:
                old_size = int(body)  # the witness has seen another size of this log: prove from there
                continue
            logger.warning("witness %s refused the checkpoint: %s %s", witness.url, error.code, body[:200])
            return None
        except (OSError, ValueError) as error:
            logger.warning("witness %s could not be reached: %s", witness.url, error)
            return None
        lines = [line for line in answer.splitlines() if line.startswith(DASH + " ")]
        cosigned = note + "".join(line + "\n" for line in lines)
        name = parse_verifier_key(witness.vkey)[0]
        if name not in verified_cosignatures(cosigned, [witness.vkey]):
            logger.warning("witness %s answered without a valid cosignature by %s", witness.url, name)
            return None
        return next(line for line in lines if line.split(" ")[1] == name)
    return None


def cosign_current(tree_size: int) -> int:
    """Ask every configured witness to cosign the stored checkpoint, if it still is of `tree_size` entries,
    and append the cosignatures they give; returns how many were added. No witnesses, nothing happens."""
    from . import transparency
    from .models import LogState

    state = LogState.objects.filter(pk=1, tree_size=tree_size).exclude(checkpoint="").first()
    if state is None:
        return 0  # a newer head was signed meanwhile: its own task asks for it

    def proof_from(old_size: int) -> list[bytes]:
        if not 0 < old_size < tree_size:
            return []
        return [bytes.fromhex(h) for h in transparency.consistency_proof(old_size, tree_size)["consistency_path"]]

    lines = [line for witness in witnesses() if (line := request_cosignature(witness, state.checkpoint, proof_from))]
    if lines:
        LogState.objects.filter(pk=1, checkpoint=state.checkpoint).update(
            checkpoint=state.checkpoint + "".join(f"{line}\n" for line in lines)
        )
    return len(lines)
