from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh", "kind", "country", "city"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "name_zh"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "organization", "is_active"]
    list_filter = ["organization__kind", "is_active", "is_staff"]
    list_select_related = ["organization"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Organization", {"fields": ["organization", "preferred_language"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("Organization", {"fields": ["email", "organization"]})]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are shown once: made on the tokens page or with `manage.py create_api_token`

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()
