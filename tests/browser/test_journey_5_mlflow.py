"""PRODUCT.md §5, journey 5, in a real browser (Debian's Chromium through Playwright) against a live server
and a real MLflow tracking server (``tests.mlflow_server``):
"A model version gets the production alias in MLflow: within one sync the project shows it, with its
metrics and training data versions; if the project has not passed the Production gate, the officer and
the project lead are alerted."

A data scientist registers a model tagged with the project's slug, with a run that logs metrics and a
training input naming a catalog dataset version, and gives a version the production alias. The project
lead presses "Sync MLflow now" on the project page (the sync runs in-process on commit, as in the
embedded default): the model timeline shows the version with its alias, metrics (and their plot) and the
training data linked to the catalog; the project, still in Industrialization, is alerted on its page and
on the home pages of the lead and of the officer. The alias then moves to another version in MLflow; one
more sync shows it moved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from catalog.models import Dataset, DatasetVersion
from projects.models import ModelAlert, ModelAlertKind, Project, Stage
from tests.browser.conftest import SCREENSHOTS
from tests.factories import DatasetFactory, DatasetVersionFactory, GrantFactory, ProjectFactory
from tests.mlflow_server import (
    MlflowServer,
    MlflowWriter,
    mlflow_server_fixture,  # noqa: F401  (the session fixture mlflow_server)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

TRAINING_URI = "s3://datalake/raw/card_payments/2026-11-20.csv"
SYNC_TIMEOUT_MS = 60_000


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"test_journey_5_{name}.png"), full_page=True)


@pytest.fixture
def writer(mlflow_server: MlflowServer, settings: Any) -> MlflowWriter:
    """MLflow as the live server sees it (the settings are the process's, shared with its thread)."""
    settings.MLFLOW_TRACKING_URI = mlflow_server.url
    settings.MLFLOW_HTTP_RETRIES = 0
    return MlflowWriter(tracking_uri=mlflow_server.url)


@pytest.fixture
def cards(custodian: User) -> tuple[Dataset, DatasetVersion]:
    dataset = DatasetFactory(name="Card payments", slug="card-payments", owner=custodian, custodian=custodian)
    version = DatasetVersionFactory(dataset=dataset, number=1, uri=TRAINING_URI)
    return dataset, version


@pytest.fixture
def fraud(project_lead: User, cards: tuple[Dataset, DatasetVersion]) -> Project:
    """Paula's project, in Industrialization (the Production gate not passed), with a live grant on the
    training data (so the only alert is the production alias before the gate)."""
    project = ProjectFactory(
        name="Card fraud detection",
        slug=f"card-fraud-{uuid.uuid4().hex[:6]}",  # the MLflow server lives for the whole session
        stage=Stage.INDUSTRIALIZATION,
        lead=project_lead,
    )
    GrantFactory(request__project=project, request__dataset=cards[0])
    return project


def _sync(page: Page) -> None:
    page.get_by_role("button", name="Sync MLflow now").click()
    expect(page.locator(".messages")).to_contain_text(
        "MLflow sync queued: the model timeline shows it once done.", timeout=SYNC_TIMEOUT_MS
    )


def test_journey_5_production_alias_is_shown_after_one_sync_and_alerts_lead_and_officer(
    browser_of: Callable[[User], Page],
    writer: MlflowWriter,
    fraud: Project,
    cards: tuple[Dataset, DatasetVersion],
    project_lead: User,
    officer: User,
) -> None:
    dataset, dataset_version = cards
    name = f"card-fraud-model-{uuid.uuid4().hex[:8]}"
    writer.register(name, tags={django_settings.MLFLOW_PROJECT_TAG: fraud.slug})
    first = writer.add_version(
        name,
        writer.log_run(
            metrics={"auc": 0.91, "log_loss": 0.28},
            git_commit="0123456789abcdef",
            inputs=[(dataset.slug, TRAINING_URI)],
        ),
    )
    second = writer.add_version(
        name, writer.log_run(metrics={"auc": 0.94, "log_loss": 0.22}, inputs=[(dataset.slug, TRAINING_URI)])
    )
    writer.client.set_registered_model_alias(name, "champion", first)

    paula = browser_of(project_lead)
    paula.goto(f"/projects/{fraud.slug}/")
    timeline = paula.get_by_role("region", name="Model timeline")
    expect(timeline).to_contain_text("No registered model linked")
    _sync(paula)

    # One sync: the model (linked by its tag), its versions, the alias, metrics and training data.
    timeline = paula.get_by_role("region", name="Model timeline")
    expect(timeline.get_by_role("heading", name=name)).to_be_visible()
    expect(timeline).to_contain_text("linked by its MLflow tag")
    expect(timeline.get_by_test_id("mlflow-last-synced")).not_to_contain_text("never")
    expect(timeline.get_by_test_id("mlflow-stale")).to_have_count(0)
    row = timeline.locator(f"tr[data-version='{first}']")
    expect(row.locator("td").nth(0)).to_have_text("@champion")
    expect(row.locator(".pill--ok")).to_have_text("@champion")
    expect(row).to_contain_text("auc = 0.9100")
    expect(row).to_contain_text("log_loss = 0.2800")
    training = row.get_by_role("link", name=str(dataset_version))
    expect(training).to_have_attribute("href", dataset_version.get_absolute_url())
    expect(timeline.locator(f"tr[data-version='{second}'] td").nth(0)).to_have_text("—")
    expect(timeline.get_by_test_id("metrics-plot")).to_be_visible()
    expect(timeline.get_by_test_id("metrics-plot").locator("polyline")).to_have_count(2)  # auc and log_loss

    # The project has not passed the Production gate: alerted on its page...
    alerts = timeline.get_by_test_id("model-alerts")
    expect(alerts.locator("li")).to_have_count(1)
    expect(alerts).to_contain_text("Production alias before the Production gate")
    expect(alerts).to_contain_text(
        f"{name} v{first} holds the alias 'champion' but Card fraud detection has not passed the Production gate "
        "(stage: Industrialization)."
    )
    _shot(paula, "1_project_synced")

    # ... and on the home pages of its lead and of the officer.
    [alert] = ModelAlert.objects.open().filter(project=fraud, kind=ModelAlertKind.UNAPPROVED_PRODUCTION)
    assert {project_lead, officer} <= set(alert.recipients.all())
    for user, shot in ((project_lead, "2_lead_home"), (officer, "3_officer_home")):
        home = browser_of(user)
        home.goto("/")
        section = home.locator("[data-section=model-alerts]")
        item = section.locator(f"li[data-alert='{alert.pk}']")
        expect(item).to_contain_text("Production alias before the Production gate")
        expect(item).to_contain_text(f"{name} v{first}")
        item.get_by_role("link", name="Card fraud detection").click()
        expect(home).to_have_url(re.compile(rf"/projects/{fraud.slug}/"))
        _shot(home, shot)

    # The alias moves to the second version in MLflow; one more sync shows it moved.
    writer.client.set_registered_model_alias(name, "champion", second)
    paula.goto(f"/projects/{fraud.slug}/")
    _sync(paula)
    timeline = paula.get_by_role("region", name="Model timeline")
    expect(timeline.locator(f"tr[data-version='{second}'] .pill--ok")).to_have_text("@champion")
    expect(timeline.locator(f"tr[data-version='{second}']")).to_contain_text("auc = 0.9400")
    expect(timeline.locator(f"tr[data-version='{first}'] td").nth(0)).to_have_text("—")
    alerts = timeline.get_by_test_id("model-alerts")
    expect(alerts.locator("li")).to_have_count(1)
    expect(alerts).to_contain_text(f"{name} v{second} holds the alias 'champion'")
    alert.refresh_from_db()
    assert alert.resolved_at is not None  # the first version no longer holds the alias
    officer_home = browser_of(officer)
    officer_home.goto("/")
    expect(officer_home.locator("[data-section=model-alerts]")).to_contain_text(f"{name} v{second}")
    expect(officer_home.locator(f"li[data-alert='{alert.pk}']")).to_have_count(0)
    _shot(paula, "4_alias_moved")
