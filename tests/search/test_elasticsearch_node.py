"""The real Elasticsearch node the suite runs (scripts/elasticsearch.sh via tests/services.py).

The node is the integ-test-zip distribution from Maven Central: the server core without the
analysis-common module. That is why folding and stemming happen in Python
(catalog/search/analysis.py) and the index only needs the standard tokenizer and ``lowercase``,
which a test here pins down together with the missing pieces, so a change of distribution is noticed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import elasticsearch
import pytest
from elasticsearch import Elasticsearch

from tests.services import ElasticsearchNode

INDEX = "cadastre-node-check"
DOCUMENTS = {
    "1": {"title": "resiliation contrat assurance", "domain": "insurance"},
    "2": {"title": "paiement prime", "domain": "payments"},
    "3": {"title": "incident paiement carte", "domain": "payments"},
}


@pytest.fixture(scope="module")
def node(elasticsearch_server: ElasticsearchNode) -> ElasticsearchNode:
    if not elasticsearch_server.is_up():
        elasticsearch_server.start()
    return elasticsearch_server


@pytest.fixture(scope="module")
def es(node: ElasticsearchNode) -> Iterator[Elasticsearch]:
    client = Elasticsearch(node.url, request_timeout=30, max_retries=0)
    client.indices.create(
        index=INDEX,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": {"analyzer": {"terms": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}}},
        },
        mappings={
            "properties": {
                "title": {"type": "text", "analyzer": "terms"},
                "domain": {"type": "keyword"},
            }
        },
    )
    for doc_id, document in DOCUMENTS.items():
        client.index(index=INDEX, id=doc_id, document=document)
    client.indices.refresh(index=INDEX)
    yield client
    client.indices.delete(index=INDEX, ignore_unavailable=True)
    client.close()


def test_what_the_index_uses_works(es: Elasticsearch) -> None:
    found = es.search(index=INDEX, query={"match": {"title": {"query": "paimeent", "fuzziness": "AUTO"}}})
    assert {h["_id"] for h in found["hits"]["hits"]} == {"2", "3"}
    response = es.search(index=INDEX, size=0, aggs={"domains": {"terms": {"field": "domain"}}})
    assert {b["key"]: b["doc_count"] for b in response["aggregations"]["domains"]["buckets"]} == {
        "payments": 2,
        "insurance": 1,
    }


@pytest.mark.parametrize("name", ["asciifolding", "elision", "stemmer", "word_delimiter_graph", "edge_ngram"])
def test_the_distribution_has_no_analysis_common_module(es: Elasticsearch, name: str) -> None:
    with pytest.raises(elasticsearch.BadRequestError, match=f"failed to find global filter under \\[{name}\\]"):
        es.indices.analyze(tokenizer="standard", filter=[name], text="x")


def test_stop_and_restart_keeps_the_data(node: ElasticsearchNode, es: Elasticsearch) -> None:
    port = node.port
    node.stop()
    assert not node.is_up()
    with pytest.raises(elasticsearch.ConnectionError):
        es.count(index=INDEX)
    started = time.monotonic()
    node.start()
    assert node.is_up() and node.port == port
    assert time.monotonic() - started < 120
    es.cluster.health(index=INDEX, wait_for_status="green", timeout="30s")
    assert es.count(index=INDEX)["count"] == 3
