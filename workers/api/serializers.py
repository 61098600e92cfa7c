"""The public shape of a task run: what a page polls to show its state and progress."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from workers.models import TaskRun


class TaskRunSerializer(serializers.ModelSerializer[TaskRun]):
    target_type = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = TaskRun
        fields = [
            "id",
            "task_name",
            "label",
            "target_type",
            "target_id",
            "state",
            "active",
            "progress",
            "message",
            "error",
            "attempts",
            "queued_at",
            "sent_at",
            "started_at",
            "finished_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_target_type(self, run: TaskRun) -> str:
        return f"{run.target_type.app_label}.{run.target_type.model}"


class TaskRunListQuerySerializer(serializers.Serializer[Any]):
    """``?target_type=<app_label>.<model>&target_id=<id>``: both required."""

    target_type = serializers.RegexField(r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+$", max_length=201)
    target_id = serializers.IntegerField(min_value=1)
    task_name = serializers.CharField(required=False, max_length=200)
