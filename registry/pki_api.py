"""Public PKI endpoints: the root's CRL and the platform's RFC 3161 time-stamping authority. No account."""

from asn1crypto import tsp
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, permissions, renderers
from rest_framework.request import Request
from rest_framework.response import Response

from declarations.api import ERROR_SCHEMA

from . import api_examples, timestamping
from .pki import keyring
from .throttles import RateLimited

MAX_QUERY_BYTES = 1024  # an RFC 3161 request with a SHA-512 imprint, a policy and a nonce is ~150 bytes


class JsonErrors:
    """Errors (400, 404, 429) as the JSON the rest of the API answers, not in the binary type of a success."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)


class BinaryRenderer(renderers.BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)  # an error body


class CrlRenderer(BinaryRenderer):
    media_type = "application/pkix-crl"
    format = "crl"


class TimeStampReplyRenderer(BinaryRenderer):
    media_type = "application/timestamp-reply"
    format = "tsr"


class TimeStampQueryParser(parsers.BaseParser):
    media_type = "application/timestamp-query"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        data = stream.read(MAX_QUERY_BYTES + 1)
        if len(data) > MAX_QUERY_BYTES:
            raise exceptions.ParseError(f"an RFC 3161 request is at most {MAX_QUERY_BYTES} bytes")
        return data


@extend_schema(
    summary="The root CA's certificate revocation list (DER)",
    description="Named as the CRL distribution point in every certificate the platform root issues (signing keys "
    "and the time-stamping authority). Reissued before its nextUpdate; revoked signing keys are listed with "
    "their revocation time and reason.",
    responses={(200, "application/pkix-crl"): OpenApiResponse(OpenApiTypes.BINARY, examples=api_examples.CRL)},
)
class CrlView(JsonErrors, RateLimited):
    permission_classes = [permissions.AllowAny]
    renderer_classes = [CrlRenderer]

    def get(self, request: Request) -> Response:
        return Response(keyring().crl_der, headers={"Content-Disposition": 'inline; filename="root.crl"'})


@extend_schema(
    summary="RFC 3161 time-stamping authority",
    description="POST a TimeStampReq (DER, `Content-Type: application/timestamp-query`); the answer is a "
    "TimeStampResp (`application/timestamp-reply`). Imprints: SHA-256, SHA-384 or SHA-512. The TSA "
    "certificate (extended key usage timeStamping) chains to the platform root (keys/root.pem).",
    request={"application/timestamp-query": OpenApiTypes.BINARY},
    examples=api_examples.TIMESTAMP_QUERY,
    responses={
        (200, "application/timestamp-reply"): OpenApiResponse(OpenApiTypes.BINARY, examples=api_examples.TIMESTAMP_REPLY),
        (400, "application/json"): ERROR_SCHEMA,
    },
)
class TimeStampView(JsonErrors, RateLimited):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []  # a TSA client sends no cookie or token, and needs no CSRF token
    parser_classes = [TimeStampQueryParser]
    renderer_classes = [TimeStampReplyRenderer]

    def post(self, request: Request) -> Response:
        try:
            query = tsp.TimeStampReq.load(request.data)
            _ = query.native  # parses it all now, so a broken request fails here and not in the TSA
        except Exception as exc:  # bytes from anywhere can break the DER parser in many ways; each is a bad request
            raise exceptions.ParseError(f"the body is not a DER TimeStampReq (RFC 3161): {exc}") from exc
        timestamper = keyring().timestamper
        try:
            reply = timestamper.respond(query)
        except (ValueError, TypeError, KeyError) as exc:  # a well-formed request with values asn1crypto cannot encode
            raise exceptions.ParseError(f"the TimeStampReq cannot be answered: {exc}") from exc
        return Response(reply)


class TimeStampTokenRenderer(BinaryRenderer):
    media_type = "application/timestamp-token"  # no registered type for a bare token; named as OpenSSL's .tst
    format = "tst"


@extend_schema(
    summary="The RFC 3161 time stamp over a published JWS",
    description="Addressed by the SHA-256 of the JWS file (the digest the version's artefact list and the log "
    "give for epd.jws and openepd.jws). A TimeStampToken (DER CMS SignedData) whose imprint is SHA-256 of the "
    "JWS's base64url signature value.",
    parameters=[
        OpenApiParameter(
            "digest",
            {"type": "string", "pattern": "^[0-9a-f]{64}$", "minLength": 64, "maxLength": 64},
            OpenApiParameter.PATH,
            description="SHA-256 of the JWS file, lower-case hex",
        )
    ],
    responses={
        (200, "application/timestamp-token"): OpenApiResponse(OpenApiTypes.BINARY, examples=api_examples.TIMESTAMP_TOKEN),
        (404, "application/json"): ERROR_SCHEMA,
    },
)
class TimeStampTokenView(JsonErrors, RateLimited):
    permission_classes = [permissions.AllowAny]
    renderer_classes = [TimeStampTokenRenderer]

    def get(self, request: Request, digest: str) -> Response:
        from django.core.files.storage import default_storage

        path = timestamping.path_for_digest(digest)
        if not default_storage.exists(path):
            raise exceptions.NotFound("no time stamp for a JWS with this SHA-256")
        with default_storage.open(path, "rb") as handle:
            return Response(handle.read(), headers={"Content-Disposition": f'attachment; filename="{digest}.tst"'})
