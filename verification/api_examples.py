"""Examples of the review API's bodies for the OpenAPI document (/api/schema/, /api/docs/).

A test checks each one against its schema (tests/test_openapi_document.py)."""

from drf_spectacular.utils import OpenApiExample

from . import review

STORED_FINDING = {
    "id": 311,
    "severity": "warning",
    "check": "P3",
    "message": "GWP-total A1-A3 of 612 kg CO2 eq./t is low for scrap EAF rebar (usual 350–900): check it.",
    "message_zh": "废钢电炉钢筋的 A1-A3 GWP-total 为 612 kg CO2 当量/吨，偏低（常见 350–900）：请核实。",
    "field": "",
    "indicator": "GWP-total",
    "module": "A1-A3",
    "acknowledged_by": "vera",
    "acknowledged_at": "2026-10-09T11:20:00Z",
    "acknowledgement": "Confirmed against the plant's energy bills.",
}
COMMENT = {
    "id": 7,
    "author": "vera",
    "author_role": "verifier",
    "created_at": "2026-10-09T11:05:00Z",
    "revision_number": 1,
    "parent": None,
    "field": "",
    "indicator": "GWP-total",
    "module": "C3",
    "text": "C3 is lower than the scrap preparation data in the report, table 12: please check.",
}
REVIEW_SUMMARY = {
    "id": 42,
    "product_name": "Reinforcing steel B500B",
    "organization": "Huadong Iron & Steel Co.",
    "version": 1,
    "revision": 1,
    "status": "in_verification",
    "category": "long.rebar",
    "production_route": "scrap_eaf",
    "submitted_at": "2026-10-08T10:00:00Z",
    "verifier": "vera",
}
# Approved, so that it shows the statement too.
REVIEW = {
    **REVIEW_SUMMARY,
    "status": "approved",
    "document": {"product": {"name": "Reinforcing steel B500B"}, "results": {"GWP-total": {"A1-A3": "612"}}, "…": "…"},
    "findings": [STORED_FINDING],
    "checklist": [{"item": key, "label": str(label), "confirmed": key == "pcr_conformity"} for key, label in review.CHECKLIST.items()],
    "comments": [COMMENT],
    "statement": {
        "verifier_name": "Vera Lindqvist",
        "body_name": "Nordic Verification AB",
        "accreditation_number": "VB-2026-017",
        "accredited_by": "CNAS",
        "kind": "external",
        "statement": review.DEFAULT_STATEMENT,
        "follow_up": False,
        "verified_on": "2026-10-10",
    },
    "audit": [
        {
            "at": "2026-10-08T10:05:00Z",
            "actor": "olga",
            "from_status": "submitted",
            "to_status": "in_verification",
            "comment": "Assigned to vera.",
        }
    ],
    "allowed_moves": [],
}

STORED_FINDING_EXAMPLES = [OpenApiExample("An acknowledged warning", value=STORED_FINDING, response_only=True)]
COMMENT_EXAMPLES = [OpenApiExample("On an indicator", value=COMMENT, response_only=True)]
REVIEW_LIST_EXAMPLES = [OpenApiExample("Under review", value=REVIEW_SUMMARY, response_only=True)]
REVIEW_EXAMPLES = [OpenApiExample("Under review", value=REVIEW, response_only=True)]
REVISION_EXAMPLES = [
    OpenApiExample(
        "The first submission",
        value={"number": 1, "created_at": "2026-10-08T10:00:00Z", "findings": [STORED_FINDING]},
        response_only=True,
    )
]
DIFF_EXAMPLES = [
    OpenApiExample(
        "Two values and a field",
        value={
            "results": [
                {"indicator": "GWP-total", "module": "C3", "before": "1.7", "after": "2.4"},
                {"indicator": "GWP-fossil", "module": "C3", "before": "1.7", "after": "2.4"},
            ],
            "fields": [{"field": "cut_off", "before": "", "after": "Less than 1 % of mass and energy per module left out."}],
        },
        response_only=True,
    )
]
COMMENT_INPUT_EXAMPLES = [
    OpenApiExample(
        "On an indicator",
        value={"text": "C3 is lower than the report's table 12: please check.", "indicator": "GWP-total", "module": "C3"},
        request_only=True,
    )
]
DECISION_INPUT_EXAMPLES = [
    OpenApiExample("What to change", value={"comment": "Model C3 with the scrap preparation data of table 12."}, request_only=True)
]
APPROVE_INPUT_EXAMPLES = [
    OpenApiExample(
        "External verification",
        value={"statement": review.DEFAULT_STATEMENT, "kind": "external", "follow_up": False},
        request_only=True,
    )
]
ACKNOWLEDGE_INPUT_EXAMPLES = [
    OpenApiExample("A warning checked", value={"finding": 311, "comment": "Confirmed against the plant's energy bills."}, request_only=True)
]
CHECKLIST_INPUT_EXAMPLES = [
    OpenApiExample("Two items done", value={"items": {"pcr_conformity": True, "data_representativeness": True}}, request_only=True)
]
ASSIGNMENT_EXAMPLES = [
    OpenApiExample(
        "Assigned",
        value={
            "id": 5,
            "declaration": 42,
            "verifier": "vera",
            "accreditation": "VB-2026-017",
            "assigned_by": "olga",
            "assigned_at": "2026-10-08T10:05:00Z",
            "ended_at": None,
        },
        response_only=True,
    ),
    OpenApiExample("Assign vera", value={"declaration": 42, "verifier": "vera"}, request_only=True),
]
ACCREDITATION = {
    "verifier": "vera",
    "number": "VB-2026-017",
    "accredited_by": "CNAS",
    "scope": "EN 15804+A2 EPDs of steel products",
    "valid_from": "2026-01-01",
    "valid_until": "2030-12-31",
    "active": True,
}
ACCREDITATION_EXAMPLES = [
    OpenApiExample("Accredited", value={"id": 3, "body": "Nordic Verification AB", **ACCREDITATION}, response_only=True),
    OpenApiExample("Accredit vera", value=ACCREDITATION, request_only=True),
]
