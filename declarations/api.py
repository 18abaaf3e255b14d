"""Producer API under /api/v1/declarations/: interfaces only, each action calls one domain function."""

import codecs

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, parsers, permissions, serializers, views, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.utils import json

from accounts.models import Organization

from . import api_examples, catalogue, checks, editing, imports, locations, openepd_io, spreadsheet, workflow
from .errors import FileTooLarge
from .models import PCR, AuditEntry, Declaration
from .request_checks import JSONBodyParser
from .validation import json_number

ERROR_SCHEMA = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "findings": serializers.ListField(child=serializers.DictField(), required=False),
            },
        )
    },
)


class DecimalJSONParser(JSONBodyParser):
    """JSON whose numbers keep the digits they were written with: 2.40 stays Decimal("2.40"), not the float 2.4."""

    def load(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=json_number, parse_constant=json.strict_constant)
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(problem)s") % {"problem": exc})


class TextField(serializers.CharField):
    """A text input that must be a JSON string, as the schema says (DRF's CharField takes 0 and makes it "0").
    Unless it may be blank, the schema also says it needs a character other than whitespace (pattern "\\S"),
    as the field trims whitespace away."""

    # Whitespace by Python's str.isspace() and by the schema's (ECMAScript) \s differ: Python adds \x1c-\x1f and
    # \x85, ECMAScript adds \ufeff. The field trims the union and the pattern excludes it, so a client that
    # follows the schema is never refused and never accepted for what the schema forbids.
    NOT_WHITESPACE = r"[^\s\x1c-\x1f\x85\ufeff]"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.allow_blank:
            self.validators.append(RegexValidator(self.NOT_WHITESPACE, gettext_lazy("Write something other than spaces.")))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        return value.strip("\ufeff").strip() if self.trim_whitespace else value


class StrictBooleanField(serializers.BooleanField):
    """true or false, as the schema says (DRF's field also took "yes", "on", 1 and "0")."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, as the schema says (DRF's field also took "2025" and 2025.0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A reference by name or null; DRF took an empty text as null, which the schema does not allow."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)


class DecimalTextField(serializers.DecimalField):
    """A decimal given as a JSON string ("96.5"), as the schema says: a JSON number may already have lost the
    precision the mill gave (PRODUCT.md: values keep their precision), and DRF's field took both."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_serializer(examples=api_examples.FINDING_EXAMPLES)
class FindingSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    check = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(required=False)
    indicator = serializers.CharField(required=False)
    module = serializers.CharField(required=False)
    row = serializers.IntegerField(required=False)
    column = serializers.CharField(required=False)


class CheckOutcomeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The row of the steel plausibility table, P1-P23")
    name = serializers.CharField(help_text="A short name, in the request's language")
    ran = serializers.BooleanField()
    reason = serializers.CharField(required=False, help_text="Why it did not run here (only when `ran` is false)")


class FindingsReportSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True, help_text="What submission and the automated checks after it will find")
    checks = CheckOutcomeSerializer(many=True, help_text="Every check of the table, whether it ran, and why not")


FINDINGS_EXAMPLE = OpenApiExample(
    "A draft with a warning",
    value={
        "findings": [
            {
                "severity": "warning",
                "check": "P5",
                "message": "GWP-fossil is only 85 % of GWP-total in A1-A3; for steel it is normally above 90 %.",
                "indicator": "GWP-fossil",
                "module": "A1-A3",
            }
        ],
        "checks": [
            {"id": "P1", "name": "Declared unit", "ran": True},
            {"id": "P5", "name": "GWP composition", "ran": True},
            {
                "id": "P16",
                "name": "Product ordering (coated, cold-rolled, hot-rolled)",
                "ran": False,
                "reason": "no published EPD of yours (same route) to compare with yet",
            },
            {"id": "P23", "name": "Verifier independence", "ran": False, "reason": "checked when a verifier is assigned"},
        ],
    },
    response_only=True,
)


