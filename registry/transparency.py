"""The transparency log: an append-only Merkle tree in the style of RFC 9162 over published artefacts.

Every leaf is one entry (registration number, version, artefact, SHA-256, event, time) and its hash is
SHA-256(0x00 ‖ RFC 8785 canonical JSON of the entry exactly as the API serves it); an inner node is
SHA-256(0x01 ‖ left ‖ right). The tree head (size, root, time) is signed as a JWS with the platform key, and
the same head as a C2SP checkpoint (registry.checkpoint) with the log's Ed25519 note key.

Someone with database access can rewrite rows, but not sign. So an append first checks that the stored head
is one the platform signed and that the stored nodes still add up to it, and then that the new tree is
consistent with it (RFC 9162 consistency proof); otherwise it refuses to sign and alarms (LogIntegrityError).

The first half of this module is plain Python (hashlib and rfc8785 only) so that a client can import
it without Django to check proofs; the second half reads and writes the log through the ORM.

Scale: each append stores the hashes of the complete subtrees it closes (two rows on average, table
LogNode) and keeps the frontier (at most log2 n hashes) on the single state row. A root at any size or
an inclusion or consistency proof then needs one indexed query for O(log n) stored nodes; nothing is
rehashed per request.
"""

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import rfc8785

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"
INDEX_BITS = 56  # node_id packs (level, index) into one signed 64-bit key
ENTRY_FIELDS = ("index", "registration_number", "version", "artefact", "sha256", "event", "logged_at")

if TYPE_CHECKING:
    from .models import LogEntry, LogState

Range = tuple[int, int]  # leaves [start, end)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def entry_document(
    *, index: int, registration_number: str, version: int, artefact: str, sha256: str, event: str, logged_at: datetime
) -> dict[str, Any]:
    """An entry as the API serves it; its leaf hash is entry_leaf_hash() of exactly this."""
    return {
        "index": index,
        "registration_number": registration_number,
        "version": version,
        "artefact": artefact,
        "sha256": sha256,
        "event": event,
        "logged_at": format_time(logged_at),
    }


def entry_leaf_hash(entry: Mapping[str, Any]) -> bytes:
    return leaf_hash(rfc8785.dumps(dict(entry)))


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, e.g. 2026-03-01T09:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base64_root(root_hex: str) -> str:
    """A root hash as the checkpoint's third line writes it."""
    return base64.b64encode(bytes.fromhex(root_hex)).decode()


def split_point(size: int) -> int:
    """RFC 9162 §2.1.1: the largest power of two smaller than `size` (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 §2.1.1), in one pass with a stack of complete subtrees."""
    frontier: list[bytes] = []
    for index, leaf in enumerate(leaf_hashes):
        frontier, _ = append_leaf(frontier, index, leaf)
    return frontier_root(frontier)


def append_leaf(frontier: Sequence[bytes], size: int, leaf: bytes) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Add leaf number `size` to a tree of `size` leaves.

    `frontier` lists the hashes of the complete subtrees covering [0, size), largest first (one per set bit
    of size). Returns the new frontier and every complete subtree the leaf closes as (level, index, hash).
    """
    merged = [*frontier, leaf]
    closed = [(0, size, leaf)]
    level, index, current = 0, size, leaf
    while index & 1:  # a right child: it completes its parent
        current = node_hash(merged[-2], current)
        merged[-2:] = [current]
        level, index = level + 1, index >> 1
        closed.append((level, index, current))
    return merged, closed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees, as (level, index) and largest first, whose right fold is MTH(D[start:end]).

    Holds for the ranges RFC 9162 proofs use: `start` is a multiple of the smallest power of two ≥ end - start.
    """
    size = end - start
    if size <= 0 or start % (1 << (size - 1).bit_length()):
        raise ValueError(f"[{start}, {end}) is not a subtree of the Merkle tree")
    nodes = []
    for level in reversed(range(size.bit_length())):
        if size & (1 << level):
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def inclusion_ranges(leaf_index: int, tree_size: int) -> list[Range]:
    """The subtrees whose hashes make PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError("leaf_index must be less than tree_size")
    ranges = []
    start, end = 0, tree_size
    while end - start > 1:
        k = split_point(end - start)
        if leaf_index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes make PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (empty when m = n)."""
    if not 0 < first <= second:
        raise ValueError("0 < first <= second is required")
    ranges = []
    start, end, complete = 0, second, True  # `complete`: the b flag of SUBPROOF
    while end - start != first - start:
        k = split_point(end - start)
        if first - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    return ranges[::-1]


def verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, inclusion_path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `inclusion_path` prove leaf hash `leaf` at `leaf_index` under `root`?"""
    if not 0 <= leaf_index < tree_size or any(len(p) != HASH_SIZE for p in inclusion_path):
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in inclusion_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, consistency_path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of size `second` an append-only extension of the one of size `first`?

    Between equal sizes the proof is empty and the roots must be equal.
    """
    if not 0 < first <= second or any(len(c) != HASH_SIZE for c in consistency_path):
        return False
    if first == second:
        return not consistency_path and first_root == second_root
    if not consistency_path:
        return False
    path = list(consistency_path)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def node_id(level: int, index: int) -> int:
    if not (0 <= level <= INDEX_BITS and 0 <= index < 1 << INDEX_BITS):
        raise ValueError(f"no node {level}/{index}")
    return level << INDEX_BITS | index


def node_position(packed: int) -> tuple[int, int]:
    return packed >> INDEX_BITS, packed & ((1 << INDEX_BITS) - 1)


def hashes_of_ranges(ranges: Iterable[Range], lookup: Callable[[set[int]], Mapping[int, bytes]]) -> list[bytes]:
    """MTH of each range, from stored complete subtrees fetched in one call of `lookup(node ids)`."""
    plans = [[node_id(level, index) for level, index in subtree_nodes(start, end)] for start, end in ranges]
    stored = lookup({packed for plan in plans for packed in plan})
    return [frontier_root([stored[packed] for packed in plan]) for plan in plans]


# ---------------------------------------------------------------- the log in the database
# Django and the models are imported inside these functions, so that clients can import the section above without Django.

PAGE_SIZE = 1000


class LogIntegrityError(RuntimeError):
    """The stored log is not the one the platform signed: nothing more is signed until an operator looks."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class LogRangeError(ValueError):
    """A request outside the log: names the parameter at fault."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def append(*, registration_number: str, version: int, artefact: str, sha256: str, event: str) -> "LogEntry":
    """Append one entry; returns the LogEntry. Call it inside the publisher's transaction to share its fate."""
    return append_many([dict(registration_number=registration_number, version=version, artefact=artefact, sha256=sha256, event=event)])[0]


def append_many(items: Iterable[Mapping[str, Any]]) -> list["LogEntry"]:
    """Append entries at consecutive indexes under one lock and sign the new tree head.

    The state row is locked (SELECT … FOR UPDATE; SQLite serialises writers anyway) until the
    surrounding transaction commits, so concurrent publishers get distinct, gap-free indexes.
    """
    from django.db import transaction
    from django.utils import timezone

    from . import checkpoint, signing
    from .models import LogEntry, LogNode, LogState

    items = [_checked(item) for item in items]
    if not items:
        raise ValueError("nothing to append")
    with transaction.atomic():
        state = _locked_state()
        _refuse_unless_intact(head_problems(state))
        now = timezone.now().replace(microsecond=0)
        frontier = [bytes.fromhex(h) for h in state.frontier]
        entries, nodes = [], []
        for offset, item in enumerate(items):
            index = state.tree_size + offset
            leaf = entry_leaf_hash(entry_document(index=index, logged_at=now, **item))
            entries.append(LogEntry(index=index, logged_at=now, leaf_hash=leaf.hex(), **item))
            frontier, closed = append_leaf(frontier, index, leaf)
            nodes += [LogNode(id=node_id(level, position), hash=digest) for level, position, digest in closed]
        LogEntry.objects.bulk_create(entries)
        LogNode.objects.bulk_create(nodes)
        size, root = state.tree_size + len(entries), frontier_root(frontier)
        if state.tree_size:
            # The new head must extend the last one published, proven from the stored nodes as a monitor would.
            proof = hashes_of_ranges(consistency_ranges(state.tree_size, size), _stored_nodes)
            if not verify_consistency(state.tree_size, size, bytes.fromhex(state.root_hash), root, proof):
                _refuse_unless_intact([f"the new tree of {size} entries is not consistent with the signed head of {state.tree_size}"])
        head = signed_head_document(size, root, now)
        LogState.objects.filter(pk=state.pk).update(
            tree_size=size,
            frontier=[h.hex() for h in frontier],
            root_hash=head["root_hash"],
            timestamp=now,
            signature=signing.sign_json(head),
            checkpoint=checkpoint.sign_checkpoint(size, root),
        )
        if checkpoint.witnesses():
            from .tasks import request_cosignatures

            request_cosignatures.delay_on_commit(size)
    return entries


