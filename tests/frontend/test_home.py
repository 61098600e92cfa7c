"""The home page per persona (issue 8), through Django's test client: each persona sees its sections
with real data (built through the governance and projects services), not the sections or the data of
others, an empty state with the next step when there is nothing, in a number of queries that does not
grow with the data."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.roles import Role
from governance import services as governance_services
from governance.models import AccessRequest, DeletionTask, Grant
from projects import services as project_services
from projects.models import ModelAlertKind, Project, ProjectRole, Stage
from tests.factories import (
    MembershipFactory,
    ModelVersionFactory,
    ProjectFactory,
    ProjectKPIFactory,
    RiskScreeningFactory,
    TaskRunFactory,
    UserFactory,
)
from tests.frontend.data import Catalog, ClientAs
from workers.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

HOME = reverse("frontend:home")
PURPOSE = "Detect fraudulent card payments to block them before settlement."


def _text(response: HttpResponse) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())


def _sections(response: HttpResponse) -> list[str]:
    """The page's sections, in order."""
    return re.findall(r'<section [^>]*data-section="([a-z-]+)"', response.content.decode())


def _section(response: HttpResponse, name: str) -> str:
    """The text of one section."""
    match = re.search(rf'<section [^>]*data-section="{name}".*?</section>', response.content.decode(), flags=re.S)
    assert match, f"no section {name!r}"
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip())
    return re.sub(r" ([:,.)])", r"\1", text)


@dataclass
class World:
    catalog: Catalog
    fraud: Project  # Exploration, led by the lead, the data scientist a member
    churn: Project  # Exploration, same team: its grant was revoked long ago, the deletion is overdue
    loan: Project  # Qualification, checklist complete: the lead's and the officer's sign-offs are due
    old_poc: Project  # Exploration for 200 days: a stale POC
    scientist: User
    other_scientist: User
    lead: User
    other_lead: User
    officer: User
    custodian: User
    admin: User
    pending: AccessRequest  # the scientist's, waiting
    other_pending: AccessRequest  # the other scientist's, waiting
    grant: Grant  # live, expiring in 20 days
    overdue_task: DeletionTask


def _file(requester: User, project: Project, catalog: Catalog, **kwargs: object) -> AccessRequest:
    values: dict[str, object] = {
        "requester": requester,
        "project": project,
        "dataset": catalog.card_payments,
        "columns": ["customer_id", "amount"],
        "purpose": PURPOSE,
        "legal_basis": "legitimate_interests",
        "requested_end": timezone.localdate() + timedelta(days=80),
    }
    values.update(kwargs)
    return governance_services.access_request_create(**values)  # type: ignore[arg-type]


def _approve(request: AccessRequest, officer: User, days: int) -> Grant:
    governance_services.access_request_decide(
        request=request,
        officer=officer,
        decision="approve",
        reason="Pseudonymised key and amounts: proportionate.",
        expires_on=timezone.localdate() + timedelta(days=days),
    )
    return Grant.objects.get(request=request)


def _ready_for_exploration(lead: User, scientist: User, name: str = "Loan scoring") -> Project:
    """A Qualification project whose Exploration checklist is complete: only the sign-offs are missing."""
    owner = UserFactory(username="bertrand")
    project = ProjectFactory(
        name=name,
        business_owner=owner,
        value_rating=4,
        risk_rating=2,
        feasibility_rating=3,
        lead=lead,
    )
    MembershipFactory(project=project, user=scientist, role=ProjectRole.DATA_SCIENTIST)
    MembershipFactory(project=project, user=owner, role=ProjectRole.BUSINESS_OWNER)
    ProjectKPIFactory(project=project, kind="business", name="Losses avoided")
    ProjectKPIFactory(project=project, kind="ml", name="Recall")
    RiskScreeningFactory(project=project)
    return project


