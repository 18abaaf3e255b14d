import re
from datetime import date
from decimal import Decimal

from cqd import open_xpd_uuid
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from . import catalogue, locations
from .validation import DeclarationFacts, Matrix, ResultCell, declared_mass_kg, with_exponent
from .workflow import EDITABLE, Status


def validate_openxpd_id(value: str) -> None:
    try:
        open_xpd_uuid.validate(open_xpd_uuid.sanitize(value))
    except (open_xpd_uuid.GuidValidationError, ValueError) as error:
        raise ValidationError(_("“%(value)s” is not an open xPD UUID (8 letters and digits, e.g. EC3E432H).") % {"value": value}) from error


REGISTRATION_KEYS = {"programme_operator": 200, "registration_number": 100, "verifier": 200, "url": 500}


def validate_registrations(value: object) -> None:
    """A list of {"programme_operator", "registration_number", "verifier"?, "url"?}, each text short and given."""
    if not isinstance(value, list) or len(value) > 10:
        raise ValidationError(_("Give at most 10 registrations, each with programme operator and registration number."))
    for index, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or set(entry) - set(REGISTRATION_KEYS):
            raise ValidationError(
                _("Registration %(n)s: only programme_operator, registration_number, verifier and url.") % {"n": index}
            )
        for key in ("programme_operator", "registration_number"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ValidationError(_("Registration %(n)s needs a %(key)s.") % {"n": index, "key": key.replace("_", " ")})
        for key, limit in REGISTRATION_KEYS.items():
            if key in entry and (not isinstance(entry[key], str) or len(entry[key]) > limit):
                raise ValidationError(
                    _("Registration %(n)s: %(key)s must be a text of at most %(limit)s characters.")
                    % {"n": index, "key": key.replace("_", " "), "limit": limit}
                )
        url = entry.get("url")
        if url and not url.startswith(("https://", "http://")):
            raise ValidationError(_("Registration %(n)s: the link must start with https://.") % {"n": index})


def validate_other_names(value: object) -> None:
    """{language code: name}, e.g. {"de": "Betonstahl"}."""
    if not isinstance(value, dict) or len(value) > 20:
        raise ValidationError(_("Give the names as language code: name, for at most 20 languages."))
    for language, name in value.items():
        if not (isinstance(language, str) and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", language)):
            raise ValidationError(_("“%(language)s” is not a language code such as de or pt-BR.") % {"language": str(language)[:20]})
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ValidationError(_("The %(language)s name must be a text of 1 to 200 characters.") % {"language": language})


def _words(text: str) -> str:
    """Text as a run of lowercase words and numbers, for comparing names: "PCR 2019:14" → " pcr 2019 14 "."""
    return " " + " ".join(re.findall(r"[^\W_]+", text.casefold())) + " "


_VERSION = re.compile(r"\b(?:version|ver\.?|v)\s*(\d+(?:\.\d+)*)", re.IGNORECASE)


class PCRQuerySet(models.QuerySet):
    def matching(self, text: str, *, openepd_id: str = "") -> "PCR | None":
        """The PCR of these that a file's naming of a PCR ("PCR 2019:14 Construction products, version 1.3.4") is, or None.

        Known by its open xPD id, else by its registration id within the text ("EN 17662:2021" also as "EN 17662"),
        else by its whole name within the text. A version the text states ("version 1.3.4", "v1.3") must be the
        PCR's: another version of a PCR is not the catalogue's entry. None when nothing, or more than one PCR, fits.
        """
        words = _words(text or "")
        stated = _VERSION.search(text or "")
        wanted_id = re.sub(r"[\s-]", "", openepd_id).upper()
        candidates = [pcr for pcr in self if not stated or not pcr.version or _words(pcr.version) == _words(stated.group(1))]
        for fits in (
            lambda pcr: bool(wanted_id) and re.sub(r"[\s-]", "", pcr.openepd_id).upper() == wanted_id,
            lambda pcr: (
                bool(pcr.registration_id)
                and any(_words(key) in words for key in {pcr.registration_id, re.sub(r":(19|20)\d\d$", "", pcr.registration_id)})
            ),
            lambda pcr: _words(pcr.name) in words,
        ):
            found = [pcr for pcr in candidates if fits(pcr)]
            if found:
                return found[0] if len(found) == 1 else None
        return None


class PCR(models.Model):
    """An entry of the PCR catalogue: EN 15804+A2 as core rules plus a complementary steel PCR."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    programme = models.CharField(_("programme"), max_length=120)
    version = models.CharField(_("version"), max_length=40, blank=True)
    core_standard = models.CharField(_("core standard"), max_length=80, default="EN 15804:2012+A2:2019")
    registration_id = models.CharField(
        _("registration id"), max_length=40, blank=True, help_text=_("The programme's identifier of the PCR, e.g. PCR 2019:14.")
    )
    url = models.URLField(_("link"), blank=True, help_text=_("Where the PCR document or its registration page is published."))
    openepd_id = models.CharField(
        _("openEPD id"),
        max_length=12,
        blank=True,
        validators=[validate_openxpd_id],
        help_text=_("The PCR's open xPD UUID where one is registered (EC3 lists PCRs under such ids, e.g. EC3E432H)."),
    )
    is_en15804 = models.BooleanField(
        _("conforms to EN 15804"), default=True, help_text=_("False for ISO 21930 PCRs: results are not comparable.")
    )
    active = models.BooleanField(default=True)

    objects = PCRQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "PCR"

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()

    @property
    def standard(self) -> str:
        """What EPDs under this PCR comply with, in a claim's words ("EN 15804+A2", "ISO 21930:2017")."""
        return catalogue.standard_name(self.core_standard) if self.is_en15804 else self.core_standard

    @property
    def is_en15804_a2(self) -> bool:
        return self.standard == catalogue.EN15804_A2


class EPD(models.Model):
    """An EPD across its versions. Each version is one Declaration with its own lifecycle."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="epds")
    registration_number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "EPD"

    def __str__(self) -> str:
        return self.registration_number or f"EPD #{self.pk} (unpublished)"


class DeclarationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DeclarationQuerySet":
        """Producers see their organization's declarations; operators see all; others none here.

        Verifiers see their assigned ones through verification.review, which extends this.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_operator:
            return self
        if user.is_producer:
            return self.filter(epd__organization_id=user.organization_id)
        return self.none()

    def with_related(self) -> "DeclarationQuerySet":
        return self.select_related("epd__organization", "pcr", "created_by", "lca_practitioner_organization").prefetch_related("plants")


def report_upload_path(declaration: "Declaration", filename: str) -> str:
    return f"reports/{declaration.epd_id}/{declaration.pk}/{timezone.now():%Y%m%d%H%M%S}.pdf"


class Declaration(models.Model):
    """One version of an EPD, as the mill describes it: product, LCA information, results."""

    class CharacterisationMethod(models.TextChoices):
        EF30 = "EF 3.0", "EF 3.0"
        EF31 = "EF 3.1", "EF 3.1"

    epd = models.ForeignKey(EPD, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    revision = models.PositiveIntegerField(default=0, help_text=_("How many times it was submitted."))

    # Product
    product_name = models.CharField(_("product name"), max_length=200)
    product_name_zh = models.CharField(_("product name in Chinese"), max_length=200, blank=True)
    description = models.TextField(_("description and intended use"), blank=True)
    category = models.CharField(_("steel product category"), max_length=30, choices=catalogue.CATEGORY_CHOICES, blank=True)
    standards = models.JSONField(_("product standards"), default=list, blank=True, help_text=_("e.g. EN 10080, GB/T 1499.2"))
    grades = models.JSONField(_("steel grades"), default=list, blank=True, help_text=_("e.g. B500B, HRB400E"))
    production_route = models.CharField(_("production route"), max_length=20, choices=catalogue.ProductionRoute.choices, blank=True)
    recycled_content = models.DecimalField(_("recycled content (%)"), max_digits=5, decimal_places=2, null=True, blank=True)

    # LCA information
    declared_unit = models.CharField(_("declared unit"), max_length=40, default="1 t")
    pcr = models.ForeignKey(PCR, on_delete=models.PROTECT, null=True, blank=True, verbose_name="PCR")
    lca_software = models.CharField(_("LCA software and version"), max_length=120, blank=True)
    background_database = models.CharField(_("background database and version"), max_length=120, blank=True)
    # No default: EF 3.0 results left at a default were once published as EF 3.1. The mill declares it (or an
    # import reads it), and `results_method` keeps what the imported results' own identifiers say.
    characterisation_method = models.CharField(
        _("characterisation factors"), max_length=8, choices=CharacterisationMethod.choices, blank=True
    )
    results_method = models.CharField(
        _("method of the imported results"),
        max_length=8,
        choices=CharacterisationMethod.choices,
        blank=True,
        help_text=_("EF 3.0 or EF 3.1 when the identifiers of the imported indicators belong to one of them only."),
    )
    reference_year = models.PositiveSmallIntegerField(_("reference year"), null=True, blank=True)
    data_period_start = models.DateField(_("data period from"), null=True, blank=True)
    data_period_end = models.DateField(_("data period to"), null=True, blank=True)
    declared_modules = models.JSONField(_("declared modules"), default=list, blank=True)
    scenarios = models.JSONField(_("scenarios"), default=dict, blank=True, help_text=_("Per module beyond A1-A3: transport, end of life…"))
    allocation = models.TextField(_("allocation"), blank=True)
    cut_off = models.TextField(_("cut-off rules"), blank=True)
    data_quality = models.TextField(_("data quality"), blank=True)
    lca_practitioner = models.CharField(_("LCA practitioner"), max_length=200, blank=True)
    lca_practitioner_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("LCA practitioner's organization"),
    )
    renewable_electricity_claim = models.BooleanField(_("claims renewable electricity (GoO, PPA)"), default=False)
    biogenic_carbon_product = models.DecimalField(
        _("biogenic carbon in product (kg C)"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    biogenic_carbon_packaging = models.DecimalField(
        _("biogenic carbon in packaging (kg C)"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("At most five years from the date of issue; empty means five.")
    )
    # An EPD published elsewhere first and registered here too: its own date of issue (validity counts from it),
    # where else it is registered, and the names and PCR as its source states them.
    original_issue_date = models.DateField(
        _("first issued on"),
        null=True,
        blank=True,
        help_text=_("When the EPD was first issued by another programme operator; its validity counts from that date."),
    )
    registrations_elsewhere = models.JSONField(
        _("also registered as"),
        default=list,
        blank=True,
        validators=[validate_registrations],
        help_text=_("Other programmes' registrations of this EPD: programme operator, registration number, verifier, link."),
    )
    other_names = models.JSONField(
        _("product name in other languages"), default=dict, blank=True, validators=[validate_other_names]
    )
    pcr_named = models.CharField(
        _("PCR as the source names it"),
        max_length=300,
        blank=True,
        help_text=_("The PCR an imported EPD names, kept when it is not (yet) one of the catalogue's."),
    )

    report = models.FileField(_("LCA project report"), upload_to=report_upload_path, blank=True)
    report_name = models.CharField(max_length=200, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["epd", "version"], name="declaration_epd_version_unique"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="declaration_status_valid"),
            models.CheckConstraint(
                condition=models.Q(recycled_content__isnull=True) | models.Q(recycled_content__gte=0, recycled_content__lte=100),
                name="declaration_recycled_content_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} (v{self.version}, {self.status})"

    @property
    def organization(self) -> Organization:
        return self.epd.organization

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def declared_mass_kg(self) -> Decimal | None:
        return declared_mass_kg(self.declared_unit)

    def result_cells(self) -> list[ResultCell]:
        return [ResultCell(r.indicator, r.module, r.given_value) for r in self.results.all()]

    def facts(
        self, cells: list[ResultCell] | None = None, declared_modules: list[str] | None = None, issue_date: date | None = None
    ) -> DeclarationFacts:
        """What the validator needs; pass `cells` to validate an import before it is saved."""
        plants = self.plants.all() if self.pk else []
        return DeclarationFacts(
            cells=self.result_cells() if cells is None else cells,
            declared_modules=list(self.declared_modules if declared_modules is None else declared_modules),
            declared_unit=self.declared_unit,
            production_route=self.production_route,
            category=self.category,
            recycled_content=self.recycled_content,
            reference_year=self.reference_year,
            valid_until=self.valid_until,
            issue_date=issue_date or self.original_issue_date or timezone.localdate(),
            today=timezone.localdate(),
            renewable_electricity_claim=self.renewable_electricity_claim,
            product_name=self.product_name,
            pcr=self.pcr.code if self.pcr_id else "",
            pcr_name=str(self.pcr) if self.pcr_id else "",
            pcr_standard=self.pcr.standard if self.pcr_id else "",
            characterisation_method=self.characterisation_method,
            results_method=self.results_method,
            plants=len(plants),
            lca_software=self.lca_software,
            background_database=self.background_database,
            has_report=bool(self.report),
            allocation=self.allocation,
            cut_off=self.cut_off,
            data_quality=self.data_quality,
            lca_practitioner=self.lca_practitioner
            or (self.lca_practitioner_organization.name if self.lca_practitioner_organization_id else ""),
            transport_km={
                m: Decimal(str(s["distance_km"]))
                for m, s in self.scenarios.items()
                if isinstance(s, dict) and s.get("distance_km") not in (None, "")
            },
        )

    def results_document(self) -> dict[str, dict[str, str | None]]:
        """{indicator: {module: "decimal as text" or None for ND}}, in catalogue order."""
        order = {code: i for i, code in enumerate(catalogue.indicators())}
        document: dict[str, dict[str, str | None]] = {}
        for r in sorted(self.results.all(), key=lambda r: (order[r.indicator], catalogue.module_codes().index(r.module))):
            document.setdefault(r.indicator, {})[r.module] = given_text(r.given_value)
        return document

    def as_document(self) -> dict:
        """Everything the mill declared, as JSON-ready data (revision snapshots, the published JSON)."""
        return {
            "product": {
                "name": self.product_name,
                "name_zh": self.product_name_zh,
                "other_names": self.other_names,
                "description": self.description,
                "category": self.category,
                "standards": self.standards,
                "grades": self.grades,
                "production_route": self.production_route,
                "recycled_content_percent": decimal_text(self.recycled_content),
            },
            "manufacturer": {
                "name": self.epd.organization.name,
                "name_zh": self.epd.organization.name_zh,
                "country": self.epd.organization.country,
                "city": self.epd.organization.city,
                "address": self.epd.organization.address,
                "website": self.epd.organization.website,
            },
            "plants": [{"name": p.name, "country": p.country, "city": p.city, "olc": p.olc} for p in self.plants.all()],
            "lca": {
                "declared_unit": self.declared_unit,
                "declared_unit_mass_kg": decimal_text(self.declared_mass_kg),
                "pcr": {
                    "code": self.pcr.code,
                    "name": self.pcr.name,
                    "version": self.pcr.version,
                    "programme": self.pcr.programme,
                    "core_standard": self.pcr.core_standard,
                    "registration_id": self.pcr.registration_id,
                    "url": self.pcr.url,
                    "openepd_id": self.pcr.openepd_id,
                    "standard": self.pcr.standard,
                }
                if self.pcr_id
                else None,
                "standard": self.pcr.standard if self.pcr_id else None,
                "software": self.lca_software,
                "background_database": self.background_database,
                "characterisation_method": self.characterisation_method,
                "reference_year": self.reference_year,
                "data_period": [d.isoformat() if d else None for d in (self.data_period_start, self.data_period_end)],
                "declared_modules": [m for m in catalogue.module_codes() if m in self.declared_modules],
                "scenarios": self.scenarios,
                "allocation": self.allocation,
                "cut_off": self.cut_off,
                "data_quality": self.data_quality,
                "practitioner": self.lca_practitioner,
                "renewable_electricity_claim": self.renewable_electricity_claim,
                "biogenic_carbon_kg_c": {
                    "product": decimal_text(self.biogenic_carbon_product),
                    "packaging": decimal_text(self.biogenic_carbon_packaging),
                },
            },
            "results": self.results_document(),
            "first_issued": self.original_issue_date.isoformat() if self.original_issue_date else None,
            "registrations_elsewhere": self.registrations_elsewhere,
            "report_sha256": self.report_sha256 or None,
        }

    def matrix(self) -> Matrix:
        return Matrix(self.result_cells())

    def gwp_a1a3(self) -> Decimal | None:
        return self.matrix().product_stage("GWP-total")


def given_text(value: Decimal | None) -> str | None:
    """A result as it was given: "2.40" stays "2.40" and "2.16E+3" stays "2.16E+3"; None (ND) stays None."""
    return None if value is None else str(value)


def decimal_text(value: Decimal | None) -> str | None:
    """Exact decimal text without exponent or trailing zeros ("2150", "0.00000012"), None stays None."""
    if value is None:
        return None
    return format(value.normalize(), "f")


class Plant(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="plants")
    name = models.CharField(_("plant"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2, e.g. CN, DE"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    olc = models.CharField(
        _("location (plus code)"),
        max_length=20,
        blank=True,
        help_text=_("The site's Open Location Code, e.g. 8Q33CF4Q+QR: openEPD identifies plants by it."),
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name}, {self.city} ({self.country})"

    def clean(self) -> None:
        if not (len(self.country) == 2 and self.country.isalpha() and self.country.isupper()):
            raise ValidationError({"country": _("Use the two-letter ISO code in capitals, e.g. CN.")})
        if self.olc:
            try:
                self.olc = locations.plus_code(self.olc)
            except ValueError as error:
                raise ValidationError({"olc": str(error)}) from error


class Result(models.Model):
    """One value of the indicator × module matrix. `value` NULL is "not declared" (ND), not zero.

    A module that is not declared at all (MND) has no rows and is absent from declared_modules.
    """

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="results")
    indicator = models.CharField(max_length=32)
    module = models.CharField(max_length=8)
    value = models.DecimalField(max_digits=36, decimal_places=18, null=True, blank=True)
    # The place of the last digit the producer gave: -2 for "2.40", 1 for "2.16E+3". The column keeps 18 decimal
    # places whatever was typed, and the sum rules allow for the rounding of what was printed.
    exponent = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "indicator", "module"], name="result_cell_unique"),
            models.CheckConstraint(condition=models.Q(indicator__in=list(catalogue.indicators())), name="result_indicator_known"),
            models.CheckConstraint(condition=models.Q(module__in=catalogue.module_codes()), name="result_module_known"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.module} = {self.given_value if self.value is not None else 'ND'}"

    @classmethod
    def given(cls, declaration: Declaration, indicator: str, module: str, value: Decimal | None) -> "Result":
        """A row that keeps the precision `value` was given with."""
        exponent = value.as_tuple().exponent if value is not None else None
        return cls(declaration=declaration, indicator=indicator, module=module, value=value, exponent=exponent)

    @property
    def given_value(self) -> Decimal | None:
        return with_exponent(self.value, self.exponent)


class ImmutableRowMixin:
    """Rows that are written once: saving an existing row or deleting raises (PostgreSQL triggers too)."""

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"{type(self).__name__} rows are append-only")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} rows are append-only")


class Revision(ImmutableRowMixin, models.Model):
    """What was submitted, each time: the verifier diffs revisions, findings belong to one."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["declaration", "number"]
        constraints = [models.UniqueConstraint(fields=["declaration", "number"], name="revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.declaration_id} r{self.number}"


class AuditEntry(ImmutableRowMixin, models.Model):
    """Append-only trail of every transition: who, when, from, to, why."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_status} → {self.to_status}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_full_name() or self.actor.username if self.actor else str(_("the platform"))


class OutboxMessageQuerySet(models.QuerySet):
    def unclaimed(self, now=None) -> "OutboxMessageQuerySet":
        """Not sent, and nobody is sending it now (no claim, or the claim of a worker that died ran out)."""
        now = now or timezone.now()
        return self.filter(sent_at__isnull=True).filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now))


class OutboxMessage(models.Model):
    """An e-mail owed to people about a transition or an assignment: the transactional outbox.

    Written in the same transaction as the transition (workflow.transition) or assignment, so a broker that
    is down when it commits loses nothing: the row says what is owed, the worker sends it
    (verification.notifications.deliver), and the beat sweeper queues again what was not sent. Who gets it
    is fixed at the first attempt; each address is recorded as it is sent, so a retry sends only what is left.
    """

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("transition")
        ASSIGNMENT = "assignment", _("assignment")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    audit_entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="outbox_message")
    # verification.Assignment's id: declarations does not depend on verification, so no foreign key.
    assignment_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    recipients = models.JSONField(null=True, blank=True)  # null until the first attempt decides
    delivered = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_pending")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="transition", audit_entry__isnull=False, assignment_id__isnull=True))
                | models.Q(kind="assignment", audit_entry__isnull=True, assignment_id__isnull=False),
                name="outbox_names_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail {self.pk} ({'sent' if self.sent_at else 'pending'})"
