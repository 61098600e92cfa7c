"""Read-only task runs: ``/api/tasks/<id>/`` and ``/api/tasks/?target_type=..&target_id=..``."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from workers.api.permissions import CanSeeTaskRunTarget
from workers.api.serializers import TaskRunListQuerySerializer, TaskRunSerializer
from workers.models import TaskRun
from workers.selectors import task_runs_visible_to


class TaskRunViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskRunSerializer
    permission_classes: ClassVar[list[Any]] = [permissions.IsAuthenticated, CanSeeTaskRunTarget]
    filter_backends: ClassVar[list[Any]] = []

    def get_queryset(self) -> QuerySet[TaskRun]:
        return TaskRun.objects.select_related("target_type")

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> None:
        # A run on an object the user may not see does not exist for them.
        if request.user and request.user.is_authenticated:
            raise Http404
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("target_type", str, required=True, description="<app_label>.<model>, e.g. catalog.tag"),
            OpenApiParameter("target_id", int, required=True),
            OpenApiParameter("task_name", str, required=False),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The runs of one object, newest first (empty when the user may not see the object)."""
        query = TaskRunListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        app_label, model = query.validated_data["target_type"].split(".", 1)
        try:
            target_type = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            raise ValidationError({"target_type": ["Unknown object type."]}) from None
        runs = task_runs_visible_to(request.user, target_type=target_type, target_id=query.validated_data["target_id"])
        if "task_name" in query.validated_data:
            runs = runs.filter(task_name=query.validated_data["task_name"])
        page = self.paginate_queryset(runs.select_related("target_type"))
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)
