"""openEPD ids of published versions: open xPD UUIDs computed from the registration number and version.

An openEPD document's `id` is an open xPD UUID (8 symbols of a 32-letter alphabet, cqd.open_xpd_uuid).
Issuers keep to a prefix of their own (EC3's ids start "EC3"); ours is settings.OPENEPD_ID_PREFIX, two
symbols, and the other six (30 bits) hold the EPD number of EPD-STEEL-YYYY-NNNNNN (24 bits, up to
16,777,215) and the version (6 bits, 1 to 64):

    EPD-STEEL-2026-000123 version 2  →  "SE" + encode(123 · 64 + 1)  =  "SE0007P1"

So every version has its own id, the same whoever computes it and whenever (it goes into the signed
document before the version is stored), and it never changes. The prefix must not change either once
documents are published: it is part of every id.
"""

import re

from cqd import open_xpd_uuid
from django.conf import settings

VERSION_BITS = 6
_NUMBER = re.compile(r"-(\d+)$")


class IdOutOfRange(ValueError):
    """The registration number or version does not fit the id layout."""


def _payload_symbols() -> int:
    return open_xpd_uuid.CODE_LENGTH - len(settings.OPENEPD_ID_PREFIX)


def openxpd_id(registration_number: str, version: int) -> str:
    """The openEPD id of one published version, canonical (capitals, no checksum)."""
    match = _NUMBER.search(registration_number)
    if match is None:
        raise IdOutOfRange(f"{registration_number!r} does not end in a number")
    number = int(match.group(1))
    capacity = open_xpd_uuid.DICTIONARY_SIZE ** _payload_symbols()
    if not 1 <= version <= 2**VERSION_BITS or (number << VERSION_BITS) >= capacity:
        raise IdOutOfRange(f"{registration_number} version {version} does not fit an openEPD id")
    payload = open_xpd_uuid.encode((number << VERSION_BITS) | (version - 1)).rjust(_payload_symbols(), "0")
    return settings.OPENEPD_ID_PREFIX + payload


def canonical(text: str) -> str | None:
    """`text` as a canonical id if it is an open xPD UUID in any accepted form (lower case, dashes, a
    checksum), else None."""
    return open_xpd_uuid.canonical_without_checksum(text, none_on_error=True) if text else None
