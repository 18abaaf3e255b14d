from django.contrib import admin, messages

from declarations.errors import DomainError

from . import review
from .models import Accreditation, Assignment, Comment, VerificationStatement


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin):
    list_display = ["verifier", "body", "number", "accredited_by", "valid_from", "valid_until", "active"]
    list_filter = ["active", "body"]
    list_select_related = ["verifier", "body"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Adding an assignment here goes through review.assign, so the conflict-of-interest rule holds."""

    list_display = ["declaration", "verifier", "assigned_by", "assigned_at", "ended_at"]
    list_select_related = ["declaration", "verifier", "assigned_by"]
    fields = ["declaration", "verifier"]
    raw_id_fields = ["declaration"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        try:
            assigned = review.assign(obj.declaration, obj.verifier, by=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = assigned.pk

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["declaration", "author", "target", "created_at"]
    readonly_fields = ["declaration", "author", "parent", "field", "indicator", "module", "text", "created_at", "revision_number"]


@admin.register(VerificationStatement)
class VerificationStatementAdmin(admin.ModelAdmin):
    list_display = ["declaration", "verifier_name", "body_name", "verified_on"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
