"""Back office for projects. Saves go through the services, like every other write.

The stage is shown read-only and no admin path changes it: it is not a form field, the model
refuses a changed stage, and there is no admin action on it (transitions go through the gate, in
the API or the project page). History, sign-offs, answers, risk screenings and gate templates are
read-only here; memberships are added and ended through the services, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from projects import services
from projects.models import (
    BacklogItem,
    GateAnswer,
    GateChecklistItem,
    GateChecklistTemplate,
    GateSignOffRole,
    Membership,
    Milestone,
    MlflowSyncState,
    ModelAlert,
    ModelAlias,
    ModelLink,
    ModelVersion,
    Project,
    ProjectKPI,
    RegisteredModel,
    RiskScreening,
    RunMetric,
    RunParam,
    SignOff,
    StageTransition,
    TrainingInput,
)


def _message(error: ValidationError) -> str:
    return "; ".join(error.messages)


class ReadOnlyMixin:
    """Viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class MembershipInline(ReadOnlyInline):
    model = Membership
    fk_name = "project"
    fields = ["user", "role", "started_at", "ended_at", "end_reason"]
    readonly_fields = fields


class StageTransitionInline(ReadOnlyInline):
    model = StageTransition
    fields = ["at", "from_stage", "to_stage", "actor", "reason", "template_version"]
    readonly_fields = fields


class SignOffInline(ReadOnlyInline):
    model = SignOff
    fields = ["stage", "role", "user", "signed_at", "template_version", "invalidated_at", "invalidation_reason"]
    readonly_fields = fields