@pytest.fixture
def world(
    catalog: Catalog,
    data_scientist: User,
    project_lead: User,
    officer: User,
    custodian: User,
    admin_user: User,
    make_user: Callable[..., User],
) -> World:
    other_scientist = make_user(Role.DATA_SCIENTIST, username="diane")
    other_lead = make_user(Role.PROJECT_LEAD, username="pierre")
    fraud = ProjectFactory(
        name="Card fraud", slug="card-fraud", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=project_lead
    )
    MembershipFactory(project=fraud, user=data_scientist, role=ProjectRole.DATA_SCIENTIST)
    churn = ProjectFactory(name="Churn", slug="churn", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=project_lead)
    MembershipFactory(project=churn, user=data_scientist, role=ProjectRole.DATA_SCIENTIST)
    theirs = ProjectFactory(
        name="Their project", slug="their-project", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=other_lead
    )
    MembershipFactory(project=theirs, user=other_scientist, role=ProjectRole.DATA_SCIENTIST)

    grant = _approve(_file(data_scientist, fraud, catalog), officer, days=20)
    pending = _file(data_scientist, fraud, catalog, columns=["amount", "paid_at"])
    other_pending = _file(other_scientist, theirs, catalog)
    revoked = _approve(_file(data_scientist, churn, catalog), officer, days=60)
    governance_services.grant_revoke(
        grant=revoked, actor=officer, reason="The POC ended.", at=timezone.now() - timedelta(days=45)
    )

    loan = _ready_for_exploration(project_lead, data_scientist)
    old_poc = ProjectFactory(
        name="Old POC",
        slug="old-poc",
        stage=Stage.EXPLORATION,
        entered_stage_at=timezone.now() - timedelta(days=200),
        lead=project_lead,
    )
    project_services.project_stale_refresh()

    version = ModelVersionFactory(registered_model__name="fraud-model", version=3)
    project_services.model_alert_raise(
        project=fraud,
        model_version=version,
        kind=ModelAlertKind.UNAPPROVED_PRODUCTION,
        message="fraud-model v3 has the production alias but the project has not passed the Production gate.",
    )
    return World(
        catalog=catalog,
        fraud=fraud,
        churn=churn,
        loan=loan,
        old_poc=old_poc,
        scientist=data_scientist,
        other_scientist=other_scientist,
        lead=project_lead,
        other_lead=other_lead,
        officer=officer,
        custodian=custodian,
        admin=admin_user,
        pending=pending,
        other_pending=other_pending,
        grant=grant,
        overdue_task=DeletionTask.objects.get(grant=revoked),
    )


# --- Anonymous --------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"


def test_the_home_page_only_answers_reads(world: World, client_as: ClientAs) -> None:
    assert client_as(world.scientist).post(HOME).status_code == 405


# --- Data scientist ---------------------------------------------------------------------------------------------


def test_a_data_scientist_sees_search_projects_requests_and_grants(world: World, client_as: ClientAs) -> None:
    response = client_as(world.scientist).get(HOME)
    assert response.status_code == 200
    assert _sections(response) == ["catalog", "my-projects", "my-requests", "my-grants"]
    body = response.content.decode()
    assert re.search(r'<form method="get" action="/search/" class="hero-search"', body)
    assert "4 datasets" in _section(response, "catalog")

    projects = _section(response, "my-projects")
    assert "Card fraud" in projects and "Churn" in projects and "Loan scoring" in projects
    assert "Their project" not in projects

    requests = _section(response, "my-requests")
    assert f'data-request="{world.pending.pk}"' in body
    assert f"#{world.pending.pk} Card payments for Card fraud" in requests and "Pending review" in requests
    assert f'data-request="{world.other_pending.pk}"' not in body  # another scientist's request

    grants = _section(response, "my-grants")
    assert "Card payments for Card fraud: 2 columns until" in grants and "(in 20 days)" in grants
    assert reverse("frontend:my-requests") in body


def test_a_data_scientist_never_sees_the_officer_lead_custodian_or_admin_sections(
    world: World, client_as: ClientAs
) -> None:
    response = client_as(world.scientist).get(HOME)
    body = response.content.decode()
    for section in ("queue", "expiring-grants", "overdue-deletions", "register", "gates", "model-alerts", "health"):
        assert f'data-section="{section}"' not in body, section
    assert "fraud-model v3" not in body
    assert f'data-task="{world.overdue_task.pk}"' not in body


