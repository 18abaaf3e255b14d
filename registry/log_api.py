"""Public trust API: the signing keys (JWKS, root PEM) and the transparency log. Read-only, no account."""

import json
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from declarations.api import ERROR_SCHEMA

from . import api_examples, checkpoint, signing, transparency
from .models import LogEvent
from .throttles import RateLimited

NUMBER = re.compile(r"[0-9]{1,19}")
LEAF_HASH = re.compile(r"[0-9a-fA-F]{64}")
MAX_NUMBER = 2**63 - 1


def _hex_hash(help_text: str = "SHA-256, lowercase hex") -> serializers.RegexField:
    return serializers.RegexField(r"^[0-9a-f]{64}$", help_text=help_text)


JWK_SCHEMA = inline_serializer(
    "SigningKey",
    {
        "kty": serializers.ChoiceField(choices=["EC"]),
        "crv": serializers.ChoiceField(choices=["P-256"]),
        "x": serializers.CharField(help_text="base64url"),
        "y": serializers.CharField(help_text="base64url"),
        "kid": serializers.CharField(help_text="RFC 7638 JWK thumbprint (SHA-256)"),
        "use": serializers.ChoiceField(choices=["sig"]),
        "alg": serializers.ChoiceField(choices=["ES256"]),
        "x5c": serializers.ListField(child=serializers.CharField(), help_text="base64 DER: the key's certificate, then the root"),
        "x5t#S256": serializers.CharField(help_text="base64url SHA-256 of the key's certificate"),
        "status": serializers.ChoiceField(choices=["current", "retired", "revoked"]),
        "created": serializers.DateTimeField(),
        "retired": serializers.DateTimeField(required=False, help_text="only on retired (and revoked) keys"),
        "revoked": serializers.DateTimeField(
            required=False, help_text="only on revoked keys: signatures time-stamped from then on are not authentic"
        ),
        "revocation_reason": serializers.CharField(required=False, help_text="RFC 5280 reason, e.g. keyCompromise"),
    },
)
JWKS_SCHEMA = inline_serializer("SigningKeySet", {"keys": serializers.ListField(child=JWK_SCHEMA)})


class TreeHeadSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField(min_value=0)
    root_hash = _hex_hash()
    timestamp = serializers.DateTimeField()
    signature = serializers.CharField(
        help_text="Compact JWS (ES256, detached payload) over the RFC 8785 form of {tree_size, root_hash, timestamp}"
    )


class LogEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0)
    registration_number = serializers.CharField()
    version = serializers.IntegerField(min_value=1)
    artefact = serializers.CharField(help_text="file name of the artefact, e.g. document.pdf or epd.json")
    sha256 = _hex_hash("SHA-256 of the artefact's bytes, lowercase hex")
    event = serializers.ChoiceField(choices=LogEvent.values)
    logged_at = serializers.DateTimeField()


class EntriesSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField(min_value=0)
    start = serializers.IntegerField(min_value=0)
    entries = LogEntrySerializer(many=True, help_text="leaf hash of each = SHA-256(0x00 ‖ RFC 8785 canonical JSON of the entry)")


class InclusionProofSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField(min_value=0)
    tree_size = serializers.IntegerField(min_value=1)
    leaf_hash = _hex_hash()
    inclusion_path = serializers.ListField(child=_hex_hash(), help_text="RFC 9162 §2.1.3, leaf side first")


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField(min_value=1)
    second = serializers.IntegerField(min_value=1)
    consistency_path = serializers.ListField(child=_hex_hash(), help_text="RFC 9162 §2.1.4; empty when first = second")


def _number_parameter(name: str, description: str, *, required: bool = False) -> OpenApiParameter:
    schema = {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER}
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=required, description=description)


