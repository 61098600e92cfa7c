"""Stale POCs: Exploration longer than STALE_POC_DAYS without a gate decision, flagged by a periodic task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from projects import services
from projects.models import Project, Stage
from projects.tasks import projects_flag_stale
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import complete_gate
from workers.celery import app

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _project(stage: Stage, days: float) -> Project:
    return ProjectFactory(stage=stage, entered_stage_at=NOW - timedelta(days=days), lead=UserFactory())


def test_the_default_limit_is_90_days() -> None:
    assert settings.STALE_POC_DAYS == 90


def test_exploration_beyond_the_limit_is_flagged(settings: Any) -> None:
    settings.STALE_POC_DAYS = 30
    stale = _project(Stage.EXPLORATION, 45)
    fresh = _project(Stage.EXPLORATION, 29.9)
    old_qualification = _project(Stage.QUALIFICATION, 400)
    old_industrialization = _project(Stage.INDUSTRIALIZATION, 400)
    result = services.project_stale_refresh(now=NOW)
    assert (result.flagged, result.cleared, result.stale) == ([stale.slug], [], 1)
    stale.refresh_from_db()
    assert stale.is_stale and stale.stale_since == stale.entered_stage_at + timedelta(days=30)
    for other in (fresh, old_qualification, old_industrialization):
        other.refresh_from_db()
        assert (other.is_stale, other.stale_since) == (False, None)


def test_the_refresh_is_idempotent_and_follows_time(settings: Any) -> None:
    settings.STALE_POC_DAYS = 30
    project = _project(Stage.EXPLORATION, 20)
    assert services.project_stale_refresh(now=NOW).flagged == []
    later = NOW + timedelta(days=11)
    assert services.project_stale_refresh(now=later).flagged == [project.slug]
    again = services.project_stale_refresh(now=later)
    assert (again.flagged, again.cleared, again.stale) == ([], [], 1)
    project.refresh_from_db()
    assert project.stale_since == project.entered_stage_at + timedelta(days=30)


def test_a_gate_decision_clears_the_flag(officer: Any) -> None:
    project = _project(Stage.EXPLORATION, 120)
    services.project_stale_refresh(now=NOW)
    project.refresh_from_db()
    assert project.is_stale
    complete_gate(project, Stage.INDUSTRIALIZATION, officer=officer)
    services.project_transition(project=project, target_stage=Stage.INDUSTRIALIZATION, actor=project.leads[0])
    project.refresh_from_db()
    assert (project.is_stale, project.stale_since) == (False, None)
    assert services.project_stale_refresh().stale == 0


def test_a_flag_left_on_a_project_outside_exploration_is_cleared() -> None:
    project = _project(Stage.INDUSTRIALIZATION, 120)
    Project.objects.filter(pk=project.pk).update(is_stale=True, stale_since=NOW)  # e.g. restored data
    result = services.project_stale_refresh(now=NOW)
    assert (result.flagged, result.cleared, result.stale) == ([], [project.slug], 0)
    project.refresh_from_db()
    assert (project.is_stale, project.stale_since) == (False, None)


def test_the_periodic_task_calls_the_service_and_is_scheduled_daily(settings: Any) -> None:
    stale = _project(Stage.EXPLORATION, 200)
    assert projects_flag_stale.delay().get() == {"flagged": [stale.slug], "cleared": [], "stale": 1}
    assert projects_flag_stale() == {"flagged": [], "cleared": [], "stale": 1}
    entry = settings.CELERY_BEAT_SCHEDULE["projects-flag-stale"]
    assert entry["task"] == projects_flag_stale.name == "projects.flag_stale"
    assert entry["task"] in app.tasks
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)
    assert app.conf.beat_schedule["projects-flag-stale"]["task"] == "projects.flag_stale"