class PlantSerializer(serializers.Serializer):
    name = TextField(max_length=200)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text="ISO 3166-1 alpha-2, e.g. CN")
    city = TextField(max_length=100, required=False, allow_blank=True, default="")
    olc = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The site's Open Location Code (plus code, e.g. 8Q33CF4Q+QR), or latitude, longitude (e.g. 31.4069, 121.4896)",
    )

    def validate_olc(self, value: str) -> str:
        try:
            return locations.plus_code(value) if value else ""
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate(self, attrs: dict) -> dict:
        # A PATCH makes every field optional down to the plants (DRF passes `partial` on); a plant is still whole.
        missing = [name for name in ("name", "country") if name not in attrs]
        if missing:
            raise serializers.ValidationError({name: _("This field is required.") for name in missing})
        return attrs


@extend_schema_serializer(examples=api_examples.PCR_EXAMPLES)
class PCRSerializer(serializers.ModelSerializer):
    class Meta:
        model = PCR
        fields = ["code", "name", "programme", "version", "core_standard", "is_en15804", "registration_id", "url", "openepd_id"]


@extend_schema_serializer(examples=api_examples.AUDIT_EXAMPLES)
class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "from_status", "to_status", "comment"]


class RegistrationSerializer(serializers.Serializer):
    programme_operator = TextField(max_length=200, help_text="e.g. EPD International AB")
    registration_number = TextField(max_length=100, help_text="the EPD's number there, e.g. S-P-01937")
    verifier = TextField(max_length=200, required=False, help_text="who verified it for that programme")
    url = serializers.URLField(max_length=500, required=False, help_text="the EPD's page there")


@extend_schema_serializer(examples=api_examples.DECLARATION_EXAMPLES)
class DeclarationSerializer(serializers.ModelSerializer):
    plants = PlantSerializer(many=True, required=False)
    pcr = StrictSlugRelatedField(slug_field="code", queryset=PCR.objects.filter(active=True), required=False, allow_null=True)
    lca_practitioner_organization = StrictSlugRelatedField(
        slug_field="name",
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="By name: an organization of kind LCA consultancy, or your own; it decides which verifiers are "
        "conflicted (P23), so any other kind is refused (400). The operator may correct it.",
    )
    organization = serializers.CharField(source="epd.organization.name", read_only=True)
    registration_number = serializers.CharField(
        source="epd.registration_number", read_only=True, allow_null=True, help_text="given at first publication"
    )
    standards = serializers.ListField(child=TextField(max_length=60), required=False, max_length=30)
    grades = serializers.ListField(child=TextField(max_length=60), required=False, max_length=50)
    scenarios = serializers.DictField(required=False, help_text='Per module (A4, C1…): a text or {"description", "distance_km"}')
    registrations_elsewhere = RegistrationSerializer(
        many=True, required=False, max_length=10, help_text="Where else this EPD is registered (an EPD first issued elsewhere)"
    )
    other_names = serializers.DictField(
        child=TextField(max_length=200), required=False, help_text='The name in other languages: {"de": "Betonstahl"}'
    )
    results_method = serializers.ChoiceField(
        choices=Declaration.CharacterisationMethod.choices,
        allow_blank=True,
        read_only=True,
        help_text="EF 3.0 or EF 3.1 when the imported results' indicator identifiers belong to one of them only, else empty",
    )
    report = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="declaration-detail")
    # Each field takes the JSON type its schema says and nothing DRF would coerce: DRF's CharField took 1e-07 and
    # stored "1e-07", its BooleanField took "yes".
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.DecimalField: DecimalTextField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
    }

    class Meta:
        model = Declaration
        fields = [
            "id",
            "url",
            "organization",
            "registration_number",
            "version",
            "status",
            "revision",
            *editing.EDITABLE_FIELDS,
            "plants",
            "declared_modules",
            "results_method",
            "report",
            "created_at",
            "updated_at",
            "submitted_at",
        ]
        read_only_fields = [
            "version",
            "status",
            "revision",
            "declared_modules",
            "results_method",
            "created_at",
            "updated_at",
            "submitted_at",
        ]
        # recycled_content: the database refuses anything outside 0–100 % (a CHECK constraint), so say it here first.
        extra_kwargs = {"product_name": {"required": True}, "recycled_content": {"min_value": 0, "max_value": 100}}

    def get_report(self, obj) -> dict | None:
        if not obj.report:
            return None
        return {"name": obj.report_name, "sha256": obj.report_sha256}

    def validate_scenarios(self, value: dict) -> dict:
        for module, scenario in value.items():
            if module not in catalogue.modules():
                raise serializers.ValidationError(_("“%(module)s” is not an EN 15804 module.") % {"module": module})
            if isinstance(scenario, dict):
                distance = scenario.get("distance_km")
                if distance not in (None, "") and not (isinstance(distance, int | float) and 0 <= distance < 40000):
                    raise serializers.ValidationError(_("%(module)s: distance_km must be a number of kilometres.") % {"module": module})
            elif not isinstance(scenario, str):
                raise serializers.ValidationError(_("%(module)s: give a text or an object.") % {"module": module})
        return value