def test_the_other_data_scientist_sees_only_her_own(world: World, client_as: ClientAs) -> None:
    response = client_as(world.other_scientist).get(HOME)
    body = response.content.decode()
    assert f'data-request="{world.other_pending.pk}"' in body
    assert f'data-request="{world.pending.pk}"' not in body
    assert "Their project" in _section(response, "my-projects")
    assert "Card fraud" not in _section(response, "my-projects")
    # No grant for her project: the empty state says what to do next.
    assert "No live grant for your projects. Request the columns you need" in _section(response, "my-grants")


def test_a_new_data_scientist_gets_the_next_step_in_each_empty_section(
    catalog: Catalog, client_as: ClientAs, make_user: Callable[..., User]
) -> None:
    newcomer = make_user(Role.DATA_SCIENTIST, username="nina")
    response = client_as(newcomer).get(HOME)
    assert "No pending requests. Search the catalog to find data for your project." in _section(response, "my-requests")
    assert "You are in no project yet." in _section(response, "my-projects")
    assert f'href="{reverse("frontend:search")}"' in response.content.decode()


# --- Governance officer -----------------------------------------------------------------------------------------


def test_an_officer_sees_queue_gates_expiring_grants_overdue_deletions_register_and_alerts(
    world: World, client_as: ClientAs
) -> None:
    response = client_as(world.officer).get(HOME)
    assert response.status_code == 200
    assert _sections(response) == [
        "queue",
        "gates",
        "expiring-grants",
        "overdue-deletions",
        "register",
        "model-alerts",
    ]
    body = response.content.decode()

    queue = _section(response, "queue")
    assert "Review queue 2" in queue
    assert f'data-request="{world.pending.pk}"' in body and f'data-request="{world.other_pending.pk}"' in body
    assert "Card fraud" in queue and "Their project" in queue
    assert reverse("frontend:access-request-detail", args=[world.pending.pk]) in body

    gates = _section(response, "gates")
    assert "Loan scoring → Exploration (POC): ready for your sign-off as governance officer" in gates
    assert "Card fraud" not in gates  # nothing the officer can sign there

    expiring = _section(response, "expiring-grants")
    assert "Card payments for Card fraud: access ends" in expiring and "(in 20 days)" in expiring

    overdue = _section(response, "overdue-deletions")
    assert "Card payments data of Churn, for" in overdue and "15 days overdue" in overdue

    register = _section(response, "register")
    assert "1 processing activity" in register and "1 with transfers outside the EU" in register

    alerts = _section(response, "model-alerts")
    assert "fraud-model v3" in alerts and "Production alias before the Production gate" in alerts
    assert "health" not in _sections(response) and "my-requests" not in _sections(response)


def test_an_officer_with_nothing_to_do_reads_the_empty_states(
    catalog: Catalog, officer: User, client_as: ClientAs
) -> None:
    response = client_as(officer).get(HOME)
    assert "No request is waiting for a decision." in _section(response, "queue")
    assert "No grant expires in the next 30 days." in _section(response, "expiring-grants")
    assert "No deletion is overdue." in _section(response, "overdue-deletions")
    assert "The register is empty: a project enters it when one of its access requests is approved." in _section(
        response, "register"
    )
    assert "No gate is waiting for you." in _section(response, "gates")
    assert "No open model alert." in _section(response, "model-alerts")


# --- Project lead -----------------------------------------------------------------------------------------------


def test_a_project_lead_sees_board_gates_stale_pocs_and_alerts(world: World, client_as: ClientAs) -> None:
    response = client_as(world.lead).get(HOME)
    assert response.status_code == 200
    assert _sections(response) == ["gates", "board", "stale-pocs", "model-alerts"]

    gates = _section(response, "gates")
    assert "Loan scoring → Exploration (POC): ready for your sign-off as project lead" in gates
    assert "Card fraud → Industrialization:" in gates and "missing" in gates
    assert "POC result against the targets" in gates  # what is missing, from the gate itself
    assert "Their project" not in gates

    board = _section(response, "board")
    assert "Your projects 4" in board
    for name in ("Card fraud", "Churn", "Loan scoring", "Old POC"):
        assert name in board
    assert "Their project" not in board
    assert "4 Exploration" in board  # all projects per stage: fraud, churn, theirs, old POC

    stale = _section(response, "stale-pocs")
    assert "Old POC: 200 days in Exploration" in stale and "yours" in stale

    alerts = _section(response, "model-alerts")
    assert "Card fraud, fraud-model v3" in alerts
    assert "queue" not in _sections(response)


