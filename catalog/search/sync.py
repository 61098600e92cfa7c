"""Keeping the search index in step with the catalog.

1. A change to a dataset (or its columns, tags, concepts) marks the dataset in the outbox
   (``SearchSyncItem``) inside the same transaction (``mark``), and queues the sync task on commit.
2. The task (``catalog.tasks.search_sync_datasets``) calls ``sync_datasets``: it rebuilds the
   database documents, then sends them to Elasticsearch when it is configured, and only then
   clears the outbox rows. If Elasticsearch is down the rows stay and the task retries with
   backoff; the periodic ``search_reconcile`` task also sweeps leftovers, so a change made while
   the node was down reaches it once it is back.
3. ``rebuild`` re-creates everything in bulk; ``reconcile`` compares the database documents, the
   catalog and the Elasticsearch index and repairs what differs.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import (
    Dataset,
    DatasetStatus,
    GlossaryTerm,
    SearchDocument,
    SearchFacet,
    SearchSyncItem,
    SearchVocabulary,
)
from catalog.search import analysis
from catalog.search.backends import get_elasticsearch_backend
from catalog.search.documents import build_documents, concept_texts, facet_values

logger = logging.getLogger(__name__)
BATCH = 500


# --- Outbox ------------------------------------------------------------------------------------


_pending: set[int] = set()
_pending_lock = threading.Lock()


def mark(dataset_ids: Iterable[int]) -> None:
    """Record in the outbox that these datasets changed, and queue the sync after commit.

    Many changes in one transaction (a dataset and its columns) queue one task: ids gather in
    ``_pending`` and the first on-commit callback takes them all.
    """
    ids = sorted({int(i) for i in dataset_ids if i is not None})
    if not ids:
        return
    now = timezone.now()
    existing = set(SearchSyncItem.objects.filter(dataset_id__in=ids).values_list("dataset_id", flat=True))
    SearchSyncItem.objects.bulk_create(
        [SearchSyncItem(dataset_id=i, queued_at=now) for i in ids if i not in existing], ignore_conflicts=True
    )
    SearchSyncItem.objects.filter(dataset_id__in=existing).update(queued_at=now)
    with _pending_lock:
        _pending.update(ids)
    transaction.on_commit(_queue_pending)


def _queue_pending() -> None:
    with _pending_lock:
        ids = sorted(_pending)
        _pending.clear()
    if not ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Embedded default: run in-process now; on failure the outbox keeps the rows for the sweep.
        try:
            sync_datasets(ids)
        except Exception:
            logger.warning("search sync of %d dataset(s) failed; the sweep will retry", len(ids), exc_info=True)
        return
    from catalog.tasks import search_sync_datasets

    try:
        search_sync_datasets.delay(ids)
    except Exception:  # broker down: the outbox rows stay, the periodic sweep picks them up
        logger.warning("search sync of %d dataset(s) not queued; the sweep will retry", len(ids), exc_info=True)


def pending_ids(limit: int = 10_000) -> list[int]:
    return list(SearchSyncItem.objects.order_by("queued_at").values_list("dataset_id", flat=True)[:limit])


# --- Database documents ------------------------------------------------------------------------


def ranking_boost(document: dict[str, Any]) -> float:
    """Multiplier of a dataset's text score (see ``backends.database`` for the whole formula):
    published 1.0, draft 0.7, deprecated 0.3; each project using the dataset adds a little,
    with diminishing returns (1 + 0.15·ln(1 + projects))."""
    status = {DatasetStatus.PUBLISHED: 1.0, DatasetStatus.DRAFT: 0.7, DatasetStatus.DEPRECATED: 0.3}
    return status.get(document["status"], 0.7) * (1.0 + 0.15 * math.log1p(document["project_count"]))


def text_columns(document: dict[str, Any]) -> dict[str, str]:
    """The four weighted full-text fields of a document, analysed (folded and stemmed). Each text
    is analysed once (``analysis.analysed``): column names, tags and concept labels repeat."""
    join = analysis.join_terms
    return {
        "text_name": join([document["name"], document["slug"]]),
        "text_concepts": join([*document["tags"], *document["concept_labels"]]),
        "text_columns": join([*document["column_names"], *document["column_descriptions"]]),
        "text_body": join(
            [
                document["description"],
                document["owner"],
                document["owner_name"],
                document["domain_label"],
                document["source_system"],
            ]
        ),
    }


def _text_vocabulary(text: str) -> frozenset[str]:
    return frozenset(w for w in analysis.analysed(text).words if 2 < len(w) <= 100 and not w.isdigit())


_short_text_vocabulary = lru_cache(maxsize=262_144)(_text_vocabulary)


def _vocabulary_words(document: dict[str, Any]) -> set[str]:
    texts = [
        document["name"],
        *document["tags"],
        *document["concept_labels"],
        *document["column_names"],
        *document["column_descriptions"],
        document["description"],
        document["owner"],
        document["owner_name"],
        document["domain_label"],
        document["source_system"],
    ]
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(_short_text_vocabulary(text) if len(text) <= analysis.SHORT_TEXT else _text_vocabulary(text))
    return found


def add_vocabulary(words: Iterable[str], *, known: set[str] | None = None) -> None:
    """Add the words not in the vocabulary yet. ``known``: words already added by this caller
    (a rebuild), not sent again; the new ones are added to it."""
    new = set(words)
    if known is not None:
        new -= known
        known |= new
    SearchVocabulary.objects.bulk_create(
        [SearchVocabulary(word=w) for w in sorted(new)], ignore_conflicts=True, batch_size=2000
    )


def glossary_vocabulary() -> set[str]:
    texts = [
        t
        for term in GlossaryTerm.objects.values("label_en", "label_fr", "synonyms_en", "synonyms_fr")
        for t in concept_texts(term)
    ]
    return {w for text in texts for w in analysis.content_words(text) if 2 < len(w) <= 100}


_DOCUMENT_COLUMNS = (
    "dataset_id", "name_folded", "status", "ranking_boost", "text_name", "text_concepts", "text_columns",
    "text_body", "document", "source_hash", "indexed_at",
)  # fmt: skip
_FACET_COLUMNS = ("document_id", "facet", "value")


def _copy_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Append rows to a table with PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3)."""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@transaction.atomic
def store_documents(
    documents: dict[int, dict[str, Any]],
    *,
    removed: Iterable[int] = (),
    fresh: bool = False,
    known_words: set[str] | None = None,
) -> None:
    """Write documents (and their facets and words) to the database index; drop ``removed``.

    ``fresh``: a rebuild that emptied the index writes them: on PostgreSQL the rows are then
    streamed with ``COPY`` rather than INSERTs (any row a concurrent sync wrote meanwhile is
    still deleted first). ``known_words``: see ``add_vocabulary``.
    """
    now = timezone.now()
    ids = list(documents)
    SearchDocument.objects.filter(dataset_id__in=[*ids, *removed]).delete()
    rows = [
        (
            i,
            analysis.fold(d["name"])[:200],
            d["status"],
            ranking_boost(d),
            *text_columns(d).values(),
            d,
            d["source_hash"],
            now,
        )
        for i, d in documents.items()
    ]
    facets = [(i, f, v[:200]) for i, d in documents.items() for f, v in facet_values(d)]
    if fresh and connection.vendor == "postgresql":
        _copy_rows(
            SearchDocument._meta.db_table,
            _DOCUMENT_COLUMNS,
            ((*row[:8], json.dumps(row[8]), *row[9:]) for row in rows),
        )
        _copy_rows(SearchFacet._meta.db_table, _FACET_COLUMNS, facets)
    else:
        SearchDocument.objects.bulk_create(
            [SearchDocument(**dict(zip(_DOCUMENT_COLUMNS, row, strict=True))) for row in rows], batch_size=BATCH
        )
        SearchFacet.objects.bulk_create(
            [SearchFacet(**dict(zip(_FACET_COLUMNS, row, strict=True))) for row in facets], batch_size=2000
        )
    add_vocabulary((w for d in documents.values() for w in _vocabulary_words(d)), known=known_words)