class ResultsInputSerializer(serializers.Serializer):
    results = serializers.JSONField(help_text="A list of {indicator, module, value, unit?} or a matrix {indicator: {module: value}}")
    declared_modules = serializers.ListField(child=serializers.CharField(), required=False)


@extend_schema_serializer(examples=api_examples.RESULTS_EXAMPLES)
class ResultsSerializer(serializers.Serializer):
    declared_modules = serializers.ListField(child=serializers.CharField())
    results = serializers.DictField(child=serializers.DictField(child=serializers.CharField(allow_null=True)))
    warnings = FindingSerializer(many=True, required=False)


class TakenSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="the declaration's field")
    label = serializers.CharField()
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)
    where = serializers.CharField(help_text="where the file states it")
    changed = serializers.BooleanField(help_text="false when the file confirms what the declaration said already")


@extend_schema_serializer(examples=api_examples.IMPORT_EXAMPLES)
class ImportSerializer(ResultsSerializer):
    taken = TakenSerializer(many=True, help_text="Declaration fields taken from the file (ILCD+EPD and openEPD state them)")
    left = FindingSerializer(many=True, help_text="What submission still needs, field by field")


@extend_schema_serializer(examples=api_examples.FILE_UPLOAD_EXAMPLES)
class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


@extend_schema_serializer(examples=api_examples.TRANSITION_INPUT_EXAMPLES)
class TransitionInputSerializer(serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, default="", max_length=4000)


@extend_schema_serializer(examples=api_examples.TRANSITION_RESULT_EXAMPLES)
class TransitionResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    warnings = FindingSerializer(many=True)


class IsProducerForWrites(permissions.BasePermission):
    message = "Only a producer's staff can change declarations."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or getattr(request.user, "is_producer", False)


