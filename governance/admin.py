"""Back office for governance: everything is read-only here. Decisions, revocations and deletion
evidence go through the services (API and pages); audit events can be neither added, changed nor
deleted (the model and its queryset refuse it too)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from governance.models import AccessRequest, AuditEvent, AuditVerification, DeletionTask, Grant, PrecheckResult


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class PrecheckInline(admin.TabularInline):
    model = PrecheckResult
    extra = 0
    fields = ["revision", "rule", "outcome", "article", "message"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "dataset", "requester", "status", "submitted_at", "decided_by"]
    list_filter = ["status", "decision"]
    list_select_related = ["project", "dataset", "requester", "decided_by"]
    search_fields = ["project__name", "dataset__name", "requester__username"]
    inlines = [PrecheckInline]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "dataset", "granted_stage", "expires_on", "revoked_at", "revocation_cause"]
    list_filter = ["revocation_cause", "granted_stage"]
    list_select_related = ["project", "dataset"]


@admin.register(DeletionTask)
class DeletionTaskAdmin(ReadOnlyAdmin):
    list_display = ["pk", "dataset", "custodian", "due_on", "overdue_since", "closed_at"]
    list_select_related = ["dataset", "custodian"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_name", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_repr", "actor_name"]


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    list_display = ["finished_at", "trigger", "checked", "last_seq", "ok", "problem_count"]
    list_filter = ["ok", "trigger"]
