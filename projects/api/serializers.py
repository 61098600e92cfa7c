"""Serializers of the projects API. They check the shape of the input and present the output; the
views hand the validated data to ``projects.services``, which decide and write.

Users are written and shown by username, projects by slug. The stage is read-only everywhere: it
changes only through ``POST /api/projects/{slug}/transition/``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import ServiceWrittenSerializer
from projects import risk
from projects.models import (
    AIActTier,
    BacklogItem,
    EvidenceKind,
    GateAnswer,
    GateChecklistItem,
    GateChecklistTemplate,
    GateCondition,
    GateSignOffRole,
    Membership,
    Milestone,
    ModelAlert,
    ModelLink,
    Project,
    ProjectKPI,
    ProjectRole,
    RiskScreening,
    SignOff,
    Stage,
    StageTransition,
    TrainingInput,
)

User = get_user_model()

ACCESS_CHOICES = [("full", "Full record"), ("summary", "Summary only")]
GATE_POSITIONS = [
    ("passed", "Passed"),
    ("next", "Next gate"),
    ("upcoming", "Upcoming"),
    ("closed", "Closed (project abandoned)"),
]


def _username(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def _username_input(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


class UsernamesField(serializers.ListField):
    """A list of users, shown by username."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), read_only=True, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [user.get_username() for user in data]


class StageField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Stage.choices, **kwargs)


# --- Team, KPIs, roadmap -----------------------------------------------------------------------------


class MembershipSerializer(ServiceWrittenSerializer):
    user = _username_input(help_text="Username.")
    full_name = serializers.CharField(source="user.get_full_name", read_only=True)
    active = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    added_by = _username()
    ended_by = _username()

    class Meta:
        model = Membership
        fields = [
            "id",
            "user",
            "full_name",
            "role",
            "started_at",
            "ended_at",
            "active",
            "added_by",
            "ended_by",
            "end_reason",
        ]
        read_only_fields = ["ended_at", "end_reason"]

    def get_active(self, membership: Membership) -> bool:
        return membership.is_active()


class MembershipEndSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ProjectKPISerializer(ServiceWrittenSerializer):
    meets_target = serializers.BooleanField(read_only=True, allow_null=True, help_text="Null until measured.")

    class Meta:
        model = ProjectKPI
        fields = ["id", "kind", "name", "target", "unit", "direction", "current_value", "meets_target", "position"]
        extra_kwargs = {"position": {"required": False}}
        validators: list[Any] = []


class MilestoneSerializer(ServiceWrittenSerializer):
    done = serializers.BooleanField(
        required=False, help_text="Write true to record today as the actual date, false to clear it."
    )
    late = serializers.SerializerMethodField(help_text="Reached after its target date, or still open past it.")

    class Meta:
        model = Milestone
        fields = ["id", "title", "description", "target_date", "actual_date", "done", "late"]

    def get_late(self, milestone: Milestone) -> bool:
        return milestone.is_late()


class BacklogItemSerializer(ServiceWrittenSerializer):
    class Meta:
        model = BacklogItem
        fields = ["id", "title", "description", "profile", "status", "position"]
        extra_kwargs = {"position": {"required": False, "help_text": "Defaults to the end of the backlog."}}


class RiskScreeningSerializer(ServiceWrittenSerializer):
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Every question of GET /api/risk-questionnaire/, by key: true (yes) or false (no).",
    )
    ai_act_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    dpia_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    screened_by = _username()

    class Meta:
        model = RiskScreening
        fields = [
            "id",
            "questionnaire_version",
            "answers",
            "ai_act_tier",
            "ai_act_reasons",
            "dpia_required",
            "dpia_reasons",
            "comment",
            "screened_by",
            "screened_at",
        ]
        read_only_fields = ["questionnaire_version", "ai_act_tier", "dpia_required", "screened_at"]


class ModelLinkSerializer(ServiceWrittenSerializer):
    linked_by = _username()
    unlinked_by = _username()

    class Meta:
        model = ModelLink
        fields = [
            "id",
            "registered_model_name",
            "source",
            "linked_at",
            "linked_by",
            "unlinked_at",
            "unlinked_by",
        ]
        read_only_fields = ["source", "linked_at", "unlinked_at"]


# --- History, sign-offs, answers -------------------------------------------------------------------