RESULTS_EXAMPLE = OpenApiExample(
    "Matrix",
    value={
        "declared_modules": ["A1-A3", "C1", "C2", "C3", "C4", "D"],
        "results": {"GWP-total": {"A1-A3": "2150", "C1": "4.1", "C2": "6.3", "C3": "1.7", "C4": "0.9", "D": "-1250"}},
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="Your organization's declarations"),
    create=extend_schema(
        summary="Start a declaration (a new EPD, version 1, as a draft)", responses={201: DeclarationSerializer, 400: ERROR_SCHEMA}
    ),
    retrieve=extend_schema(summary="One declaration"),
    partial_update=extend_schema(summary="Change a draft", responses={200: DeclarationSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA}),
    update=extend_schema(summary="Replace a draft's fields", responses={200: DeclarationSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA}),
)
class DeclarationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = DeclarationSerializer
    permission_classes = [permissions.IsAuthenticated, IsProducerForWrites]

    def get_queryset(self):
        return Declaration.objects.visible_to(self.request.user).with_related().order_by("-updated_at", "-pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        plants = fields.pop("plants", [])
        declaration = editing.create_declaration(request.user.organization, actor=request.user, plants=plants, **fields)
        return Response(self.get_serializer(declaration).data, status=201)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        plants = fields.pop("plants", None)
        declaration = editing.update_declaration(serializer.instance, actor=request.user, plants=plants, **fields)
        return Response(self.get_serializer(declaration).data)

    @extend_schema(summary="The results matrix", responses=ResultsSerializer)
    @action(detail=True, methods=["get"], url_path="results", parser_classes=[DecimalJSONParser])
    def results(self, request, pk=None):
        declaration = self.get_object()
        return Response({"declared_modules": declaration.declared_modules, "results": declaration.results_document()})

    @results.mapping.put
    @extend_schema(
        summary="Replace the results matrix from JSON",
        description="Everything is validated first; with any error nothing is saved and every problem is listed.",
        request=ResultsInputSerializer,
        responses={200: ResultsSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA},
        examples=[RESULTS_EXAMPLE, *api_examples.RESULTS_EXAMPLES],
    )
    def put_results(self, request, pk=None):
        declaration = self.get_object()
        parsed = imports.read_json_results(request.data)
        return self._replace(declaration, parsed)

    @extend_schema(
        summary="Import results from a file",
        description="The platform's spreadsheet template (XLSX or CSV), an openEPD JSON document, or an ILCD+EPD "
        "XML/ZIP. The format is recognised from the content. With any error nothing is saved; every problem "
        "is listed with its row and column. An EPD published elsewhere (ILCD+EPD, openEPD) brings its declaration "
        "too: product names, declared unit, dates of issue and validity, PCR, characterisation method, programme "
        "operator and registration number, practitioner, verifier, background database, scenarios. `taken` lists "
        "each field the file filled (before and after), `left` what submission still needs.",
        request={"multipart/form-data": FileUploadSerializer},
        responses={200: ImportSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"], url_path="results/import", parser_classes=[parsers.MultiPartParser])
    def import_results(self, request, pk=None):
        declaration = self.get_object()
        upload = _uploaded_file(request)
        parsed = imports.read_results_file(upload.name, upload.read(), declared_unit=declaration.declared_unit, take_declared_unit=True)
        report = editing.import_file(declaration, parsed, actor=request.user)
        return self._results(
            declaration,
            report.findings,
            taken=[{**vars(t), "changed": t.changed} for t in report.taken],
            left=[f.as_dict() for f in report.left],
        )

    def _replace(self, declaration, parsed):
        warnings = editing.replace_results(
            declaration,
            parsed.cells,
            parsed.declared_modules,
            actor=self.request.user,
            parse_findings=parsed.findings,
        )
        return self._results(declaration, warnings)

    def _results(self, declaration, warnings, **more):
        declaration.refresh_from_db()
        return Response(
            {
                "declared_modules": declaration.declared_modules,
                "results": declaration.results_document(),
                "warnings": [w.as_dict() for w in warnings],
                **more,
            }
        )

    @extend_schema(
        summary="Check the declaration as submission would",
        description="The same check run as the automated checks after submission: the EN 15804+A2 validation and every "
        "steel plausibility check, with P16/P17 against your published EPDs of the same route. `checks` lists every row "
        "of the plausibility table (P1-P23) and says which did not run here and why (P22 runs at import, P23 when a "
        "verifier is assigned).",
        responses=FindingsReportSerializer,
        examples=[FINDINGS_EXAMPLE],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def findings(self, request, pk=None):
        report = checks.check_declaration(self.get_object())
        return Response({"findings": [f.as_dict() for f in report.findings], "checks": [c.as_dict() for c in report.checks]})

    @extend_schema(
        summary="Upload the LCA project report (PDF)",
        request={"multipart/form-data": FileUploadSerializer},
        responses={200: DeclarationSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA},
        methods=["POST"],
    )
    @extend_schema(
        summary="Download the LCA project report",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, examples=api_examples.REPORT_EXAMPLES)},
        methods=["GET"],
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[parsers.MultiPartParser])
    def report(self, request, pk=None):
        declaration = self.get_object()
        if request.method == "GET":
            if not declaration.report:
                return Response({"error": {"code": "not_found", "message": _("No report attached yet.")}}, status=404)
            return FileResponse(
                declaration.report.open("rb"), content_type="application/pdf", filename=declaration.report_name or "lca-report.pdf"
            )
        upload = _uploaded_file(request, limit=None)
        declaration = editing.attach_report(declaration, actor=request.user, name=upload.name, content=upload.read())
        return Response(self.get_serializer(declaration).data)

    @extend_schema(
        summary="Submit for verification",
        request=TransitionInputSerializer,
        responses={200: TransitionResultSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        declaration = self.get_object()
        comment = _comment(request)
        declaration, findings = workflow.submit(declaration, actor=request.user, comment=comment)
        return Response({"status": declaration.status, "warnings": [f.as_dict() for f in findings]})

    @extend_schema(
        summary="Withdraw a draft",
        request=TransitionInputSerializer,
        responses={200: TransitionResultSerializer, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        declaration = workflow.withdraw(self.get_object(), actor=request.user, comment=_comment(request))
        return Response({"status": declaration.status, "warnings": []})

    @extend_schema(
        summary="Start a new version of a published EPD (a draft copy of this one)",
        request=None,
        responses={201: DeclarationSerializer, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        draft = editing.start_new_version(self.get_object(), actor=request.user)
        return Response(self.get_serializer(draft).data, status=201)

    @extend_schema(summary="The audit trail", responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def audit(self, request, pk=None):
        entries = self.get_object().audit_entries.select_related("actor")
        return Response(AuditEntrySerializer(entries, many=True).data)


def _comment(request) -> str:
    serializer = TransitionInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["comment"]


def _uploaded_file(request, limit: int | None = -1):
    serializer = FileUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    cap = settings.MAX_RESULTS_FILE_BYTES if limit == -1 else limit
    if cap is not None and upload.size > cap:
        raise FileTooLarge(_("The file is %(size).1f MB; the limit is %(limit).1f MB.") % {"size": upload.size / 1e6, "limit": cap / 1e6})
    return upload


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[OpenApiParameter("code", {"type": "string", "maxLength": 60, "pattern": "^[-a-zA-Z0-9_]+$"}, OpenApiParameter.PATH)]
    )
)
class PCRViewSet(viewsets.ReadOnlyModelViewSet):
    """The PCR catalogue (public)."""

    queryset = PCR.objects.filter(active=True)
    serializer_class = PCRSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    pagination_class = None


@extend_schema(
    summary="EN 15804+A2 indicators and modules",
    responses=OpenApiResponse(OpenApiTypes.OBJECT, examples=api_examples.CATALOGUE_EXAMPLES),
)
class CatalogueView(viewsets.ViewSet):
    permission_classes = [permissions.AllowAny]

    def list(self, request):
        return Response(
            {
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "name_zh": i.name_zh,
                        "category": i.category,
                        "unit": i.unit,
                        "mandatory": i.mandatory,
                        "openepd_key": i.openepd_key,
                        "openepd_unit": openepd_io.export_unit(i.code),  # EP-freshwater: kgPO4e, converted (docs/api.md)
                        "ilcd_uuid_ef30": i.ilcd_uuid_ef30,
                        "ilcd_uuid_ef31": i.ilcd_uuid_ef31,
                    }
                    for i in catalogue.indicators().values()
                ],
                "modules": [{"code": m.code, "name": m.name, "name_zh": m.name_zh, "stage": m.stage} for m in catalogue.modules().values()],
                "categories": [
                    {"code": c.code, "name": c.name, "name_zh": c.name_zh, "openepd_category": c.openepd_class}
                    for c in catalogue.CATEGORIES
                ],
                "production_routes": [{"code": v, "name": str(label)} for v, label in catalogue.ProductionRoute.choices],
            }
        )


TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@extend_schema(
    summary="The results spreadsheet template",
    description="Indicators as rows, modules as columns, units shown. Fill it in and import it.",
    parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(TEMPLATE_TYPES))],
    responses={(200, TEMPLATE_TYPES["xlsx"]): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.STR},
    examples=api_examples.TEMPLATE_EXAMPLES,
)
class ResultsTemplateView(views.APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request, fmt: str):
        content = spreadsheet.build_template(fmt)
        response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="steel-epd-results-template.{fmt}"'
        return response
