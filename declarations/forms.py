"""Web forms: they read what the page posted into the shapes the domain functions take, nothing more.

Every rule about the values lives in validation.py; the results grid is handed to the same JSON
reader the API uses, so the web page reports the same problems in the same words.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from . import catalogue, editing, locations
from .catalogue import chinese_active
from .editing import EDITABLE_FIELDS
from .models import PCR, Declaration, given_text
from .validation import Finding

# Modules whose scenario states a transport distance (A4 to the site, C2 to waste processing).
TRANSPORT_MODULES = ("A4", "C2")
SCENARIO_MODULES = tuple(m for m in catalogue.module_codes() if m not in (*catalogue.INDIVIDUAL_PRODUCT_MODULES, "A1-A3"))
DEFAULT_DECLARED_MODULES = ("A1-A3", *catalogue.MANDATORY_MODULES_BEYOND_GATE)

INDICATOR_GROUPS = {
    "core impact": _("Core environmental impact indicators"),
    "additional impact": _("Additional environmental impact indicators"),
    "resource use": _("Resource use"),
    "waste": _("Waste categories"),
    "output flow": _("Output flows"),
}


def category_choices() -> list[tuple[str, str]]:
    zh = chinese_active()
    return [("", "—")] + [(c.code, c.name_zh if zh else c.name) for c in catalogue.CATEGORIES]


def split_list(text: str) -> list[str]:
    """Split "EN 10080, GB/T 1499.2" into ["EN 10080", "GB/T 1499.2"]; Chinese commas and semicolons work too."""
    return [part.strip() for part in re.split(r"[,;，；、\n]", text or "") if part.strip()]


def date_input() -> forms.DateInput:
    """The browser's date picker. It takes only ISO dates, whatever the language (简体中文 formats 2026/01/31)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ListField(forms.CharField):
    """A list of short texts, typed as one comma-separated line."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        return split_list(super().to_python(value))

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for item in value:
            if len(item) > 60:
                raise forms.ValidationError(_("“%(item)s” is longer than 60 characters."), params={"item": item[:60]})

    def run_validators(self, value) -> None:
        if len(value) > 50:
            raise forms.ValidationError(_("At most 50 entries."))


class RegistrationsField(forms.CharField):
    """One registration per line: "Programme operator | Registration number | Verifier | Link" (the last two optional)."""

    widget = forms.Textarea(attrs={"rows": 2})
    KEYS = ("programme_operator", "registration_number", "verifier", "url")

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(" | ".join(entry.get(key, "") for key in self.KEYS).rstrip(" |") for entry in value)
        return value

    def to_python(self, value) -> list[dict]:
        entries = []
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) < 2 or len(parts) > 4:
                raise forms.ValidationError(_("Write each registration as: programme operator | registration number | verifier | link."))
            entries.append({key: part for key, part in zip(self.KEYS, parts, strict=False) if part})
        return entries


class NamesField(forms.CharField):
    """One name per line: "de: Betonstahl"."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        return "\n".join(f"{language}: {name}" for language, name in value.items()) if isinstance(value, dict) else value

    def to_python(self, value) -> dict:
        names = {}
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            language, separator, name = line.partition(":")
            if not separator:
                raise forms.ValidationError(_("Write each name as language code: name, e.g. de: Betonstahl."))
            names[language.strip()] = name.strip()
        return names


class DeclarationForm(forms.ModelForm):
    registrations_elsewhere = RegistrationsField(
        label=_("also registered as"),
        required=False,
        help_text=_(
            "For an EPD first published by another programme, one per line: programme operator | registration number | verifier | link"
        ),
    )
    other_names = NamesField(label=_("product name in other languages"), required=False, help_text=_("One per line, e.g. de: Betonstahl"))
    standards = ListField(label=_("product standards"), required=False, help_text=_("Separate with commas, e.g. EN 10080, GB/T 1499.2"))
    grades = ListField(label=_("steel grades"), required=False, help_text=_("Separate with commas, e.g. B500B, HRB400E"))

    class Meta:
        model = Declaration
        fields = [name for name in EDITABLE_FIELDS if name != "scenarios"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "allocation": forms.Textarea(attrs={"rows": 2}),
            "cut_off": forms.Textarea(attrs={"rows": 2}),
            "data_quality": forms.Textarea(attrs={"rows": 2}),
            "data_period_start": date_input(),
            "data_period_end": date_input(),
            "valid_until": date_input(),
            "original_issue_date": date_input(),
        }

    def __init__(self, *args, organization: Organization | None = None, **kwargs):
        """`organization`: the mill whose declaration this is; it may name only the practitioners editing allows."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["pcr"].queryset = PCR.objects.filter(active=True)
        self.fields["pcr"].label = _("PCR")
        practitioners = Organization.objects.order_by("name")
        if organization is not None:
            kept = Organization.objects.filter(pk=self.instance.lca_practitioner_organization_id)
            practitioners = (editing.practitioner_choices(organization) | kept).order_by("name")
        self.fields["lca_practitioner_organization"].queryset = practitioners
        self.fields["product_name_zh"].widget.attrs["lang"] = "zh-Hans"
        # The database's check constraint, said next to the field instead of as a constraint name.
        recycled = self.fields["recycled_content"]
        recycled.min_value, recycled.max_value = 0, 100
        recycled.validators += [MinValueValidator(0), MaxValueValidator(100)]
        recycled.widget.attrs.update(min=0, max=100)

    def domain_fields(self) -> dict:
        """The cleaned values, keyed as editing.create_declaration / update_declaration take them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _scenario_parts(scenario: object) -> tuple[str, object]:
    if isinstance(scenario, dict):
        return str(scenario.get("description", "")), scenario.get("distance_km")
    return str(scenario or ""), None


