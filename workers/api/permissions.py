"""Who may read a task run through the API: who may see its target (``workers.targets``)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from workers.models import TaskRun
from workers.selectors import task_run_visible_to


class CanSeeTaskRunTarget(BasePermission):
    """Object level: the run's target must be visible to the user (else 404, not 403)."""

    def has_object_permission(self, request: Request, view: Any, obj: TaskRun) -> bool:
        return task_run_visible_to(obj, request.user)
