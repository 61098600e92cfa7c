"""Platform tasks: worker heartbeat, beat tick, and the sweep that re-sends task runs."""

from __future__ import annotations

import socket
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from workers.services import beat_tick_record, worker_heartbeat_record
from workers.services import task_runs_sweep as sweep

RETRY_OPTIONS = {
    "autoretry_for": (ConnectionError, TimeoutError, OperationalError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(bind=True, name="workers.heartbeat", **RETRY_OPTIONS)
def heartbeat(self) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Record this worker's heartbeat. The health page queues it and shows the last answer."""
    hostname = self.request.hostname or socket.gethostname()
    record = worker_heartbeat_record(hostname=hostname)
    return {"hostname": record.hostname, "last_seen_at": record.last_seen_at.isoformat()}


@shared_task(name="workers.beat_tick", **RETRY_OPTIONS)
def beat_tick() -> dict[str, object]:
    """Queued by beat every minute: the health page shows when the scheduler last ticked."""
    tick = beat_tick_record()
    return {"last_tick_at": tick.last_tick_at.isoformat(), "ticks": tick.ticks}


@shared_task(name="workers.task_runs_sweep", **RETRY_OPTIONS)
def task_runs_sweep(older_than_seconds: int = 30) -> dict[str, int]:
    """Re-send task runs the broker never accepted, and those of workers that were lost."""
    return sweep(older_than=timedelta(seconds=older_than_seconds))
