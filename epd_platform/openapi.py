"""OpenAPI generation: every operation also documents the errors it can answer with, with an example each,
and the rate-limit headers of throttled endpoints.

drf-spectacular documents the success response and whatever @extend_schema lists; the 401, 403, 404, 415
and 429 that authentication, permissions, lookups, parsers and throttles produce on every endpoint would
otherwise be missing, and a client generated from the schema (or Schemathesis) would not expect them.
They all have the API's one error shape (declarations.errors).
"""

from drf_spectacular import openapi
from rest_framework import permissions

ERROR_REF = "#/components/schemas/Error"
MAX_ID = 2**63 - 1
# What the API answers for each error status, as an example in the schema (the messages DRF and we write).
ERROR_EXAMPLES = {
    "400": {
        "code": "invalid",
        "message": "page_size must be a whole number from 1 to 100.",
        "findings": [
            {"severity": "error", "check": "parameter", "message": "page_size must be a whole number from 1 to 100.", "field": "page_size"}
        ],
    },
    "401": {"code": "not_authenticated", "message": "Authentication credentials were not provided."},
    "403": {"code": "permission_denied", "message": "You do not have permission to perform this action."},
    "404": {"code": "not_found", "message": "Not found."},
    "409": {"code": "transition_not_allowed", "message": "A published declaration cannot be changed; start a new version."},
    "413": {"code": "file_too_large", "message": "report.pdf is 41.9 MB; the limit is 25 MB."},
    "415": {"code": "unsupported_media_type", "message": 'Unsupported media type "text/plain" in request.'},
    "429": {"code": "throttled", "message": "Request was throttled. Expected available in 42 seconds."},
}
DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
# draft-ietf-httpapi-ratelimit-headers-06 (registry.throttles).
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"schema": DIGITS, "description": "requests allowed in the current window"},
    "RateLimit-Remaining": {"schema": DIGITS, "description": "requests left in the current window"},
    "RateLimit-Reset": {"schema": DIGITS, "description": "seconds until the window frees a request"},
    "RateLimit-Policy": {"schema": {"type": "string", "pattern": "^[0-9]+;w=[0-9]+$"}, "description": "limit;w=window seconds"},
}
RETRY_AFTER = {"schema": DIGITS, "required": True, "description": "seconds to wait before asking again"}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        from declarations.api import ERROR_SCHEMA  # late: DRF loads this class while the views are being imported

        for parameter in operation.get("parameters", []):
            self._bound(parameter)
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_SCHEMA, code, direction="response")
        throttled = bool(getattr(self.view, "throttle_classes", None))
        for code, response in responses.items():
            for media in response.get("content", {}).values():
                if media.get("schema", {}).get("$ref") == ERROR_REF and "examples" not in media and code in ERROR_EXAMPLES:
                    media["examples"] = {ERROR_EXAMPLES[code]["code"]: {"value": {"error": ERROR_EXAMPLES[code]}}}
            # Throttles run after authentication and permissions: a 401 or 403 has not been counted.
            if throttled and code not in ("401", "403"):
                response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
                if code == "429":
                    response["headers"]["Retry-After"] = RETRY_AFTER
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    @staticmethod
    def _bound(parameter: dict) -> None:
        """Router ids (BigAutoField) and page numbers say their range, so generated data stays within it."""
        schema = parameter.get("schema", {})
        if schema.get("type") != "integer" or "minimum" in schema or "maximum" in schema:
            return
        if parameter["in"] == "path" or (parameter["in"] == "query" and parameter["name"] == "page"):
            schema.update(minimum=1, maximum=MAX_ID)

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = []
        if has_body or any(p["in"] == "query" for p in parameters):
            codes.append("400")  # a parameter or body that does not validate
        if self.view.get_authenticators():
            codes.append("401")  # no credentials where they are needed, or wrong ones anywhere
        if any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            codes.append("403")
        if any(p["in"] == "path" for p in parameters) or any(p["in"] == "query" and p["name"] == "page" for p in parameters):
            codes.append("404")  # an object this user cannot see, or a page past the end
        if has_body:
            codes.append("415")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes
