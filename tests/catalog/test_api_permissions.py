"""Permission matrix of the catalog API: every endpoint and action, anonymous and each role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Column, Dataset, DatasetVersion, GlossaryTerm, PersonalDataClass, Tag
from tests.factories import (
    ColumnFactory,
    DatasetFactory,
    DatasetVersionFactory,
    GlossaryTermFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ANON = None
DS, PL, OFFICER, CUSTODIAN, ADMIN = "data_scientist", "project_lead", "officer", "custodian", "admin_user"
ROLES = [ANON, DS, PL, OFFICER, CUSTODIAN, ADMIN]


@dataclass
class World:
    dataset: Dataset  # owned by the custodian
    column: Column
    version: DatasetVersion
    term: GlossaryTerm
    tag: Tag


@pytest.fixture
def world(custodian) -> World:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, name="Payments", slug="payments")
    return World(
        dataset=dataset,
        column=ColumnFactory(dataset=dataset, name="iban", personal_data_class=PersonalDataClass.INDIRECT),
        version=DatasetVersionFactory(dataset=dataset, number=1),
        term=GlossaryTermFactory(slug="payment", label_en="Payment", label_fr="Paiement"),
        tag=TagFactory(name="finance", slug="finance"),
    )


@pytest.fixture
def client_as(request, client_for) -> Callable[[str | None], APIClient]:  # type: ignore[no-untyped-def]
    """An API client for a role fixture name (``None``: anonymous)."""

    def make(role: str | None) -> APIClient:
        return client_for(None if role is None else request.getfixturevalue(role))

    return make


# --- Reads: any authenticated user -------------------------------------------------------------

DETAIL_URLS: dict[str, Callable[[World], str]] = {
    "datasets": lambda w: f"/api/datasets/{w.dataset.slug}/",
    "columns": lambda w: f"/api/columns/{w.column.pk}/",
    "versions": lambda w: f"/api/versions/{w.version.pk}/",
    "glossary": lambda w: f"/api/glossary/{w.term.slug}/",
    "tags": lambda w: f"/api/tags/{w.tag.slug}/",
}


@pytest.mark.parametrize("endpoint", list(DETAIL_URLS))
@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_are_readable_by_every_authenticated_user(
    endpoint: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    client = client_as(role)
    listing = client.get(f"/api/{endpoint}/")
    detail = client.get(DETAIL_URLS[endpoint](world))
    if role is ANON:
        assert listing.status_code == detail.status_code == 401
        assert listing["WWW-Authenticate"] == "Token"
        return
    assert listing.status_code == 200, listing.content
    assert listing.json()["count"] == 1
    assert detail.status_code == 200, detail.content


# --- Writes: the role's model permissions ----------------------------------------------------------


def _create_dataset(client: APIClient, w: World) -> Any:
    return client.post("/api/datasets/", {"name": "Card transactions", "domain": "payments"}, format="json")


def _update_dataset(client: APIClient, w: World) -> Any:
    return client.patch(f"/api/datasets/{w.dataset.slug}/", {"description": "Changed."}, format="json")


def _create_column(client: APIClient, w: World) -> Any:
    return client.post("/api/columns/", {"dataset": w.dataset.slug, "name": "amount"}, format="json")


def _classify_column(client: APIClient, w: World) -> Any:
    return client.patch(f"/api/columns/{w.column.pk}/", {"personal_data_class": "direct"}, format="json")


def _create_version(client: APIClient, w: World) -> Any:
    payload = {
        "dataset": w.dataset.slug,
        "uri": "s3://lake/payments/2026-01-02/",
        "schema": [{"name": "iban", "type": "string"}],
        "row_count": 10,
    }
    return client.post("/api/versions/", payload, format="json")


def _create_term(client: APIClient, w: World) -> Any:
    return client.post("/api/glossary/", {"label_en": "Card", "label_fr": "Carte"}, format="json")


def _update_term(client: APIClient, w: World) -> Any:
    return client.patch(f"/api/glossary/{w.term.slug}/", {"definition": "Changed."}, format="json")


def _create_tag(client: APIClient, w: World) -> Any:
    return client.post("/api/tags/", {"name": "cards"}, format="json")


def _update_tag(client: APIClient, w: World) -> Any:
    return client.patch(f"/api/tags/{w.tag.slug}/", {"description": "Changed."}, format="json")


def _state(w: World) -> tuple[Any, ...]:
    """What any of the writes above would change."""
    return (
        Dataset.objects.count(),
        Dataset.objects.get(pk=w.dataset.pk).description,
        Column.objects.count(),
        Column.objects.get(pk=w.column.pk).personal_data_class,
        DatasetVersion.objects.count(),
        GlossaryTerm.objects.count(),
        GlossaryTerm.objects.get(pk=w.term.pk).definition,
        Tag.objects.count(),
        Tag.objects.get(pk=w.tag.pk).description,
    )


# action -> (request, success status, roles allowed)
WRITES: dict[str, tuple[Callable[[APIClient, World], Any], int, set[str]]] = {
    "dataset-create": (_create_dataset, 201, {CUSTODIAN, ADMIN}),
    "dataset-update": (_update_dataset, 200, {CUSTODIAN, ADMIN}),
    "column-create": (_create_column, 201, {CUSTODIAN, ADMIN}),
    "column-classify": (_classify_column, 200, {OFFICER, CUSTODIAN, ADMIN}),
    "version-create": (_create_version, 201, {CUSTODIAN, ADMIN}),
    "glossary-create": (_create_term, 201, {OFFICER, CUSTODIAN, ADMIN}),
    "glossary-update": (_update_term, 200, {OFFICER, CUSTODIAN, ADMIN}),
    "tag-create": (_create_tag, 201, {OFFICER, CUSTODIAN, ADMIN}),
    "tag-update": (_update_tag, 200, {OFFICER, CUSTODIAN, ADMIN}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(WRITES))
def test_write_permission_matrix(
    action: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    send, success, allowed = WRITES[action]
    before = _state(world)
    response = send(client_as(role), world)
    if role is ANON:
        expected = 401
    elif role in allowed:
        expected = success
    else:
        expected = 403
    assert response.status_code == expected, response.content
    if expected == success:
        assert _state(world) != before
    else:
        assert _state(world) == before


# --- Object level: custodians change only the datasets they own, steward or look after -----------


@pytest.fixture
def others_dataset() -> World:
    dataset = DatasetFactory(owner=UserFactory(username="someone-else"), name="Loans", slug="loans")
    return World(
        dataset=dataset,
        column=ColumnFactory(dataset=dataset, name="borrower", personal_data_class=PersonalDataClass.DIRECT),
        version=DatasetVersionFactory(dataset=dataset, number=1),
        term=GlossaryTermFactory(),
        tag=TagFactory(),
    )


@pytest.mark.parametrize("action", ["dataset-update", "column-create", "column-classify", "version-create"])
def test_custodian_cannot_change_a_dataset_of_someone_else(
    action: str,
    custodian,
    others_dataset: World,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    before = _state(others_dataset)
    response = WRITES[action][0](client_for(custodian), others_dataset)
    assert response.status_code == 403, response.content
    assert _state(others_dataset) == before


@pytest.mark.parametrize("relation", ["steward", "custodian"])
def test_custodian_can_change_a_dataset_they_steward_or_look_after(
    relation: str,
    custodian,
    others_dataset: World,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    Dataset.objects.filter(pk=others_dataset.dataset.pk).update(**{relation: custodian})
    client = client_for(custodian)
    assert _update_dataset(client, others_dataset).status_code == 200
    assert _create_version(client, others_dataset).status_code == 201
    assert Dataset.objects.get(pk=others_dataset.dataset.pk).description == "Changed."
    assert others_dataset.dataset.versions.count() == 2


def test_admin_can_change_any_dataset(admin_user, others_dataset: World, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(admin_user)
    assert _update_dataset(client, others_dataset).status_code == 200
    assert _create_column(client, others_dataset).status_code == 201
    assert _create_version(client, others_dataset).status_code == 201


def test_officer_classifies_any_column_but_changes_nothing_else(
    officer,
    others_dataset: World,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(officer)
    url = f"/api/columns/{others_dataset.column.pk}/"
    classify = client.patch(url, {"personal_data_class": "special", "pseudonymised": True}, format="json")
    assert classify.status_code == 200, classify.content
    rename = client.patch(url, {"name": "renamed"}, format="json")
    assert rename.status_code == 403
    column = Column.objects.get(pk=others_dataset.column.pk)
    assert (column.name, column.personal_data_class, column.pseudonymised) == ("borrower", "special", True)


def test_a_custodian_who_gives_a_dataset_away_can_no_longer_change_it(
    custodian,
    world: World,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(custodian)
    other = UserFactory(username="new-owner")
    response = client.patch(f"/api/datasets/{world.dataset.slug}/", {"owner": other.username}, format="json")
    assert response.status_code == 200
    assert response.json()["owner"] == "new-owner"
    assert _update_dataset(client, world).status_code == 403


# --- What does not exist: deletes, and changing a version ------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("delete", lambda w: f"/api/datasets/{w.dataset.slug}/"),
        ("delete", lambda w: f"/api/columns/{w.column.pk}/"),
        ("delete", lambda w: f"/api/versions/{w.version.pk}/"),
        ("patch", lambda w: f"/api/versions/{w.version.pk}/"),
        ("put", lambda w: f"/api/versions/{w.version.pk}/"),
        ("delete", lambda w: f"/api/glossary/{w.term.slug}/"),
        ("delete", lambda w: f"/api/tags/{w.tag.slug}/"),
    ],
)
def test_history_cannot_be_deleted_or_rewritten(
    method: str,
    url: Callable[[World], str],
    admin_user,
    world: World,
    client_for,  # type: ignore[no-untyped-def]
) -> None:
    before = _state(world)
    response = getattr(client_for(admin_user), method)(url(world), {"note": "x"}, format="json")
    assert response.status_code == 405
    assert _state(world) == before


def test_missing_object_is_404_not_403(custodian, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(custodian)
    assert client.patch("/api/datasets/nope/", {"description": "x"}, format="json").status_code == 404
    assert client.get("/api/datasets/nope/").status_code == 404
    assert client.patch("/api/columns/not-a-number/", {"name": "x"}, format="json").status_code == 404
    assert client.patch("/api/columns/999999/", {"name": "x"}, format="json").status_code == 404
