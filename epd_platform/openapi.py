"""OpenAPI generation: every operation also documents the errors it can answer with.

drf-spectacular documents the success response and whatever @extend_schema lists; the 401, 403, 404, 415
and 429 that authentication, permissions, lookups, parsers and throttles produce on every endpoint would
otherwise be missing, and a client generated from the schema (or Schemathesis) would not expect them.
They all have the API's one error shape (declarations.errors).
"""

from drf_spectacular import openapi
from rest_framework import permissions


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        from declarations.api import ERROR_SCHEMA  # late: DRF loads this class while the views are being imported

        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_SCHEMA, code, direction="response")
        operation["responses"] = dict(sorted(responses.items()))
        return operation

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
