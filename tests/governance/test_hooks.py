"""Governance plugs into the catalog through ``catalog.hooks``: search hits' ``access`` and project counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog import hooks
from catalog.search import sync
from catalog.search.documents import build_documents
from governance import selectors, services
from projects import selectors as project_selectors
from tests.governance.conftest import CUSTODIAN, DS, MEMBER, OFFICER, World, approve, file_request

pytestmark = pytest.mark.django_db


def test_governance_registered_its_hooks() -> None:
    assert hooks._access_resolver is selectors.dataset_access_for
    assert hooks._project_counter is selectors.dataset_project_counts


def test_access_for_each_user(world: World) -> None:
    ids = [world.dataset.pk, world.other_dataset.pk]
    member = selectors.dataset_access_for(user=world.user(MEMBER), dataset_ids=ids)
    assert member[world.other_dataset.pk]["status"] == "not_needed"
    assert member[world.dataset.pk]["status"] == "requestable"
    assert member[world.dataset.pk]["url"].endswith("#request-access")
    request = file_request(world)
    assert (
        selectors.dataset_access_for(user=world.user(MEMBER), dataset_ids=ids)[world.dataset.pk]["status"] == "pending"
    )
    approve(world, request)
    granted = selectors.dataset_access_for(user=world.user(MEMBER), dataset_ids=ids)[world.dataset.pk]
    assert granted["status"] == "granted" and granted["expires_on"] == request.grant.expires_on.isoformat()
    assert (
        selectors.dataset_access_for(user=world.user(DS), dataset_ids=ids)[world.dataset.pk]["status"] == "requestable"
    )
    assert selectors.dataset_access_for(user=world.user(CUSTODIAN), dataset_ids=ids)[world.dataset.pk]["status"] == (
        "not_needed"
    )


def test_project_counts_come_from_live_grants(world: World) -> None:
    assert project_selectors.dataset_project_counts([world.dataset.pk]) == {}
    grant = approve(world, file_request(world)).grant
    assert project_selectors.dataset_project_counts([world.dataset.pk]) == {world.dataset.pk: 1}
    assert build_documents([world.dataset.pk])[world.dataset.pk]["project_count"] == 1
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Over.")
    assert build_documents([world.dataset.pk])[world.dataset.pk]["project_count"] == 0


def test_grant_changes_reach_the_search_document(world: World, django_capture_on_commit_callbacks: Any) -> None:
    sync.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        grant = approve(world, file_request(world)).grant
    document = world.dataset.search_document
    document.refresh_from_db()
    assert document.document["project_count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Over.")
    document.refresh_from_db()
    assert document.document["project_count"] == 0


def test_search_api_and_page_fill_access(world: World, client_for: Callable[[Any], APIClient], client: Any) -> None:
    sync.rebuild()
    body = client_for(world.user(MEMBER)).get("/api/search/", {"q": "Customer accounts"}).json()
    hit = next(r for r in body["results"] if r["slug"] == world.dataset.slug)
    assert hit["access"]["status"] == "requestable"
    client.force_login(world.user(MEMBER))
    page = client.get("/search/", {"q": "Customer accounts"}).content.decode()
    assert 'data-access="requestable"' in page
