"""The nightly bulk export: JSON Lines (gzip) of every valid EPD's latest version, for downstream tools."""

import gzip
import json
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder

from .models import RegistryEntry, RegistryStatus
from .public import EXPORT_PATH, entry_summary


def write_export(progress=None) -> int:
    """Write exports/epds.jsonl.gz (replacing yesterday's); one line per EPD: its summary and signed document."""
    count = 0
    entries = RegistryEntry.objects.filter(status=RegistryStatus.VALID, is_latest=True).select_related("publication").order_by("id")
    with tempfile.TemporaryFile() as buffer:  # at 100,000 EPDs the export is too big to build in memory
        with gzip.GzipFile(fileobj=buffer, mode="wb") as archive:
            for entry in entries.iterator(chunk_size=2000):
                line = {**entry_summary(entry), "document": entry.publication.document}
                archive.write(json.dumps(line, cls=DjangoJSONEncoder, ensure_ascii=False).encode() + b"\n")
                count += 1
                if progress:
                    progress(1)
        buffer.seek(0)
        if default_storage.exists(EXPORT_PATH):
            default_storage.delete(EXPORT_PATH)
        default_storage.save(EXPORT_PATH, File(buffer, name="epds.jsonl.gz"))
    return count
