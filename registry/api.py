"""Registry API that is not search: verify an uploaded EPD file (anyone), and change the status of a
published version (operators: suspend, revoke, reinstate)."""

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import parsers, permissions, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from declarations.api import ERROR_SCHEMA, TextField
from declarations.errors import FileTooLarge

from . import api_examples, lifecycle
from .models import RegistryEntry, RegistryStatus
from .public import REGISTRATION_NUMBER_PARAMETER
from .throttles import RateLimited
from .verify import verify_upload

# A three-page EPD PDF is about 1 MB (fonts subset); 30 MB leaves room for long ones and refuses junk.
MAX_VERIFY_BYTES = 30 * 1024 * 1024

VerdictSerializer = inline_serializer(
    "Verdict",
    {
        "authentic": serializers.BooleanField(),
        "reasons": serializers.ListField(child=serializers.CharField(), help_text="why not authentic, in plain words"),
        "registration_number": serializers.CharField(allow_null=True),
        "version": serializers.IntegerField(allow_null=True),
        "status": serializers.ChoiceField(
            choices=RegistryStatus.values,
            allow_null=True,
            help_text="the EPD's status now, as its transparency-log entries give it (null when the log fails its checks)",
        ),
        "artefact": serializers.CharField(allow_null=True),
        "log_index": serializers.IntegerField(allow_null=True, help_text="its entry in the transparency log"),
        "signed_by": serializers.CharField(allow_null=True),
        "key_id": serializers.CharField(allow_null=True),
        "successor_version": serializers.IntegerField(allow_null=True),
        "log_status": serializers.ChoiceField(
            choices=RegistryStatus.values, allow_null=True, help_text="the status the version's log entries give it"
        ),
        "integrity_error": serializers.CharField(
            allow_null=True,
            help_text="set when the log fails its checks, or the registry's database disagrees with the log: "
            "the status is then the log's (or null), never the database's",
        ),
        "signature_level": serializers.CharField(
            allow_null=True, help_text="PAdES-B-LTA; PAdES-B-B (legacy PDFs); JWS with RFC 3161 time stamp; JWS (legacy, no time stamp)"
        ),
        "timestamped_at": serializers.DateTimeField(allow_null=True, help_text="when a time-stamping authority saw the signature"),
    },
)


class VerifyInputSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="the EPD as a PDF, or its JSON (epd.json or openepd.json)")
    signature = serializers.FileField(required=False, help_text="for a JSON: its detached JWS (epd.jws or openepd.jws)")
    timestamp = serializers.FileField(
        required=False, help_text="for a JSON: the RFC 3161 token over its JWS; by default the registry's stored one"
    )


@extend_schema(
    summary="Verify an EPD file",
    description="Upload a PDF, or a JSON with its JWS: is it authentic (signed by the platform and published in its "
    "log), which EPD and version is it, and what is its status now?",
    request={"multipart/form-data": VerifyInputSerializer},
    responses={200: VerdictSerializer, 400: ERROR_SCHEMA, 413: ERROR_SCHEMA},
    examples=[
        OpenApiExample(
            "authentic",
            response_only=True,
            value={
                "authentic": True,
                "reasons": [],
                "registration_number": "EPD-STEEL-2026-000001",
                "version": 1,
                "status": "valid",
                "artefact": "document.pdf",
                "log_index": 0,
                "signed_by": "Common Name: Steel EPD Platform signing key",
                "key_id": "…",
                "successor_version": None,
                "log_status": "valid",
                "integrity_error": None,
                "signature_level": "PAdES-B-LTA",
                "timestamped_at": "2026-12-03T09:15:02.481000+00:00",
            },
        ),
        api_examples.VERIFY_REQUEST,
    ],
)
class VerifyView(RateLimited):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []  # anyone, no CSRF dance for a multipart POST from a script
    parser_classes = [parsers.MultiPartParser]
    throttle_scope = "registry_verify"

    def post(self, request: Request) -> Response:
        serializer = VerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        files = [data["document"], data.get("signature"), data.get("timestamp")]
        for upload in filter(None, files):
            if upload.size > MAX_VERIFY_BYTES:
                raise FileTooLarge(
                    _("%(name)s is %(size).1f MB; the limit is %(limit).0f MB.")
                    % {"name": upload.name, "size": upload.size / 1e6, "limit": MAX_VERIFY_BYTES / 1e6}
                )
        document, signature, timestamp = (upload.read() if upload else None for upload in files)
        return Response(verify_upload(document, signature, timestamp).as_dict())


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["suspended", "revoked", "valid"], help_text="valid reinstates a suspended EPD")
    reason = TextField(required=False, allow_blank=True, max_length=2000, help_text="required to suspend or revoke")
    version = serializers.IntegerField(required=False, min_value=1, help_text="default: the latest version")


class IsOperator(permissions.BasePermission):
    message = "Only the programme operator's staff can change the status of a published EPD."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_operator)


@extend_schema(
    summary="Suspend, revoke or reinstate a published EPD (operators)",
    parameters=[REGISTRATION_NUMBER_PARAMETER],
    examples=api_examples.STATUS_CHANGE,
    request=StatusChangeSerializer,
    responses={
        200: inline_serializer(
            "StatusChange",
            {
                "registration_number": serializers.CharField(),
                "version": serializers.IntegerField(),
                "status": serializers.ChoiceField(choices=RegistryStatus.values),
                "reason": serializers.CharField(),
                "changed_at": serializers.DateTimeField(),
                "links": serializers.DictField(child=serializers.URLField()),
            },
        ),
        400: ERROR_SCHEMA,
        403: ERROR_SCHEMA,
        404: ERROR_SCHEMA,
        409: ERROR_SCHEMA,
    },
)
class StatusChangeView(views.APIView):
    permission_classes = [IsOperator]

    def post(self, request: Request, registration_number: str) -> Response:
        serializer = StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        which = Q(version=data["version"]) if "version" in data else Q(is_latest=True)
        entry = get_object_or_404(
            RegistryEntry.objects.select_related("publication__declaration"), which, registration_number=registration_number
        )
        move = {"suspended": lifecycle.suspend, "revoked": lifecycle.revoke, "valid": lifecycle.reinstate}[data["status"]]
        entry = move(entry, actor=request.user, reason=data.get("reason", ""))
        return Response(
            {
                "registration_number": entry.registration_number,
                "version": entry.version,
                "status": entry.status,
                "reason": entry.status_reason,
                "changed_at": entry.status_changed_at,
                "links": {"registry": f"{settings.SITE_URL}/epds/{entry.registration_number}/?version={entry.version}"},
            }
        )
