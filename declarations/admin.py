from django.contrib import admin

from .models import EPD, PCR, AuditEntry, Declaration, Plant, Result


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
    """Operators read declarations here; mills change them through the editor, so changes follow the workflow."""

    list_display = ["product_name", "organization_name", "version", "status", "category", "production_route", "updated_at"]
    list_filter = ["status", "category", "production_route"]
    search_fields = ["product_name", "epd__organization__name", "epd__registration_number"]
    list_select_related = ["epd__organization"]
    inlines = [PlantInline, AuditEntryInline, ResultInline]

    @admin.display(description="organization")
    def organization_name(self, obj):
        return obj.epd.organization.name

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EPD)
class EPDAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "organization", "created_at"]
    search_fields = ["registration_number", "organization__name"]
    readonly_fields = ["registration_number", "organization", "created_at"]
