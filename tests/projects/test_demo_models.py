"""The demo's registered models are in the MLflow store itself (``fixtures/mlflow_models.py``): a
full sync keeps them, the model timelines show runs, metrics and training data, and an unreachable
MLflow leaves the demo loadable."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from fixtures.projects import PROJECTS
from projects import services
from projects.models import (
    ModelAlert,
    ModelAlertKind,
    ModelAlias,
    ModelVersion,
    Project,
    RunMetric,
    Stage,
    TrainingInput,
)

pytestmark = pytest.mark.django_db
DEMO_MODELS = {name for spec in PROJECTS for name in spec.models}


def _load(settings: Any, tmp_path: Path, uri: str) -> str:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MLFLOW_TRACKING_URI = uri
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_demo_models_are_in_mlflow_and_a_full_sync_keeps_them(settings: Any, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    output = _load(settings, tmp_path, uri)
    assert f"MLflow: {len(DEMO_MODELS)} demo model versions registered" in output
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert {m.name for m in client.search_registered_models()} == DEMO_MODELS

    versions = ModelVersion.objects.filter(registered_model__name__in=DEMO_MODELS, deleted_at__isnull=True)
    assert versions.count() == len(DEMO_MODELS)
    assert all(v.run_id for v in versions)  # from MLflow's runs, no longer the gate-time copies
    production = {
        spec.models[0]
        for spec in PROJECTS
        if spec.models and Project.objects.get(name=spec.name).stage == Stage.PRODUCTION
    }
    aliased = set(ModelAlias.objects.filter(alias="production").values_list("registered_model__name", flat=True))
    assert aliased == production and production
    # The ML KPIs' current values came back as run metrics, and the trainings read granted datasets.
    churn = ModelVersion.objects.get(registered_model__name="retail-churn-gbm")
    metric = RunMetric.objects.get(run_id=churn.run_id, key="auc_on_the_out_of_time_sample")
    assert metric.value == pytest.approx(0.81)
    linked = TrainingInput.objects.filter(model_version__registered_model__name__in=DEMO_MODELS)
    assert linked.exists() and all(i.dataset_id for i in linked)  # matched to catalog datasets
    assert not ModelAlert.objects.filter(kind=ModelAlertKind.UNGRANTED_TRAINING_DATA).exists()

    summary = services.mlflow_sync_run(full=True)
    assert summary.models_deleted == summary.versions_deleted == 0 and summary.models_seen == len(DEMO_MODELS)
    # Loading again writes nothing more into MLflow.
    assert "Demo catalog already loaded" in _load(settings, tmp_path, uri)
    assert len(client.search_model_versions()) == len(DEMO_MODELS)


def test_an_unreachable_mlflow_leaves_the_demo_loadable(settings: Any, tmp_path: Path) -> None:
    settings.MLFLOW_HTTP_TIMEOUT = 2
    settings.MLFLOW_HTTP_RETRIES = 0
    output = _load(settings, tmp_path, "http://127.0.0.1:9")  # nothing listens on the discard port
    assert "MLflow: demo models not written" in output and "Demo catalog loaded" in output
    # The projects keep the versions the Industrialization gate needed.
    assert ModelVersion.objects.filter(registered_model__name__in=DEMO_MODELS).count() == len(DEMO_MODELS)
    assert Project.objects.filter(stage=Stage.PRODUCTION).exists()
