"""Search fixtures: one real Elasticsearch node per test session, and a ``search_backend``
fixture that runs a test once per backend (database, then Elasticsearch)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.services import ElasticsearchNode, elasticsearch_node


@pytest.fixture(scope="session")
def elasticsearch_server() -> Iterator[ElasticsearchNode]:
    with elasticsearch_node() as node:
        yield node


@pytest.fixture
def use_elasticsearch(elasticsearch_server: ElasticsearchNode, settings) -> Iterator[ElasticsearchNode]:  # type: ignore[no-untyped-def]
    """Point the app at the real node, with an index alias of this test's own."""
    from elasticsearch import Elasticsearch

    if not elasticsearch_server.is_up():
        elasticsearch_server.start()
    alias = f"test-{uuid.uuid4().hex[:12]}"
    settings.ELASTICSEARCH_URL = elasticsearch_server.url
    settings.ELASTICSEARCH_INDEX = alias
    settings.SEARCH_BACKEND = "elasticsearch"
    yield elasticsearch_server
    if elasticsearch_server.is_up():
        Elasticsearch(elasticsearch_server.url).indices.delete(index=f"{alias}*", ignore_unavailable=True)


@pytest.fixture(params=["database", "elasticsearch"])
def search_backend(request: pytest.FixtureRequest, settings) -> str:  # type: ignore[no-untyped-def]
    if request.param == "elasticsearch":
        request.getfixturevalue("use_elasticsearch")
    else:
        settings.ELASTICSEARCH_URL = None
        settings.SEARCH_BACKEND = "database"
    return str(request.param)