SNAPSHOT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The gate as decided: template version, conditions, items with their answers, sign-offs.",
    "properties": {
        "gate": {"type": "string", "nullable": True},
        "template_version": {"type": "integer"},
        "conditions": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "items": {"type": "array", "items": {"type": "object"}},
        "sign_offs": {"type": "array", "items": {"type": "object"}},
        "risk_screening": {"type": "object", "nullable": True},
        "abandoned_from": {"type": "string"},
    },
}


@extend_schema_field(SNAPSHOT_SCHEMA)
class SnapshotField(serializers.JSONField):
    pass


class StageTransitionSerializer(serializers.ModelSerializer):
    actor = _username()
    snapshot = SnapshotField(read_only=True)

    class Meta:
        model = StageTransition
        fields = ["id", "from_stage", "to_stage", "actor", "at", "reason", "template_version", "snapshot"]
        read_only_fields = fields


class TransitionRequestSerializer(serializers.Serializer):
    target_stage = StageField(help_text="The next stage, or abandoned (before Production).")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to abandon.")


class TransitionRefusedSerializer(serializers.Serializer):
    """A refused move (400): why, and exactly what the gate is missing."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    target_stage = serializers.ListField(child=serializers.CharField(), required=False)
    reason = serializers.ListField(child=serializers.CharField(), required=False)
    checklist = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Missing checklist items."
    )
    sign_offs = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Missing or invalid sign-offs."
    )


class SignOffSerializer(serializers.ModelSerializer):
    user = _username()
    valid = serializers.SerializerMethodField(help_text="False once invalidated or withdrawn.")

    class Meta:
        model = SignOff
        fields = [
            "id",
            "stage",
            "role",
            "user",
            "signed_at",
            "comment",
            "template_version",
            "valid",
            "invalidated_at",
            "invalidation_reason",
        ]
        read_only_fields = fields

    def get_valid(self, sign_off: SignOff) -> bool:
        return sign_off.invalidated_at is None


class SignOffCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectRole.choices, help_text="The role you sign for.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SignOffWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class GateAnswerSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="item.key", read_only=True)
    template_version = serializers.IntegerField(source="item.template.version", read_only=True)
    answered_by = _username()
    file_name = serializers.CharField(read_only=True)
    file_url = serializers.SerializerMethodField(help_text="Where to download the evidence file (members).")

    class Meta:
        model = GateAnswer
        fields = [
            "key",
            "template_version",
            "value_text",
            "value_url",
            "value_bool",
            "file_name",
            "file_url",
            "comment",
            "answered_by",
            "answered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, answer: GateAnswer) -> str | None:
        if not answer.evidence_file:
            return None
        path = reverse(
            "projects-api:project-gate-answer-file",
            kwargs={"slug": self.context["project"].slug, "stage": answer.item.template.gate, "key": answer.item.key},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class GateAnswerInputSerializer(serializers.Serializer):
    """The value matching the item's evidence kind: ``value_text`` (text), ``value_url`` (link),
    ``value_bool`` (yes/no; only yes satisfies the item) or ``evidence_file`` (file, multipart)."""

    value_text = serializers.CharField(required=False, allow_blank=True, default="")
    value_url = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    value_bool = serializers.BooleanField(required=False, allow_null=True, default=None)
    evidence_file = serializers.FileField(required=False, allow_empty_file=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


# --- Gate status -------------------------------------------------------------------------------------


class GateItemStatusSerializer(serializers.Serializer):
    key = serializers.CharField(source="item.key")
    label = serializers.CharField(source="item.label")
    help_text = serializers.CharField(source="item.help_text")
    evidence_kind = serializers.ChoiceField(source="item.evidence_kind", choices=EvidenceKind.choices)
    auto_check = serializers.CharField(source="item.auto_check", help_text="For automatic items.")
    required = serializers.BooleanField(source="item.required")
    condition = serializers.ChoiceField(source="item.condition", choices=GateCondition.choices)
    applicable = serializers.BooleanField()
    satisfied = serializers.BooleanField()
    missing = serializers.BooleanField()
    detail = serializers.CharField()
    answer = GateAnswerSerializer(allow_null=True)
    carried_from_version = serializers.IntegerField(
        allow_null=True, help_text="The answer was given for this earlier template version."
    )


class InvalidSignOffSerializer(serializers.Serializer):
    sign_off = SignOffSerializer()
    reason = serializers.CharField()


class GateSignOffStatusSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectRole.choices)
    conditions = serializers.ListField(child=serializers.ChoiceField(choices=GateCondition.choices))
    required = serializers.BooleanField(help_text="One of its conditions holds for this project.")
    signed = serializers.BooleanField()
    sign_off = SignOffSerializer(allow_null=True, help_text="The valid sign-off.")
    invalid = InvalidSignOffSerializer(many=True, help_text="Invalidated or outdated sign-offs, newest first.")
    eligible = UsernamesField(help_text="Active members holding the role.")
    officers_may_sign = serializers.BooleanField(help_text="Any platform governance officer may sign this role.")


class GateConditionsSerializer(serializers.Serializer):
    high_risk = serializers.BooleanField()
    personal_data = serializers.BooleanField()
    dpia_required = serializers.BooleanField()


class GateRequirementsSerializer(serializers.Serializer):
    template_version = serializers.IntegerField(source="template.version")
    conditions = GateConditionsSerializer()
    checklist_complete = serializers.BooleanField()
    complete = serializers.BooleanField(source="is_complete")
    blockers = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(
        child=serializers.CharField(), source="missing_messages", help_text="What keeps the gate closed."
    )
    items = GateItemStatusSerializer(many=True)
    sign_offs = GateSignOffStatusSerializer(many=True)


class GateViewSerializer(serializers.Serializer):
    """One gate of a project: the decision for a passed gate, the requirements for a gate ahead."""

    stage = StageField()
    label = serializers.CharField()
    position = serializers.ChoiceField(choices=GATE_POSITIONS)
    decision = StageTransitionSerializer(source="transition", allow_null=True)
    requirements = GateRequirementsSerializer(allow_null=True)
    signable_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ProjectRole.choices),
        help_text="The roles you can sign now.",
    )


# --- Projects ----------------------------------------------------------------------------------------


class ProjectSummarySerializer(serializers.ModelSerializer):
    """What any authenticated user sees of a project."""

    url = serializers.HyperlinkedIdentityField(view_name="projects-api:project-detail", lookup_field="slug")
    access = serializers.SerializerMethodField(help_text="Whether you read the full record or this summary.")
    leads = UsernamesField(help_text="Usernames of the project leads.")

    class Meta:
        model = Project
        fields = ["url", "slug", "name", "access", "stage", "purpose", "leads"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ACCESS_CHOICES))
    def get_access(self, project: Project) -> str:
        return "summary"


class ProjectListSerializer(ProjectSummarySerializer):
    """A project on the board: summary, time in stage, stale flag and counts."""

    days_in_stage = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    milestone_count = serializers.IntegerField(read_only=True)
    milestones_done = serializers.IntegerField(read_only=True)
    backlog_open = serializers.IntegerField(read_only=True, help_text="Backlog items not done.")
    model_count = serializers.IntegerField(read_only=True)

    class Meta(ProjectSummarySerializer.Meta):
        fields = [
            *ProjectSummarySerializer.Meta.fields,
            "entered_stage_at",
            "days_in_stage",
            "is_stale",
            "stale_since",
            "member_count",
            "milestone_count",
            "milestones_done",
            "backlog_open",
            "model_count",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ACCESS_CHOICES))
    def get_access(self, project: Project) -> str:
        return "full" if project.pk in self.context.get("readable_ids", ()) else "summary"

    def get_days_in_stage(self, project: Project) -> int:
        return project.days_in_stage()


class ProjectDetailSerializer(ServiceWrittenSerializer):
    """The full record, for members, governance officers and admins."""

    url = serializers.HyperlinkedIdentityField(view_name="projects-api:project-detail", lookup_field="slug")
    access = serializers.SerializerMethodField()
    leads = UsernamesField()
    business_owner = _username()
    created_by = _username()
    days_in_stage = serializers.SerializerMethodField()
    uses_personal_data = serializers.SerializerMethodField(
        help_text="Declared, or answered yes in the risk screening: decides the Production sign-offs."
    )
    next_stage = serializers.SerializerMethodField()
    allowed_targets = serializers.ListField(child=StageField(), read_only=True)
    team = MembershipSerializer(source="active_memberships", many=True, read_only=True)
    kpis = ProjectKPISerializer(many=True, read_only=True)
    risk_screening = serializers.SerializerMethodField(help_text="The current (latest) screening.")
    model_links = ModelLinkSerializer(source="active_model_links", many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "url",
            "slug",
            "name",
            "access",
            "stage",
            "entered_stage_at",
            "days_in_stage",
            "is_stale",
            "stale_since",
            "next_stage",
            "allowed_targets",
            "purpose",
            "description",
            "business_owner",
            "processes_personal_data",
            "uses_personal_data",
            "value_rating",
            "risk_rating",
            "feasibility_rating",
            "leads",
            "team",
            "kpis",
            "risk_screening",
            "model_links",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ACCESS_CHOICES))
    def get_access(self, project: Project) -> str:
        return "full"

    def get_days_in_stage(self, project: Project) -> int:
        return project.days_in_stage()

    def get_uses_personal_data(self, project: Project) -> bool:
        return project.uses_personal_data(project.latest_risk_screening())

    @extend_schema_field(StageField(allow_null=True))
    def get_next_stage(self, project: Project) -> str | None:
        return project.next_stage

    @extend_schema_field(RiskScreeningSerializer(allow_null=True))
    def get_risk_screening(self, project: Project) -> dict[str, Any] | None:
        screening = project.latest_risk_screening()
        return RiskScreeningSerializer(screening, context=self.context).data if screening else None


class ProjectWriteSerializer(ServiceWrittenSerializer):
    """Create or change a project's details (never its stage)."""

    business_owner = _username_input(required=False, allow_null=True, help_text="Username.")

    class Meta:
        model = Project
        fields = [
            "name",
            "purpose",
            "description",
            "business_owner",
            "processes_personal_data",
            "value_rating",
            "risk_rating",
            "feasibility_rating",
        ]
        extra_kwargs = {"name": {"validators": []}}


