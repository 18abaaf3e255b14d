from django.contrib import admin

from .models import EPD, PCR, AuditEntry, Declaration, OutboxMessage, Plant, Result
from .workflow import IN_PROGRESS


@admin.register(PCR)
class PCRAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "programme", "version", "registration_id", "is_en15804", "active"]
    list_filter = ["programme", "is_en15804", "active"]


class PlantInline(admin.TabularInline):
    model = Plant
    extra = 0


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    can_delete = False
    readonly_fields = ["indicator", "module", "value"]

    def has_add_permission(self, request, obj=None):
        return False


class AuditEntryInline(admin.TabularInline):
    model = AuditEntry
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "from_status", "to_status", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    """Operators read declarations here; mills change them through the editor, so changes follow the workflow.

    One exception: the LCA practitioner's organisation, which decides who counts as conflicted (P23). A mill may
    name only an LCA consultancy or itself; the operator corrects it here while the declaration is on its way
    to publication, e.g. to the verification body whose consulting arm really made the LCA."""

    list_display = [
        "product_name",
        "organization_name",
        "version",
        "status",
        "lca_practitioner",
        "lca_practitioner_organization",
        "updated_at",
    ]
    list_filter = ["status", "lca_practitioner_organization__kind", "category", "production_route"]
    search_fields = ["product_name", "epd__organization__name", "epd__registration_number"]
    list_select_related = ["epd__organization", "lca_practitioner_organization"]
    inlines = [PlantInline, AuditEntryInline, ResultInline]

    @admin.display(description="organization")
    def organization_name(self, obj):
        return obj.epd.organization.name

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in self.model._meta.fields]
        if obj is not None and obj.status in IN_PROGRESS:
            fields.remove("lca_practitioner_organization")
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EPD)
class EPDAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "organization", "created_at"]
    search_fields = ["registration_number", "organization__name"]
    readonly_fields = ["registration_number", "organization", "created_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The e-mails owed and sent: a row pending long after `created_at` means mail is not going out (last_error)."""

    list_display = ["pk", "kind", "created_at", "attempts", "sent_at", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
