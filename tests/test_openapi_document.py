"""The OpenAPI document at /api/schema/, checked as the ecosystem's tools read it: valid for
openapi-spec-validator, an example for every body an operation takes or answers with (each one valid against
its schema), and bounds on every parameter, so that generated data (Schemathesis) and generated clients
stay within what the API accepts.

An operation added without examples fails here on purpose: document it when you add it."""

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from openapi_spec_validator import validate

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def document(client, db) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def bodies(operation: dict):
    """(where, media type, media type object) of the request and of every response that has a body."""
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        yield "request", media_type, media
    for code, response in operation["responses"].items():
        for media_type, media in response.get("content", {}).items():
            yield code, media_type, media


def examples(media: dict) -> list:
    if "example" in media:
        return [media["example"]]
    return [example.get("value", example.get("externalValue")) for example in media.get("examples", {}).values()]


def test_the_document_validates_with_openapi_spec_validator(document):
    validate(document)  # raises with the path of the first error, e.g. an enum with duplicates


def test_every_operation_has_an_example_of_each_body(document):
    missing = [
        f"{label} {where} {media_type}"
        for label, operation in operations(document)
        for where, media_type, media in bodies(operation)
        if not examples(media)
    ]
    assert not missing, "no example:\n" + "\n".join(missing)


def test_every_example_is_valid_against_its_schema(document):
    wrong = []
    for label, operation in operations(document):
        for where, media_type, media in bodies(operation):
            validator_class = OAS30WriteValidator if where == "request" else OAS30ReadValidator
            validator = validator_class({**media.get("schema", {}), "components": document["components"]})
            for example in examples(media):
                for error in validator.iter_errors(example):
                    wrong.append(f"{label} {where} {media_type}: {error.json_path}: {error.message[:200]}")
    assert not wrong, "\n".join(wrong)


def test_every_query_and_path_parameter_is_bounded(document):
    """Strings have a length, an enum, a pattern or a date format; numbers a minimum and a maximum."""
    loose = []
    for label, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            kind = schema.get("type")
            if kind == "array" and "maxItems" in schema:  # a bounded list of bounded items
                schema, kind = schema.get("items", {}), schema.get("items", {}).get("type")
            if kind == "string":
                bounded = "enum" in schema or "maxLength" in schema or schema.get("format") in ("date", "date-time")
            elif kind in ("integer", "number"):
                bounded = "minimum" in schema and "maximum" in schema
            else:
                bounded = kind == "boolean"
            if not bounded:
                loose.append(f"{label} {parameter['in']} {parameter['name']}: {schema}")
    assert not loose, "\n".join(loose)
