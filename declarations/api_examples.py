"""Examples of the producer API's bodies for the OpenAPI document (/api/schema/, /api/docs/).

A test checks each one against its schema (tests/test_openapi_document.py), so they stay true as the
serializers change."""

from drf_spectacular.utils import OpenApiExample

from . import catalogue

SITE = "https://epd.example.org"

WRITABLE_DECLARATION = {
    "product_name": "Reinforcing steel B500B",
    "product_name_zh": "钢筋 B500B",
    "description": "Hot-rolled ribbed bars, 8–40 mm, from scrap in an electric arc furnace.",
    "category": "long.rebar",
    "standards": ["EN 10080", "GB/T 1499.2"],
    "grades": ["B500B", "HRB400E"],
    "production_route": "scrap_eaf",
    "recycled_content": "92.50",
    "declared_unit": "1 t",
    "pcr": "en17662",
    "lca_software": "openLCA 2.1",
    "background_database": "ecoinvent 3.10",
    "characterisation_method": "EF 3.1",
    "reference_year": 2025,
    "data_period_start": "2025-01-01",
    "data_period_end": "2025-12-31",
    "scenarios": {"C1": "Demolition with hydraulic shears", "C2": {"description": "Truck to the scrap yard", "distance_km": 50}},
    "allocation": "Mass allocation between steel and slag.",
    "cut_off": "Less than 1 % of mass and energy per module left out.",
    "data_quality": "Plant data of 2025; background data not older than 5 years.",
    "lca_practitioner": "Dr. Li Wei",
    "lca_practitioner_organization": None,
    "renewable_electricity_claim": False,
    "biogenic_carbon_product": "0.0000",
    "biogenic_carbon_packaging": "0.1200",
    "valid_until": None,
    "original_issue_date": None,
    "registrations_elsewhere": [],
    "other_names": {},
    "pcr_named": "",
    "plants": [{"name": "Huadong Steel, Plant 2", "country": "CN", "city": "Changzhou"}],
}

DECLARATION = {
    "id": 42,
    "url": f"{SITE}/api/v1/declarations/42/",
    "organization": "Huadong Iron & Steel Co.",
    "registration_number": None,
    "version": 1,
    "status": "draft",
    "revision": 0,
    **WRITABLE_DECLARATION,
    "declared_modules": ["A1-A3", "C1", "C2", "C3", "C4", "D"],
    "results_method": "",
    "report": {"name": "lca-report-b500b.pdf", "sha256": "9f2c4b1e0a7d3c6b5e8f1a2d4c7b0e3f6a9d2c5b8e1f4a7d0c3b6e9f2a5d8c1b"},
    "created_at": "2026-10-05T09:12:00Z",
    "updated_at": "2026-10-07T15:40:00Z",
    "submitted_at": None,
}

DECLARATION_EXAMPLES = [
    OpenApiExample("A draft", value=DECLARATION, response_only=True),
    OpenApiExample("Fields of a declaration", value=WRITABLE_DECLARATION, request_only=True),
]

RESULTS = {
    "declared_modules": ["A1-A3", "C1", "C2", "C3", "C4", "D"],
    "results": {
        "GWP-total": {"A1-A3": "612", "C1": "4.1", "C2": "6.3", "C3": "1.7", "C4": "0.9", "D": "-105"},
        "GWP-fossil": {"A1-A3": "609", "C1": "4.1", "C2": "6.2", "C3": "1.7", "C4": "0.9", "D": "-104"},
    },
    "warnings": [
        {
            "severity": "warning",
            "check": "P3",
            "message": "GWP-total A1-A3 of 612 kg CO2 eq./t is low for scrap EAF rebar (usual 350–900): check it.",
            "indicator": "GWP-total",
            "module": "A1-A3",
        }
    ],
}
RESULTS_EXAMPLES = [OpenApiExample("The matrix", value=RESULTS, response_only=True)]
IMPORT_EXAMPLES = [
    OpenApiExample(
        "An EPD published elsewhere, as ILCD+EPD",
        value={
            **RESULTS,
            "taken": [
                {
                    "field": "original_issue_date",
                    "label": "first issued on",
                    "before": "",
                    "after": "2023-05-02",
                    "where": "processInformation/time/common:other/epd2:publicationDateOfEPD",
                    "changed": True,
                },
                {
                    "field": "characterisation_method",
                    "label": "characterisation factors",
                    "before": "",
                    "after": "EF 3.0",
                    "where": "LCIAResults/LCIAResult[1]/referenceToLCIAMethodDataSet",
                    "changed": True,
                },
            ],
            "left": [{"severity": "error", "check": "field", "message": "Choose the production route.", "field": "production_route"}],
        },
        response_only=True,
    )
]

