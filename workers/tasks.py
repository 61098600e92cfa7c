"""Platform tasks: the heartbeat that shows a worker is alive and consuming from the broker."""

from __future__ import annotations

import socket

from celery import shared_task

from workers.services import worker_heartbeat_record


@shared_task(
    bind=True,
    name="workers.heartbeat",
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def heartbeat(self) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Record this worker's heartbeat. The health page queues it and shows the last answer."""
    hostname = self.request.hostname or socket.gethostname()
    record = worker_heartbeat_record(hostname=hostname)
    return {"hostname": record.hostname, "last_seen_at": record.last_seen_at.isoformat()}
