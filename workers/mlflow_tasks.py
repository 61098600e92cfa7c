"""The MLflow sync task (issue 7): the projects sync service, then the governance checks of the synced
versions. Queued by beat (incremental every ``MLFLOW_SYNC_INTERVAL_SECONDS``, full nightly) and by the
"sync now" API action (``transaction.on_commit``). Registered through ``CELERY_IMPORTS``.

MLflow unreachable or failing: the service records the error and raises ``MlflowUnavailable``; the
task retries with exponential backoff (30 s, 60 s, ... up to 15 min). Each run is idempotent.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from governance.model_checks import model_governance_check
from projects.mlflow_sync import MlflowUnavailable
from projects.services import mlflow_sync_run

MLFLOW_RETRY = {
    "autoretry_for": (MlflowUnavailable, OperationalError),
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="projects.mlflow_sync", **MLFLOW_RETRY)
def mlflow_sync(full: bool = False) -> dict[str, object]:
    """Sync the MLflow registry (``full``: every model and run again, deleted versions found), then raise
    or resolve the governance alerts of production versions."""
    summary = mlflow_sync_run(full=bool(full))
    checks = model_governance_check()
    return {**summary.as_dict(), "governance": checks.as_dict()}
