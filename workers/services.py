"""Writes of the workers app."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from workers.models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, hostname: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Record that worker ``hostname`` answered; idempotent per call, counts heartbeats."""
    seen = at or timezone.now()
    heartbeat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"last_seen_at": seen, "tasks_run": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(last_seen_at=seen, tasks_run=F("tasks_run") + 1)
        heartbeat.refresh_from_db()
    return heartbeat
