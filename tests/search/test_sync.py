"""Keeping the index in sync: the outbox, on-commit indexing, rebuild, reconcile, the command,
and a real Elasticsearch node stopped and restarted while the catalog changes."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from catalog import services
from catalog.models import SearchDocument, SearchSyncItem
from catalog.search import sync
from catalog.search.backends import get_elasticsearch_backend
from catalog.search.service import search
from catalog.search.types import SearchQuery
from tests.factories import ColumnFactory, DatasetFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def names(text: str) -> list[str]:
    return [h.name for h in search(query=SearchQuery(text=text)).hits]


def test_a_change_is_recorded_in_the_outbox_in_the_same_transaction() -> None:
    dataset = DatasetFactory()
    assert SearchSyncItem.objects.filter(dataset_id=dataset.pk).exists()
    # In this test's transaction nothing was committed, so nothing was indexed yet.
    assert not SearchDocument.objects.filter(dataset_id=dataset.pk).exists()


def test_a_rolled_back_change_leaves_no_outbox_row() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        DatasetFactory(name="Never committed")
        raise RuntimeError
    assert not SearchSyncItem.objects.exists()


def test_commit_indexes_once_for_many_changes(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    owner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        dataset = services.dataset_create(
            name="Loan applications",
            domain="credit",
            owner=owner,
            columns=[{"name": "applicant_name", "personal_data_class": "direct"}, {"name": "amount"}],
        )
    document = SearchDocument.objects.get(dataset_id=dataset.pk)
    assert document.document["column_names"] == ["applicant_name", "amount"]
    assert document.document["sensitivity"] == "direct"
    assert not SearchSyncItem.objects.exists()
    assert names("applicant") == ["Loan applications"]


def test_tag_rename_reindexes_its_datasets(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory(name="Gold")
    with django_capture_on_commit_callbacks(execute=True):
        dataset = DatasetFactory(tags=[tag])
    with django_capture_on_commit_callbacks(execute=True):
        services.tag_update(tag=tag, data={"name": "Platinum"})
    assert SearchDocument.objects.get(dataset_id=dataset.pk).document["tags"] == ["Platinum"]


def test_column_change_reindexes_the_dataset(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        column = ColumnFactory(name="nir")
    with django_capture_on_commit_callbacks(execute=True):
        services.column_classify(column=column, personal_data_class="direct")
    assert SearchDocument.objects.get(dataset_id=column.dataset_id).document["sensitivity"] == "direct"


def test_rebuild_and_status_command() -> None:
    datasets = [DatasetFactory() for _ in range(5)]
    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("search_index", "--rebuild", stdout=out)
    assert "Rebuilt the search index: 5 of 5 datasets" in out.getvalue()
    assert set(SearchDocument.objects.values_list("dataset_id", flat=True)) == {d.pk for d in datasets}
    assert not SearchSyncItem.objects.exists()
    out = StringIO()
    call_command("search_index", "--status", stdout=out)
    assert "database documents: 5" in out.getvalue() and "outbox: 0" in out.getvalue()


def test_reconcile_finds_and_repairs_missing_stale_and_orphan_documents() -> None:
    kept, stale, missing, orphan = DatasetFactory(), DatasetFactory(), DatasetFactory(), DatasetFactory()
    sync.rebuild()
    SearchDocument.objects.filter(dataset_id=missing.pk).delete()
    SearchDocument.objects.filter(dataset_id=stale.pk).update(source_hash="0" * 40)
    # A dataset deleted behind the signals' back (raw SQL) leaves an orphan document.
    SearchDocument.objects.filter(dataset_id=orphan.pk).update(dataset_id=orphan.pk + 1000)
    SearchSyncItem.objects.all().delete()

    out = StringIO()
    call_command("search_index", "--reconcile", "--dry-run", stdout=out)
    assert "missing in database: 2" in out.getvalue()
    assert "stale in database: 1" in out.getvalue()
    assert "orphans in database: 1" in out.getvalue()
    assert "would repair 4" in out.getvalue()

    report = sync.reconcile()
    assert (report.missing_in_database, report.stale_in_database, report.orphans_in_database) == (
        [missing.pk, orphan.pk],
        [stale.pk],
        [orphan.pk + 1000],
    )
    assert set(SearchDocument.objects.values_list("dataset_id", flat=True)) == {
        kept.pk,
        stale.pk,
        missing.pk,
        orphan.pk,
    }
    assert sync.reconcile().repaired == 0


def test_sweep_syncs_what_the_outbox_still_holds() -> None:
    dataset = DatasetFactory(name="Left in the outbox")  # committed work whose task was lost
    assert SearchSyncItem.objects.filter(dataset_id=dataset.pk).exists()
    out = StringIO()
    call_command("search_index", "--sweep", stdout=out)
    assert "Synced 1" in out.getvalue()
    assert names("outbox") == ["Left in the outbox"]
    assert not SearchSyncItem.objects.exists()


def test_elasticsearch_down_then_back_loses_nothing(use_elasticsearch, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """Stop the real node, change the catalog, search (degraded, from the database), restart the
    node: the sweep brings the change to Elasticsearch, and searches are served by it again."""
    node = use_elasticsearch
    with django_capture_on_commit_callbacks(execute=True):
        dataset = DatasetFactory(name="Card transactions")
    sync.rebuild()
    backend = get_elasticsearch_backend()
    assert backend is not None and set(backend.document_hashes()) == {dataset.pk}

    node.stop()
    assert not node.is_up()
    with django_capture_on_commit_callbacks(execute=True):
        services.dataset_update(dataset=dataset, data={"name": "Card authorisations"})
        added = DatasetFactory(name="Merchant directory")
    # The database index has the change; Elasticsearch could not get it, the outbox keeps it.
    pending = set(SearchSyncItem.objects.values_list("dataset_id", flat=True))
    assert pending == {dataset.pk, added.pk}
    assert "SearchUnavailable" in SearchSyncItem.objects.get(dataset_id=added.pk).last_error
    started = time.perf_counter()
    result = search(query=SearchQuery(text="authorisations"))
    assert result.degraded and result.backend == "database"
    assert [h.name for h in result.hits] == ["Card authorisations"]
    assert time.perf_counter() - started < 15

    node.start()
    assert set(backend.document_hashes()) == {dataset.pk}  # nothing reached the node while it was down
    assert sync.sweep().elasticsearch == "indexed"
    assert not SearchSyncItem.objects.exists()
    assert set(backend.document_hashes()) == {dataset.pk, added.pk}
    result = search(query=SearchQuery(text="authorisations"))
    assert not result.degraded and result.backend == "elasticsearch"
    assert [h.name for h in result.hits] == ["Card authorisations"]


def test_periodic_tasks_are_scheduled_and_sweep_the_outbox(settings) -> None:  # type: ignore[no-untyped-def]
    from catalog.tasks import search_reconcile, search_sweep

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"catalog.search_sweep", "catalog.search_reconcile"} <= scheduled
    dataset = DatasetFactory(name="Swept by the periodic task")
    assert search_sweep.delay().get() == {"indexed": 1, "removed": 0, "elasticsearch": "not configured"}
    assert names("swept") == [dataset.name]
    assert search_reconcile.delay().get()["repaired"] == 0