def test_another_lead_does_not_see_the_first_leads_gates_or_alerts(world: World, client_as: ClientAs) -> None:
    response = client_as(world.other_lead).get(HOME)
    gates = _section(response, "gates")
    assert "Their project → Industrialization:" in gates
    assert "Loan scoring" not in gates and "Card fraud" not in gates
    assert "No open model alert on your projects." in _section(response, "model-alerts")
    assert "fraud-model" not in response.content.decode()
    # Stale POCs are on the board for everyone: shown, but not as hers.
    stale = _section(response, "stale-pocs")
    assert "Old POC" in stale and "yours" not in stale


def test_a_lead_without_projects_is_told_how_to_start(catalog: Catalog, client_as: ClientAs, make_user) -> None:  # type: ignore[no-untyped-def]
    lead = make_user(Role.PROJECT_LEAD, username="luc")
    response = client_as(lead).get(HOME)
    assert "You are not in any project yet. Start a project" in _section(response, "board")
    assert reverse("frontend:project-create") in response.content.decode()
    assert "No stale POC" in _section(response, "stale-pocs")


# --- Data custodian ---------------------------------------------------------------------------------------------


def test_a_custodian_sees_her_datasets_and_deletion_tasks(world: World, client_as: ClientAs) -> None:
    response = client_as(world.custodian).get(HOME)
    assert response.status_code == 200
    assert _sections(response) == ["my-datasets", "deletion-tasks"]
    body = response.content.decode()

    datasets = _section(response, "my-datasets")
    assert "Your datasets 1" in datasets and "Card payments" in datasets
    assert "v2 received" in datasets and "2 rows" in datasets
    assert "Health claims" not in datasets  # owned by someone else

    tasks = _section(response, "deletion-tasks")
    assert f'data-task="{world.overdue_task.pk}"' in body
    assert "Card payments data of Churn: due" in tasks and "overdue: was due 15 days ago" in tasks
    assert "One overdue" in tasks
    assert "queue" not in _sections(response)


def test_a_custodian_without_tasks_reads_the_empty_states(
    catalog: Catalog, client_as: ClientAs, make_user: Callable[..., User]
) -> None:
    helene = make_user(Role.DATA_CUSTODIAN, username="helene")
    response = client_as(helene).get(HOME)
    assert "No dataset names you as its owner, steward or custodian." in _section(response, "my-datasets")
    assert "No deletion task is open for you." in _section(response, "deletion-tasks")


# --- Admin ------------------------------------------------------------------------------------------------------


def test_an_admin_sees_the_health_summary_and_links(admin_user: User, client_as: ClientAs) -> None:
    TaskRunFactory(queued_at=timezone.now() - timedelta(minutes=5))
    WorkerHeartbeat.objects.create(hostname="worker-1@example", last_seen_at=timezone.now(), tasks_run=3)
    response = client_as(admin_user).get(HOME)
    assert response.status_code == 200
    assert _sections(response) == ["health"]
    health = _section(response, "health")
    assert "Database OK" in health
    assert "Search backend Database" in health
    assert "1 queued · 0 running · 0 failed" in health and "Oldest queued 5" in health
    assert "1 worker" in health and "worker-1@example" in health
    body = response.content.decode()
    for url in (reverse("frontend:health"), reverse("admin:index"), "/api/docs/"):
        assert f'href="{url}"' in body


# --- Several roles ----------------------------------------------------------------------------------------------


