from django.db import models
from django.db.models import Q

from declarations.models import ImmutableRowMixin

from . import transparency

# ---------------------------------------------------------------- transparency log (registry.transparency)


class LogEvent(models.TextChoices):
    PUBLISHED = "published", "published"
    SUSPENDED = "suspended", "suspended"
    REVOKED = "revoked", "revoked"
    EXPIRED = "expired", "expired"
    SUPERSEDED = "superseded", "superseded"


class LogEntry(ImmutableRowMixin, models.Model):
    """One leaf of the transparency log: what happened to which published artefact, and when.

    Append only through transparency.append(); the leaf hash covers as_document() exactly as the API serves it.
    """

    index = models.PositiveBigIntegerField(primary_key=True)
    registration_number = models.CharField(max_length=32, db_index=True)
    version = models.PositiveIntegerField()
    artefact = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64, db_index=True)
    event = models.CharField(max_length=20, choices=LogEvent.choices)
    logged_at = models.DateTimeField()
    leaf_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "log entries"
        constraints = [
            models.CheckConstraint(condition=Q(event__in=LogEvent.values), name="logentry_event_known"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="logentry_sha256_hex"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.registration_number} v{self.version} {self.artefact} {self.event}"

    def as_document(self) -> dict:
        return transparency.entry_document(
            index=self.index,
            registration_number=self.registration_number,
            version=self.version,
            artefact=self.artefact,
            sha256=self.sha256,
            event=self.event,
            logged_at=self.logged_at,
        )


class LogNode(ImmutableRowMixin, models.Model):
    """The hash of a complete subtree, so proofs and roots need O(log n) reads instead of rehashing the log.

    The primary key is transparency.node_id(level, index): the node covers leaves
    [index·2^level, (index+1)·2^level); level 0 holds the leaf hashes.
    """

    id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        level, index = transparency.node_position(self.id)
        return f"node {level}/{index}"


class LogState(models.Model):
    """The head of the log, a single row: appends lock it, so two publishers never share an index.

    `frontier` holds the hashes of the complete subtrees that cover [0, tree_size), largest first; with
    it an append hashes O(log n) nodes and the root needs no reads. The signed tree head is kept here too.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.PositiveBigIntegerField(default=0)
    frontier = models.JSONField(default=list)
    root_hash = models.CharField(max_length=64, default=transparency.EMPTY_ROOT.hex())
    timestamp = models.DateTimeField(null=True, blank=True)
    signature = models.TextField(blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="logstate_single_row")]

    def __str__(self) -> str:
        return f"log of {self.tree_size} entries"
