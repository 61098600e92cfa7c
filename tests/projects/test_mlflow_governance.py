"""Governance of synced model versions (PRODUCT.md journey 5), end to end against a real MLflow server:
a version gets a production alias in MLflow; after one run of the sync task the project shows it, and if
the project has not passed the Production gate, or the version was trained on data without a live
grant, its leads and the governance officers are alerted and the audit trail records it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from catalog.roles import Role
from governance.selectors import audit_events
from projects import selectors, services
from projects.models import ModelAlert, ModelAlertKind, ProjectKPI, Stage
from tests.factories import DatasetFactory, DatasetVersionFactory, GrantFactory, ProjectFactory, UserFactory
from tests.mlflow_server import (
    MlflowServer,
    MlflowWriter,
    mlflow_server_fixture,  # noqa: F401  (the session fixture mlflow_server)
)
from workers.mlflow_tasks import mlflow_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(mlflow_server: MlflowServer, settings: Any) -> MlflowWriter:
    settings.MLFLOW_TRACKING_URI = mlflow_server.url
    settings.MLFLOW_HTTP_RETRIES = 0
    return MlflowWriter(tracking_uri=mlflow_server.url)


def open_alerts(project: Any, kind: str) -> list[ModelAlert]:
    return list(ModelAlert.objects.open().filter(project=project, kind=kind).select_related("model_version"))


def test_production_alias_before_the_gate_and_ungranted_data_alert_lead_and_officer(writer: MlflowWriter) -> None:
    lead = UserFactory(roles=[Role.PROJECT_LEAD])
    officer = UserFactory(roles=[Role.GOVERNANCE_OFFICER])
    project = ProjectFactory(slug=f"scoring-{uuid.uuid4().hex[:6]}", stage=Stage.EXPLORATION, lead=lead)
    granted = DatasetFactory(slug=f"granted-{uuid.uuid4().hex[:6]}")
    DatasetVersionFactory(dataset=granted, number=1, uri="s3://lake/granted/v1.csv")
    GrantFactory(request__project=project, request__dataset=granted)
    ungranted = DatasetFactory(slug=f"ungranted-{uuid.uuid4().hex[:6]}")
    name = f"scoring-{uuid.uuid4().hex[:8]}"
    writer.register(name, tags={"cadastre.project": project.slug})
    first = writer.add_version(name, writer.log_run(inputs=[(granted.slug, "s3://lake/granted/v1.csv")]))
    writer.client.set_registered_model_alias(name, "champion", first)

    result = mlflow_sync.delay().get()

    assert f"{project.slug}:{name}" in result["links_added"]
    [alert] = open_alerts(project, ModelAlertKind.UNAPPROVED_PRODUCTION)
    assert alert.model_version.version == first and "has not passed the Production gate" in alert.message
    assert {lead, officer} <= set(alert.recipients.all())
    assert open_alerts(project, ModelAlertKind.UNGRANTED_TRAINING_DATA) == []  # trained on granted data only
    assert audit_events(target=alert, action="model_alert.raised").count() == 1
    timeline = selectors.project_model_timeline(project=project)
    [version_view] = timeline.models[0].versions
    assert version_view.aliases == ["champion"] and version_view.production
    assert version_view.training_inputs[0].dataset == granted

    # The alias moves to a version trained on data the project holds no grant on.
    second = writer.add_version(
        name, writer.log_run(inputs=[(granted.slug, "s3://lake/granted/v1.csv"), (ungranted.slug, "s3://x/y.csv")])
    )
    writer.client.set_registered_model_alias(name, "champion", second)
    mlflow_sync.delay().get()
    mlflow_sync.delay().get()  # idempotent: no second alert, no second audit event

    [unapproved] = open_alerts(project, ModelAlertKind.UNAPPROVED_PRODUCTION)
    assert unapproved.model_version.version == second
    [data_alert] = open_alerts(project, ModelAlertKind.UNGRANTED_TRAINING_DATA)
    assert data_alert.model_version.version == second and f"{ungranted.name} (no live grant)" in data_alert.message
    assert granted.name not in data_alert.message
    alert.refresh_from_db()
    assert alert.resolved_at is not None  # v1 no longer holds the alias
    assert audit_events(target=alert, action="model_alert.resolved").count() == 1
    assert audit_events(target=data_alert, action="model_alert.raised").count() == 1

    # The alias is removed: every alert of the project is resolved.
    writer.client.delete_registered_model_alias(name, "champion")
    mlflow_sync.delay().get()
    assert not ModelAlert.objects.open().filter(project=project).exists()


def test_production_project_and_configurable_alias_names(writer: MlflowWriter, settings: Any) -> None:
    settings.MLFLOW_PRODUCTION_ALIASES = ["live"]
    in_production = ProjectFactory(stage=Stage.PRODUCTION)
    exploring = ProjectFactory(stage=Stage.EXPLORATION)
    approved, other = f"approved-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    for name, project in ((approved, in_production), (other, exploring)):
        writer.register(name)
        services.model_link_add(project=project, registered_model_name=name, linked_by=None)
        number = writer.add_version(name, writer.log_run())
        writer.client.set_registered_model_alias(name, "live", number)
    writer.client.set_registered_model_alias(other, "champion", 1)  # not a production alias here

    mlflow_sync.delay().get()

    assert open_alerts(in_production, ModelAlertKind.UNAPPROVED_PRODUCTION) == []
    [alert] = open_alerts(exploring, ModelAlertKind.UNAPPROVED_PRODUCTION)
    assert "'live'" in alert.message
    # Trained on no recorded data: nothing to flag.
    assert open_alerts(exploring, ModelAlertKind.UNGRANTED_TRAINING_DATA) == []


def test_metric_below_the_projects_target_is_flagged(writer: MlflowWriter) -> None:
    project = ProjectFactory(stage=Stage.EXPLORATION)
    ProjectKPI.objects.create(project=project, kind="ml", name="AUC", target=0.9, direction="higher")
    ProjectKPI.objects.create(project=project, kind="ml", name="Log loss", target=0.3, direction="lower")
    name = f"fraud-{uuid.uuid4().hex[:8]}"
    writer.register(name)
    services.model_link_add(project=project, registered_model_name=name, linked_by=None)
    first = writer.add_version(name, writer.log_run(metrics={"auc": 0.85, "log_loss": 0.25}))

    services.mlflow_sync_run(full=False)

    [alert] = open_alerts(project, ModelAlertKind.METRIC_BELOW_TARGET)
    assert alert.model_version.version == first and "auc = 0.85" in alert.message
    timeline = selectors.project_model_timeline(project=project)
    metrics = {m.key: m for m in timeline.models[0].versions[0].metrics}
    assert metrics["auc"].misses_target and not metrics["log_loss"].misses_target
    assert [s.key for s in timeline.series][:2] == ["auc", "log_loss"]  # the KPI metrics first

    # A better version becomes the latest one: the first is no longer watched, its alert resolved.
    second = writer.add_version(name, writer.log_run(metrics={"auc": 0.93, "log_loss": 0.2}))
    services.mlflow_sync_run(full=False)
    assert open_alerts(project, ModelAlertKind.METRIC_BELOW_TARGET) == []
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    series = next(s for s in selectors.project_model_timeline(project=project).series if s.key == "auc")
    assert [p[1] for p in series.points] == [0.85, 0.93] and second == first + 1
