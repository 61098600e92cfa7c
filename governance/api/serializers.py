"""Serializers of the governance API: read shapes, and input shapes handed to the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Dataset, LegalBasis
from governance.models import (
    AccessRequest,
    Art9Condition,
    AuditEvent,
    Decision,
    DeletionTask,
    Grant,
    PrecheckResult,
)
from projects.models import Project


class UserNameField(serializers.CharField):
    def to_representation(self, value: Any) -> str:
        return value.get_username() if value is not None else ""


class PrecheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrecheckResult
        fields = ["rule", "title", "outcome", "article", "message", "revision", "checked_at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    requester = UserNameField(read_only=True)
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    columns = serializers.SerializerMethodField()
    decided_by = UserNameField(read_only=True)
    grant = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    prechecks = serializers.SerializerMethodField(help_text="Pre-checks of the current revision (PRODUCT.md §4).")

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "requester",
            "project",
            "dataset",
            "columns",
            "purpose",
            "legal_basis",
            "art9_condition",
            "requested_end",
            "justification",
            "status",
            "revision",
            "submitted_at",
            "decision",
            "decision_reason",
            "conditions",
            "override_reason",
            "decided_by",
            "decided_at",
            "grant",
            "prechecks",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_columns(self, obj: AccessRequest) -> list[str]:
        return [c.name for c in obj.columns.all()]

    @extend_schema_field(PrecheckSerializer(many=True))
    def get_prechecks(self, obj: AccessRequest) -> list[dict[str, Any]]:
        return PrecheckSerializer(obj.current_prechecks(), many=True).data


class AccessRequestInputSerializer(serializers.Serializer):
    """A request's content, for filing it or changing it."""

    columns = serializers.ListField(
        child=serializers.CharField(max_length=200), min_length=1, max_length=500, help_text="Column names."
    )
    purpose = serializers.CharField(max_length=5000, help_text="The project's purpose.")
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, required=False, allow_blank=True, default="")
    art9_condition = serializers.ChoiceField(
        choices=Art9Condition.choices, required=False, allow_blank=True, default=""
    )
    requested_end = serializers.DateField()
    justification = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class AccessRequestCreateSerializer(AccessRequestInputSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    dataset = serializers.SlugRelatedField(slug_field="slug", queryset=Dataset.objects.all())


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(max_length=5000)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    conditions = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class GrantSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    columns = serializers.SerializerMethodField()
    granted_by = UserNameField(read_only=True)
    revoked_by = UserNameField(read_only=True)
    live = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id",
            "request",
            "project",
            "dataset",
            "columns",
            "purpose",
            "legal_basis",
            "conditions",
            "granted_stage",
            "granted_by",
            "starts_at",
            "expires_on",
            "live",
            "revoked_at",
            "revoked_by",
            "revocation_cause",
            "revocation_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_columns(self, obj: Grant) -> list[str]:
        return [c.name for c in obj.columns.all()]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_live(self, obj: Grant) -> bool:
        return obj.is_live()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class DeletionTaskSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    project = serializers.SerializerMethodField()
    custodian = UserNameField(read_only=True)
    closed_by = UserNameField(read_only=True)
    overdue = serializers.SerializerMethodField()
    evidence_file_name = serializers.CharField(source="file_name", read_only=True)

    class Meta:
        model = DeletionTask
        fields = [
            "id",
            "grant",
            "dataset",
            "project",
            "custodian",
            "created_at",
            "due_on",
            "overdue",
            "overdue_since",
            "closed_at",
            "closed_by",
            "evidence_text",
            "evidence_file_name",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_project(self, obj: DeletionTask) -> str:
        return obj.grant.project.slug

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, obj: DeletionTask) -> bool:
        return obj.is_overdue()


class DeletionCloseSerializer(serializers.Serializer):
    evidence_text = serializers.CharField(max_length=5000, help_text="How and when the data was deleted.")
    evidence_file = serializers.FileField(required=False, allow_null=True, default=None)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class RegisterDatasetSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    expires_on = serializers.DateField()
    retention_days = serializers.IntegerField(allow_null=True)
    transfers_outside_eu = serializers.BooleanField()
    transfer_safeguards = serializers.CharField()
    security_measures = serializers.CharField()
    storage_location = serializers.CharField()


class RegisterEntrySerializer(serializers.Serializer):
    project = serializers.CharField()
    project_slug = serializers.CharField()
    stage = serializers.CharField()
    purposes = serializers.ListField(child=serializers.CharField())
    legal_bases = serializers.ListField(child=serializers.CharField())
    data_subject_categories = serializers.ListField(child=serializers.CharField())
    personal_data_categories = serializers.ListField(child=serializers.CharField())
    special_categories = serializers.BooleanField()
    recipients = serializers.ListField(child=serializers.CharField())
    transfers = serializers.ListField(child=serializers.CharField())
    erasure_deadlines = serializers.ListField(child=serializers.CharField())
    security_measures = serializers.ListField(child=serializers.CharField())
    datasets = RegisterDatasetSerializer(many=True)


class ValuesSampleSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField(), help_text="Columns whose values you may see.")
    hidden_columns = serializers.ListField(
        child=serializers.CharField(), help_text="Personal-data columns not covered by a live grant of yours."
    )
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
