"""Governance list endpoints run a constant number of queries, whatever the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from governance import services
from governance.audit import audit_event_record
from governance.models import Grant
from tests.factories import ColumnFactory, DatasetFactory, GrantFactory, ProjectFactory
from tests.governance.conftest import MEMBER, OFFICER, World, in_days

pytestmark = pytest.mark.django_db
N = 12


@pytest.fixture
def populated(world: World) -> World:
    """N requests (pending, with pre-checks), N grants, N revoked ones with deletion tasks, audit events."""
    member, officer = world.user(MEMBER), world.user(OFFICER)
    for i in range(N):
        dataset = DatasetFactory(owner=officer)
        ColumnFactory(dataset=dataset, name="a", personal_data_class="indirect")
        ColumnFactory(dataset=dataset, name="b")
        services.access_request_create(
            requester=member, project=world.project, dataset=dataset, columns=["a", "b"],
            purpose=world.project.purpose, legal_basis="contract", requested_end=in_days(30),
        )  # fmt: skip
        project = ProjectFactory(stage="exploration", lead=member)
        grant = GrantFactory(request__project=project, request__dataset=dataset, request__requester=member)
        if i % 2:
            services.grant_revoke(grant=grant, actor=officer, reason="Done.")
        audit_event_record(actor=officer, action="test.query", target=dataset)
    assert Grant.objects.count() == N
    return world


def _queries(client: APIClient, url: str, page_size: int, **params: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size, **params})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == page_size
    return len(captured)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/governance/requests/", {}),
        ("/api/governance/requests/", {"scope": "queue"}),
        ("/api/governance/grants/", {}),
        ("/api/governance/deletion-tasks/", {}),
        ("/api/governance/audit-events/", {}),
    ],
)
def test_list_queries_do_not_grow_with_the_page(
    populated: World, client_for: Callable[[Any], APIClient], url: str, params: dict[str, str]
) -> None:
    client = client_for(populated.user(OFFICER))
    small = _queries(client, url, 2, **params)
    large = _queries(client, url, 6, **params)
    assert small == large
    assert large <= 12