# --- Timeline ------------------------------------------------------------------------------------------


class TimelineEventSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=[("stage", "Stage change"), ("milestone", "Milestone")])
    title = serializers.CharField()
    stage = serializers.CharField(help_text="Stage entered (stage events).")
    done = serializers.BooleanField()
    late = serializers.BooleanField()
    target_date = serializers.DateField(allow_null=True)
    actor = serializers.CharField()
    reason = serializers.CharField()
    milestone_id = serializers.IntegerField(allow_null=True)
    transition_id = serializers.IntegerField(allow_null=True)


class StageSpanSerializer(serializers.Serializer):
    stage = StageField()
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True, help_text="Null for the current stage.")
    days = serializers.IntegerField()


class TimelineSerializer(serializers.Serializer):
    events = TimelineEventSerializer(many=True)
    stage_spans = StageSpanSerializer(many=True)
    start = serializers.DateField()
    end = serializers.DateField()
    today = serializers.DateField()


# --- Gate templates and the questionnaire -----------------------------------------------------------


class GateChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateChecklistItem
        fields = ["key", "label", "help_text", "evidence_kind", "auto_check", "required", "condition"]
        extra_kwargs = {
            "help_text": {"required": False},
            "auto_check": {"required": False, "help_text": "Automatic items only."},
            "required": {"required": False},
            "condition": {"required": False},
            "key": {"validators": []},
        }


class GateSignOffRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateSignOffRole
        fields = ["role", "condition"]
        extra_kwargs = {"condition": {"required": False}}


class GateTemplateSerializer(ServiceWrittenSerializer):
    """A version of a gate's checklist. Publishing (POST, admins) creates the next version."""

    url = serializers.HyperlinkedIdentityField(view_name="projects-api:gate-template-detail")
    gate = StageField(help_text="The stage the gate leads into.")
    is_current = serializers.BooleanField(read_only=True)
    published_by = _username()
    items = GateChecklistItemSerializer(many=True)
    sign_off_roles = GateSignOffRoleSerializer(many=True)

    class Meta:
        model = GateChecklistTemplate
        fields = [
            "id",
            "url",
            "gate",
            "version",
            "is_current",
            "notes",
            "published_at",
            "published_by",
            "items",
            "sign_off_roles",
        ]
        read_only_fields = ["version", "published_at"]
        validators: list[Any] = []


class RiskQuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    help = serializers.CharField()
    section = serializers.ChoiceField(
        choices=[
            (risk.SECTION_CONTEXT, "Context"),
            (risk.SECTION_AI_ACT, "AI Act"),
            (risk.SECTION_DPIA, "DPIA criteria"),
        ]
    )
    reference = serializers.CharField()
    tier = serializers.ChoiceField(
        choices=AIActTier.choices, allow_null=True, help_text="AI Act questions: the tier a yes leads to."
    )


class RiskQuestionnaireSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    questions = RiskQuestionSerializer(many=True)


# --- MLflow models of a project (issue 7) ---------------------------------------------------------------


class MlflowSyncStatusSerializer(serializers.Serializer):
    last_success_at = serializers.DateTimeField(allow_null=True, help_text="When the last sync succeeded.")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True, help_text="Why the last attempt failed (empty if it did not).")
    last_error_at = serializers.DateTimeField(allow_null=True)
    is_stale = serializers.BooleanField(help_text="No successful sync within MLFLOW_SYNC_STALE_MINUTES.")


class TrainingInputSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Catalog dataset (slug).")
    dataset_version = serializers.IntegerField(
        source="dataset_version.number", read_only=True, allow_null=True, help_text="Catalog version number."
    )

    class Meta:
        model = TrainingInput
        fields = ["name", "digest", "source_type", "source", "context", "dataset", "dataset_version"]


class MetricValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.FloatField()
    step = serializers.IntegerField()
    target = serializers.FloatField(source="kpi.target", allow_null=True, default=None)
    direction = serializers.CharField(source="kpi.direction", allow_null=True, default=None)
    misses_target = serializers.BooleanField()


class ModelVersionViewSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version.version")
    status = serializers.CharField(source="version.status")
    stage = serializers.CharField(source="version.stage", help_text="Legacy MLflow stage (empty when unused).")
    description = serializers.CharField(source="version.description")
    source = serializers.CharField(source="version.source")
    run_id = serializers.CharField(source="version.run_id")
    git_commit = serializers.CharField(source="version.git_commit")
    tags = serializers.DictField(source="version.tags", child=serializers.CharField())
    created_at = serializers.DateTimeField(source="version.created_at_mlflow", allow_null=True)
    deleted_at = serializers.DateTimeField(source="version.deleted_at", allow_null=True)
    aliases = serializers.ListField(child=serializers.CharField())
    production = serializers.BooleanField(help_text="Under a production alias (MLFLOW_PRODUCTION_ALIASES).")
    metrics = MetricValueSerializer(many=True)
    params = serializers.DictField(child=serializers.CharField())
    training_inputs = TrainingInputSerializer(many=True)


class ModelViewSerializer(serializers.Serializer):
    name = serializers.CharField()
    link_source = serializers.CharField(source="link.source")
    linked_at = serializers.DateTimeField(source="link.linked_at")
    in_mlflow = serializers.SerializerMethodField(help_text="Found in MLflow by a sync, and not deleted there.")
    description = serializers.CharField(source="registered_model.description", default="")
    tags = serializers.DictField(source="registered_model.tags", child=serializers.CharField(), default=dict)
    aliases = serializers.DictField(child=serializers.IntegerField())
    versions = ModelVersionViewSerializer(many=True)

    def get_in_mlflow(self, view: Any) -> bool:
        return view.registered_model is not None and view.registered_model.deleted_at is None


class ModelAlertSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_version.registered_model.name", read_only=True)
    version = serializers.IntegerField(source="model_version.version", read_only=True)
    recipients = _username(many=True)

    class Meta:
        model = ModelAlert
        fields = ["id", "kind", "model", "version", "message", "raised_at", "resolved_at", "recipients"]


class ModelTimelineSerializer(serializers.Serializer):
    models = ModelViewSerializer(many=True)
    alerts = ModelAlertSerializer(many=True, help_text="Open alerts, newest first.")
    sync = MlflowSyncStatusSerializer()


class MlflowSyncRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        default=False, help_text="Read every model and run again and find deleted versions (slower)."
    )


class MlflowSyncQueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
    full = serializers.BooleanField()
    sync = MlflowSyncStatusSerializer()
