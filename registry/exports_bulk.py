"""The nightly bulk export: JSON Lines (gzip) of every valid EPD's latest version, for downstream tools."""

import contextlib
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder

from .models import RegistryEntry, RegistryStatus
from .public import EXPORT_PATH, entry_summary

PARTIAL_PREFIX, PARTIAL_SUFFIX = ".epds.", ".partial"
STALE_PARTIAL_SECONDS = 24 * 3600


def write_export(progress=None) -> int:
    """Write exports/epds.jsonl.gz, one line per EPD: its summary and signed document. Returns the count.

    The new export is written beside the old one under a temporary name, flushed to disk, then renamed over
    it (os.replace, atomic on one file system): a download, before or during the export, gets one whole
    export, never a half-written file or none. Needs a storage with local paths (FileSystemStorage)."""
    target = Path(default_storage.path(EXPORT_PATH))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(target.parent)
    entries = RegistryEntry.objects.filter(status=RegistryStatus.VALID, is_latest=True).select_related("publication").order_by("id")
    count = 0
    partial = tempfile.NamedTemporaryFile(dir=target.parent, prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX, delete=False)  # noqa: SIM115
    try:
        with partial:
            # Streamed: at 100,000 EPDs the export is too big to build in memory.
            with gzip.GzipFile(filename="epds.jsonl.gz", mode="wb", fileobj=partial) as archive:
                for entry in entries.iterator(chunk_size=2000):
                    line = {**entry_summary(entry), "document": entry.publication.document}
                    archive.write(json.dumps(line, cls=DjangoJSONEncoder, ensure_ascii=False).encode() + b"\n")
                    count += 1
                    if progress:
                        progress(1)
            partial.flush()
            os.fsync(partial.fileno())
        os.chmod(partial.name, default_storage.file_permissions_mode or 0o644)  # web workers may be another user
        os.replace(partial.name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial.name)
        raise
    _fsync_directory(target.parent)  # the rename itself survives a crash
    return count


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_stale_partials(directory: Path) -> None:
    """A killed export leaves its temporary file; one a day old is nobody's any more (a running one is younger)."""
    for path in directory.glob(f"{PARTIAL_PREFIX}*{PARTIAL_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < time.time() - STALE_PARTIAL_SECONDS:
                path.unlink()
