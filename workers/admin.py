from django.contrib import admin
from django.http import HttpRequest

from workers.models import BeatTick, TaskRun, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "tasks_run"]
    readonly_fields = ["hostname", "last_seen_at", "tasks_run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BeatTick)
class BeatTickAdmin(admin.ModelAdmin):
    list_display = ["scheduler", "last_tick_at", "ticks"]
    readonly_fields = ["scheduler", "last_tick_at", "ticks"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    """Read-only: runs change only through workers.services."""

    list_display = ["id", "task_name", "label", "state", "progress", "attempts", "queued_at", "finished_at", "worker"]
    list_filter = ["state", "task_name"]
    search_fields = ["task_name", "label", "celery_task_id", "worker"]
    date_hierarchy = "queued_at"

    def get_readonly_fields(self, request: HttpRequest, obj: TaskRun | None = None) -> list[str]:
        return [f.name for f in TaskRun._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TaskRun | None = None) -> bool:
        return False
