"""Permission matrix of the governance API: every endpoint × every role, own and other objects.

Roles: anonymous, a data scientist who is not a member, the member data scientist (the requester),
the project lead, a governance officer, the dataset's custodian, another custodian, an admin. Objects
a user may not read are 404; actions a user may not take are 403 (401 for anonymous). A refused
write changes nothing; an allowed one changes something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from governance import services
from governance.models import AccessRequest, AuditEvent, DeletionTask, Grant
from projects.models import Stage
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.governance.conftest import (
    ADMIN,
    ANON,
    CUSTODIAN,
    DS,
    LEAD,
    MEMBER,
    OFFICER,
    OTHER_CUSTODIAN,
    PURPOSE,
    ROLES,
    build_world,
    in_days,
)
from tests.governance.conftest import World as BaseWorld

pytestmark = pytest.mark.django_db

EVERYONE = {DS, MEMBER, LEAD, OFFICER, CUSTODIAN, OTHER_CUSTODIAN, ADMIN}
OFFICERS = {OFFICER, ADMIN}
PROJECT_SIDE = {MEMBER, LEAD, OFFICER, ADMIN, CUSTODIAN}  # members, officers, the dataset's custodian


@dataclass
class World:
    base: BaseWorld
    pending: AccessRequest
    foreign: AccessRequest
    grant: Grant
    task: DeletionTask
    media: Path

    def user(self, role: str) -> Any:
        return self.base.user(role)


def _build(media: Path) -> World:
    base = build_world()
    member, officer = base.user(MEMBER), base.user(OFFICER)

    def request(project: Any, dataset: Any, requester: Any, columns: list[str]) -> AccessRequest:
        return services.access_request_create(
            requester=requester,
            project=project,
            dataset=dataset,
            columns=columns,
            purpose=project.purpose,
            legal_basis="legitimate_interests",
            requested_end=in_days(60),
        )

    revoked = request(base.project, base.dataset, member, ["customer_ref", "age_band"])
    services.access_request_decide(request=revoked, officer=officer, decision="approve", reason="Ok.")
    services.grant_revoke(grant=revoked.grant, actor=officer, reason="Ended.")
    pending = request(base.project, base.dataset, member, ["customer_ref", "balance"])
    second = ProjectFactory(
        name="Churn v2", slug="churn-v2", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=base.user(LEAD)
    )
    MembershipFactory(project=second, user=member)
    live = request(second, base.dataset, member, ["customer_ref", "age_band"])
    services.access_request_decide(request=live, officer=officer, decision="approve", reason="Ok.")
    stranger = UserFactory(username="stranger")
    foreign_project = ProjectFactory(name="Branches", slug="branches", stage=Stage.EXPLORATION, lead=stranger)
    foreign = request(foreign_project, base.other_dataset, stranger, ["branch_code"])
    return World(
        base=base,
        pending=pending,
        foreign=foreign,
        grant=Grant.objects.get(request=live),
        task=DeletionTask.objects.get(grant__request=revoked),
        media=media,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield _build(media)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_media(settings: Any, world: World) -> None:
    settings.MEDIA_ROOT = world.media


@pytest.fixture
def client_as(world: World, client_for: Any) -> Callable[[str | None], APIClient]:
    def make(role: str | None) -> APIClient:
        return client_for(None if role is None else world.user(role))

    return make


G = "/api/governance/"

READS: dict[str, tuple[Callable[[World], str], set[str], int]] = {
    "request-list": (lambda w: f"{G}requests/", EVERYONE, 403),
    "request-list-mine": (lambda w: f"{G}requests/?scope=mine", EVERYONE, 403),
    "request-queue": (lambda w: f"{G}requests/?scope=queue", OFFICERS, 403),
    "request-detail": (lambda w: f"{G}requests/{w.pending.pk}/", PROJECT_SIDE, 404),
    "request-detail-foreign": (lambda w: f"{G}requests/{w.foreign.pk}/", {OFFICER, ADMIN, OTHER_CUSTODIAN}, 404),
    "grant-list": (lambda w: f"{G}grants/", EVERYONE, 403),
    "grant-detail": (lambda w: f"{G}grants/{w.grant.pk}/", PROJECT_SIDE, 404),
    "task-list": (lambda w: f"{G}deletion-tasks/", EVERYONE, 403),
    "task-detail": (lambda w: f"{G}deletion-tasks/{w.task.pk}/", PROJECT_SIDE, 404),
    "audit-list": (lambda w: f"{G}audit-events/", OFFICERS, 403),
    "register": (lambda w: f"{G}register/", OFFICERS, 403),
    "register-csv": (lambda w: f"{G}register.csv", OFFICERS, 403),
    "sample": (lambda w: f"{G}datasets/{w.base.dataset.slug}/sample/", EVERYONE, 403),
    "file": (lambda w: f"{G}datasets/{w.base.dataset.slug}/versions/1/file/", {CUSTODIAN}, 403),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(READS))
def test_read_permission_matrix(
    endpoint: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    url, allowed, refused = READS[endpoint]
    response = client_as(role).get(url(world))
    if role is ANON:
        assert response.status_code == 401
    elif role in allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == refused, response.content


@pytest.mark.parametrize("role", [r for r in ROLES if r is not ANON])
def test_lists_show_only_what_the_user_may_read(role: str, world: World, client_as: Any) -> None:
    client = client_as(role)
    requests = {r["id"] for r in client.get(f"{G}requests/").json()["results"]}
    grants = {g["id"] for g in client.get(f"{G}grants/").json()["results"]}
    tasks = {t["id"] for t in client.get(f"{G}deletion-tasks/").json()["results"]}
    assert (world.pending.pk in requests) is (role in PROJECT_SIDE)
    assert (world.foreign.pk in requests) is (role in {OFFICER, ADMIN, OTHER_CUSTODIAN})
    assert (world.grant.pk in grants) is (role in PROJECT_SIDE)
    assert (world.task.pk in tasks) is (role in PROJECT_SIDE)
    mine = {r["id"] for r in client.get(f"{G}requests/", {"scope": "mine"}).json()["results"]}
    assert (world.pending.pk in mine) is (role == MEMBER)


Send = Callable[[APIClient, World], Any]
REQUEST_BODY = {
    "columns": ["customer_ref"],
    "purpose": PURPOSE,
    "legal_basis": "legitimate_interests",
    "requested_end": str(in_days(30)),
}

# action -> (request, success status, roles allowed, {role: status other than 403})
WRITES: dict[str, tuple[Send, int, set[str], dict[str, int]]] = {
    "request-create": (
        lambda c, w: c.post(
            f"{G}requests/",
            {
                "project": w.base.project.slug,
                "dataset": w.base.other_dataset.slug,
                **REQUEST_BODY,
                "columns": ["branch_code"],
            },
            format="json",
        ),
        201,
        {MEMBER, LEAD},
        {},
    ),
    "request-resubmit": (
        lambda c, w: c.post(f"{G}requests/{w.pending.pk}/resubmit/", REQUEST_BODY, format="json"),
        200,
        {MEMBER},
        {DS: 404, OTHER_CUSTODIAN: 404},
    ),
    "request-decide": (
        lambda c, w: c.post(
            f"{G}requests/{w.pending.pk}/decide/", {"decision": "refuse", "reason": "Not needed."}, format="json"
        ),
        200,
        OFFICERS,
        {},
    ),
    "grant-revoke": (
        lambda c, w: c.post(f"{G}grants/{w.grant.pk}/revoke/", {"reason": "Stop."}, format="json"),
        200,
        OFFICERS,
        {},
    ),
    "task-close": (
        lambda c, w: c.post(
            f"{G}deletion-tasks/{w.task.pk}/close/", {"evidence_text": "Dropped the tables."}, format="multipart"
        ),
        200,
        {CUSTODIAN, ADMIN},
        {DS: 404, OTHER_CUSTODIAN: 404},
    ),
}


def _state(w: World) -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        list(AccessRequest.objects.values_list("pk", "status", "revision")),
        list(Grant.objects.values_list("pk", "revoked_at")),
        list(DeletionTask.objects.values_list("pk", "closed_at")),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(WRITES))
def test_write_permission_matrix(
    action: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    send, success, allowed, special = WRITES[action]
    before = _state(world)
    response = send(client_as(role), world)
    if role is ANON:
        expected = 401
    elif role in allowed:
        expected = success
    else:
        expected = special.get(role, 403)
    assert response.status_code == expected, response.content
    if expected == success:
        assert _state(world) != before
    else:
        assert _state(world) == before


def test_no_delete_method_anywhere(world: World, client_as: Any) -> None:
    client = client_as(ADMIN)
    for url in (f"{G}requests/{world.pending.pk}/", f"{G}grants/{world.grant.pk}/", f"{G}audit-events/"):
        assert client.delete(url).status_code == 405