# --- Sync --------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    indexed: int = 0
    removed: int = 0
    elasticsearch: str = "not configured"
    errors: list[str] = field(default_factory=list)


def sync_datasets(dataset_ids: Iterable[int]) -> SyncReport:
    """Bring the given datasets' documents up to date in every store; clear their outbox rows.

    Raises the Elasticsearch error (after updating the database index) so the caller can retry;
    the outbox rows are then kept with the error recorded.
    """
    ids = sorted(set(dataset_ids))
    report = SyncReport()
    if not ids:
        return report
    started = timezone.now()
    documents = build_documents(ids)
    removed = [i for i in ids if i not in documents]
    store_documents(documents, removed=removed)
    report.indexed, report.removed = len(documents), len(removed)
    backend = get_elasticsearch_backend()
    if backend is not None:
        try:
            backend.index_documents(list(documents.values()))
            backend.delete_documents(removed)
        except Exception as exc:
            SearchSyncItem.objects.filter(dataset_id__in=ids).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            raise
        report.elasticsearch = "indexed"
    # Only rows not re-marked by a change made while we worked are cleared.
    SearchSyncItem.objects.filter(dataset_id__in=ids, queued_at__lte=started).delete()
    return report


def sweep(*, limit: int = 5000) -> SyncReport:
    """Sync every dataset still in the outbox (changes whose task was lost or failed)."""
    report = SyncReport()
    ids = pending_ids(limit)
    for chunk in _chunks(ids, BATCH):
        part = sync_datasets(chunk)
        report.indexed += part.indexed
        report.removed += part.removed
        report.elasticsearch = part.elasticsearch
    return report


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rebuild(*, batch_size: int = BATCH, progress: Any = None) -> SyncReport:
    """Rebuild the database index and (when configured) a fresh Elasticsearch index, in bulk.

    Elasticsearch gets a new index filled in the background and then swapped in under the alias,
    so searches keep answering during the rebuild.
    """
    report = SyncReport()
    started = timezone.now()
    all_ids = list(Dataset.objects.order_by("id").values_list("id", flat=True))
    backend = get_elasticsearch_backend()
    new_index = backend.create_index() if backend is not None else None
    SearchDocument.objects.all().delete()
    known_words: set[str] = set()
    add_vocabulary(glossary_vocabulary(), known=known_words)
    # Elasticsearch indexes a batch in a background thread while the next one is built and stored
    # in the database (one batch in flight at most: its errors surface at the next batch).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-rebuild") as pool:
        in_flight: Future[None] | None = None
        for chunk in _chunks(all_ids, batch_size):
            documents = build_documents(chunk)
            store_documents(documents, fresh=True, known_words=known_words)
            if backend is not None:
                if in_flight is not None:
                    in_flight.result()
                in_flight = pool.submit(backend.index_documents, list(documents.values()), index=new_index)
            report.indexed += len(documents)
            if progress is not None:
                progress(report.indexed, len(all_ids))
        if in_flight is not None:
            in_flight.result()
    if backend is not None:
        backend.activate_index(new_index)
        report.elasticsearch = f"rebuilt into {new_index}"
    SearchSyncItem.objects.filter(queued_at__lte=started).delete()
    return report


