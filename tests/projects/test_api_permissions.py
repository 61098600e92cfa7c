"""Permission matrix of the projects API: every endpoint and action, for anonymous users and each role.

Roles: a data scientist who is not a member, a data scientist member of the project, the project's
lead, the lead of another project, a governance officer, a data custodian, an admin. A refused
request changes nothing; an allowed write changes something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from catalog.roles import Role
from projects import risk, services
from projects.models import (
    BacklogItem,
    GateAnswer,
    GateChecklistTemplate,
    Membership,
    Milestone,
    ModelLink,
    Project,
    ProjectKPI,
    ProjectRole,
    RiskScreening,
    SignOff,
    Stage,
    StageTransition,
)
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import complete_checklist

pytestmark = pytest.mark.django_db

ANON = None
DS, MEMBER, LEAD, OTHER_LEAD = "data_scientist", "member_scientist", "project_lead", "other_lead"
OFFICER, CUSTODIAN, ADMIN = "officer", "custodian", "admin_user"
ROLES = [ANON, DS, MEMBER, LEAD, OTHER_LEAD, OFFICER, CUSTODIAN, ADMIN]

EVERYONE = {DS, MEMBER, LEAD, OTHER_LEAD, OFFICER, CUSTODIAN, ADMIN}
READERS = {MEMBER, LEAD, OFFICER, ADMIN}
CONTRIBUTORS = {MEMBER, LEAD, ADMIN}
MANAGERS = {LEAD, ADMIN}
CREATORS = {DS, MEMBER, LEAD, OTHER_LEAD, ADMIN}


@dataclass
class World:
    users: dict[str, Any]
    project: Project
    owner_membership: Membership
    kpi: ProjectKPI
    milestone: Milestone
    item: BacklogItem
    screening: RiskScreening
    link: ModelLink
    template: GateChecklistTemplate
    media: Path

    @property
    def officer(self) -> Any:
        return self.users[OFFICER]


def _build_world(media: Path) -> World:
    """The lead's project in Qualification, its Exploration checklist complete (not signed), with a
    member data scientist, a business owner, a roadmap, a model link and an evidence file."""
    users = {
        DS: UserFactory(username="alice", roles=[Role.DATA_SCIENTIST]),
        MEMBER: UserFactory(username="dora", roles=[Role.DATA_SCIENTIST]),
        LEAD: UserFactory(username="paula", roles=[Role.PROJECT_LEAD]),
        OTHER_LEAD: UserFactory(username="oscar", roles=[Role.PROJECT_LEAD]),
        OFFICER: UserFactory(username="olivier", roles=[Role.GOVERNANCE_OFFICER]),
        CUSTODIAN: UserFactory(username="camille", roles=[Role.DATA_CUSTODIAN]),
        ADMIN: UserFactory(username="root", roles=[Role.ADMIN], is_superuser=True),
    }
    lead = users[LEAD]
    services.project_create(name="Another project", purpose="Elsewhere.", creator=users[OTHER_LEAD])
    project = services.project_create(name="Card fraud", purpose="Block fraudulent payments.", creator=lead)
    services.membership_add(project=project, user=users[MEMBER], role=ProjectRole.DATA_SCIENTIST, added_by=lead)
    complete_checklist(project, Stage.EXPLORATION)
    services.gate_answer_set(
        project=project,
        stage=Stage.PRODUCTION,
        key="security_review",
        evidence_file=ContentFile(b"review", name="review.pdf"),
        answered_by=lead,
    )
    return World(
        users=users,
        project=project,
        owner_membership=project.memberships.get(role=ProjectRole.BUSINESS_OWNER),
        kpi=project.kpis.get(kind="business"),
        milestone=services.milestone_create(project=project, title="POC demo", target_date="2026-06-01"),
        item=services.backlog_item_create(project=project, title="Baseline", profile="data_scientist"),
        screening=project.risk_screenings.get(),
        link=services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=lead),
        template=GateChecklistTemplate.objects.get(gate=Stage.RETIRED, version=1),
        media=media,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at the end; each test runs in a
    savepoint of it (like ``TestCase.setUpTestData``), so every test sees the same fresh world."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield _build_world(media)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_media(settings: Any, world: World) -> None:
    settings.MEDIA_ROOT = world.media


@pytest.fixture
def client_as(world: World, client_for: Any) -> Callable[[str | None], APIClient]:
    def make(role: str | None) -> APIClient:
        return client_for(None if role is None else world.users[role])

    return make


def P(w: World, tail: str = "") -> str:
    return f"/api/projects/{w.project.slug}/{tail}"


# --- Reads -------------------------------------------------------------------------------------------------

READS: dict[str, tuple[Callable[[World], str], set[str]]] = {
    "project-list": (lambda w: "/api/projects/", EVERYONE),
    "project-detail": (lambda w: P(w), EVERYONE),
    "project-history": (lambda w: P(w, "history/"), READERS),
    "project-timeline": (lambda w: P(w, "timeline/"), READERS),
    "gate-list": (lambda w: P(w, "gates/"), READERS),
    "gate-detail": (lambda w: P(w, "gates/exploration/"), READERS),
    "answer-detail": (lambda w: P(w, "gates/production/answers/security_review/"), READERS),
    "answer-file": (lambda w: P(w, "gates/production/answers/security_review/file/"), READERS),
    "signoff-list": (lambda w: P(w, "gates/exploration/sign-offs/"), READERS),
    "member-list": (lambda w: P(w, "members/"), READERS),
    "member-detail": (lambda w: P(w, f"members/{w.owner_membership.pk}/"), READERS),
    "kpi-list": (lambda w: P(w, "kpis/"), READERS),
    "kpi-detail": (lambda w: P(w, f"kpis/{w.kpi.pk}/"), READERS),
    "milestone-list": (lambda w: P(w, "milestones/"), READERS),
    "milestone-detail": (lambda w: P(w, f"milestones/{w.milestone.pk}/"), READERS),
    "backlog-list": (lambda w: P(w, "backlog/"), READERS),
    "backlog-detail": (lambda w: P(w, f"backlog/{w.item.pk}/"), READERS),
    "risk-list": (lambda w: P(w, "risk-screenings/"), READERS),
    "risk-detail": (lambda w: P(w, f"risk-screenings/{w.screening.pk}/"), READERS),
    "model-list": (lambda w: P(w, "models/"), READERS),
    "model-detail": (lambda w: P(w, f"models/{w.link.pk}/"), READERS),
    "gate-template-list": (lambda w: "/api/gate-templates/", EVERYONE),
    "gate-template-detail": (lambda w: f"/api/gate-templates/{w.template.pk}/", EVERYONE),
    "risk-questionnaire": (lambda w: "/api/risk-questionnaire/", EVERYONE),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(READS))
def test_read_permission_matrix(
    endpoint: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    url, allowed = READS[endpoint]
    response = client_as(role).get(url(world))
    if role is ANON:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    elif role in allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403, response.content


@pytest.mark.parametrize("role", [r for r in ROLES if r is not ANON])
def test_the_detail_is_full_for_readers_and_a_summary_for_others(
    role: str, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    body = client_as(role).get(P(world)).json()
    assert body["access"] == ("full" if role in READERS else "summary")
    assert ("team" in body) is (role in READERS)
    listed = client_as(role).get("/api/projects/", {"q": "Card fraud"}).json()["results"]
    assert [p["access"] for p in listed] == [body["access"]]


# --- Writes --------------------------------------------------------------------------------------------------

Send = Callable[[APIClient, World], Any]
Setup = Callable[[World], None]


def _sign(role: str) -> Send:
    return lambda c, w: c.post(P(w, "gates/exploration/sign-offs/"), {"role": role}, format="json")


def _officer_signs(w: World) -> None:
    services.signoff_give(project=w.project, role=ProjectRole.GOVERNANCE_OFFICER, user=w.officer)


def _withdraw(c: APIClient, w: World) -> Any:
    sign_off = SignOff.objects.get(project=w.project, role=ProjectRole.GOVERNANCE_OFFICER)
    return c.post(P(w, f"gates/exploration/sign-offs/{sign_off.pk}/withdraw/"), {}, format="json")


def _publish(c: APIClient, w: World) -> Any:
    payload = {
        "gate": "retired",
        "items": [{"key": "done", "label": "Done", "evidence_kind": "yes_no"}],
        "sign_off_roles": [{"role": "project_lead"}],
    }
    return c.post("/api/gate-templates/", payload, format="json")


def _screen(c: APIClient, w: World) -> Any:
    return c.post(P(w, "risk-screenings/"), {"answers": risk.all_no()}, format="json")


# action -> (setup, request, success status, {role: status other than success/403})
WRITES: dict[str, tuple[Setup | None, Send, int, set[str], dict[str, int]]] = {
    "project-create": (
        None,
        lambda c, w: c.post("/api/projects/", {"name": "New idea", "purpose": "Try it."}, format="json"),
        201,
        CREATORS,
        {},
    ),
    "project-update": (
        None,
        lambda c, w: c.patch(P(w), {"description": "Changed."}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "project-transition": (
        None,
        lambda c, w: c.post(P(w, "transition/"), {"target_stage": "abandoned", "reason": "Stop."}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "answer-update": (
        None,
        lambda c, w: c.put(
            P(w, "gates/production/answers/ci_cd_tests/"), {"value_url": "https://ci.example.com/"}, format="json"
        ),
        200,
        CONTRIBUTORS,
        {},
    ),
    # Signing needs a role on the project: members and the lead reach the service, which checks the role.
    "signoff-as-lead": (None, _sign("project_lead"), 201, {LEAD}, {MEMBER: 400, OFFICER: 400}),
    "signoff-as-officer": (None, _sign("governance_officer"), 201, {OFFICER}, {MEMBER: 400, LEAD: 400}),
    "signoff-withdraw": (_officer_signs, _withdraw, 200, {OFFICER}, {}),
    "member-add": (
        None,
        lambda c, w: c.post(
            P(w, "members/"), {"user": UserFactory(username="newbie").username, "role": "security"}, format="json"
        ),
        201,
        MANAGERS,
        {},
    ),
    "member-end": (
        None,
        lambda c, w: c.post(P(w, f"members/{w.owner_membership.pk}/end/"), {"reason": "Left."}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "kpi-create": (
        None,
        lambda c, w: c.post(P(w, "kpis/"), {"kind": "ml", "name": "Precision", "target": 0.7}, format="json"),
        201,
        MANAGERS,
        {},
    ),
    "kpi-update": (
        None,
        lambda c, w: c.patch(P(w, f"kpis/{w.kpi.pk}/"), {"current_value": 1.0}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "kpi-remove": (None, lambda c, w: c.post(P(w, f"kpis/{w.kpi.pk}/remove/")), 204, MANAGERS, {}),
    "milestone-create": (
        None,
        lambda c, w: c.post(P(w, "milestones/"), {"title": "Go-live", "target_date": "2027-01-01"}, format="json"),
        201,
        MANAGERS,
        {},
    ),
    "milestone-update": (
        None,
        lambda c, w: c.patch(P(w, f"milestones/{w.milestone.pk}/"), {"done": True}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "milestone-remove": (None, lambda c, w: c.post(P(w, f"milestones/{w.milestone.pk}/remove/")), 204, MANAGERS, {}),
    "backlog-create": (
        None,
        lambda c, w: c.post(P(w, "backlog/"), {"title": "Alerting", "profile": "ops"}, format="json"),
        201,
        MANAGERS,
        {},
    ),
    "backlog-update": (
        None,
        lambda c, w: c.patch(P(w, f"backlog/{w.item.pk}/"), {"status": "done"}, format="json"),
        200,
        MANAGERS,
        {},
    ),
    "backlog-remove": (None, lambda c, w: c.post(P(w, f"backlog/{w.item.pk}/remove/")), 204, MANAGERS, {}),
    "risk-screening-create": (None, _screen, 201, CONTRIBUTORS, {}),
    "model-link-create": (
        None,
        lambda c, w: c.post(P(w, "models/"), {"registered_model_name": "churn"}, format="json"),
        201,
        CONTRIBUTORS,
        {},
    ),
    "model-unlink": (None, lambda c, w: c.post(P(w, f"models/{w.link.pk}/unlink/")), 200, CONTRIBUTORS, {}),
    "gate-template-publish": (None, _publish, 201, {ADMIN}, {}),
}


def _state(w: World) -> tuple[Any, ...]:
    """What any of the writes above would change."""
    project = Project.objects.get(pk=w.project.pk)
    return (
        Project.objects.count(),
        project.description,
        project.stage,
        StageTransition.objects.count(),
        list(GateAnswer.objects.values_list("pk", "value_url", "answered_at")),
        list(SignOff.objects.values_list("pk", "invalidated_at")),
        list(Membership.objects.values_list("pk", "ended_at")),
        list(ProjectKPI.objects.values_list("pk", "current_value")),
        list(Milestone.objects.values_list("pk", "actual_date")),
        list(BacklogItem.objects.values_list("pk", "status")),
        RiskScreening.objects.count(),
        list(ModelLink.objects.values_list("pk", "unlinked_at")),
        GateChecklistTemplate.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(WRITES))
def test_write_permission_matrix(
    action: str, role: str | None, world: World, client_as: Callable[[str | None], APIClient]
) -> None:
    setup, send, success, allowed, special = WRITES[action]
    if setup is not None:
        setup(world)
    client = client_as(role)
    before = _state(world)
    response = send(client, world)
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


def test_a_lead_of_another_project_manages_only_theirs(world: World, client_as: Any) -> None:
    theirs = Project.objects.get(name="Another project")
    client = client_as(OTHER_LEAD)
    assert client.patch(f"/api/projects/{theirs.slug}/", {"description": "Mine."}, format="json").status_code == 200
    assert client.get(f"/api/projects/{theirs.slug}/members/").status_code == 200


def test_a_former_member_loses_access(world: World, client_as: Any) -> None:
    client = client_as(MEMBER)
    assert client.get(P(world, "members/")).status_code == 200
    membership = world.project.memberships.get(user=world.users[MEMBER])
    services.membership_end(membership=membership, ended_by=world.project.leads[0])
    assert client.get(P(world, "members/")).status_code == 403
    assert client.get(P(world)).json()["access"] == "summary"


def test_an_admin_manages_a_project_without_being_a_member(world: World, client_as: Any) -> None:
    project = ProjectFactory(lead=UserFactory())
    response = client_as(ADMIN).post(
        f"/api/projects/{project.slug}/members/", {"user": "root", "role": "project_lead"}, format="json"
    )
    assert response.status_code == 201
