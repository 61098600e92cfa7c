"""Catalog tasks: search indexing, profiling, quality and drift. Each takes ids, calls one function,
and is idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.models import DatasetVersion, ProfileStatus
from catalog.profiling.services import ProfilingFailed, drift_compute, quality_run, version_profile_run
from catalog.search import sync
from catalog.search.backends import SearchUnavailable
from workers.models import TaskRun
from workers.services import task_run_enqueue, task_run_progress
from workers.tasks_base import TaskFailed, tracked_task


@shared_task(
    name="catalog.search_sync_datasets",
    autoretry_for=(SearchUnavailable, ConnectionError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def search_sync_datasets(dataset_ids: list[int]) -> dict[str, object]:
    """Bring these datasets' search documents up to date (database index and Elasticsearch)."""
    report = sync.sync_datasets(dataset_ids)
    return {"indexed": report.indexed, "removed": report.removed, "elasticsearch": report.elasticsearch}


@shared_task(
    name="catalog.search_sweep",
    autoretry_for=(SearchUnavailable, ConnectionError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=3,
)
def search_sweep() -> dict[str, object]:
    """Periodic: sync the datasets still in the outbox (their task was lost or failed)."""
    report = sync.sweep()
    return {"indexed": report.indexed, "removed": report.removed, "elasticsearch": report.elasticsearch}


@shared_task(name="catalog.search_reconcile")
def search_reconcile() -> dict[str, object]:
    """Periodic: find and repair differences between the catalog and the indexes; sweep the outbox."""
    report = sync.reconcile(repair=True)
    return {"repaired": report.repaired, "pending_before": report.pending}


# --- Profiling, quality and drift of versions (catalog.profiling) ----------------------------------
# Tracked tasks (workers.tasks_base): state, progress and failure reason on a TaskRun shown on the
# version page. Each takes ids, calls one service and is idempotent (re-running replaces its results).

PROFILE_TASK = "catalog.profile_version"
QUALITY_TASK = "catalog.quality_run"
DRIFT_TASK = "catalog.drift_compute"


def version_profiling_enqueue(*, version: DatasetVersion, requested_by: Any = None) -> None:
    """Queue the profiling of a version with a file (sent when the caller's transaction commits)."""
    if not version.file:
        return
    task_run_enqueue(
        task_name=PROFILE_TASK,
        target=version,
        kwargs={"version_id": version.pk},
        label=f"Profile {version}",
        requested_by=requested_by,
    )


@tracked_task(name=PROFILE_TASK, atomic=False)
def profile_version(run: TaskRun, *, version_id: int) -> dict[str, Any]:
    """Profile a version (statistics, report, class suggestions), then queue its quality checks and drift."""
    version = DatasetVersion.objects.select_related("dataset").filter(pk=version_id).first()
    if version is None:
        raise TaskFailed("The version no longer exists.")

    def progress(percent: int, message: str) -> None:
        task_run_progress(run=run, percent=percent, message=message)

    try:
        profile = version_profile_run(version=version, progress=progress)
    except ProfilingFailed as exc:
        raise TaskFailed(str(exc)) from None
    if profile.status == ProfileStatus.DONE:
        with transaction.atomic():
            task_run_enqueue(
                task_name=QUALITY_TASK, target=version, kwargs={"version_id": version.pk}, label=f"Quality of {version}"
            )
            task_run_enqueue(
                task_name=DRIFT_TASK, target=version, kwargs={"version_id": version.pk}, label=f"Drift of {version}"
            )
    return {"status": profile.status, "rows": profile.row_count, "personal_columns": len(profile.personal_columns)}


@tracked_task(name=QUALITY_TASK)
def quality_run_task(run: TaskRun, *, version_id: int) -> dict[str, Any]:
    """Check the dataset's accepted expectations on a profiled version."""
    version = DatasetVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise TaskFailed("The version no longer exists.")
    try:
        results = quality_run(version=version)
    except ValidationError as exc:
        raise TaskFailed("; ".join(exc.messages)) from None
    return {"checked": len(results), "failed": sum(1 for r in results if not r.passed)}


@tracked_task(name=DRIFT_TASK, atomic=False)
def drift_compute_task(run: TaskRun, *, version_id: int) -> dict[str, Any]:
    """Compare a version with the previous one, per column."""
    version = DatasetVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise TaskFailed("The version no longer exists.")
    try:
        report = drift_compute(version=version)
    except ProfilingFailed as exc:
        raise TaskFailed(str(exc)) from None
    if report is None:
        return {"compared": False}
    return {"compared": True, "drifted": report.drifted_columns}
