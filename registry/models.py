from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from declarations.models import Declaration, ImmutableRowMixin

from . import transparency

# ---------------------------------------------------------------- transparency log (registry.transparency)


class LogEvent(models.TextChoices):
    PUBLISHED = "published", "published"
    SUSPENDED = "suspended", "suspended"
    REVOKED = "revoked", "revoked"
    EXPIRED = "expired", "expired"
    SUPERSEDED = "superseded", "superseded"
    REINSTATED = "reinstated", "reinstated"


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
    checkpoint = models.TextField(blank=True, help_text="the same head as a C2SP checkpoint note, with any witness cosignatures")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="logstate_single_row")]

    def __str__(self) -> str:
        return f"log of {self.tree_size} entries"


# ---------------------------------------------------------------- publications (registry.publishing)


class Publication(ImmutableRowMixin, models.Model):
    """One published version of an EPD exactly as it was issued and signed. Never changes (a trigger on
    PostgreSQL refuses UPDATE and DELETE too); what does change, its status, lives on RegistryEntry."""

    declaration = models.OneToOneField(Declaration, on_delete=models.PROTECT, related_name="publication")
    registration_number = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    issued = models.DateField()
    valid_until = models.DateField()
    published_at = models.DateTimeField()
    document = models.JSONField(help_text="the platform's full JSON as signed (epd.json)")
    openepd = models.TextField(
        blank=True, help_text="the openEPD document as signed: openepd.json's bytes (RFC 8785 JSON); empty before openEPD ids"
    )

    class Meta:
        ordering = ["registration_number", "version"]
        constraints = [models.UniqueConstraint(fields=["registration_number", "version"], name="publication_number_version_unique")]

    def __str__(self) -> str:
        return f"{self.registration_number} v{self.version}"


class ArtefactName(models.TextChoices):
    PDF = "document.pdf", "PDF (PAdES signed)"
    JSON = "epd.json", "full JSON"
    JSON_SIGNATURE = "epd.jws", "JWS of the full JSON"
    OPENEPD = "openepd.json", "openEPD JSON"
    OPENEPD_SIGNATURE = "openepd.jws", "JWS of the openEPD JSON"
    ILCD = "ilcd.xml", "ILCD+EPD XML"
    ILCD_ZIP = "ilcd.zip", "ILCD+EPD ZIP (every referenced dataset and the signed PDF)"


ARTEFACT_CONTENT_TYPES = {
    ArtefactName.PDF: "application/pdf",
    ArtefactName.JSON: "application/json",
    ArtefactName.JSON_SIGNATURE: "application/jose",
    ArtefactName.OPENEPD: "application/json",
    ArtefactName.OPENEPD_SIGNATURE: "application/jose",
    ArtefactName.ILCD: "application/xml",
    ArtefactName.ILCD_ZIP: "application/zip",
}


class Artefact(ImmutableRowMixin, models.Model):
    """A published file: stored under its SHA-256 (content-addressed) and logged at `log_index`."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="artefacts")
    name = models.CharField(max_length=20, choices=ArtefactName.choices)
    file = models.FileField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    log_index = models.PositiveBigIntegerField(unique=True)

    class Meta:
        ordering = ["publication", "name"]
        constraints = [models.UniqueConstraint(fields=["publication", "name"], name="artefact_publication_name_unique")]

    def __str__(self) -> str:
        return f"{self.publication} {self.name}"

    @property
    def content_type(self) -> str:
        return ARTEFACT_CONTENT_TYPES[self.name]


class IlcdDataset(ImmutableRowMixin, models.Model):
    """One dataset inside a publication's ILCD ZIP (the ilcd.zip artefact), written when the ZIP is stored, so that
    the soda4LCA service (registry.soda) finds a dataset by UUID and version without opening any ZIP."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="ilcd_datasets")
    folder = models.CharField(max_length=20, help_text="ILCD folder: processes, flows, contacts, sources, …")
    uuid = models.UUIDField()
    version = models.CharField(max_length=12, blank=True, help_text="dataSetVersion, or the version a stub is referenced with")
    member = models.CharField(max_length=200, help_text="path inside the ZIP")

    class Meta:
        ordering = ["publication", "folder", "uuid"]
        constraints = [models.UniqueConstraint(fields=["publication", "folder", "uuid"], name="ilcddataset_publication_dataset_unique")]
        indexes = [models.Index(fields=["folder", "uuid"], name="ilcddataset_folder_uuid")]

    def __str__(self) -> str:
        return f"{self.publication} {self.member}"


class RegistryStatus(models.TextChoices):
    VALID = "valid", _("valid")
    EXPIRED = "expired", _("expired")
    SUPERSEDED = "superseded", _("superseded")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")


class RegistryEntry(models.Model):
    """What buyers search: one row per published version, its status now, and the figures to filter and
    sort by, copied from the signed document when it is published (so a search never parses JSON)."""

    publication = models.OneToOneField(Publication, on_delete=models.PROTECT, related_name="entry")
    registration_number = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    openepd_id = models.CharField(max_length=8, unique=True, help_text="the version's openEPD id (registry/openxpd.py)")
    is_latest = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=RegistryStatus.choices, default=RegistryStatus.VALID)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField()
    superseded_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    manufacturer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="registry_entries")
    manufacturer_name = models.CharField(max_length=200)
    product_name = models.CharField(max_length=200)
    product_name_zh = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=30)
    production_route = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="country of the (first) plant")
    pcr_code = models.CharField(max_length=40, blank=True)
    declared_unit = models.CharField(max_length=40)
    gwp_a1a3 = models.DecimalField(max_digits=20, decimal_places=6, null=True, help_text="kg CO2 eq. per declared unit")
    gwp_a1a3_per_tonne = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    recycled_content = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    issued = models.DateField()
    valid_until = models.DateField()
    published_at = models.DateTimeField()
    search_text = models.TextField(help_text="normalised search tokens for `q`, written by registry.search.document_text()")
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="the last expiry reminder sent: 90 or 30 days before")

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name_plural = "registry entries"
        constraints = [
            models.UniqueConstraint(fields=["registration_number", "version"], name="registryentry_number_version_unique"),
            models.UniqueConstraint(fields=["registration_number"], condition=Q(is_latest=True), name="registryentry_one_latest"),
            models.CheckConstraint(condition=Q(status__in=RegistryStatus.values), name="registryentry_status_known"),
        ]
        indexes = [
            models.Index(fields=["status", "published_at"], name="registry_status_published"),
            # The latest versions newest first, ties by id: a search with words reads rows in this order until its
            # page is full (queries.first_rows), without sorting each run of EPDs published the same moment.
            models.Index(fields=["status", "-published_at", "-id"], condition=Q(is_latest=True), name="registry_latest_newest"),
            models.Index(fields=["status", "category", "gwp_a1a3"], name="registry_status_cat_gwp"),
            models.Index(fields=["status", "gwp_a1a3"], name="registry_status_gwp"),
            models.Index(fields=["manufacturer", "status"], name="registry_manufacturer_status"),
            models.Index(fields=["category", "status", "is_latest", "gwp_a1a3_per_tonne"], name="registry_category_percentile"),
            models.Index(fields=["status", "is_latest", "valid_until"], name="registry_status_valid_until"),
            # Country and route, newest first: without it a rare pair walks the whole (status, published_at) index.
            models.Index(fields=["country", "production_route", "status", "published_at"], name="registry_country_route"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_number} v{self.version} ({self.status})"
