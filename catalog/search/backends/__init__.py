"""Search backends. Both implement ``SearchBackend``; the database one is always available (it is
the embedded default and the fallback), Elasticsearch only when ``ELASTICSEARCH_URL`` is set."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

from catalog.search.types import ExpandedQuery, SearchQuery, SearchResult, Suggestion

if TYPE_CHECKING:
    from catalog.search.backends.elasticsearch import ElasticsearchBackend


class SearchUnavailable(Exception):
    """The backend cannot answer now (node down, timeout): the caller falls back."""


class SearchBackend(Protocol):
    name: str

    def search(self, query: SearchQuery, expanded: ExpandedQuery) -> SearchResult: ...

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]: ...


def get_database_backend() -> SearchBackend:
    from catalog.search.backends.database import DatabaseBackend

    return DatabaseBackend()


@lru_cache(maxsize=4)
def _elasticsearch_backend(url: str, index: str) -> ElasticsearchBackend:
    from catalog.search.backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend(url=url, index=index)


def get_elasticsearch_backend() -> ElasticsearchBackend | None:
    """The Elasticsearch backend when ``ELASTICSEARCH_URL`` is set, else ``None``."""
    url: Any = settings.ELASTICSEARCH_URL
    if not url:
        return None
    return _elasticsearch_backend(url, settings.ELASTICSEARCH_INDEX)