class GateAnswerInline(ReadOnlyInline):
    model = GateAnswer
    fields = ["item", "value_text", "value_url", "value_bool", "evidence_file", "answered_by", "answered_at"]
    readonly_fields = fields


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Details are edited through ``project_create``/``project_update``; the stage is read-only."""

    list_display = ["name", "stage", "entered_stage_at", "is_stale", "business_owner", "updated_at"]
    list_filter = ["stage", "is_stale", "processes_personal_data"]
    search_fields = ["name", "purpose", "description"]
    autocomplete_fields = ["business_owner"]
    fields = [
        "name",
        "purpose",
        "description",
        "business_owner",
        "processes_personal_data",
        "value_rating",
        "risk_rating",
        "feasibility_rating",
        "stage",
        "entered_stage_at",
        "is_stale",
        "stale_since",
        "slug",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "stage",
        "entered_stage_at",
        "is_stale",
        "stale_since",
        "slug",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [MembershipInline, StageTransitionInline, SignOffInline, GateAnswerInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # projects are retired or abandoned, never deleted

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PROJECT_FIELDS}
        if change:
            # Re-read the row: whatever the instance holds, the stage is the database's.
            project = Project.objects.get(pk=obj.pk)
            services.project_update(project=project, data=data, actor=request.user)
        else:
            project = services.project_create(creator=request.user, **data)
            obj.pk, obj.slug = project.pk, project.slug
            obj._state.adding = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "project", "started_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "project__name"]
    list_select_related = ["user", "project"]
    autocomplete_fields = ["project", "user"]
    fields = ["project", "user", "role", "started_at", "ended_at", "added_by", "ended_by", "end_reason"]
    actions = ["end_memberships"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        if obj is None:
            return ["ended_at", "added_by", "ended_by", "end_reason"]
        return list(self.fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            return  # read-only once created: end it with the action
        created = services.membership_add(
            project=form.cleaned_data["project"],
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            started_at=form.cleaned_data.get("started_at"),
            added_by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description="End the selected memberships now")
    def end_memberships(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            try:
                services.membership_end(
                    membership=membership, ended_by=request.user, reason="Ended in the back office."
                )
            except ValidationError as error:
                self.message_user(request, f"{membership}: {_message(error)}", messages.ERROR)


class ProjectChildAdmin(admin.ModelAdmin):
    """KPIs, milestones and backlog items: created, changed and deleted through the services."""

    autocomplete_fields = ["project"]
    list_select_related = ["project"]
    service_fields: frozenset[str] = frozenset()

    def _data(self, form: Any) -> dict[str, Any]:
        return {k: v for k, v in form.cleaned_data.items() if k in self.service_fields}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = self._data(form)
        if change:
            self.service_update(obj, data)
        else:
            created = self.service_create(form.cleaned_data["project"], data)
            obj.pk = created.pk
            obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.service_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.service_delete(obj)

    def service_create(self, project: Project, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def service_update(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def service_delete(self, obj: Any) -> None:
        raise NotImplementedError


@admin.register(ProjectKPI)
class ProjectKPIAdmin(ProjectChildAdmin):
    list_display = ["name", "kind", "project", "target", "direction", "current_value"]
    list_filter = ["kind", "direction"]
    search_fields = ["name", "project__name"]
    service_fields = frozenset(services.KPI_FIELDS)

    def service_create(self, project: Project, data: dict[str, Any]) -> ProjectKPI:
        return services.kpi_create(project=project, **data)

    def service_update(self, obj: ProjectKPI, data: dict[str, Any]) -> ProjectKPI:
        return services.kpi_update(kpi=obj, data=data)

    def service_delete(self, obj: ProjectKPI) -> None:
        services.kpi_delete(kpi=obj)


@admin.register(Milestone)
class MilestoneAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "target_date", "actual_date"]
    search_fields = ["title", "project__name"]
    service_fields = frozenset(services.MILESTONE_FIELDS)

    def service_create(self, project: Project, data: dict[str, Any]) -> Milestone:
        return services.milestone_create(project=project, **data)

    def service_update(self, obj: Milestone, data: dict[str, Any]) -> Milestone:
        return services.milestone_update(milestone=obj, data=data)

    def service_delete(self, obj: Milestone) -> None:
        services.milestone_delete(milestone=obj)


@admin.register(BacklogItem)
class BacklogItemAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "profile", "status", "position"]
    list_filter = ["profile", "status"]
    search_fields = ["title", "project__name"]
    service_fields = frozenset(services.BACKLOG_FIELDS)

    def service_create(self, project: Project, data: dict[str, Any]) -> BacklogItem:
        return services.backlog_item_create(project=project, **data)

    def service_update(self, obj: BacklogItem, data: dict[str, Any]) -> BacklogItem:
        return services.backlog_item_update(item=obj, data=data)

    def service_delete(self, obj: BacklogItem) -> None:
        services.backlog_item_delete(item=obj)


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["project", "from_stage", "to_stage", "actor", "at", "template_version"]
    list_filter = ["to_stage"]
    search_fields = ["project__name", "reason"]
    list_select_related = ["project", "actor"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ["project", "stage", "role", "user", "signed_at", "template_version", "invalidated_at"]
    list_filter = ["stage", "role"]
    search_fields = ["project__name", "user__username"]
    list_select_related = ["project", "user"]


@admin.register(GateAnswer)
class GateAnswerAdmin(ReadOnlyAdmin):
    list_display = ["project", "item", "answered_by", "answered_at"]
    search_fields = ["project__name", "item__key"]
    list_select_related = ["project", "item", "answered_by"]


class GateChecklistItemInline(ReadOnlyInline):
    model = GateChecklistItem
    show_change_link = False
    fields = ["position", "key", "label", "evidence_kind", "auto_check", "required", "condition"]
    readonly_fields = fields


class GateSignOffRoleInline(ReadOnlyInline):
    model = GateSignOffRole
    show_change_link = False
    fields = ["position", "role", "condition"]
    readonly_fields = fields


@admin.register(GateChecklistTemplate)
class GateChecklistTemplateAdmin(ReadOnlyAdmin):
    """Templates are versioned: publish a new version (API ``POST /api/gate-templates/``), never edit."""

    list_display = ["gate", "version", "published_at", "published_by"]
    list_filter = ["gate"]
    inlines = [GateChecklistItemInline, GateSignOffRoleInline]


@admin.register(GateChecklistItem)
class GateChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["key", "label", "template", "evidence_kind", "required", "condition"]
    list_filter = ["template__gate", "evidence_kind", "condition"]
    search_fields = ["key", "label"]


@admin.register(GateSignOffRole)
class GateSignOffRoleAdmin(ReadOnlyAdmin):
    list_display = ["role", "condition", "template"]
    list_filter = ["template__gate", "role"]


@admin.register(RiskScreening)
class RiskScreeningAdmin(ReadOnlyAdmin):
    list_display = ["project", "ai_act_tier", "dpia_required", "screened_by", "screened_at"]
    list_filter = ["ai_act_tier", "dpia_required"]
    search_fields = ["project__name"]
    list_select_related = ["project", "screened_by"]


@admin.register(ModelLink)
class ModelLinkAdmin(ReadOnlyAdmin):
    list_display = ["registered_model_name", "project", "source", "linked_at", "unlinked_at"]
    list_filter = ["source"]
    search_fields = ["registered_model_name", "project__name"]
    list_select_related = ["project"]


# --- MLflow registry mirror: written only by the sync, read-only here ---------------------------------


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_updated_ms", "deleted_at", "synced_at"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["registered_model", "version", "status", "run_id", "git_commit", "deleted_at"]
    list_filter = ["status", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["registered_model__name", "run_id"]
    list_select_related = ["registered_model"]


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    list_display = ["registered_model", "alias", "version", "synced_at"]
    search_fields = ["registered_model__name", "alias"]
    list_select_related = ["registered_model"]


@admin.register(RunMetric)
class RunMetricAdmin(ReadOnlyAdmin):
    list_display = ["run_id", "key", "value", "step"]
    search_fields = ["run_id", "key"]


@admin.register(RunParam)
class RunParamAdmin(ReadOnlyAdmin):
    list_display = ["run_id", "key", "value"]
    search_fields = ["run_id", "key"]


@admin.register(TrainingInput)
class TrainingInputAdmin(ReadOnlyAdmin):
    list_display = ["model_version", "name", "digest", "dataset", "dataset_version"]
    search_fields = ["name", "model_version__registered_model__name"]
    list_select_related = ["model_version__registered_model", "dataset", "dataset_version__dataset"]


@admin.register(ModelAlert)
class ModelAlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "project", "model_version", "raised_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["project__name", "model_version__registered_model__name"]
    list_select_related = ["project", "model_version__registered_model"]


@admin.register(MlflowSyncState)
class MlflowSyncStateAdmin(ReadOnlyAdmin):
    list_display = ["key", "last_success_at", "last_full_at", "last_attempt_at", "last_error_at", "watermark_ms"]
