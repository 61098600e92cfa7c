"""The model timeline through the API (permissions, content, the "sync now" action) and on the project
page (versions and aliases, the metrics plot, training data linked to the catalog, last synced and the
stale warning, open alerts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from catalog.roles import Role
from projects import services
from projects.models import MlflowSyncState, ModelAlertKind, ModelLinkSource, Project, ProjectRole, Stage
from tests.factories import (
    DatasetFactory,
    DatasetVersionFactory,
    ModelAliasFactory,
    ModelVersionFactory,
    ProjectFactory,
    ProjectKPIFactory,
    RegisteredModelFactory,
    RunMetricFactory,
    TrainingInputFactory,
    UserFactory,
)
from tests.mlflow_server import (
    MlflowServer,
    mlflow_server_fixture,  # noqa: F401  (the session fixture mlflow_server)
)

pytestmark = pytest.mark.django_db

ANON, OUTSIDER, MEMBER, LEAD, OFFICER, ADMIN = "anonymous", "outsider", "member", "lead", "officer", "admin"


@pytest.fixture
def world() -> dict[str, Any]:
    """A project in Exploration with a lead and a member, an ML-metric KPI, a linked model synced with
    two versions (v2 under "champion", trained on a catalog dataset version, missing the target) and an
    open alert."""
    users = {
        OUTSIDER: UserFactory(roles=[Role.DATA_SCIENTIST]),
        MEMBER: UserFactory(roles=[Role.DATA_SCIENTIST]),
        LEAD: UserFactory(roles=[Role.PROJECT_LEAD]),
        OFFICER: UserFactory(roles=[Role.GOVERNANCE_OFFICER]),
        ADMIN: UserFactory(roles=[Role.ADMIN], is_superuser=True),
    }
    project = ProjectFactory(slug="fraud-api", stage=Stage.EXPLORATION, lead=users[LEAD])
    services.membership_add(project=project, user=users[MEMBER], role=ProjectRole.DATA_SCIENTIST, added_by=None)
    ProjectKPIFactory(project=project, kind="ml", name="AUC", target=0.9, direction="higher")
    services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=users[LEAD])
    model = RegisteredModelFactory(name="fraud-scorer", tags={"team": "risk"})
    now = timezone.now()
    v1 = ModelVersionFactory(registered_model=model, version=1, created_at_mlflow=now - timedelta(days=9))
    v2 = ModelVersionFactory(
        registered_model=model, version=2, created_at_mlflow=now - timedelta(days=2), git_commit="9f8e7d6c5b4a"
    )
    RunMetricFactory(run_id=v1.run_id, key="auc", value=0.93)
    RunMetricFactory(run_id=v2.run_id, key="auc", value=0.87)
    ModelAliasFactory(registered_model=model, alias="champion", version=2)
    dataset = DatasetFactory(slug="card-payments", name="Card payments")
    dataset_version = DatasetVersionFactory(dataset=dataset, number=4)
    TrainingInputFactory(model_version=v2, name="card-payments", dataset=dataset, dataset_version=dataset_version)
    TrainingInputFactory(model_version=v2, name="side-extract")
    alert, _ = services.model_alert_raise(
        project=project,
        model_version=v2,
        kind=ModelAlertKind.UNAPPROVED_PRODUCTION,
        message="fraud-scorer v2 holds the alias 'champion' before the Production gate.",
    )
    return {"users": users, "project": project, "alert": alert, "dataset_version": dataset_version}


def api_as(client_for: Any, world: dict[str, Any], who: str) -> Any:
    return client_for(None if who == ANON else world["users"][who])


READERS = {MEMBER: 200, LEAD: 200, OFFICER: 200, ADMIN: 200, OUTSIDER: 403, ANON: 401}


@pytest.mark.parametrize("who", list(READERS))
@pytest.mark.parametrize("tail", ["models/timeline/", "models/alerts/"])
def test_reads_are_for_members_officers_and_admins(client_for: Any, world: dict[str, Any], who: str, tail: str) -> None:
    response = api_as(client_for, world, who).get(f"/api/projects/fraud-api/{tail}")
    assert response.status_code == READERS[who]


def test_timeline_content(client_for: Any, world: dict[str, Any]) -> None:
    data = api_as(client_for, world, MEMBER).get("/api/projects/fraud-api/models/timeline/").json()
    [model] = data["models"]
    assert model["name"] == "fraud-scorer" and model["in_mlflow"] and model["aliases"] == {"champion": 2}
    assert model["link_source"] == ModelLinkSource.MANUAL and model["tags"] == {"team": "risk"}
    v2, v1 = model["versions"]
    assert (v2["version"], v2["aliases"], v2["production"], v2["git_commit"]) == (2, ["champion"], True, "9f8e7d6c5b4a")
    assert v2["metrics"] == [
        {"key": "auc", "value": 0.87, "step": 1, "target": 0.9, "direction": "higher", "misses_target": True}
    ]
    assert v1["metrics"][0]["misses_target"] is False and v1["aliases"] == []
    inputs = {i["name"]: i for i in v2["training_inputs"]}
    assert (inputs["card-payments"]["dataset"], inputs["card-payments"]["dataset_version"]) == ("card-payments", 4)
    assert inputs["side-extract"]["dataset"] is None
    assert [a["kind"] for a in data["alerts"]] == [ModelAlertKind.UNAPPROVED_PRODUCTION]
    assert data["sync"]["last_success_at"] is None and data["sync"]["is_stale"] is True
    alerts = api_as(client_for, world, OFFICER).get("/api/projects/fraud-api/models/alerts/?open=true").json()
    assert alerts[0]["model"] == "fraud-scorer" and alerts[0]["version"] == 2
    assert world["users"][LEAD].username in alerts[0]["recipients"]


SYNCERS = {LEAD: 202, ADMIN: 202, MEMBER: 403, OFFICER: 403, OUTSIDER: 403, ANON: 401}


@pytest.mark.parametrize("who", list(SYNCERS))
def test_sync_now_is_for_leads_and_admins(
    client_for: Any, world: dict[str, Any], who: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_as(client_for, world, who).post("/api/projects/fraud-api/models/sync/", {}, format="json")
    assert response.status_code == SYNCERS[who]
    assert len(callbacks) == (1 if SYNCERS[who] == 202 else 0)  # queued on commit, only when allowed


def test_sync_now_runs_the_sync_and_refuses_bad_input(
    client_for: Any,
    world: dict[str, Any],
    mlflow_server: MlflowServer,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MLFLOW_TRACKING_URI = mlflow_server.url
    lead = api_as(client_for, world, LEAD)
    bad = lead.post("/api/projects/fraud-api/models/sync/", {"full": "perhaps"}, format="json")
    assert bad.status_code == 400 and "full" in bad.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = lead.post("/api/projects/fraud-api/models/sync/", {"full": True}, format="json")
    assert response.status_code == 202 and response.json()["full"] is True
    state = MlflowSyncState.objects.get()
    assert state.last_success_at is not None and state.last_full_at == state.last_success_at
    assert state.counts["full"] is True


def test_model_endpoints_are_in_the_schema(client_for: Any, world: dict[str, Any]) -> None:
    schema = api_as(client_for, world, MEMBER).get("/api/schema/?format=json").json()
    for path in ("models/timeline/", "models/alerts/", "models/sync/"):
        assert f"/api/projects/{{slug}}/{path}" in schema["paths"]


def test_project_page_shows_the_model_timeline(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["users"][MEMBER])
    page = client.get("/projects/fraud-api/").content.decode()
    assert "Model timeline" in page and 'data-testid="metrics-plot"' in page
    assert page.count('data-misses-target="true"') == 1  # v2's AUC below 0.9
    assert "@champion" in page and "below target 0.9" in page and "9f8e7d6c5b4a" in page
    assert world["dataset_version"].get_absolute_url() in page
    assert "side-extract" in page and "not in the catalog" in page
    assert 'data-testid="mlflow-stale"' in page and "never" in page
    assert world["alert"].message.replace("'", "&#x27;") in page
    assert "Sync MLflow now" not in page  # members do not sync from the page

    MlflowSyncState.objects.create(last_success_at=timezone.now(), last_attempt_at=timezone.now())
    client.force_login(world["users"][LEAD])
    page = client.get("/projects/fraud-api/").content.decode()
    assert 'data-testid="mlflow-stale"' not in page and "Sync MLflow now" in page


def test_stale_warning_after_the_staleness_limit(client: Any, world: dict[str, Any], settings: Any) -> None:
    settings.MLFLOW_SYNC_STALE_MINUTES = 30
    long_ago = timezone.now() - timedelta(minutes=31)
    MlflowSyncState.objects.create(
        last_success_at=long_ago, last_attempt_at=timezone.now(), last_error="MLflow at http://x: refused"
    )
    client.force_login(world["users"][OFFICER])
    page = client.get("/projects/fraud-api/").content.decode()
    assert 'data-testid="mlflow-stale"' in page and "MLflow at http://x: refused" in page


def test_page_sync_button_is_for_leads(
    client: Any, world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(world["users"][MEMBER])
    assert client.post("/projects/fraud-api/models/sync/").status_code == 403
    client.force_login(world["users"][LEAD])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/projects/fraud-api/models/sync/")
    assert response.status_code == 302 and len(callbacks) == 1
    assert Project.objects.get(slug="fraud-api").stage == Stage.EXPLORATION


@pytest.mark.parametrize(
    "model",
    [
        "registeredmodel",
        "modelversion",
        "modelalias",
        "runmetric",
        "runparam",
        "traininginput",
        "modelalert",
        "mlflowsyncstate",
    ],
)
def test_admin_shows_the_mirror_read_only(client: Any, world: dict[str, Any], model: str) -> None:
    MlflowSyncState.objects.create(last_success_at=timezone.now())
    client.force_login(world["users"][ADMIN])
    assert client.get(f"/admin/projects/{model}/").status_code == 200
    assert client.get(f"/admin/projects/{model}/add/").status_code == 403
