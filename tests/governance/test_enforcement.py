"""Enforcement: files and values only with a live grant covering the columns; owners/custodians see all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from governance import selectors, services
from projects.models import Stage
from tests.factories import GrantFactory, MembershipFactory, ProjectFactory
from tests.governance.conftest import (
    CUSTODIAN,
    DS,
    LEAD,
    MEMBER,
    OFFICER,
    OTHER_CUSTODIAN,
    World,
    approve,
    file_request,
)

pytestmark = pytest.mark.django_db
NON_PERSONAL = {"balance"}
ALL = {"customer_id", "customer_ref", "age_band", "balance", "health_flag", "conviction"}


def test_columns_visible_without_grant(world: World) -> None:
    assert selectors.columns_visible_to(user=world.user(MEMBER), dataset=world.dataset) == NON_PERSONAL
    assert selectors.columns_visible_to(user=world.user(CUSTODIAN), dataset=world.dataset) == ALL
    assert selectors.columns_visible_to(user=world.user(OFFICER), dataset=world.dataset) == NON_PERSONAL


def test_a_live_grant_opens_its_columns_to_members_only(world: World) -> None:
    grant = approve(world, file_request(world)).grant
    expected = NON_PERSONAL | {"customer_ref", "age_band"}
    assert selectors.columns_visible_to(user=world.user(MEMBER), dataset=world.dataset) == expected
    assert selectors.columns_visible_to(user=world.user(LEAD), dataset=world.dataset) == expected
    assert selectors.columns_visible_to(user=world.user(DS), dataset=world.dataset) == NON_PERSONAL
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Over.")
    assert selectors.columns_visible_to(user=world.user(MEMBER), dataset=world.dataset) == NON_PERSONAL


def test_grant_live_for_and_projects_using(world: World) -> None:
    assert selectors.grant_live_for(project=world.project, dataset=world.dataset) is None
    grant = approve(world, file_request(world)).grant
    assert selectors.grant_live_for(project=world.project, dataset=world.dataset) == grant
    assert selectors.grant_live_for(project=world.project, dataset=world.dataset, columns=["age_band"]) == grant
    assert selectors.grant_live_for(project=world.project, dataset=world.dataset, columns=["customer_id"]) is None
    assert list(selectors.projects_using_dataset(dataset=world.dataset)) == [world.project]
    assert selectors.dataset_project_counts([world.dataset.pk, world.other_dataset.pk]) == {world.dataset.pk: 1}
    from datetime import timedelta

    after_expiry = grant.starts_at + timedelta(days=400)
    assert selectors.grant_live_for(project=world.project, dataset=world.dataset, at=after_expiry) is None


def test_download_needs_a_grant_covering_every_personal_column(world: World) -> None:
    version = world.version
    assert not selectors.version_download_allowed(user=world.user(MEMBER), version=version)
    approve(world, file_request(world))  # three columns: not the whole file
    assert not selectors.version_download_allowed(user=world.user(MEMBER), version=version)
    project = ProjectFactory(stage=Stage.PRODUCTION, lead=world.user(DS))
    GrantFactory(request__project=project, request__dataset=world.dataset)  # every column
    assert selectors.version_download_allowed(user=world.user(DS), version=version)
    assert selectors.version_download_allowed(user=world.user(CUSTODIAN), version=version)
    assert not selectors.version_download_allowed(user=world.user(OTHER_CUSTODIAN), version=version)


def test_download_api_streams_the_file(world: World, client_for: Callable[[Any], APIClient]) -> None:
    url = f"/api/governance/datasets/{world.dataset.slug}/versions/1/file/"
    assert client_for(None).get(url).status_code == 401
    assert client_for(world.user(MEMBER)).get(url).status_code == 403
    response = client_for(world.user(CUSTODIAN)).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"customer_id,")
    assert client_for(world.user(CUSTODIAN)).get(url.replace("/1/", "/9/")).status_code == 404


def test_download_page(world: World, client: Any) -> None:
    url = f"/catalog/{world.dataset.slug}/versions/1/download/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(world.user(MEMBER))
    assert client.get(url).status_code == 403
    client.force_login(world.user(CUSTODIAN))
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_sample_shows_only_visible_columns(world: World, client_for: Callable[[Any], APIClient]) -> None:
    url = f"/api/governance/datasets/{world.dataset.slug}/sample/"
    body = client_for(world.user(MEMBER)).get(url).json()
    assert body["columns"] == ["balance"] and body["rows"] == [["1200.5"], ["80.0"], ["15.25"]]
    assert "customer_id" in body["hidden_columns"]
    approve(world, file_request(world))
    body = client_for(world.user(MEMBER)).get(url, {"limit": 2}).json()
    assert body["columns"] == ["customer_ref", "age_band", "balance"] and len(body["rows"]) == 2
    assert body["rows"][0] == ["h-1", "30-39", "1200.5"]
    everything = client_for(world.user(CUSTODIAN)).get(url).json()
    assert set(everything["columns"]) == ALL and everything["hidden_columns"] == []
    assert client_for(world.user(MEMBER)).get(url, {"limit": 0}).status_code == 400
    assert client_for(world.user(MEMBER)).get(url, {"version": 7}).status_code == 404
    assert client_for(None).get(url).status_code == 401


def test_a_former_member_loses_the_grant(world: World) -> None:
    approve(world, file_request(world))
    other = ProjectFactory(stage=Stage.EXPLORATION)
    MembershipFactory(project=other, user=world.user(DS))
    assert selectors.columns_visible_to(user=world.user(DS), dataset=world.dataset) == NON_PERSONAL


def test_sample_of_a_parquet_version(world: World) -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.core.files.base import ContentFile

    from tests.factories import DatasetVersionFactory

    table = pa.table({"customer_id": ["C1", "C2", "C3"], "balance": [1.5, 2.0, 3.25]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    version = DatasetVersionFactory(
        dataset=world.dataset,
        number=2,
        schema=[{"name": "customer_id", "type": "string"}, {"name": "balance", "type": "float"}],
        file_format="parquet",
    )
    version.file.save("customers.parquet", ContentFile(buffer.getvalue()), save=True)
    sample = selectors.version_sample(user=world.user(MEMBER), version=version, limit=2)
    assert (sample.columns, sample.hidden_columns, sample.rows) == (["balance"], ["customer_id"], [[1.5], [2.0]])
    everything = selectors.version_sample(user=world.user(CUSTODIAN), version=version, limit=5)
    assert everything.rows == [["C1", 1.5], ["C2", 2.0], ["C3", 3.25]]
