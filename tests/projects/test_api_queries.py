"""The projects list and detail run a constant number of queries, whatever their size."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.roles import Role
from projects.models import Stage
from tests.factories import (
    BacklogItemFactory,
    MembershipFactory,
    MilestoneFactory,
    ModelLinkFactory,
    ProjectFactory,
    ProjectKPIFactory,
    RiskScreeningFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

N = 40
# Authentication (token and user), the user's roles, count, page, leads, and which rows are readable.
MAX_LIST_QUERIES = 8


@pytest.fixture
def populated() -> list[Any]:
    people = [UserFactory() for _ in range(6)]
    projects = []
    stages = list(Stage)
    for i in range(N):
        project = ProjectFactory(stage=stages[i % len(stages)])
        for j, role in enumerate(["project_lead", "project_lead", "data_scientist", "operations"]):
            MembershipFactory(project=project, user=people[(i + j) % len(people)], role=role)
        MilestoneFactory(project=project, actual_date=datetime.date(2026, 1, 1))
        MilestoneFactory(project=project)
        BacklogItemFactory(project=project)
        BacklogItemFactory(project=project, status="done")
        ModelLinkFactory(project=project)
        projects.append(project)
    return people


def _queries(client: APIClient, url: str, params: dict[str, Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.mark.parametrize("role", [Role.DATA_SCIENTIST, Role.GOVERNANCE_OFFICER, Role.PROJECT_LEAD])
def test_list_query_count_does_not_grow_with_the_page(
    role: Role, populated: list[Any], client_for: Callable[[Any], APIClient], make_user: Any
) -> None:
    user = populated[0]
    user.groups.add(*make_user(role).groups.all())
    client = client_for(user)
    client.get("/api/projects/")  # warm caches (content types, permissions) out of the measure
    small, body_small = _queries(client, "/api/projects/", {"page_size": 5})
    large, body_large = _queries(client, "/api/projects/", {"page_size": N})
    assert len(body_small["results"]) == 5 and len(body_large["results"]) == N
    assert small == large
    assert large <= MAX_LIST_QUERIES
    assert all(len(p["leads"]) == 2 for p in body_large["results"])
    filtered, _ = _queries(client, "/api/projects/", {"page_size": N, "stage": "exploration", "mine": "true"})
    assert filtered <= MAX_LIST_QUERIES


def test_detail_query_count_does_not_grow_with_the_project(client_for: Callable[[Any], APIClient]) -> None:
    lead = UserFactory()
    client = client_for(lead)
    counts = []
    for size in (2, 20):
        project = ProjectFactory(lead=lead)
        for _ in range(size):
            MembershipFactory(project=project)
            ProjectKPIFactory(project=project)
            ModelLinkFactory(project=project)
            RiskScreeningFactory(project=project)
        client.get(f"/api/projects/{project.slug}/")
        count, body = _queries(client, f"/api/projects/{project.slug}/", {})
        assert len(body["team"]) == size + 1 and len(body["kpis"]) == size
        counts.append(count)
    assert counts[0] == counts[1]


def test_gates_query_count_does_not_grow_with_the_answers(client_for: Callable[[Any], APIClient]) -> None:
    from projects import services

    lead = UserFactory()
    client = client_for(lead)
    counts = []
    for keys in (["exposure"], ["exposure", "poc_result", "target_environment", "lifecycle_versioning"]):
        project = ProjectFactory(lead=lead, stage=Stage.EXPLORATION)
        for key in keys:
            services.gate_answer_set(
                project=project, stage=Stage.INDUSTRIALIZATION, key=key, value_text="Done.", answered_by=lead
            )
        client.get(f"/api/projects/{project.slug}/gates/")
        count, _ = _queries(client, f"/api/projects/{project.slug}/gates/", {})
        counts.append(count)
    assert counts[0] == counts[1]
