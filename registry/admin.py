"""Operators in the Django admin: read publications and the log; suspend, revoke or reinstate through
registry.lifecycle (never by editing rows: publications and log entries refuse changes)."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render

from declarations.errors import DomainError

from . import lifecycle
from .models import Artefact, LogEntry, Publication, RegistryEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ArtefactInline(admin.TabularInline):
    model = Artefact
    fields = ["name", "sha256", "size", "log_index"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["registration_number", "version", "issued", "valid_until", "published_at"]
    search_fields = ["registration_number"]
    inlines = [ArtefactInline]
    exclude = ["document"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ["index", "registration_number", "version", "artefact", "event", "logged_at"]
    list_filter = ["event", "artefact"]
    search_fields = ["registration_number", "sha256"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Shown on the EPD page and in the audit trail."
    )


def _status_action(move, label: str):
    def action(modeladmin, request, queryset):
        if "apply" not in request.POST:
            return render(
                request,
                "admin/registry/status_change.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "entries": queryset,
                    "form": ReasonForm(),
                    "label": label,
                    "action": request.POST["action"],
                    "opts": modeladmin.model._meta,
                },
            )
        form = ReasonForm(request.POST)
        reason = form.data.get("reason", "")
        for entry in queryset.select_related("publication__declaration"):
            try:
                move(entry, actor=request.user, reason=reason)
                modeladmin.message_user(request, f"{entry}: {label.lower()}.")
            except DomainError as error:
                modeladmin.message_user(request, f"{entry}: {error.message}", level=messages.ERROR)
        return None

    action.short_description = label
    action.__name__ = f"action_{move.__name__}"
    return action


@admin.register(RegistryEntry)
class RegistryEntryAdmin(ReadOnlyAdmin):
    list_display = ["registration_number", "version", "product_name", "manufacturer_name", "status", "valid_until", "is_latest"]
    list_filter = ["status", "is_latest", "category", "production_route"]
    search_fields = ["registration_number", "product_name", "manufacturer_name"]
    actions = [
        _status_action(lifecycle.suspend, "Suspend"),
        _status_action(lifecycle.revoke, "Revoke"),
        _status_action(lifecycle.reinstate, "Reinstate"),
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (request.user.is_superuser or getattr(request.user, "is_operator", False))

    def has_module_permission(self, request):
        return self.has_view_permission(request)
