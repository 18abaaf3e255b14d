"""The transparency log: RFC 9162 hashing and proofs, append-only storage, and its public API."""

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import rfc8785
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from registry import signing, transparency
from registry.models import LogEntry, LogNode
from registry.transparency import (
    EMPTY_ROOT,
    append_leaf,
    consistency_ranges,
    hashes_of_ranges,
    inclusion_ranges,
    leaf_hash,
    merkle_root,
    node_hash,
    node_id,
    verify_consistency,
    verify_inclusion,
)

ROOT = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL)")

# The certificate-transparency test corpus (transparency-dev/merkle testonly): leaf inputs and the roots of their prefixes.
CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 1): [],
    (0, 2): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    (1, 2): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


# ---------------------------------------------------------------- an independent, naive RFC 9162 §2.1


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = split(len(leaves))
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_mth(leaves)]
    k = split(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


class MemoryTree:
    """The log's own storage scheme (complete subtrees by node id) kept in a dict."""

    def __init__(self, data: list[bytes]):
        self.data = data
        self.nodes: dict[int, bytes] = {}
        frontier: list[bytes] = []
        for index, item in enumerate(data):
            frontier, closed = append_leaf(frontier, index, leaf_hash(item))
            self.nodes.update({node_id(level, position): digest for level, position, digest in closed})

    def lookup(self, ids: set[int]) -> dict[int, bytes]:
        return {packed: self.nodes[packed] for packed in ids}

    def root(self, size: int) -> bytes:
        return hashes_of_ranges([(0, size)], self.lookup)[0] if size else EMPTY_ROOT

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return hashes_of_ranges(inclusion_ranges(index, size), self.lookup)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return hashes_of_ranges(consistency_ranges(first, second), self.lookup)


def data_of(count: int, salt: str = "") -> list[bytes]:
    return [f"entry {i}{salt}".encode() for i in range(count)]


# ---------------------------------------------------------------- RFC 9162 vectors and properties


def test_roots_match_the_certificate_transparency_vectors():
    leaves = [leaf_hash(data) for data in CT_LEAVES]
    for size, expected in enumerate(CT_ROOTS):
        assert merkle_root(leaves[:size]).hex() == expected
        assert MemoryTree(CT_LEAVES).root(size).hex() == expected


def test_leaf_and_node_hashes_match_rfc6962_vectors():
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


@pytest.mark.parametrize(("index", "size"), CT_INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(index, size):
    proof = MemoryTree(CT_LEAVES).inclusion(index, size)
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    assert verify_inclusion(index, size, leaf_hash(CT_LEAVES[index]), proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("first", "second"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(first, second):
    proof = MemoryTree(CT_LEAVES).consistency(first, second)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(first, second)]
    assert verify_consistency(first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), proof)


def test_every_proof_up_to_size_40_equals_the_naive_one_and_verifies():
    data = data_of(40)
    tree = MemoryTree(data)
    for size in range(1, 41):
        root = naive_mth(data[:size])
        assert tree.root(size) == root
        for index in range(size):
            proof = tree.inclusion(index, size)
            assert proof == naive_path(index, data[:size])
            assert verify_inclusion(index, size, leaf_hash(data[index]), proof, root)
        for first in range(1, size + 1):
            proof = tree.consistency(first, size)
            assert proof == naive_subproof(first, data[:size], True)
            assert verify_consistency(first, size, naive_mth(data[:first]), root, proof)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n), st.integers(0, 31))))
def test_wrong_proofs_fail(case):
    size, index, first, flip = case
    tree = MemoryTree(data_of(size))
    root, leaf = tree.root(size), leaf_hash(f"entry {index}".encode())
    path = tree.inclusion(index, size)
    assert verify_inclusion(index, size, leaf, path, root)
    assert not verify_inclusion(index, size, leaf_hash(b"another entry"), path, root)
    assert not verify_inclusion(index, size, leaf, [*path, root], root)
    assert not verify_inclusion(size, size, leaf, path, root)
    if path:
        assert not verify_inclusion(index, size, leaf, path[:-1], root)
        broken = [bytearray(p) for p in path]
        broken[flip % len(path)][flip % 32] ^= 0x40
        assert not verify_inclusion(index, size, leaf, [bytes(p) for p in broken], root)
    proof = tree.consistency(first, size)
    assert verify_consistency(first, size, tree.root(first), root, proof)
    if first < size:
        assert not verify_consistency(first, size, tree.root(first - 1) if first > 1 else EMPTY_ROOT, root, proof)
        assert not verify_consistency(first, size, tree.root(first), root, proof[:-1])


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.integers(2, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n - 1))))
def test_a_rewritten_entry_breaks_every_proof_that_covers_it(case):
    size, rewritten, first = case
    honest = MemoryTree(data_of(size))
    forged_data = data_of(size)
    forged_data[rewritten] = b"a quietly changed entry"
    forged = MemoryTree(forged_data)
    # A client holding the honest tree head does not accept the forged entry ...
    forged_path = forged.inclusion(rewritten, size)
    assert not verify_inclusion(rewritten, size, leaf_hash(forged_data[rewritten]), forged_path, honest.root(size))
    # ... and a client holding an old head sees that the rewritten history does not extend it.
    if rewritten < first:
        proof = forged.consistency(first, size)
        assert not verify_consistency(first, size, honest.root(first), forged.root(size), proof)