FINDING = {
    "severity": "error",
    "check": "C1",
    "message": "Module C3 is declared but has no value for GWP-total.",
    "indicator": "GWP-total",
    "module": "C3",
}
FINDING_EXAMPLES = [OpenApiExample("A missing value", value=FINDING, response_only=True)]

PCR = {
    "code": "en17662",
    "name": "EN 17662:2021 steel and aluminium structural products (c-PCR to EN 15804+A2)",
    "programme": "CEN",
    "version": "2021",
    "core_standard": "EN 15804+A2",
    "is_en15804": True,
}
PCR_EXAMPLES = [OpenApiExample("A c-PCR", value=PCR, response_only=True)]

AUDIT_ENTRY = {
    "at": "2026-10-08T10:00:00Z",
    "actor": "alice (Huadong Iron & Steel Co.)",
    "from_status": "draft",
    "to_status": "submitted",
    "comment": "Ready for verification.",
}
AUDIT_EXAMPLES = [OpenApiExample("Submitted", value=AUDIT_ENTRY, response_only=True)]

FILE_UPLOAD_EXAMPLES = [
    OpenApiExample(
        "A file",
        value={"file": "(the file's bytes: the filled-in template, openEPD JSON or ILCD)"},
        media_type="multipart/form-data",
        request_only=True,
    )
]
TRANSITION_INPUT_EXAMPLES = [OpenApiExample("With a comment", value={"comment": "Ready for verification."}, request_only=True)]
TRANSITION_RESULT_EXAMPLES = [OpenApiExample("Submitted", value={"status": "submitted", "warnings": []}, response_only=True)]

_gwp, _product_stage, _rebar = catalogue.indicators()["GWP-total"], catalogue.modules()["A1-A3"], catalogue.CATEGORY_BY_CODE["long.rebar"]
CATALOGUE = {
    "indicators": [
        {
            "code": _gwp.code,
            "name": _gwp.name,
            "name_zh": _gwp.name_zh,
            "category": _gwp.category,
            "unit": _gwp.unit,
            "mandatory": _gwp.mandatory,
            "openepd_key": _gwp.openepd_key,
            "ilcd_uuid_ef30": _gwp.ilcd_uuid_ef30,
            "ilcd_uuid_ef31": _gwp.ilcd_uuid_ef31,
        }
    ],
    "modules": [
        {"code": _product_stage.code, "name": _product_stage.name, "name_zh": _product_stage.name_zh, "stage": _product_stage.stage}
    ],
    "categories": [{"code": _rebar.code, "name": _rebar.name, "name_zh": _rebar.name_zh}],
    "production_routes": [{"code": "scrap_eaf", "name": str(catalogue.ProductionRoute("scrap_eaf").label)}],
}
CATALOGUE_EXAMPLES = [OpenApiExample("Abridged", value=CATALOGUE, response_only=True)]

CSV_TEMPLATE = "indicator,unit,A1-A3,C1,C2,C3,C4,D\nGWP-total,kg CO2 eq.,,,,,,\nGWP-fossil,kg CO2 eq.,,,,,,\n"
TEMPLATE_EXAMPLES = [
    OpenApiExample("CSV (abridged)", value=CSV_TEMPLATE, media_type="text/csv", response_only=True),
    OpenApiExample(
        "XLSX",
        external_value=f"{SITE}/api/v1/templates/results.xlsx",
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        response_only=True,
    ),
]
REPORT_EXAMPLES = [
    OpenApiExample(
        "The report",
        external_value=f"{SITE}/api/v1/declarations/42/report/",
        media_type="application/pdf",
        response_only=True,
    )
]
