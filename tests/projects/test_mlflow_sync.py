"""The MLflow sync against a real tracking server (``tests/mlflow_server.py``): models registered, runs
logged with inputs, aliases set and moved, versions deleted; each change shows after a sync. Also the
embedded default (a local SQLite store, no server) and the fault of a stopped server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import Retry

from catalog.models import DatasetVersion
from projects import selectors, services
from projects.mlflow_sync import CountingClient, MlflowUnavailable
from projects.models import (
    MlflowSyncState,
    ModelAlias,
    ModelLink,
    ModelLinkSource,
    ModelVersion,
    Project,
    ProjectRole,
    RegisteredModel,
    RunMetric,
    RunParam,
    Stage,
    TrainingInput,
)
from tests.factories import DatasetFactory, DatasetVersionFactory, ProjectFactory
from tests.mlflow_server import (
    MlflowServer,
    MlflowWriter,
    mlflow_server_fixture,  # noqa: F401  (the session fixture mlflow_server)
)
from tests.projects.helpers import advance_to, complete_checklist, lead_of
from workers.mlflow_tasks import mlflow_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(mlflow_server: MlflowServer, settings: Any) -> MlflowWriter:
    settings.MLFLOW_TRACKING_URI = mlflow_server.url
    settings.MLFLOW_HTTP_RETRIES = 0
    settings.MLFLOW_HTTP_TIMEOUT = 5
    return MlflowWriter(tracking_uri=mlflow_server.url)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def version_of(name: str, number: int) -> ModelVersion:
    return ModelVersion.objects.select_related("registered_model").get(registered_model__name=name, version=number)


def test_sync_mirrors_model_versions_runs_inputs_and_tag_link(writer: MlflowWriter) -> None:
    project = ProjectFactory(slug=unique("fraud"))
    dataset = DatasetFactory(slug=unique("card-payments"))
    DatasetVersionFactory(dataset=dataset, number=1, uri="s3://lake/cards/2026-01.parquet")
    v2 = DatasetVersionFactory(dataset=dataset, number=2, uri="s3://lake/cards/2026-02.parquet")
    name = unique("fraud-model")
    writer.register(name, tags={"cadastre.project": project.slug, "team": "risk"})
    run_id = writer.log_run(
        params={"max_depth": 6},
        metrics={"auc": 0.91, "recall": 0.72},
        git_commit="0a1b2c3d",
        inputs=[(dataset.slug, "s3://lake/cards/2026-02.parquet"), ("unknown-extract", "/tmp/extract.csv")],
    )
    number = writer.add_version(name, run_id)
    writer.client.set_registered_model_alias(name, "champion", number)

    summary = services.mlflow_sync_run(full=False)

    model = RegisteredModel.objects.get(name=name)
    assert model.tags == {"cadastre.project": project.slug, "team": "risk"} and model.deleted_at is None
    version = version_of(name, number)
    assert (version.status, version.run_id, version.git_commit) == ("READY", run_id, "0a1b2c3d")
    assert version.source == f"runs:/{run_id}/model" and version.created_at_mlflow is not None
    assert version.stage == ""  # MLflow's legacy stage "None"
    assert ModelAlias.objects.get(registered_model=model, alias="champion").version == number
    assert dict(RunParam.objects.filter(run_id=run_id).values_list("key", "value")) == {"max_depth": "6"}
    assert dict(RunMetric.objects.filter(run_id=run_id).values_list("key", "value")) == {"auc": 0.91, "recall": 0.72}
    inputs = {i.name: i for i in TrainingInput.objects.filter(model_version=version)}
    assert inputs[dataset.slug].dataset == dataset and inputs[dataset.slug].dataset_version == v2
    assert inputs[dataset.slug].context == "training" and inputs[dataset.slug].digest
    assert inputs["unknown-extract"].dataset is None and inputs["unknown-extract"].source == "/tmp/extract.csv"
    link = ModelLink.objects.active().get(project=project, registered_model_name=name)
    assert link.source == ModelLinkSource.TAG
    assert f"{project.slug}:{name}" in summary.links_added
    state = MlflowSyncState.objects.get()
    assert state.last_success_at is not None and state.last_error == ""
    assert state.watermark_ms >= model.last_updated_ms > 0

    # Nothing changed: a second pass writes nothing and reads no versions or runs.
    again = services.mlflow_sync_run(full=False)
    assert (again.models_created, again.models_updated, again.versions_created, again.versions_updated) == (0, 0, 0, 0)
    assert again.aliases_changed == 0 and again.runs_read == 0 and again.links_added == []
    assert set(again.calls_by_kind) == {"search_registered_models"}
    # A full pass reads everything again and still changes nothing.
    full = services.mlflow_sync_run(full=True)
    assert (full.versions_created, full.versions_updated, full.versions_deleted, full.models_deleted) == (0, 0, 0, 0)
    assert full.runs_read >= 1
    assert ModelVersion.objects.filter(registered_model=model).count() == 1
    assert TrainingInput.objects.filter(model_version=version).count() == 2


def test_incremental_sync_follows_aliases_tags_new_and_deleted_versions(writer: MlflowWriter) -> None:
    name = unique("churn-model")
    writer.register(name)
    first = writer.add_version(name, writer.log_run(metrics={"auc": 0.8}))
    writer.client.set_registered_model_alias(name, "production", first)
    services.mlflow_sync_run(full=False)
    model = RegisteredModel.objects.get(name=name)
    assert ModelAlias.objects.get(registered_model=model, alias="production").version == first

    # A new version, the alias moved to it, a model tag: all seen by the next incremental pass.
    second = writer.add_version(name, writer.log_run(metrics={"auc": 0.86}))
    writer.client.set_registered_model_alias(name, "production", second)
    writer.client.set_registered_model_alias(name, "previous", first)
    writer.client.set_registered_model_tag(name, "owner", "risk-team")
    summary = services.mlflow_sync_run(full=False)
    assert summary.versions_created == 1
    aliases = dict(ModelAlias.objects.filter(registered_model=model).values_list("alias", "version"))
    assert aliases == {"production": second, "previous": first}
    model.refresh_from_db()
    assert model.tags == {"owner": "risk-team"}

    # Moving an alias and removing another does not change MLflow's timestamp: still refreshed.
    writer.client.delete_registered_model_alias(name, "previous")
    writer.client.set_registered_model_alias(name, "production", first)
    summary = services.mlflow_sync_run(full=False)
    assert summary.versions_created == summary.versions_updated == 0
    assert dict(ModelAlias.objects.filter(registered_model=model).values_list("alias", "version")) == {
        "production": first
    }

    # A deleted version keeps its row, marked deleted; its alias is gone with it.
    writer.client.delete_model_version(name, second)
    services.mlflow_sync_run(full=False)
    assert version_of(name, second).deleted_at is not None
    assert version_of(name, first).deleted_at is None
    assert ModelVersion.objects.filter(registered_model=model).count() == 2  # nothing duplicated


def test_project_tag_links_follow_the_tag(writer: MlflowWriter) -> None:
    first, second = ProjectFactory(slug=unique("first")), ProjectFactory(slug=unique("second"))
    name = unique("tagged-model")
    writer.register(name, tags={"cadastre.project": first.slug})
    services.mlflow_sync_run(full=False)
    assert ModelLink.objects.active().get(registered_model_name=name).project == first

    writer.client.set_registered_model_tag(name, "cadastre.project", second.slug)
    summary = services.mlflow_sync_run(full=False)
    link = ModelLink.objects.active().get(registered_model_name=name)
    assert (link.project, link.source) == (second, ModelLinkSource.TAG)
    assert summary.links_removed == [f"{first.slug}:{name}"] and summary.links_added == [f"{second.slug}:{name}"]
    assert ModelLink.objects.get(project=first, registered_model_name=name).unlinked_at is not None

    # A manual link is the team's: the sync never removes it.
    services.model_link_add(project=first, registered_model_name=name, linked_by=None)
    writer.client.delete_registered_model_tag(name, "cadastre.project")
    summary = services.mlflow_sync_run(full=False)
    assert summary.links_removed == [f"{second.slug}:{name}"]
    assert ModelLink.objects.active().get(registered_model_name=name).source == ModelLinkSource.MANUAL


def test_full_pass_finds_deleted_models_and_versions(writer: MlflowWriter) -> None:
    name = unique("gone-model")
    writer.register(name)
    number = writer.add_version(name, writer.log_run(metrics={"auc": 0.7}))
    services.mlflow_sync_run(full=False)
    writer.client.delete_registered_model(name)

    services.mlflow_sync_run(full=False)  # the model is no longer listed: an incremental pass keeps it
    assert RegisteredModel.objects.get(name=name).deleted_at is None

    summary = services.mlflow_sync_run(full=True)
    assert summary.models_deleted >= 1
    assert RegisteredModel.objects.get(name=name).deleted_at is not None
    assert version_of(name, number).deleted_at is not None


def test_unreachable_server_keeps_everything_and_records_the_error(
    writer: MlflowWriter, mlflow_server: MlflowServer
) -> None:
    name = unique("steady-model")
    writer.register(name)
    writer.add_version(name, writer.log_run(params={"seed": 1}, metrics={"auc": 0.9}))
    services.mlflow_sync_run(full=False)
    before = (ModelVersion.objects.count(), RunMetric.objects.count(), ModelAlias.objects.count())
    synced_at = MlflowSyncState.objects.get().last_success_at

    mlflow_server.stop()
    try:
        with pytest.raises(MlflowUnavailable, match="search_registered_models failed"):
            services.mlflow_sync_run(full=False)
        state = MlflowSyncState.objects.get()
        assert state.last_success_at == synced_at and state.last_error and state.last_error_at is not None
        assert (ModelVersion.objects.count(), RunMetric.objects.count(), ModelAlias.objects.count()) == before
        with pytest.raises(MlflowUnavailable):  # a full pass fails the same way, deleting nothing
            services.mlflow_sync_run(full=True)
        assert RegisteredModel.objects.get(name=name).deleted_at is None
        # The task asks Celery to retry it with backoff (30 s, jittered, doubling up to 15 min).
        with pytest.raises(Retry) as retry:
            mlflow_sync.apply()
        assert isinstance(retry.value.exc, MlflowUnavailable) and 0 <= float(retry.value.when) <= 30
        assert (ModelVersion.objects.count(), RunMetric.objects.count(), ModelAlias.objects.count()) == before
    finally:
        mlflow_server.start()

    services.mlflow_sync_run(full=True)
    state = MlflowSyncState.objects.get()
    assert state.last_error == "" and state.last_success_at > synced_at
    assert (ModelVersion.objects.count(), RunMetric.objects.count(), ModelAlias.objects.count()) == before
    assert selectors.mlflow_sync_status().is_stale is False


def test_sync_on_the_embedded_sqlite_store(settings: Any, tmp_path: Any) -> None:
    """The embedded default: MLFLOW_TRACKING_URI is a local SQLite store, no server."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.MLFLOW_TRACKING_URI = uri
    writer = MlflowWriter(tracking_uri=uri)
    dataset = DatasetFactory(slug="loans")
    version = DatasetVersionFactory(dataset=dataset, number=3, uri="", file="datasets/loans/v3/loans.csv")
    writer.register("credit-score")
    run_id = writer.log_run(metrics={"gini": 0.55}, inputs=[("Loans", "/data/datasets/loans/v3/loans.csv")])
    number = writer.add_version("credit-score", run_id)
    writer.client.set_registered_model_alias("credit-score", "champion", number)

    client = CountingClient()
    summary = services.mlflow_sync_run(full=True, client=client)

    assert summary.versions_created == 1 and summary.calls == sum(client.calls.values())
    training = TrainingInput.objects.get(model_version__registered_model__name="credit-score")
    assert training.dataset == dataset and training.dataset_version == version  # matched by name and file
    assert ModelAlias.objects.get(alias="champion").version == number
    assert DatasetVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("MLFLOW_SYNC_STALE_MINUTES", "soon"), ("MLFLOW_PRODUCTION_ALIASES", "prod,,live"), ("MLFLOW_HTTP_RETRIES", "-1")],
)
def test_mlflow_settings_are_strict(name: str, value: str, tmp_path: Any) -> None:
    """A bad value stops start-up with a message naming the variable."""
    env = {**os.environ, name: value, "CADASTRE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import cadastre.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and f"Environment variable {name}={value!r} is invalid" in result.stderr


def test_losing_the_last_synced_version_invalidates_the_gate_sign_offs(
    settings: Any, tmp_path: Any, project: Project
) -> None:
    """The Industrialization gate certifies which linked models have a synced version: a sync that
    changes nothing keeps the sign-offs; a sync that finds the only version deleted in MLflow
    invalidates them (the gate then refuses the move until a version is back and people sign again)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.MLFLOW_TRACKING_URI = uri
    advance_to(project, Stage.EXPLORATION)
    lead = lead_of(project)
    writer = MlflowWriter(tracking_uri=uri)
    writer.register("churn-model")
    number = writer.add_version("churn-model", writer.log_run(metrics={"auc": 0.81}, inputs=[]))
    services.model_link_add(project=project, registered_model_name="churn-model", linked_by=lead)
    services.mlflow_sync_run(full=True)
    complete_checklist(project, Stage.INDUSTRIALIZATION)
    sign_off = services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    assert sign_off.stage == Stage.INDUSTRIALIZATION

    services.mlflow_sync_run(full=False)  # nothing changed in MLflow
    sign_off.refresh_from_db()
    assert sign_off.invalidated_at is None

    writer.client.delete_model_version("churn-model", str(number))
    services.mlflow_sync_run(full=True)  # the full pass finds deleted versions
    sign_off.refresh_from_db()
    assert sign_off.invalidated_at is not None
    assert "synced from MLflow" in sign_off.invalidation_reason
    requirements = services.gate_requirements(project=project, target_stage=Stage.INDUSTRIALIZATION)
    assert not requirements.checklist_complete