def _number(request: Request, name: str, *, required: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise exceptions.ValidationError({name: [f"{name} is required"]})
        return None
    if not NUMBER.fullmatch(raw) or int(raw) > MAX_NUMBER:
        raise exceptions.ValidationError({name: [f"{name} must be a whole number from 0"]})
    return int(raw)


class PublicView(RateLimited):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "registry_log"

    def handle_exception(self, exc):
        if isinstance(exc, transparency.LogRangeError):
            exc = exceptions.ValidationError({exc.parameter: [exc.message]})
        return super().handle_exception(exc)


@extend_schema(
    summary="The platform's signing keys (JWKS)",
    examples=api_examples.KEYS,
    description="Current and retired keys; old signatures stay verifiable with retired keys. "
    "Each key's x5c chains to the platform root certificate (also at keys/root.pem).",
    responses=JWKS_SCHEMA,
)
class KeysView(PublicView):
    throttle_scope = "registry_keys"

    def get(self, request: Request) -> Response:
        return Response(signing.jwks())


class PemRenderer(renderers.BaseRenderer):
    media_type = "application/x-pem-file"
    format = "pem"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if not isinstance(data, str):  # an error body: still PEM-typed, but readable
            return json.dumps(data).encode()
        return data.encode("ascii")


@extend_schema(
    summary="The platform root certificate (PEM)",
    examples=api_examples.ROOT_PEM,
    description="Trust anchor for the PDF signatures (PAdES) and the x5c chains in the JWKS.",
    responses={(200, "application/x-pem-file"): OpenApiTypes.STR},
)
class RootCertificateView(PublicView):
    throttle_scope = "registry_keys"
    renderer_classes = [PemRenderer]

    def get(self, request: Request) -> Response:
        return Response(signing.root_certificate_pem(), headers={"Content-Disposition": 'inline; filename="root.pem"'})


@extend_schema(
    summary="Signed tree head of the transparency log",
    examples=api_examples.TREE_HEAD,
    description="Verify `signature` with the JWKS over {tree_size, root_hash, timestamp}; keep it to ask for a consistency proof later.",
    responses=TreeHeadSerializer,
)
class TreeHeadView(PublicView):
    def get(self, request: Request) -> Response:
        return Response(transparency.tree_head())


@extend_schema(
    summary="Entries of the transparency log",
    examples=api_examples.ENTRIES,
    description=f"Entries `start` to `end` inclusive (RFC 9162 get-entries), at most {transparency.PAGE_SIZE} per call; "
    "ask again from the next index for more.",
    parameters=[
        _number_parameter("start", "index of the first entry (default 0)"),
        _number_parameter("end", "index of the last entry (default: the last one, within the page limit)"),
    ],
    responses={200: EntriesSerializer, 400: ERROR_SCHEMA},
)
class EntriesView(PublicView):
    def get(self, request: Request) -> Response:
        start = _number(request, "start") or 0
        size, entries = transparency.read_entries(start, _number(request, "end"))
        return Response({"tree_size": size, "start": start, "entries": [entry.as_document() for entry in entries]})


@extend_schema(
    summary="Inclusion proof of one log entry",
    examples=api_examples.INCLUSION,
    description="By `leaf_index`, or by `hash` (the entry's leaf hash). Check it with RFC 9162 §2.1.3.2 against the "
    "root hash of a signed tree head of the same `tree_size`.",
    parameters=[
        _number_parameter("leaf_index", "index of the entry (or give hash)"),
        OpenApiParameter(
            "hash",
            {"type": "string", "minLength": 64, "maxLength": 64, "pattern": "^[0-9a-fA-F]{64}$"},
            OpenApiParameter.QUERY,
            description="leaf hash of the entry (or give leaf_index)",
        ),
        _number_parameter("tree_size", "size of the tree to prove against (default: the current size)"),
    ],
    responses={200: InclusionProofSerializer, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA},
)
class InclusionProofView(PublicView):
    def get(self, request: Request) -> Response:
        leaf_index = _number(request, "leaf_index")
        leaf_hash = request.query_params.get("hash")
        if (leaf_index is None) == (leaf_hash is None):
            raise exceptions.ValidationError({"leaf_index": ["give either leaf_index or hash"]})
        if leaf_hash is not None:
            if not LEAF_HASH.fullmatch(leaf_hash):
                raise exceptions.ValidationError({"hash": ["hash must be 64 hex digits"]})
            leaf_index = transparency.leaf_index_of(leaf_hash.lower())
            if leaf_index is None:
                raise exceptions.NotFound("no log entry has this leaf hash")
        assert leaf_index is not None
        return Response(transparency.inclusion_proof(leaf_index, _number(request, "tree_size")))


@extend_schema(
    summary="Consistency proof between two tree sizes",
    examples=api_examples.CONSISTENCY,
    description="Proves the log of size `second` extends the one of size `first` without changing it "
    "(RFC 9162 §2.1.4.2 with the root hashes of two signed tree heads).",
    parameters=[
        _number_parameter("first", "the earlier tree size", required=True),
        _number_parameter("second", "the later tree size (default: the current size)"),
    ],
    responses={200: ConsistencyProofSerializer, 400: ERROR_SCHEMA},
)
class ConsistencyProofView(PublicView):
    def get(self, request: Request) -> Response:
        first = _number(request, "first", required=True)
        assert first is not None
        return Response(transparency.consistency_proof(first, _number(request, "second")))


class NoteRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if not isinstance(data, str):  # an error body
            return json.dumps(data).encode()
        return data.encode()


@extend_schema(
    summary="The latest tree head as a C2SP checkpoint (signed note)",
    examples=api_examples.CHECKPOINT,
    description="c2sp.org/tlog-checkpoint in a c2sp.org/signed-note: origin, tree size, base64 root hash, a blank line, "
    "then the log's Ed25519 signature line and any witness cosignatures. The same tree as `log/tree-head`; "
    "check it with the verifier key at `log/checkpoint-key`, e.g. with golang.org/x/mod/sumdb/note.",
    responses={(200, "text/plain"): OpenApiTypes.STR},
)
class CheckpointView(PublicView):
    renderer_classes = [NoteRenderer]

    def get(self, request: Request) -> Response:
        return Response(transparency.checkpoint_note(), headers={"Cache-Control": "no-cache"})


@extend_schema(
    summary="The log's note verifier key",
    examples=api_examples.CHECKPOINT_KEY,
    description="`<origin>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>`, the form witnesses and monitors are configured with.",
    responses={(200, "text/plain"): OpenApiTypes.STR},
)
class CheckpointKeyView(PublicView):
    renderer_classes = [NoteRenderer]

    def get(self, request: Request) -> Response:
        return Response(checkpoint.log_verifier_key() + "\n")
