import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    class Kind(models.TextChoices):
        PRODUCER = "producer", _("Producer (steel mill)")
        VERIFICATION_BODY = "verification_body", _("Verification body")
        OPERATOR = "operator", _("Programme operator")
        # Made the LCA for a mill. Named as a declaration's LCA practitioner; its people have no role here.
        LCA_CONSULTANCY = "lca_consultancy", _("LCA consultancy")

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_zh = models.CharField(_("name in Chinese"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. CN"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["producer", "verification_body", "operator", "lca_consultancy"]),
                name="organization_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PRODUCER = "producer", _("Producer")
    VERIFIER = "verifier", _("Verifier")
    OPERATOR = "operator", _("Operator")


ROLE_BY_KIND = {
    Organization.Kind.PRODUCER: Role.PRODUCER,
    Organization.Kind.VERIFICATION_BODY: Role.VERIFIER,
    Organization.Kind.OPERATOR: Role.OPERATOR,
}


class User(AbstractUser):
    """A person; their role follows from the kind of organization they belong to."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    preferred_language = models.CharField(max_length=10, default="en", choices=[("en", "English"), ("zh-hans", "简体中文")])

    @property
    def role(self) -> str | None:
        if self.organization_id is None:
            return Role.OPERATOR if self.is_superuser else None
        return ROLE_BY_KIND.get(self.organization.kind)

    @property
    def is_producer(self) -> bool:
        return self.role == Role.PRODUCER

    @property
    def is_verifier(self) -> bool:
        return self.role == Role.VERIFIER

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """An API key. Only its SHA-256 is stored; the key is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """Make a token; returns the row and the plain key, which is not stored anywhere."""
        key = "epd_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:12], key_hash=_hash_token(key))
        return token, key

    @classmethod
    def find_active(cls, key: str) -> "ApiToken | None":
        return cls.objects.active().select_related("user__organization").filter(key_hash=_hash_token(key)).first()

    def revoke(self) -> None:
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
