"""List endpoints run a constant number of queries, whatever the page size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import PersonalDataClass
from tests.factories import (
    ColumnFactory,
    DatasetFactory,
    DatasetVersionFactory,
    GlossaryTermFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

N = 60
# Authentication (token and user), count, page, and one query per prefetched relation at most.
MAX_QUERIES = 8


@pytest.fixture
def populated() -> None:
    """60 of everything: datasets with tags, terms, columns and versions; a glossary hierarchy."""
    owner, steward, custodian = UserFactory(), UserFactory(), UserFactory()
    tags = [TagFactory() for _ in range(N)]
    roots = [GlossaryTermFactory() for _ in range(N // 2)]
    terms = roots + [GlossaryTermFactory(broader=roots[i]) for i in range(N // 2)]
    classes = list(PersonalDataClass)
    for i in range(N):
        dataset = DatasetFactory(
            owner=owner,
            steward=steward,
            custodian=custodian,
            tags=[tags[i], tags[(i + 1) % N]],
            glossary_terms=[terms[i], terms[(i + 7) % N]],
        )
        column = ColumnFactory(dataset=dataset, personal_data_class=classes[i % len(classes)])
        column.glossary_terms.set([terms[i]])
        ColumnFactory(dataset=dataset)
        ColumnFactory(dataset=dataset, pseudonymised=True)
        DatasetVersionFactory(dataset=dataset, number=1, delivered_by=custodian)


def _queries(client: APIClient, url: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == page_size
    return len(captured)


@pytest.mark.parametrize("endpoint", ["datasets", "columns", "versions", "glossary", "tags"])
def test_list_query_count_does_not_grow_with_the_page(
    endpoint: str,
    populated: None,
    client_for: Callable[[object], APIClient],
    data_scientist,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(data_scientist)
    url = f"/api/{endpoint}/"
    client.get(url)  # warm caches (content types, permissions) out of the measure
    small, large = _queries(client, url, 5), _queries(client, url, 50)
    assert small == large
    assert large <= MAX_QUERIES


def test_list_query_count_does_not_grow_with_filters(
    populated: None,
    client_for: Callable[[object], APIClient],
    data_scientist,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(data_scientist)
    client.get("/api/datasets/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/datasets/", {"max_sensitivity": "criminal", "page_size": 50, "ordering": "-name"})
    assert len(response.json()["results"]) == 50
    assert len(captured) <= MAX_QUERIES


def test_dataset_detail_query_count_does_not_grow_with_the_columns(
    client_for: Callable[[object], APIClient],
    data_scientist,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(data_scientist)
    terms = [GlossaryTermFactory() for _ in range(3)]
    counts = []
    for size in (5, 50):
        dataset = DatasetFactory(tags=[TagFactory()], glossary_terms=terms)
        for _ in range(size):
            ColumnFactory(dataset=dataset).glossary_terms.set(terms)
        client.get(f"/api/datasets/{dataset.slug}/")
        with CaptureQueriesContext(connection) as captured:
            body = client.get(f"/api/datasets/{dataset.slug}/").json()
        assert len(body["columns"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1]