def test_the_client_functions_import_without_django():
    code = (
        "import sys, registry.transparency as t;"
        "assert 'django' not in sys.modules, 'django imported';"
        "print(t.merkle_root([t.leaf_hash(b'')]).hex())"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == CT_ROOTS[1]


# ---------------------------------------------------------------- the log in the database


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def publish(count: int, *, start: int = 0) -> list[LogEntry]:
    return transparency.append_many(
        [
            {
                "registration_number": f"EPD-STEEL-2026-{i:06d}",
                "version": 1,
                "artefact": "document.pdf",
                "sha256": digest(f"pdf {i}"),
                "event": "published",
            }
            for i in range(start, start + count)
        ]
    )


def verified_head(client) -> dict:
    head = client.get("/api/v1/log/tree-head").json()
    signed = {k: head[k] for k in ("tree_size", "root_hash", "timestamp")}
    assert signing.verify_json(signed, head["signature"]).authentic
    return head


def served_leaf(entry: dict) -> bytes:
    return hashlib.sha256(b"\x00" + rfc8785.dumps(entry)).digest()


def test_append_gives_consecutive_indexes_and_a_signed_head_over_the_served_entries(db, client):
    transparency.append(registration_number="EPD-STEEL-2026-000001", version=1, artefact="epd.json", sha256=digest("a"), event="published")
    publish(6, start=2)
    head = verified_head(client)
    assert head["tree_size"] == 7
    entries = client.get("/api/v1/log/entries").json()["entries"]
    assert [e["index"] for e in entries] == list(range(7))
    assert entries[0] == {
        "index": 0,
        "registration_number": "EPD-STEEL-2026-000001",
        "version": 1,
        "artefact": "epd.json",
        "sha256": digest("a"),
        "event": "published",
        "logged_at": entries[0]["logged_at"],
    }
    assert entries[0]["logged_at"].endswith("Z")
    leaves = [served_leaf(e) for e in entries]
    assert naive_mth_of_leaves(leaves).hex() == head["root_hash"]


def naive_mth_of_leaves(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return hashlib.sha256(b"\x01" + naive_mth_of_leaves(leaves[:k]) + naive_mth_of_leaves(leaves[k:])).digest()


def test_append_refuses_malformed_entries(db):
    good = {
        "registration_number": "EPD-STEEL-2026-000001",
        "version": 1,
        "artefact": "epd.json",
        "sha256": digest("a"),
        "event": "published",
    }
    for bad in ({"sha256": "ABC"}, {"sha256": digest("a").upper()}, {"event": "deleted"}, {"version": 0}, {"artefact": ""}):
        with pytest.raises(ValueError):
            transparency.append(**{**good, **bad})
    assert transparency.current_size() == 0


def test_the_empty_log_has_a_signed_head_of_size_zero(db, client):
    head = verified_head(client)
    assert (head["tree_size"], head["root_hash"]) == (0, EMPTY_ROOT.hex())
    assert client.get("/api/v1/log/entries").json() == {"tree_size": 0, "start": 0, "entries": []}


def test_inclusion_proofs_from_the_api_verify_against_the_signed_head(db, client):
    publish(13)
    head = verified_head(client)
    root = bytes.fromhex(head["root_hash"])
    for entry in client.get("/api/v1/log/entries").json()["entries"]:
        leaf = served_leaf(entry)
        by_index = client.get("/api/v1/log/proof/inclusion", {"leaf_index": entry["index"], "tree_size": 13}).json()
        by_hash = client.get("/api/v1/log/proof/inclusion", {"hash": leaf.hex()}).json()
        assert by_index == by_hash
        assert by_index["leaf_hash"] == leaf.hex()
        path = [bytes.fromhex(h) for h in by_index["inclusion_path"]]
        assert verify_inclusion(entry["index"], 13, leaf, path, root)


def test_consistency_proofs_link_an_old_head_to_the_new_one(db, client):
    publish(5)
    old = verified_head(client)
    call_command("rotate_signing_key")  # heads signed before a rotation still verify
    publish(9, start=5)
    new = verified_head(client)
    assert verified_head(client) == new
    proof = client.get("/api/v1/log/proof/consistency", {"first": old["tree_size"], "second": new["tree_size"]}).json()
    assert proof["first"] == 5 and proof["second"] == 14
    path = [bytes.fromhex(h) for h in proof["consistency_path"]]
    assert verify_consistency(5, 14, bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"]), path)
    same = client.get("/api/v1/log/proof/consistency", {"first": 14}).json()
    assert same == {"first": 14, "second": 14, "consistency_path": []}


def test_roots_at_every_past_size_match_an_independent_computation(db):
    entries = publish(37)
    leaves = [served_leaf(entry.as_document()) for entry in entries]
    for size in range(1, 38):
        assert transparency.root_at(size) == naive_mth_of_leaves(leaves[:size])
    assert transparency.audit_entries() == []


def test_a_changed_entry_does_not_prove_its_inclusion(db, client):
    publish(6)
    root = bytes.fromhex(verified_head(client)["root_hash"])
    entry = client.get("/api/v1/log/entries", {"start": 3, "end": 3}).json()["entries"][0]
    proof = client.get("/api/v1/log/proof/inclusion", {"leaf_index": 3}).json()
    path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
    assert verify_inclusion(3, 6, served_leaf(entry), path, root)
    for field, value in (("sha256", digest("another pdf")), ("event", "revoked"), ("version", 2), ("index", 4)):
        assert not verify_inclusion(3, 6, served_leaf({**entry, field: value}), path, root), field


def test_an_entry_rewritten_in_the_database_is_detected(db, client):
    """Someone with write access to the database (on PostgreSQL: who also disables the trigger)."""
    publish(6)
    root = bytes.fromhex(verified_head(client)["root_hash"])
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("ALTER TABLE registry_logentry DISABLE TRIGGER registry_logentry_append_only")
        cursor.execute('UPDATE registry_logentry SET sha256 = %s WHERE "index" = 3', [digest("a quietly swapped pdf")])
        if postgres:
            cursor.execute("ALTER TABLE registry_logentry ENABLE TRIGGER registry_logentry_append_only")
    entry = client.get("/api/v1/log/entries", {"start": 3, "end": 3}).json()["entries"][0]
    assert entry["sha256"] == digest("a quietly swapped pdf")
    path = [bytes.fromhex(h) for h in client.get("/api/v1/log/proof/inclusion", {"leaf_index": 3}).json()["inclusion_path"]]
    assert not verify_inclusion(3, 6, served_leaf(entry), path, root)
    assert transparency.audit_entries() == [
        "entry 3 does not hash to the leaf logged for it: it was rewritten",
        "the entries, hashed again, do not add up to the signed root hash: entries were rewritten",
    ]


def test_log_rows_refuse_changes_in_the_model(db):
    entry = publish(1)[0]
    entry.refresh_from_db()
    entry.sha256 = digest("other")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        LogNode.objects.first().delete()


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE registry_logentry SET sha256 = %s",
        "DELETE FROM registry_logentry WHERE sha256 <> %s",
        "UPDATE registry_lognode SET hash = decode(%s, 'hex')",
        "DELETE FROM registry_lognode WHERE hash <> decode(%s, 'hex')",
    ],
)
def test_postgresql_refuses_rewriting_the_log(db, statement):
    publish(3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [digest("x")])


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishers_get_distinct_consecutive_indexes():
    errors: list[BaseException] = []

    def publisher(number: int) -> None:
        try:
            for round_ in range(5):
                with transaction.atomic():
                    transparency.append_many(
                        [
                            {
                                "registration_number": f"EPD-STEEL-2026-{number:06d}",
                                "version": round_ + 1,
                                "artefact": name,
                                "sha256": digest(f"{number} {round_} {name}"),
                                "event": "published",
                            }
                            for name in ("document.pdf", "epd.json")
                        ]
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(LogEntry.objects.values_list("index", flat=True)) == list(range(80))
    assert transparency.current_size() == 80
    assert transparency.audit_entries() == []
    # Each publisher's two artefacts went in together, side by side.
    pairs = LogEntry.objects.values_list("index", "registration_number", "version")
    by_index = {index: (number, version) for index, number, version in pairs}
    assert all(by_index[i] == by_index[i + 1] for i in range(0, 80, 2))


# ---------------------------------------------------------------- API contract


def test_entries_are_paged_and_clipped_to_the_log(db, client):
    publish(transparency.PAGE_SIZE + 5)
    page = client.get("/api/v1/log/entries").json()
    assert page["tree_size"] == transparency.PAGE_SIZE + 5
    assert len(page["entries"]) == transparency.PAGE_SIZE
    rest = client.get("/api/v1/log/entries", {"start": transparency.PAGE_SIZE, "end": 10**9}).json()
    assert [e["index"] for e in rest["entries"]] == list(range(transparency.PAGE_SIZE, transparency.PAGE_SIZE + 5))
    assert client.get("/api/v1/log/entries", {"start": 2, "end": 4}).json()["entries"][0]["index"] == 2
    assert client.get("/api/v1/log/entries", {"start": transparency.PAGE_SIZE + 5}).json()["entries"] == []


BAD_REQUESTS = [
    ("entries", {"start": "abc"}, "start"),
    ("entries", {"start": "-1"}, "start"),
    ("entries", {"start": "1\x00"}, "start"),
    ("entries", {"start": "1_0"}, "start"),
    ("entries", {"start": "99"}, "start"),
    ("entries", {"start": "3", "end": "2"}, "end"),
    ("entries", {"end": "1e3"}, "end"),
    ("proof/inclusion", {}, "leaf_index"),
    ("proof/inclusion", {"leaf_index": "x"}, "leaf_index"),
    ("proof/inclusion", {"leaf_index": "5", "tree_size": "5"}, "leaf_index"),
    ("proof/inclusion", {"leaf_index": "0", "tree_size": "6"}, "tree_size"),
    ("proof/inclusion", {"leaf_index": "0", "tree_size": "0"}, "tree_size"),
    ("proof/inclusion", {"leaf_index": "99999999999999999999999"}, "leaf_index"),
    ("proof/inclusion", {"hash": "zz"}, "hash"),
    ("proof/inclusion", {"hash": "\x00" * 64}, "hash"),
    ("proof/inclusion", {"leaf_index": "0", "hash": "0" * 64}, "leaf_index"),
    ("proof/consistency", {}, "first"),
    ("proof/consistency", {"first": "0"}, "first"),
    ("proof/consistency", {"first": "4", "second": "3"}, "first"),
    ("proof/consistency", {"first": "1", "second": "6"}, "second"),
    ("proof/consistency", {"first": "9223372036854775808"}, "first"),
]


@pytest.mark.parametrize(("endpoint", "params", "parameter"), BAD_REQUESTS)
def test_bad_parameters_are_a_400_naming_the_parameter(db, client, endpoint, params, parameter):
    publish(5)
    response = client.get(f"/api/v1/log/{endpoint}", params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert [f["field"] for f in error["findings"]] == [parameter]
    assert parameter in error["message"]


def test_an_unknown_leaf_hash_is_a_404(db, client):
    publish(2)
    response = client.get("/api/v1/log/proof/inclusion", {"hash": "ab" * 32})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("size", [10, 300])
def test_log_endpoints_run_a_fixed_number_of_queries(db, client, django_assert_num_queries, size):
    publish(size)
    with django_assert_num_queries(1):
        client.get("/api/v1/log/tree-head")
    with django_assert_num_queries(2):
        assert client.get("/api/v1/log/proof/inclusion", {"leaf_index": size // 3}).status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/api/v1/log/proof/consistency", {"first": size // 3}).status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/api/v1/log/entries", {"start": 1, "end": 5}).status_code == 200


def test_the_openapi_schema_documents_the_trust_endpoints(db, client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    paths = schema["paths"]
    for path in (
        "/api/v1/keys/",
        "/api/v1/keys/root.pem",
        "/api/v1/log/tree-head",
        "/api/v1/log/entries",
        "/api/v1/log/proof/inclusion",
        "/api/v1/log/proof/consistency",
    ):
        assert "get" in paths[path], path
    parameters = {p["name"] for p in paths["/api/v1/log/proof/inclusion"]["get"]["parameters"]}
    assert parameters == {"leaf_index", "hash", "tree_size"}
    assert "400" in paths["/api/v1/log/proof/consistency"]["get"]["responses"]
    assert "application/x-pem-file" in paths["/api/v1/keys/root.pem"]["get"]["responses"]["200"]["content"]
