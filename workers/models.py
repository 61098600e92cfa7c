"""What the platform knows about its workers: the last heartbeat of each one."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The latest heartbeat a worker process answered, shown on the health page."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()
    tasks_run = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
