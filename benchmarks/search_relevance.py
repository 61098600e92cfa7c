"""Search relevance on the demo catalog: nDCG@10 and recall@10 of each backend and a baseline.

    python benchmarks/search_relevance.py            # starts its own Elasticsearch node
    python benchmarks/search_relevance.py --elasticsearch-url http://127.0.0.1:9200
    python benchmarks/search_relevance.py --no-elasticsearch   # database backend only

The catalog is the demo one (``manage.py load_demo``) in a fresh SQLite database under a temporary
directory, or in the database ``DATABASE_URL`` names (e.g. PostgreSQL). The labelled queries are
in benchmarks/relevance_queries.py. The baseline is what a catalog gets from Elasticsearch out of
the box: one ``multi_match`` over name, description and column names with ``fuzziness: AUTO`` on
an index with the default analyzer.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elasticsearch-url", help="use this node instead of starting one")
    parser.add_argument("--no-elasticsearch", action="store_true", help="database backend only")
    parser.add_argument("--verbose", action="store_true", help="print each query's top results")
    return parser.parse_args()


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_10(found: list[str], relevant: dict[str, int]) -> float:
    ideal = dcg(sorted(relevant.values(), reverse=True)[:10])
    return dcg([relevant.get(slug, 0) for slug in found[:10]]) / ideal if ideal else 0.0


def recall_at_10(found: list[str], relevant: dict[str, int]) -> float:
    return len(set(found[:10]) & set(relevant)) / len(relevant)


@contextlib.contextmanager
def elasticsearch(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.services import elasticsearch_node

    with elasticsearch_node() as node:
        yield node.url


def main() -> None:
    args = parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["CADASTRE_VAR_DIR"] = tempfile.mkdtemp(prefix="cadastre-relevance.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadastre.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from benchmarks.relevance_queries import QUERIES
    from catalog.models import Dataset
    from catalog.search import sync
    from catalog.search.service import search
    from catalog.search.types import SearchQuery

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    settings.ELASTICSEARCH_URL = None
    sync.rebuild()
    print(f"catalog: {Dataset.objects.count()} datasets; {len(QUERIES)} labelled queries")

    def ours(text: str) -> list[str]:
        return [h.slug for h in search(query=SearchQuery(text=text, page_size=10)).hits]

    systems: dict[str, Callable[[str], list[str]]] = {"database (" + settings.DATABASE_VENDOR + ")": ours}
    with contextlib.ExitStack() as stack:
        if not args.no_elasticsearch:
            url = stack.enter_context(elasticsearch(args.elasticsearch_url))
            from elasticsearch import Elasticsearch, helpers

            client = Elasticsearch(url, request_timeout=30)
            baseline_index = f"relevance-baseline-{uuid.uuid4().hex[:8]}"
            alias = f"relevance-{uuid.uuid4().hex[:8]}"
            documents = list(Dataset.objects.values_list("slug", "name", "description"))
            columns: dict[str, list[str]] = {}
            for slug, column in Dataset.objects.values_list("slug", "columns__name"):
                columns.setdefault(slug, []).append(column or "")
            helpers.bulk(
                client,
                (
                    {"_index": baseline_index, "_id": slug, "slug": slug, "name": name, "description": description,
                     "column_names": columns.get(slug, [])}
                    for slug, name, description in documents
                ),
                refresh=True,
            )

            def baseline(text: str) -> list[str]:
                response = client.search(
                    index=baseline_index,
                    size=10,
                    query={"multi_match": {"query": text, "fields": ["name", "description", "column_names"],
                                           "fuzziness": "AUTO"}},
                )
                return [hit["_source"]["slug"] for hit in response["hits"]["hits"]]

            settings.ELASTICSEARCH_URL = url
            settings.ELASTICSEARCH_INDEX = alias
            sync.rebuild()

            def ours_es(text: str) -> list[str]:
                result = search(query=SearchQuery(text=text, page_size=10))
                assert result.backend == "elasticsearch" and not result.degraded
                return [h.slug for h in result.hits]

            def ours_db(text: str) -> list[str]:
                settings.ELASTICSEARCH_URL = None
                try:
                    return ours(text)
                finally:
                    settings.ELASTICSEARCH_URL = url

            systems = {next(iter(systems)): ours_db, "elasticsearch": ours_es, "baseline (multi_match)": baseline}
            stack.callback(lambda: client.indices.delete(index=f"{alias}*,{baseline_index}", ignore_unavailable=True))

        kinds = sorted({str(q["kind"]) for q in QUERIES})
        print(f"{'system':26} {'nDCG@10':>8} {'recall@10':>10}   nDCG@10 by kind: " + ", ".join(kinds))
        for name, run in systems.items():
            ndcgs, recalls, by_kind = [], [], {k: [] for k in kinds}
            started = time.perf_counter()
            for query in QUERIES:
                relevant = dict(query["relevant"])  # type: ignore[call-overload]
                found = run(str(query["q"]))
                ndcgs.append(ndcg_at_10(found, relevant))
                recalls.append(recall_at_10(found, relevant))
                by_kind[str(query["kind"])].append(ndcgs[-1])
                if args.verbose:
                    print(f"  [{name}] {query['q']!r}: nDCG {ndcgs[-1]:.2f} -> {found[:5]}")
            elapsed = time.perf_counter() - started
            kind_figures = ", ".join(f"{statistics.mean(v):.2f}" for v in by_kind.values())
            print(
                f"{name:26} {statistics.mean(ndcgs):8.3f} {statistics.mean(recalls):10.3f}   {kind_figures}"
                f"   ({elapsed / len(QUERIES) * 1000:.0f} ms/query)"
            )


if __name__ == "__main__":
    main()
