"""Review API: the verifier's queue and decisions, the conversation, operators' assignments and accreditations."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from declarations.api import ERROR_SCHEMA, AuditEntrySerializer, TextField
from declarations.models import Declaration, Revision
from declarations.workflow import allowed_moves

from . import api_examples, review
from .models import Accreditation, Assignment, Comment, StoredFinding, VerificationStatement, accreditation_period_error


@extend_schema_serializer(examples=api_examples.STORED_FINDING_EXAMPLES)
class StoredFindingSerializer(serializers.ModelSerializer):
    check = serializers.CharField(source="rule")
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None)

    class Meta:
        model = StoredFinding
        fields = [
            "id",
            "severity",
            "check",
            "message",
            "message_zh",
            "field",
            "indicator",
            "module",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement",
        ]


@extend_schema_serializer(examples=api_examples.COMMENT_EXAMPLES)
class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    author_role = serializers.CharField(source="author.role", read_only=True)
    parent = serializers.PrimaryKeyRelatedField(queryset=Comment.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "author_role", "created_at", "revision_number", "parent", "field", "indicator", "module", "text"]
        read_only_fields = ["created_at", "revision_number"]


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = VerificationStatement
        fields = ["verifier_name", "body_name", "accreditation_number", "accredited_by", "kind", "statement", "follow_up", "verified_on"]


@extend_schema_serializer(examples=api_examples.REVIEW_LIST_EXAMPLES)
class ReviewListSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="epd.organization.name")
    verifier = serializers.SerializerMethodField()

    class Meta:
        model = Declaration
        fields = [
            "id",
            "product_name",
            "organization",
            "version",
            "revision",
            "status",
            "category",
            "production_route",
            "submitted_at",
            "verifier",
        ]

    def get_verifier(self, obj) -> str | None:
        current = [a for a in obj.assignments.all() if a.ended_at is None]
        return current[0].verifier.username if current else None


@extend_schema_serializer(examples=api_examples.REVIEW_EXAMPLES)
class ReviewSerializer(ReviewListSerializer):
    document = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()
    comments = CommentSerializer(many=True)
    statement = StatementSerializer(source="verification_statement", default=None, allow_null=True)
    audit = AuditEntrySerializer(source="audit_entries", many=True)
    allowed_moves = serializers.SerializerMethodField()

    class Meta(ReviewListSerializer.Meta):
        fields = [*ReviewListSerializer.Meta.fields, "document", "findings", "checklist", "comments", "statement", "audit", "allowed_moves"]

    def get_document(self, obj) -> dict:
        return obj.as_document()

    def get_findings(self, obj) -> list[dict]:
        run = review.latest_check_run(obj)
        return StoredFindingSerializer(run.findings.all() if run else [], many=True).data

    def get_checklist(self, obj) -> list[dict]:
        assignment = review.current_assignment(obj)
        done = assignment.checklist if assignment else {}
        return [{"item": key, "label": str(label), "confirmed": bool(done.get(key))} for key, label in review.CHECKLIST.items()]

    def get_allowed_moves(self, obj) -> list[str]:
        return allowed_moves(obj, self.context["request"].user)


@extend_schema_serializer(examples=api_examples.COMMENT_INPUT_EXAMPLES)
class CommentInputSerializer(serializers.Serializer):
    text = TextField(max_length=8000)
    field = TextField(required=False, allow_blank=True, default="", max_length=60)
    indicator = TextField(required=False, allow_blank=True, default="", max_length=32)
    module = TextField(required=False, allow_blank=True, default="", max_length=8)
    parent = serializers.IntegerField(required=False, allow_null=True, default=None)


@extend_schema_serializer(examples=api_examples.DECISION_INPUT_EXAMPLES)
class DecisionInputSerializer(serializers.Serializer):
    """Requesting changes and rejecting need a comment: what to change, or why."""

    comment = TextField(max_length=8000)


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: {"type": "boolean", "description": str(label)} for key, label in review.CHECKLIST.items()},
        "additionalProperties": False,
    }
)
class ChecklistItemsField(serializers.DictField):
    """The checklist items to tick (true) or untick (false); other names are refused."""

    child = serializers.BooleanField()


@extend_schema_serializer(examples=api_examples.APPROVE_INPUT_EXAMPLES)
class ApproveInputSerializer(serializers.Serializer):
    statement = TextField(max_length=8000, default=review.DEFAULT_STATEMENT)
    kind = serializers.ChoiceField(choices=VerificationStatement.Kind.choices, default=VerificationStatement.Kind.EXTERNAL)
    follow_up = serializers.BooleanField(default=False)


@extend_schema_serializer(examples=api_examples.ACKNOWLEDGE_INPUT_EXAMPLES)
class AcknowledgeInputSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    comment = TextField(max_length=4000)


@extend_schema_serializer(examples=api_examples.CHECKLIST_INPUT_EXAMPLES)
class ChecklistInputSerializer(serializers.Serializer):
    items = ChecklistItemsField()


@extend_schema_serializer(examples=api_examples.REVISION_EXAMPLES)
class RevisionSerializer(serializers.ModelSerializer):
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "created_at", "findings"]

    def get_findings(self, obj) -> list[dict]:
        run = getattr(obj, "check_run", None)
        return StoredFindingSerializer(run.findings.all() if run else [], many=True).data


DIFF_SCHEMA = inline_serializer(
    "RevisionDiff",
    {
        "results": inline_serializer(
            "ResultChange",
            {
                "indicator": serializers.CharField(),
                "module": serializers.CharField(),
                "before": serializers.CharField(allow_null=True),
                "after": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        "fields": inline_serializer(
            "FieldChange",
            {
                "field": serializers.CharField(),
                "before": serializers.JSONField(allow_null=True),
                "after": serializers.JSONField(allow_null=True),
            },
            many=True,
        ),
    },
)


@extend_schema_view(
    list=extend_schema(summary="Review queue: verifiers see their assigned declarations; mills their own"),
    retrieve=extend_schema(summary="Everything a review needs: data, findings, checklist, comments, audit trail"),
)
class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        queryset = review.reviewable_by(self.request.user).select_related("epd__organization", "pcr")
        queryset = queryset.prefetch_related("assignments__verifier")
        if self.action == "list":
            return queryset.exclude(status="draft", revision=0).order_by("-submitted_at", "-pk")
        return queryset.prefetch_related("plants", "results", "comments__author", "audit_entries__actor").select_related(
            "verification_statement", "lca_practitioner_organization"
        )

    def get_serializer_class(self):
        return ReviewListSerializer if self.action == "list" else ReviewSerializer

    def _respond(self, declaration: Declaration) -> Response:
        return Response(ReviewSerializer(self.get_queryset().get(pk=declaration.pk), context={"request": self.request}).data)

    @extend_schema(summary="Every submitted revision with its automated findings", responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def revisions(self, request, pk=None):
        revisions = self.get_object().revisions.select_related("check_run").prefetch_related("check_run__findings")
        return Response(RevisionSerializer(revisions, many=True).data)

    @extend_schema(
        summary="What changed since the previous revision (indicator × module values and fields)",
        responses=DIFF_SCHEMA,
        examples=api_examples.DIFF_EXAMPLES,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        revisions = list(self.get_object().revisions.order_by("-number")[:2])
        if not revisions:
            return Response({"results": [], "fields": []})
        return Response(review.revision_diff(revisions[1] if len(revisions) > 1 else None, revisions[0]))

    @extend_schema(
        summary="Comment on the declaration, a field or an indicator; answer a comment",
        request=CommentInputSerializer,
        responses={201: CommentSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        declaration = self.get_object()
        data = _valid(CommentInputSerializer, request)
        parent = get_object_or_404(Comment, pk=data.pop("parent"), declaration=declaration) if data.get("parent") else None
        data.pop("parent", None)
        comment = review.add_comment(declaration, author=request.user, parent=parent, **data)
        return Response(CommentSerializer(comment).data, status=201)

    @extend_schema(
        summary="Acknowledge a warning of the automated checks",
        request=AcknowledgeInputSerializer,
        responses={200: StoredFindingSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        declaration = self.get_object()
        data = _valid(AcknowledgeInputSerializer, request)
        finding = get_object_or_404(StoredFinding, pk=data["finding"], check_run__revision__declaration=declaration)
        return Response(StoredFindingSerializer(review.acknowledge(finding, verifier=request.user, comment=data["comment"])).data)

    @extend_schema(
        summary="Tick checklist items",
        request=ChecklistInputSerializer,
        responses={200: ReviewSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        declaration = self.get_object()
        review.update_checklist(declaration, verifier=request.user, items=_valid(ChecklistInputSerializer, request)["items"])
        return self._respond(declaration)

    @extend_schema(
        summary="Ask the mill for changes",
        request=DecisionInputSerializer,
        responses={200: ReviewSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        declaration = review.request_changes(
            self.get_object(), verifier=request.user, comment=_valid(DecisionInputSerializer, request)["comment"]
        )
        return self._respond(declaration)

    @extend_schema(
        summary="Approve with the verification statement",
        request=ApproveInputSerializer,
        responses={200: ReviewSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        declaration = review.approve(self.get_object(), verifier=request.user, **_valid(ApproveInputSerializer, request))
        return self._respond(declaration)

    @extend_schema(
        summary="Reject, with the reason",
        request=DecisionInputSerializer,
        responses={200: ReviewSerializer, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        declaration = review.reject(self.get_object(), verifier=request.user, reason=_valid(DecisionInputSerializer, request)["comment"])
        return self._respond(declaration)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IsOperator(permissions.BasePermission):
    message = "Only the programme operator can do this."

    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_operator", False))


@extend_schema_serializer(examples=api_examples.ASSIGNMENT_EXAMPLES)
class AssignmentSerializer(serializers.ModelSerializer):
    declaration = serializers.PrimaryKeyRelatedField(queryset=Declaration.objects.all())
    verifier = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(organization__kind="verification_body"))
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)
    accreditation = serializers.CharField(source="accreditation.number", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "declaration", "verifier", "accreditation", "assigned_by", "assigned_at", "ended_at"]
        read_only_fields = ["assigned_at", "ended_at"]


@extend_schema_view(
    create=extend_schema(
        summary="Assign a verifier (refused on conflict of interest)",
        responses={201: AssignmentSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA},
    )
)
class AssignmentViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated, IsOperator]
    queryset = Assignment.objects.select_related("verifier", "assigned_by", "accreditation").order_by("-assigned_at")

    def create(self, request, *args, **kwargs):
        data = _valid(AssignmentSerializer, request)
        assignment = review.assign(data["declaration"], data["verifier"], by=request.user)
        return Response(AssignmentSerializer(assignment).data, status=201)


@extend_schema_serializer(examples=api_examples.ACCREDITATION_EXAMPLES)
class AccreditationSerializer(serializers.ModelSerializer):
    verifier = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(organization__kind="verification_body"))
    body = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Accreditation
        fields = ["id", "verifier", "body", "number", "accredited_by", "scope", "valid_from", "valid_until", "active"]

    def validate(self, attrs):
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_until", getattr(self.instance, "valid_until", None))
        if error := accreditation_period_error(start, end):
            raise serializers.ValidationError({"valid_until": error})
        return attrs


class AccreditationViewSet(viewsets.ModelViewSet):
    """Operators accredit verifiers: body, number, scope and validity."""

    serializer_class = AccreditationSerializer
    permission_classes = [permissions.IsAuthenticated, IsOperator]
    queryset = Accreditation.objects.select_related("verifier", "body").order_by("pk")
    # No DELETE: accreditations are ended (active false), never deleted; assignments and statements point at them.
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        verifier = serializer.validated_data["verifier"]
        serializer.save(body=verifier.organization)
