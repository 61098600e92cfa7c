from django.contrib import admin

from workers.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "tasks_run"]
    readonly_fields = ["hostname", "last_seen_at", "tasks_run"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
