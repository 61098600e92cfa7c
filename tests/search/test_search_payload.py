"""The search API's hot path on the demo catalog, for each backend: the plain-dict response
(``catalog.api.search.search_response``) is exactly what ``SearchResponseSerializer`` gives, and
totals and facet counts, now counted by a separate (cached) request on Elasticsearch, match the
hits themselves."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.request import Request

from benchmarks.relevance_queries import QUERIES
from catalog.api.search import SearchResponseSerializer, concepts_in_order, search_response
from catalog.search import service
from catalog.search.sync import rebuild
from catalog.search.types import FACETS, SearchQuery, SearchResult

pytestmark = pytest.mark.django_db

FILTERS: list[dict[str, tuple[str, ...]]] = [
    {},
    {"domain": ("payments",)},
    {"status": ("published", "draft")},
    {"sensitivity": ("direct",), "domain": ("customer", "hr")},
    {"tag": ("pii",)},
]


@pytest.fixture
def demo(search_backend: str) -> str:
    call_command("load_demo", stdout=io.StringIO())
    rebuild()
    return search_backend


def _queries() -> list[SearchQuery]:
    texts = [str(q["q"]) for q in QUERIES] + ["", "Card payment transactions", "paiement client", "zzqx"]
    queries = [SearchQuery(text=t, filters=FILTERS[i % len(FILTERS)]) for i, t in enumerate(texts)]
    queries += [SearchQuery(text=t, page=2, page_size=5) for t in ("client", "Customer master", "")]
    return queries


def _run(query: SearchQuery) -> tuple[SearchResult, list[Any]]:
    result = service.search(query=query)
    concepts = concepts_in_order(result.expanded.concept_slugs if result.expanded is not None else ())
    return result, concepts


def test_plain_response_is_the_serializers(demo: str) -> None:
    factory = RequestFactory()
    checked = 0
    for n, query in enumerate(_queries()):
        request = Request(factory.get("/api/search/", {"q": query.text}))
        result, concepts = _run(query)
        assert result.backend == demo
        if n % 3 == 0:  # what the governance app fills in
            for hit in result.hits:
                hit.access = {"status": "requestable", "next_step": "Ask", "url": f"/access/{hit.slug}/"}
        serialised = SearchResponseSerializer(result, context={"request": request, "concepts": concepts}).data
        plain = search_response(result, request=request, concepts=concepts)
        assert plain == serialised
        assert list(plain) == list(serialised)
        assert [list(h) for h in plain["results"]] == [list(h) for h in serialised["results"]]
        checked += len(result.hits)
    assert checked > 250
    # Without a request, relative URLs, as the serializer gives them.
    result, concepts = _run(SearchQuery(text="paiement carte"))
    assert result.hits and concepts
    assert (
        search_response(result, request=None, concepts=concepts)
        == SearchResponseSerializer(result, context={"concepts": concepts}).data
    )


def test_totals_and_facets_count_the_hits(demo: str) -> None:
    """On 75 datasets one page of 100 holds every hit: the total and each facet's counts must be
    those of the hits (facets: under every filter but their own)."""
    for query in _queries():
        if query.page != 1:
            continue
        whole = SearchQuery(text=query.text, filters=query.filters, page_size=100)
        result, _ = _run(whole)
        assert result.total == len(result.hits), query
        for facet in ("domain", "status", "sensitivity", "format", "owner"):
            others = SearchQuery(
                text=query.text, filters={k: v for k, v in query.filters.items() if k != facet}, page_size=100
            )
            hits, _ = _run(others)
            expected = Counter(str(hit.document[FACETS[facet]]) for hit in hits.hits)
            counted = {v.value: v.count for v in result.facets[facet]}
            assert counted == dict(expected), (query, facet)
            chosen = set(query.filters.get(facet, ()))
            assert {v.value for v in result.facets[facet] if v.selected} == chosen & set(counted)
