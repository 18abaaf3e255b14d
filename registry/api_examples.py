"""Examples of the public registry API's answers for the OpenAPI document (/api/schema/, /api/docs/).

A test checks each one against its schema (tests/test_openapi_document.py). Hashes, keys and signatures
here are shaped like real ones, not real."""

from drf_spectacular.utils import OpenApiExample

from declarations import catalogue

SITE = "https://epd.example.org"
NUMBER = "EPD-STEEL-2026-000123"


def _links(version: int | None = None) -> dict[str, str]:
    query = f"?version={version}" if version else ""
    return {
        "self": f"{SITE}/api/v1/epds/{NUMBER}/{query}",
        "registry": f"{SITE}/epds/{NUMBER}/{query}",
        "pdf": f"{SITE}/api/v1/epds/{NUMBER}/document.pdf{query}",
    }


ENTRY = {
    "registration_number": NUMBER,
    "version": 2,
    "product": {"name": "Reinforcing steel B500B", "name_zh": "钢筋 B500B"},
    "manufacturer": {"id": 17, "name": "Huadong Iron & Steel Co."},
    "country": "CN",
    "category": "long.rebar",
    "production_route": "scrap_eaf",
    "pcr": "en17662",
    "declared_unit": "1 t",
    "gwp_a1a3": 612.0,
    "gwp_a1a3_per_tonne": 612.0,
    "recycled_content": 92.5,
    "published_at": "2026-11-02T08:15:00Z",
    "valid_until": "2031-11-02",
    "status": "valid",
    "links": _links(),
}
SHA = "3b7e1f0c9a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"

