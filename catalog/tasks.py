"""Catalog tasks: search indexing. Each takes ids, calls one function, and is idempotent."""

from __future__ import annotations

from celery import shared_task

from catalog.search import sync
from catalog.search.backends import SearchUnavailable


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