@dataclass
class ReconcileReport:
    missing_in_database: list[int] = field(default_factory=list)
    stale_in_database: list[int] = field(default_factory=list)
    orphans_in_database: list[int] = field(default_factory=list)
    missing_in_elasticsearch: list[int] = field(default_factory=list)
    stale_in_elasticsearch: list[int] = field(default_factory=list)
    orphans_in_elasticsearch: list[int] = field(default_factory=list)
    pending: int = 0

    @property
    def repaired(self) -> int:
        return len(
            set(self.missing_in_database)
            | set(self.stale_in_database)
            | set(self.orphans_in_database)
            | set(self.missing_in_elasticsearch)
            | set(self.stale_in_elasticsearch)
            | set(self.orphans_in_elasticsearch)
        )


def reconcile(*, repair: bool = True) -> ReconcileReport:
    """Find and (by default) repair differences between the catalog, the database index and
    Elasticsearch: missing, stale (content hash differs) and orphan documents, and leftovers in
    the outbox."""
    report = ReconcileReport(pending=SearchSyncItem.objects.count())
    catalog_ids = list(Dataset.objects.order_by("id").values_list("id", flat=True))
    indexed = dict(SearchDocument.objects.values_list("dataset_id", "source_hash"))
    expected: dict[int, str] = {}
    for chunk in _chunks(catalog_ids, BATCH):
        expected.update({i: d["source_hash"] for i, d in build_documents(chunk).items()})
    report.missing_in_database = [i for i in expected if i not in indexed]
    report.stale_in_database = [i for i, h in expected.items() if i in indexed and indexed[i] != h]
    report.orphans_in_database = [i for i in indexed if i not in expected]
    backend = get_elasticsearch_backend()
    if backend is not None:
        remote = backend.document_hashes()
        report.missing_in_elasticsearch = [i for i in expected if i not in remote]
        report.stale_in_elasticsearch = [i for i, h in expected.items() if i in remote and remote[i] != h]
        report.orphans_in_elasticsearch = [i for i in remote if i not in expected]
    if repair:
        to_sync = sorted(
            set(report.missing_in_database)
            | set(report.stale_in_database)
            | set(report.orphans_in_database)
            | set(report.missing_in_elasticsearch)
            | set(report.stale_in_elasticsearch)
            | set(report.orphans_in_elasticsearch)
            | set(pending_ids())
        )
        for chunk in _chunks(to_sync, BATCH):
            sync_datasets(chunk)
    return report


def elasticsearch_configured() -> bool:
    return bool(settings.ELASTICSEARCH_URL)
