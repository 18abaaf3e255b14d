"""The bulk export (exports/epds.jsonl.gz): replaced whole, so a download during an export is still one
complete export; conditional downloads by ETag and Last-Modified; a 404 before the first export that says
how to make one."""

import gzip
import sys
import threading
import zlib
from pathlib import Path

import pytest
from django.core.management import call_command

from registry.exports_bulk import write_export
from registry.models import RegistryEntry

URL = "/api/v1/exports/epds.jsonl.gz"


@pytest.fixture
def registry(db):
    call_command("generate_registry", count=60, seed=11, per_manufacturer=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return RegistryEntry.objects.filter(status="valid", is_latest=True)


def download(client) -> tuple[int, list[bytes]]:
    response = client.get(URL)
    if response.status_code != 200:
        return response.status_code, []
    return 200, gzip.decompress(b"".join(response.streaming_content)).splitlines()


def test_before_the_first_export_the_404_says_how_to_make_one(client, db):
    response = client.get(URL)
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert "manage.py export_registry" in message and "registry.tasks.export_registry" in message
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"]["message"]
    assert "尚无导出文件" in chinese and "manage.py export_registry" in chinese


def test_a_download_during_an_export_is_always_one_whole_export(client, registry):
    expected = registry.count()
    write_export()
    answers: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_downloading():
        while not stop.is_set():
            try:
                status, lines = download(client)
                answers.append((status, len(lines)))
            except (EOFError, OSError, zlib.error) as error:  # a truncated or half-written gzip
                failures.append(error)

    reader = threading.Thread(target=keep_downloading)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the two threads take turns often, so the reader lands inside the writes
    reader.start()
    try:
        for _ in range(8):
            assert write_export() == expected
    finally:
        stop.set()
        reader.join()  # it stops at the next answer once `stop` is set
        sys.setswitchinterval(switch_interval)
    assert not failures, failures[:3]
    assert len(answers) > 8
    assert set(answers) == {(200, expected)}


def test_the_new_export_is_written_beside_the_old_one_then_renamed_over_it(client, registry, settings):
    """Deterministic half of the test above: mid-export, the path still holds the whole previous export and
    the new one grows under another name in the same directory; the file that ends up at the path is that one
    (the same inode: renamed, not copied), so there is no moment at which the path holds part of a file."""
    write_export()
    directory = Path(settings.MEDIA_ROOT) / "exports"
    target = directory / "epds.jsonl.gz"
    previous_inode = target.stat().st_ino
    seen: dict[str, int] = {}

    def look(_step):
        if seen:
            return
        beside = [p for p in directory.iterdir() if p != target]
        assert len(beside) == 1, beside
        seen["partial_inode"] = beside[0].stat().st_ino
        seen["lines_at_path"] = len(gzip.decompress(target.read_bytes()).splitlines())
        seen["inode_at_path"] = target.stat().st_ino

    write_export(progress=look)
    assert seen["lines_at_path"] == registry.count() and seen["inode_at_path"] == previous_inode
    assert target.stat().st_ino == seen["partial_inode"] != previous_inode
    assert [p.name for p in directory.iterdir()] == ["epds.jsonl.gz"]


def test_a_failed_export_keeps_the_last_one_and_leaves_no_temporary_file(client, registry, settings):
    expected = registry.count()
    write_export()

    def fail_halfway(_step, seen=[0]):  # noqa: B006
        seen[0] += 1
        if seen[0] == expected // 2:
            raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        write_export(progress=fail_halfway)
    status, lines = download(client)
    assert (status, len(lines)) == (200, expected)
    assert [p.name for p in (Path(settings.MEDIA_ROOT) / "exports").iterdir()] == ["epds.jsonl.gz"]


def test_etag_and_last_modified_answer_304_until_the_next_export(client, registry):
    write_export()
    first = client.get(URL)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and last_modified
    b"".join(first.streaming_content)
    unchanged = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag and not unchanged.content
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    write_export()
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
    assert len(gzip.decompress(b"".join(again.streaming_content)).splitlines()) == registry.count()