SEARCH = [
    OpenApiExample(
        "One page",
        value={"next": f"{SITE}/api/v1/epds/?cursor=cD0yMDI2LTExLTAy&q=rebar", "previous": None, "results": [ENTRY], "suggestions": []},
        response_only=True,
    )
]
FACETS = [
    OpenApiExample(
        "Rebar in China",
        value={
            "count": 214,
            "facets": {
                "category": [{"value": "long.rebar", "count": 201}, {"value": "stainless.rebar", "count": 13}],
                "production_route": [{"value": "scrap_eaf", "count": 150}, {"value": "bf_bof", "count": 64}],
                "country": [{"value": "CN", "count": 214}],
            },
            "suggestions": [],
        },
        response_only=True,
    ),
    OpenApiExample(
        "Nothing found: what to drop or correct",
        value={
            "count": 0,
            "facets": {"category": [], "production_route": [], "country": []},
            "suggestions": [
                {"correct": "rebbar", "to": "rebar", "q": "rebar stainless galvanized"},
                {"drop": "q", "value": "galvanized", "q": "rebbar stainless", "count": 3},
                {"drop": "country", "value": "SE", "count": 12},
            ],
        },
        response_only=True,
    ),
]
DETAIL = [
    OpenApiExample(
        "The latest version",
        value={
            **ENTRY,
            "status_reason": "",
            "status_changed_at": "2026-11-02T08:15:00Z",
            "is_latest": True,
            "superseded_by": None,
            "category_percentile": {"category": "long.rebar", "count": 214, "lower_than_percent": 69},
            "artefacts": [
                {
                    "name": "document.pdf",
                    "sha256": SHA,
                    "size": 1048576,
                    "content_type": "application/pdf",
                    "url": f"{SITE}/api/v1/epds/{NUMBER}/document.pdf?version=2",
                    "log_index": 246,
                    "inclusion_proof": f"{SITE}/api/v1/log/proof/inclusion?leaf_index=246",
                }
            ],
            "document": {"registration_number": NUMBER, "version": 2, "results": {"GWP-total": {"A1-A3": "612"}}, "…": "…"},
        },
        response_only=True,
    )
]
VERSIONS = [
    OpenApiExample(
        "The latest of the versions",
        value={**ENTRY, "links": _links(2)},  # drf-spectacular lists it: the answer is an array of these
        response_only=True,
    )
]
DOCUMENTS = [
    OpenApiExample("document.pdf", external_value=f"{SITE}/api/v1/epds/{NUMBER}/document.pdf", media_type="application/pdf"),
    OpenApiExample(
        "epd.json (abridged)",
        value={"registration_number": NUMBER, "version": 2, "results": {"GWP-total": {"A1-A3": "612"}}, "…": "…"},
        media_type="application/json",
    ),
    OpenApiExample(
        "epd.jws (detached payload)",
        value="eyJhbGciOiJFUzI1NiIsImtpZCI6IjNiN2UxZjBjIiwiYjY0IjpmYWxzZSwiY3JpdCI6WyJiNjQiXX0..MEUCIQD3",
        media_type="application/jose",
    ),
    OpenApiExample(
        "ilcd.xml (abridged)",
        value='<?xml version="1.0" encoding="UTF-8"?>\n<processDataSet xmlns="http://lca.jrc.it/ILCD/Process">…</processDataSet>\n',
        media_type="application/xml",
    ),
    OpenApiExample(
        "ilcd.zip (ILCD+EPD archive with every referenced dataset and the signed PDF)",
        external_value=f"{SITE}/api/v1/epds/{NUMBER}/ilcd.zip",
        media_type="application/zip",
    ),
]
CATEGORIES = [
    OpenApiExample(
        "One category",
        value={
            "code": "long.rebar",
            "name": catalogue.CATEGORY_BY_CODE["long.rebar"].name,
            "name_zh": catalogue.CATEGORY_BY_CODE["long.rebar"].name_zh,
            "count": 214,
            "gwp_a1a3_per_tonne": {"p10": 410.2, "p25": 520.0, "p50": 690.5, "p75": 1480.0, "p90": 2050.3},
        },
        response_only=True,
    )
]
MANUFACTURERS = [
    OpenApiExample(
        "One page",
        value={
            "next": None,
            "previous": None,
            "results": [
                {
                    "id": 17,
                    "name": "Huadong Iron & Steel Co.",
                    "name_zh": "华东钢铁有限公司",
                    "country": "CN",
                    "valid_epds": 12,
                    "links": {"epds": f"{SITE}/api/v1/epds/?manufacturer=17"},
                }
            ],
        },
        response_only=True,
    )
]
STATUS_CHANGE = [
    OpenApiExample("Suspend", value={"status": "suspended", "reason": "The plant's data are under investigation."}, request_only=True),
    OpenApiExample(
        "Suspended",
        value={
            "registration_number": NUMBER,
            "version": 2,
            "status": "suspended",
            "reason": "The plant's data are under investigation.",
            "changed_at": "2026-11-20T09:00:00Z",
            "links": {"registry": f"{SITE}/epds/{NUMBER}/?version=2"},
        },
        response_only=True,
    ),
]
VERIFY_REQUEST = OpenApiExample(
    "A PDF",
    value={"document": "(the bytes of the PDF, or of epd.json with epd.jws as signature)"},
    media_type="multipart/form-data",
    request_only=True,
)
KEYS = [
    OpenApiExample(
        "One current key",
        value={
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                    "kid": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
                    "use": "sig",
                    "alg": "ES256",
                    "x5c": ["MIIBkTCCATegAwIBAgIU…", "MIIBjDCCATKgAwIBAgIU…"],
                    "x5t#S256": "2Sg8iYjAxxmI2LvUXpJjkYrMxUZkb1X6Y5Lw0v0xIwE",
                    "status": "current",
                    "created": "2026-01-05T00:00:00Z",
                }
            ]
        },
        response_only=True,
    )
]
ROOT_PEM = [
    OpenApiExample(
        "The root certificate",
        value="-----BEGIN CERTIFICATE-----\nMIIBjDCCATKgAwIBAgIU…\n-----END CERTIFICATE-----\n",
        media_type="application/x-pem-file",
        response_only=True,
    )
]
CHECKPOINT = [
    OpenApiExample(
        "A checkpoint (signed note)",
        value="registry.steel-epd.example/log\n247\n4yfYb7jHNEz0ZpsoEJTqF5xfuhc1Iw+Cv+3vPlmOMQ4=\n\n"
        "— registry.steel-epd.example/log lQ2r8c3ZmAf0Wl4w8KdYb…\n",
        media_type="text/plain",
        response_only=True,
    )
]
CHECKPOINT_KEY = [
    OpenApiExample(
        "The log's note verifier key",
        value="registry.steel-epd.example/log+950dabf1+AXjmUxdB0o1bOC5Q1Vt3l4v/sjCS4vVVbjsYk3XPuB0s\n",
        media_type="text/plain",
        response_only=True,
    )
]
TREE_HEAD = [
    OpenApiExample(
        "A signed tree head",
        value={
            "tree_size": 247,
            "root_hash": SHA,
            "timestamp": "2026-11-02T08:15:01Z",
            "signature": "eyJhbGciOiJFUzI1NiIsImtpZCI6Ik56YkxzWGg4In0..MEUCIQD3",
        },
        response_only=True,
    )
]
ENTRIES = [
    OpenApiExample(
        "One entry",
        value={
            "tree_size": 247,
            "start": 246,
            "entries": [
                {
                    "index": 246,
                    "registration_number": NUMBER,
                    "version": 2,
                    "artefact": "document.pdf",
                    "sha256": SHA,
                    "event": "published",
                    "logged_at": "2026-11-02T08:15:00Z",
                }
            ],
        },
        response_only=True,
    )
]
INCLUSION = [
    OpenApiExample(
        "Entry 246 in a tree of 247",
        value={"leaf_index": 246, "tree_size": 247, "leaf_hash": SHA, "inclusion_path": [SHA[::-1], SHA[32:] + SHA[:32]]},
        response_only=True,
    )
]
CONSISTENCY = [
    OpenApiExample(
        "From 200 to 247 entries",
        value={"first": 200, "second": 247, "consistency_path": [SHA[::-1], SHA[32:] + SHA[:32]]},
        response_only=True,
    )
]
# The PKI's binary bodies: DER, so the examples say where a real one comes from.
CRL = [
    OpenApiExample("root.crl (DER)", external_value=f"{SITE}/api/v1/keys/root.crl", media_type="application/pkix-crl", response_only=True)
]
TIMESTAMP_QUERY = [
    OpenApiExample(
        "A TimeStampReq",
        summary="DER bytes, e.g. made by `openssl ts -query -data epd.jws -sha256 -cert -out q.tsq`",
        value="(DER TimeStampReq, about 60 bytes)",
        media_type="application/timestamp-query",
        request_only=True,
    )
]
TIMESTAMP_REPLY = [
    OpenApiExample(
        "A TimeStampResp",
        summary="DER bytes; read them with `openssl ts -reply -in r.tsr -text`",
        value="(DER TimeStampResp: status granted and the TimeStampToken, about 1.5 KB)",
        media_type="application/timestamp-reply",
        response_only=True,
    )
]
TIMESTAMP_TOKEN = [
    OpenApiExample(
        "The token over epd.jws",
        external_value=f"{SITE}/api/v1/timestamps/{SHA}.tst",
        media_type="application/timestamp-token",
        response_only=True,
    )
]