class ScenarioForm(forms.Form):
    """Per module beyond the product stage: a description, and a distance for transport modules."""

    prefix = "scenario"

    def __init__(self, *args, scenarios: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        scenarios = scenarios or {}
        for module in SCENARIO_MODULES:
            description, distance = _scenario_parts(scenarios.get(module))
            self.fields[module] = forms.CharField(
                label=module, required=False, max_length=1000, initial=description, widget=forms.TextInput()
            )
            if module in TRANSPORT_MODULES or distance not in (None, ""):
                self.fields[f"{module}_km"] = forms.DecimalField(
                    label=_("%(module)s distance (km)") % {"module": module},
                    required=False,
                    min_value=0,
                    max_value=40000,
                    decimal_places=1,
                    initial=distance,
                )

    def rows(self) -> list[dict]:
        zh = chinese_active()
        modules = catalogue.modules()
        return [
            {
                "module": module,
                "name": modules[module].name_zh if zh else modules[module].name,
                "text": self[module],
                "distance": self[f"{module}_km"] if f"{module}_km" in self.fields else None,
                "use_stage": module.startswith("B"),
            }
            for module in SCENARIO_MODULES
        ]

    def scenarios(self) -> dict:
        result: dict = {}
        for module in SCENARIO_MODULES:
            text = self.cleaned_data.get(module, "").strip()
            distance = self.cleaned_data.get(f"{module}_km")
            if distance is not None:
                result[module] = {"description": text, "distance_km": _json_number(distance)}
            elif text:
                result[module] = text
        return result


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class PlantForm(forms.Form):
    name = forms.CharField(label=_("plant"), max_length=200)
    country = forms.CharField(
        label=_("country"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Use the two-letter ISO code, e.g. CN or DE."))],
        widget=forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
    )
    city = forms.CharField(label=_("city"), max_length=100, required=False)
    olc = forms.CharField(
        label=_("location (plus code)"),
        max_length=40,
        required=False,
        help_text=_("Plus code such as 8Q33CF4Q+QR, or latitude, longitude such as 31.4069, 121.4896."),
    )

    def clean_olc(self) -> str:
        text = self.cleaned_data.get("olc", "")
        if not text:
            return ""
        try:
            return locations.plus_code(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


PlantFormSet = forms.formset_factory(PlantForm, extra=1, can_delete=True, max_num=50)


def plants_of(formset) -> list[dict]:
    return [
        {
            "name": f.cleaned_data["name"],
            "country": f.cleaned_data["country"].upper(),
            "city": f.cleaned_data.get("city", ""),
            "olc": f.cleaned_data.get("olc", ""),
        }
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class ReportForm(forms.Form):
    report = forms.FileField(label=_("LCA project report (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))


class ResultsFileForm(forms.Form):
    file = forms.FileField(
        label=_("Results file"),
        help_text=_("The platform's template as XLSX or CSV, an openEPD JSON document, or an ILCD+EPD XML/ZIP."),
    )


class TransitionForm(forms.Form):
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


# ---------------------------------------------------------------- the results grid


def cell_anchor(indicator: str, module: str) -> str:
    """An HTML id for a grid cell, also used by the "fix it" links of the declaration page."""
    return "cell-" + re.sub(r"[^A-Za-z0-9]+", "_", f"{indicator}-{module}")


def column_anchor(module: str) -> str:
    return "col-" + re.sub(r"[^A-Za-z0-9]+", "_", module)


def cell_input_name(indicator: str, module: str) -> str:
    return f"v|{indicator}|{module}"


def comments_on(comments, indicator: str, module: str) -> list[str]:
    """The texts of the review comments that concern one result: on its cell, its indicator or its module."""
    return [c.text for c in comments if (c.indicator or c.module) and c.indicator in ("", indicator) and c.module in ("", module)]


@dataclass
class GridColumn:
    code: str
    name: str
    optional: bool  # may be marked MND
    mnd: bool
    anchor: str
    errors: list[str] = field(default_factory=list)


@dataclass
class GridCell:
    indicator: str
    module: str
    value: str
    mnd: bool
    anchor: str
    input_name: str
    errors: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # the verifier's comments on this cell, its row or column


@dataclass
class GridRow:
    code: str
    name: str
    unit: str
    mandatory: bool
    group: str
    cells: list[GridCell]
    errors: list[str] = field(default_factory=list)


class ResultsGrid:
    """Indicators as rows, every EN 15804 module as a column; what the user typed, kept as text."""

    def __init__(self, values: dict[tuple[str, str], str], declared_modules: list[str]):
        self.values = values
        self.declared = [m for m in catalogue.module_codes() if m in declared_modules]
        self.findings: list[Finding] = []
        self._by_cell: dict[tuple[str, str], list[str]] = {}
        self._by_module: dict[str, list[str]] = {}
        self._by_indicator: dict[str, list[str]] = {}
        self._comments: list = []

    @classmethod
    def from_declaration(cls, declaration: Declaration) -> "ResultsGrid":
        values = {(r.indicator, r.module): "ND" if r.value is None else given_text(r.given_value) for r in declaration.results.all()}
        declared = list(declaration.declared_modules) or list(DEFAULT_DECLARED_MODULES)
        return cls(values, declared)

    @classmethod
    def from_post(cls, data) -> "ResultsGrid":
        values = {}
        for key, raw in data.items():
            parts = key.split("|")
            if len(parts) == 3 and parts[0] == "v" and raw.strip():
                values[(parts[1], parts[2])] = raw.strip()[:60]
        mnd = {key[4:] for key in data if key.startswith("mnd|")}
        return cls(values, [m for m in catalogue.module_codes() if m not in mnd or m in catalogue.MANDATORY_MODULES_BEYOND_GATE])

    def as_document(self) -> dict:
        """The shape imports.read_json_results reads: {"results": {code: {module: text}}, "declared_modules": [...]}."""
        results: dict[str, dict[str, str]] = {}
        for (indicator, module), raw in self.values.items():
            if indicator in catalogue.indicators() and module in catalogue.modules():
                results.setdefault(indicator, {})[module] = raw
        return {"results": results, "declared_modules": self.declared}

    def attach(self, findings: list[Finding]) -> None:
        self.findings = findings
        for finding in findings:
            if finding.indicator and finding.module:
                self._by_cell.setdefault((finding.indicator, finding.module), []).append(finding.message)
            elif finding.module:
                self._by_module.setdefault(finding.module, []).append(finding.message)
            elif finding.indicator:
                self._by_indicator.setdefault(finding.indicator, []).append(finding.message)

    def attach_comments(self, comments) -> None:
        """The review's comments (verification.Comment rows) that point at an indicator, a module or a cell."""
        self._comments = list(comments)

    def _comments_on(self, indicator: str, module: str) -> list[str]:
        return comments_on(self._comments, indicator, module)

    def columns(self) -> list[GridColumn]:
        zh = chinese_active()
        return [
            GridColumn(
                code=m.code,
                name=m.name_zh if zh else m.name,
                optional=m.code not in catalogue.MANDATORY_MODULES_BEYOND_GATE,
                mnd=m.code not in self.declared,
                anchor=column_anchor(m.code),
                errors=self._by_module.get(m.code, []),
            )
            for m in catalogue.modules().values()
        ]

    def rows(self) -> list[GridRow]:
        zh = chinese_active()
        rows = []
        for ind in catalogue.indicators().values():
            cells = [
                GridCell(
                    indicator=ind.code,
                    module=module,
                    value=self.values.get((ind.code, module), ""),
                    mnd=module not in self.declared,
                    anchor=cell_anchor(ind.code, module),
                    input_name=cell_input_name(ind.code, module),
                    errors=self._by_cell.get((ind.code, module), []),
                    comments=self._comments_on(ind.code, module),
                )
                for module in catalogue.module_codes()
            ]
            rows.append(
                GridRow(
                    code=ind.code,
                    name=ind.name_zh if zh else ind.name,
                    unit=ind.unit,
                    mandatory=ind.mandatory,
                    group=str(INDICATOR_GROUPS.get(ind.category, ind.category)),
                    cells=cells,
                    errors=self._by_indicator.get(ind.code, []),
                )
            )
        return rows
