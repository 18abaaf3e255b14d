from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from declarations.models import Declaration, ImmutableRowMixin, Revision


class AccreditationQuerySet(models.QuerySet):
    def valid_on(self, day) -> "AccreditationQuerySet":
        return self.filter(active=True, valid_from__lte=day).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def accreditation_period_error(valid_from, valid_until) -> str | None:
    """Why a validity period is wrong, or None (shared by the API and the operator's page)."""
    if valid_from and valid_until and valid_until < valid_from:
        return _("The accreditation cannot end before it starts.")
    return None


class Accreditation(models.Model):
    """An operator's approval of a person as third-party verifier (ISO 14025), within a scope."""

    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accreditations")
    body = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("verification body"))
    number = models.CharField(_("accreditation number"), max_length=80)
    accredited_by = models.CharField(_("accreditation body"), max_length=120, blank=True, help_text=_("e.g. DAkkS, CNAS, UKAS"))
    scope = models.CharField(_("scope"), max_length=300, default="EN 15804+A2 steel construction products")
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccreditationQuerySet.as_manager()

    class Meta:
        ordering = ["verifier__username"]

    def __str__(self) -> str:
        return f"{self.verifier} — {self.body} ({self.number})"

    def clean(self):
        if error := accreditation_period_error(self.valid_from, self.valid_until):
            raise ValidationError({"valid_until": error})


class AssignmentQuerySet(models.QuerySet):
    def current(self) -> "AssignmentQuerySet":
        return self.filter(ended_at__isnull=True)


class Assignment(models.Model):
    """Which verifier reviews a declaration. One current assignment per declaration; earlier ones are kept."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="assignments")
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    accreditation = models.ForeignKey(Accreditation, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    checklist = models.JSONField(default=dict, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["declaration"], condition=Q(ended_at__isnull=True), name="one_current_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.verifier} → {self.declaration_id}"


class CheckRun(models.Model):
    """The automated checks of one submitted revision. One per revision: that is what makes them run once."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="check_run")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(state__in=["running", "done"]), name="checkrun_state_valid")]

    def __str__(self) -> str:
        return f"checks of {self.revision} ({self.state})"


class StoredFinding(models.Model):
    """A finding of an automated check, kept with its revision; warnings need the verifier's acknowledgement."""

    class Severity(models.TextChoices):
        ERROR = "error", _("error")
        WARNING = "warning", _("warning")
        INFO = "info", _("info")

    check_run = models.ForeignKey(CheckRun, on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    rule = models.CharField(max_length=20)  # the check that found it: "P4", "field"…
    message = models.TextField()
    message_zh = models.TextField(blank=True)
    field = models.CharField(max_length=60, blank=True)
    indicator = models.CharField(max_length=32, blank=True)
    module = models.CharField(max_length=8, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True)

    class Meta:
        ordering = ["check_run", "pk"]
        constraints = [models.CheckConstraint(condition=Q(severity__in=["error", "warning", "info"]), name="finding_severity_valid")]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule}: {self.message[:60]}"


class Comment(models.Model):
    """A remark in the review conversation: on the declaration, one field, or one indicator (× module)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="comments")
    revision_number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies")
    field = models.CharField(max_length=60, blank=True)
    indicator = models.CharField(max_length=32, blank=True)
    module = models.CharField(max_length=8, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"

    @property
    def target(self) -> str:
        return " ".join(part for part in (self.field, self.indicator, self.module) if part)


class VerificationStatement(ImmutableRowMixin, models.Model):
    """The verifier's statement that comes with approval (ISO 14025, EN 15804+A2 clause 9)."""

    class Kind(models.TextChoices):
        EXTERNAL = "external", _("external")
        INTERNAL = "internal", _("internal")

    declaration = models.OneToOneField(Declaration, on_delete=models.PROTECT, related_name="verification_statement")
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verifier_name = models.CharField(max_length=200)
    body_name = models.CharField(max_length=200)
    body_website = models.URLField(
        blank=True, help_text=_("The verification body's website when it approved: openEPD names organisations by web domain.")
    )
    accreditation_number = models.CharField(max_length=80)
    accredited_by = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EXTERNAL)
    statement = models.TextField()
    follow_up = models.BooleanField(default=False, help_text=_("The verifier follows up the data during validity."))
    verified_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.verifier_name} on {self.verified_on}"

    def as_document(self) -> dict:
        return {
            "type": self.kind,
            "verifier": self.verifier_name,
            "body": self.body_name,
            "body_website": self.body_website,
            "accreditation": f"{self.accredited_by} {self.accreditation_number}".strip(),
            "date": self.verified_on.isoformat(),
            "follow_up": self.follow_up,
            "statement": self.statement,
        }
