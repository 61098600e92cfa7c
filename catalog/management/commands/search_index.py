"""``manage.py search_index --rebuild | --reconcile [--dry-run] | --sweep | --status``."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Dataset, SearchDocument, SearchSyncItem
from catalog.search import sync
from catalog.search.backends import get_elasticsearch_backend


class Command(BaseCommand):
    help = "Maintain the dataset search index (database and Elasticsearch)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rebuild", action="store_true", help="Reindex every dataset in bulk.")
        group.add_argument("--reconcile", action="store_true", help="Find and repair differences.")
        group.add_argument("--sweep", action="store_true", help="Sync the datasets left in the outbox.")
        group.add_argument("--status", action="store_true", help="Print document counts and the outbox size.")
        parser.add_argument("--dry-run", action="store_true", help="With --reconcile: report, repair nothing.")
        parser.add_argument("--batch-size", type=int, default=sync.BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            if options["rebuild"]:
                total = Dataset.objects.count()

                def progress(done: int, _total: int) -> None:
                    if options["verbosity"] > 1 or done == _total:
                        self.stdout.write(f"  {done}/{_total} datasets")

                report = sync.rebuild(batch_size=options["batch_size"], progress=progress)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Rebuilt the search index: {report.indexed} of {total} datasets "
                        f"(Elasticsearch: {report.elasticsearch}) in {time.perf_counter() - started:.1f} s."
                    )
                )
            elif options["reconcile"]:
                result = sync.reconcile(repair=not options["dry_run"])
                for name in (
                    "missing_in_database", "stale_in_database", "orphans_in_database",
                    "missing_in_elasticsearch", "stale_in_elasticsearch", "orphans_in_elasticsearch",
                ):  # fmt: skip
                    ids = getattr(result, name)
                    self.stdout.write(f"{name.replace('_', ' ')}: {len(ids)}" + (f" {ids[:20]}" if ids else ""))
                verb = "would repair" if options["dry_run"] else "repaired"
                self.stdout.write(self.style.SUCCESS(f"Reconcile {verb} {result.repaired} dataset(s)."))
            elif options["sweep"]:
                report = sync.sweep()
                self.stdout.write(self.style.SUCCESS(f"Synced {report.indexed} and removed {report.removed}."))
            else:
                backend = get_elasticsearch_backend()
                remote = len(backend.document_hashes()) if backend is not None else None
                self.stdout.write(
                    f"datasets: {Dataset.objects.count()}\n"
                    f"database documents: {SearchDocument.objects.count()}\n"
                    f"elasticsearch documents: {remote if remote is not None else 'not configured'}\n"
                    f"outbox: {SearchSyncItem.objects.count()}"
                )
        except Exception as exc:
            if options["verbosity"] > 1:
                raise
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
