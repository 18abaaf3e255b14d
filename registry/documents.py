"""The platform's full JSON of a published EPD: what the mill declared, plus the publication block."""

from datetime import date, timedelta

from django.conf import settings

from declarations import catalogue, thresholds
from declarations.models import Declaration
from declarations.validation import add_years

REGISTRATION_PREFIX = "EPD-STEEL"
FORMAT = "steel-epd-platform/epd/1"


def registration_number(declaration: Declaration, year: int) -> str:
    """EPD-STEEL-<year of first publication>-<EPD id>: unique, and the same whoever computes it."""
    return declaration.epd.registration_number or f"{REGISTRATION_PREFIX}-{year}-{declaration.epd_id:06d}"


def validity(issued: date, requested: date | None, *, first_issued: date | None = None) -> date:
    """At most five years from the date of issue (EN 15804 clause 9) — the first one, for an EPD issued by another
    programme before it was registered here; earlier when the mill asked for it."""
    limit = add_years(first_issued or issued, thresholds.MAX_VALIDITY_YEARS) - timedelta(days=1)
    return min(requested, limit) if requested and requested >= issued else limit


def standard_of(document: dict) -> str:
    """The standard a published document claims, as its PCR states it (documents older than `lca.standard` too)."""
    lca = document.get("lca") or {}
    return lca.get("standard") or catalogue.standard_name((lca.get("pcr") or {}).get("core_standard") or "")


def links(number: str, version: int) -> dict[str, str]:
    api = f"{settings.SITE_URL}/api/v1/epds/{number}"
    query = f"?version={version}"
    return {
        "registry": f"{settings.SITE_URL}/epds/{number}/{query}",
        "pdf": f"{api}/document.pdf{query}",
        "json": f"{api}/epd.json{query}",
        "json_signature": f"{api}/epd.jws{query}",
        "openepd": f"{api}/openepd.json{query}",
        "openepd_signature": f"{api}/openepd.jws{query}",
        "ilcd": f"{api}/ilcd.xml{query}",
        "ilcd_zip": f"{api}/ilcd.zip{query}",
        "keys": f"{settings.SITE_URL}/api/v1/keys/",
        "log": f"{settings.SITE_URL}/api/v1/log/tree-head",
    }


def build_document(declaration: Declaration, *, number: str, issued: date, valid_until: date) -> dict:
    declared = declaration.as_document()
    report_digest = declared.pop("report_sha256")
    return {
        "format": FORMAT,
        "registration_number": number,
        "version": declaration.version,
        "issued": issued.isoformat(),
        "valid_until": valid_until.isoformat(),
        "programme_operator": dict(settings.PROGRAMME_OPERATOR),
        **declared,
        "lca_report_sha256": report_digest,
        "verification": declaration.verification_statement.as_document(),
        "supersedes": {"registration_number": number, "version": declaration.version - 1} if declaration.version > 1 else None,
        "links": links(number, declaration.version),
    }