def head_problems(state: "LogState") -> list[str]:
    """Is the stored head one the platform signed (JWS and checkpoint), and do the stored frontier and
    nodes still add up to it? One query (the nodes); the problems found, in words."""
    from . import checkpoint, signing

    if not state.signature and state.tree_size == 0:
        return []  # a new log: nothing was signed yet
    root = bytes.fromhex(state.root_hash)
    problems = []
    if (
        state.timestamp is None
        or not signing.verify_json(signed_head_document(state.tree_size, root, state.timestamp), state.signature).authentic
    ):
        problems.append(
            f"the stored tree head (size {state.tree_size}, root {state.root_hash}) is not signed by the platform: it was forged"
        )
    if state.checkpoint:
        try:
            noted = checkpoint.verify(state.checkpoint, checkpoint.log_verifier_key())
        except checkpoint.NoteError as error:
            problems.append(f"the stored checkpoint is not signed by the log's key: {error}")
        else:
            if (noted.tree_size, noted.root_hash) != (state.tree_size, root):
                problems.append("the stored checkpoint and the signed tree head name different trees")
    if frontier_root([bytes.fromhex(h) for h in state.frontier]) != root:
        problems.append("the stored frontier does not add up to the signed root: it was rewritten")
    if state.tree_size and root_at(state.tree_size) != root:
        problems.append("the stored tree nodes do not add up to the signed root: log rows were rewritten")
    return problems


def _refuse_unless_intact(problems: list[str]) -> None:
    if problems:
        from .integrity import alarm

        alarm("the transparency log refused to sign a new tree head", problems)
        raise LogIntegrityError(problems)


def signed_head_document(tree_size: int, root: bytes, timestamp: datetime) -> dict[str, Any]:
    """What the tree-head signature covers (RFC 8785 form of this object)."""
    return {"tree_size": tree_size, "root_hash": root.hex(), "timestamp": format_time(timestamp)}


def tree_head() -> dict[str, Any]:
    """The latest signed tree head: {tree_size, root_hash, timestamp, signature}."""
    from django.utils import timezone

    from . import signing
    from .models import LogState

    state = LogState.objects.filter(pk=1).first()
    if state is None or not state.signature:
        head = signed_head_document(0, EMPTY_ROOT, timezone.now())
        return {**head, "signature": signing.sign_json(head)}
    assert state.timestamp is not None
    return {**signed_head_document(state.tree_size, bytes.fromhex(state.root_hash), state.timestamp), "signature": state.signature}


def current_size() -> int:
    from .models import LogState

    return LogState.objects.filter(pk=1).values_list("tree_size", flat=True).first() or 0


def read_entries(start: int, end: int | None = None) -> tuple[int, list["LogEntry"]]:
    """(tree size, entries start..end inclusive), at most PAGE_SIZE of them, as RFC 9162 get-entries."""
    from .models import LogEntry

    size = current_size()
    if start > size:
        raise LogRangeError("start", f"start must be at most the tree size ({size})")
    if end is not None and end < start:
        raise LogRangeError("end", "end must not be less than start")
    last = min(size - 1, start + PAGE_SIZE - 1, end if end is not None else size)
    return size, list(LogEntry.objects.filter(index__gte=start, index__lte=last))


def inclusion_proof(leaf_index: int, tree_size: int | None = None) -> dict[str, Any]:
    """{leaf_index, tree_size, leaf_hash, inclusion_path} for verify_inclusion(), hashes in hex."""
    tree_size = _checked_size(tree_size, "tree_size")
    if leaf_index >= tree_size:
        raise LogRangeError("leaf_index", f"leaf_index must be less than tree_size ({tree_size})")
    hashes = hashes_of_ranges([(leaf_index, leaf_index + 1), *inclusion_ranges(leaf_index, tree_size)], _stored_nodes)
    return {"leaf_index": leaf_index, "tree_size": tree_size, "leaf_hash": hashes[0].hex(), "inclusion_path": [h.hex() for h in hashes[1:]]}


def inclusion_paths(leaf_indexes: Sequence[int], tree_size: int) -> dict[int, list[bytes]]:
    """The inclusion path of each leaf in the tree of `tree_size`, from stored nodes in one query."""
    plans = {index: inclusion_ranges(index, tree_size) for index in leaf_indexes}
    hashes = iter(hashes_of_ranges([r for ranges in plans.values() for r in ranges], _stored_nodes))
    return {index: [next(hashes) for _ in ranges] for index, ranges in plans.items()}


def leaf_index_of(leaf_hash_hex: str) -> int | None:
    from .models import LogEntry

    return LogEntry.objects.filter(leaf_hash=leaf_hash_hex).values_list("index", flat=True).first()