def test_a_user_with_two_roles_sees_both_personas_in_order(
    world: World, client_as: ClientAs, make_user: Callable[..., User]
) -> None:
    both = make_user(Role.DATA_SCIENTIST, Role.GOVERNANCE_OFFICER, username="oscar")
    MembershipFactory(project=world.fraud, user=both, role=ProjectRole.DATA_SCIENTIST)
    mine = _file(both, world.fraud, world.catalog, dataset=world.catalog.branch_hours, columns=["branch_code"])
    response = client_as(both).get(HOME)
    assert _sections(response) == [
        "catalog",
        "queue",
        "gates",
        "expiring-grants",
        "overdue-deletions",
        "register",
        "model-alerts",
        "my-projects",
        "my-requests",
        "my-grants",
    ]
    assert "as data scientist and governance officer" not in _text(response)  # listed in persona order
    assert "What waits for you as governance officer and data scientist." in _text(response)
    requests = _section(response, "my-requests")
    assert f"#{mine.pk} Branch opening hours" in requests
    assert f"#{world.pending.pk} " not in requests  # the queue has it; her own list does not
    assert "Review queue 3" in _section(response, "queue")


def test_a_lead_who_is_also_a_data_scientist_gets_her_projects_once(
    world: World, client_as: ClientAs, make_user: Callable[..., User]
) -> None:
    both = make_user(Role.DATA_SCIENTIST, Role.PROJECT_LEAD, username="lea")
    MembershipFactory(project=world.fraud, user=both, role=ProjectRole.PROJECT_LEAD)
    response = client_as(both).get(HOME)
    assert _sections(response) == [
        "catalog",
        "gates",
        "board",
        "stale-pocs",
        "model-alerts",
        "my-requests",
        "my-grants",
    ]
    assert "Card fraud" in _section(response, "board")
    assert "Card fraud, fraud-model v3" in _section(response, "model-alerts")
    assert "Card payments for Card fraud" in _section(response, "my-grants")  # her project's grant


def test_a_user_without_a_role_gets_the_catalog(catalog: Catalog, client_as: ClientAs) -> None:
    nobody = UserFactory(username="nobody")
    response = client_as(nobody).get(HOME)
    assert _sections(response) == ["catalog"]
    assert "You hold no role yet" in _text(response)


# --- Queries ----------------------------------------------------------------------------------------------------

# The session, the user and the roles, then each section's reads (measured on SQLite and PostgreSQL).
MAX_QUERIES = {"scientist": 17, "officer": 28, "lead": 24, "custodian": 11, "admin": 14}


def _count_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


def _more_of_everything(world: World) -> None:
    """A second set of projects, requests, grants, overdue deletions, stale POCs and alerts."""
    for n in range(3):
        project = ProjectFactory(
            name=f"Extra {n}",
            purpose=PURPOSE,
            stage=Stage.EXPLORATION,
            lead=world.lead,
            entered_stage_at=timezone.now() - timedelta(days=150 + n),
        )
        MembershipFactory(project=project, user=world.scientist, role=ProjectRole.DATA_SCIENTIST)
        _approve(_file(world.scientist, project, world.catalog), world.officer, days=10 + n)
        _file(world.scientist, project, world.catalog, columns=["amount"])
        revoked = _approve(
            _file(world.scientist, project, world.catalog, dataset=world.catalog.branch_hours, columns=["branch_code"]),
            world.officer,
            days=30,
        )
        governance_services.grant_revoke(
            grant=revoked, actor=world.officer, reason="Done.", at=timezone.now() - timedelta(days=40)
        )
        project_services.model_alert_raise(
            project=project,
            model_version=ModelVersionFactory(),
            kind=ModelAlertKind.METRIC_BELOW_TARGET,
            message="Recall 0.4 misses its target 0.8.",
        )
        _ready_for_exploration(world.lead, world.scientist, name=f"Ready {n}")
    project_services.project_stale_refresh()


@pytest.mark.parametrize("persona", list(MAX_QUERIES))
def test_each_persona_home_runs_a_bounded_number_of_queries_whatever_the_data(
    world: World, client_as: ClientAs, persona: str, django_assert_max_num_queries: Callable[..., object]
) -> None:
    user = {
        "scientist": world.scientist,
        "officer": world.officer,
        "lead": world.lead,
        "custodian": world.custodian,
        "admin": world.admin,
    }[persona]
    client = client_as(user)
    client.get(HOME)  # warm the content types and templates caches
    with django_assert_max_num_queries(MAX_QUERIES[persona]):  # type: ignore[operator]
        assert client.get(HOME).status_code == 200
    before = _count_queries(client)
    _more_of_everything(world)
    after = _count_queries(client)
    assert after == before, f"{persona}: {before} queries, then {after} with more data"