def consistency_proof(first: int, second: int | None = None) -> dict[str, Any]:
    """{first, second, consistency_path} for verify_consistency(), hashes in hex."""
    second = _checked_size(second, "second")
    if not 1 <= first <= second:
        raise LogRangeError("first", f"first must be between 1 and second ({second})")
    path = hashes_of_ranges(consistency_ranges(first, second), _stored_nodes)
    return {"first": first, "second": second, "consistency_path": [h.hex() for h in path]}


def root_at(tree_size: int) -> bytes:
    """The root hash of the log when it had `tree_size` entries, from O(log n) stored nodes."""
    if tree_size == 0:
        return EMPTY_ROOT
    return hashes_of_ranges([(0, tree_size)], _stored_nodes)[0]


def checkpoint_note() -> str:
    """The latest checkpoint note (signed at each append). A log from before checkpoints, or an empty one,
    gets its head signed as a checkpoint once, after the same checks as an append."""
    from django.db import transaction

    from . import checkpoint
    from .models import LogState

    stored = LogState.objects.filter(pk=1).values_list("checkpoint", flat=True).first()
    if stored:
        return stored
    with transaction.atomic():
        state = _locked_state()
        if not state.checkpoint:
            _refuse_unless_intact(head_problems(state))
            state.checkpoint = checkpoint.sign_checkpoint(state.tree_size, bytes.fromhex(state.root_hash))
            LogState.objects.filter(pk=state.pk).update(checkpoint=state.checkpoint)
    return state.checkpoint


def audit_entries(chunk: int = 5000) -> list[str]:
    """Recompute the whole tree from the entries themselves and compare it with the signed head and with
    the stored leaves and nodes; the problems found, in words (empty when the log is intact)."""
    from .models import LogEntry, LogState

    state = LogState.objects.filter(pk=1).first()
    if state is None:
        return []
    problems = head_problems(state)
    frontier: list[bytes] = []
    expected = 0
    for start in range(0, state.tree_size, chunk):
        stored = _stored_nodes({node_id(0, i) for i in range(start, min(start + chunk, state.tree_size))})
        for entry in LogEntry.objects.filter(index__gte=start, index__lt=min(start + chunk, state.tree_size)):
            if entry.index != expected:
                problems.append(f"entries {expected} to {entry.index - 1} are missing: they were deleted")
            leaf = entry_leaf_hash(entry.as_document())
            if leaf != stored.get(node_id(0, entry.index)) or leaf.hex() != entry.leaf_hash:
                problems.append(f"entry {entry.index} does not hash to the leaf logged for it: it was rewritten")
            frontier, _ = append_leaf(frontier, entry.index, leaf)
            expected = entry.index + 1
    if expected != state.tree_size:
        problems.append(f"the signed head counts {state.tree_size} entries, the table holds {expected}")
    elif frontier_root(frontier).hex() != state.root_hash:
        problems.append("the entries, hashed again, do not add up to the signed root hash: entries were rewritten")
    return problems


def _checked(item: Mapping[str, Any]) -> dict[str, Any]:
    from .models import LogEvent

    fields = {name: item[name] for name in ("registration_number", "version", "artefact", "sha256", "event")}
    if set(item) - set(fields):
        raise ValueError(f"unknown log entry fields: {sorted(set(item) - set(fields))}")
    sha = fields["sha256"]
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    if fields["event"] not in LogEvent.values:
        raise ValueError(f"event must be one of {LogEvent.values}")
    if not isinstance(fields["version"], int) or isinstance(fields["version"], bool) or fields["version"] < 1:
        raise ValueError("version must be a whole number from 1")
    if not fields["registration_number"] or not fields["artefact"]:
        raise ValueError("registration_number and artefact are required")
    return fields


def _locked_state():
    from django.db import IntegrityError, transaction

    from .models import LogState

    state = LogState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        # The migration creates the row; a flushed test database has none. A racing creator wins harmlessly.
        try:
            with transaction.atomic():
                LogState.objects.create(pk=1)
        except IntegrityError:
            pass
        state = LogState.objects.select_for_update().get(pk=1)
    return state


def _checked_size(size: int | None, parameter: str) -> int:
    current = current_size()
    if size is None:
        size = current
    if size > current:
        raise LogRangeError(parameter, f"{parameter} must be at most the tree size ({current})")
    if size < 1:
        raise LogRangeError(parameter, f"{parameter} must be at least 1; the log has {current} entries")
    return size


def _stored_nodes(ids: set[int]) -> dict[int, bytes]:
    from .models import LogNode

    return {packed: bytes(digest) for packed, digest in LogNode.objects.filter(id__in=ids).values_list("id", "hash")}
