"""The periodic schedule: declared in settings, kept by `celery beat` in django-celery-beat's tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from tests.workers.conftest import ROOT, wait_until, worker_env
from workers.models import BeatTick
from workers.tasks import beat_tick, task_runs_sweep

EXPECTED = {
    "task-runs-sweep": "workers.task_runs_sweep",
    "beat-tick": "workers.beat_tick",
    "search-sweep": "catalog.search_sweep",
    "search-reconcile": "catalog.search_reconcile",
    "projects-flag-stale": "projects.flag_stale",
}


def test_the_schedule_declares_the_platform_tasks() -> None:
    declared = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert EXPECTED.items() <= declared.items()
    assert settings.CELERY_BEAT_SCHEDULE["task-runs-sweep"]["schedule"] == 60.0
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_celery_beat_loads_the_schedule_into_the_database(redis, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile",
                str(tmp_path / "beat.pid"),
                "--max-interval",
                "1",
            ],
            cwd=ROOT,
            env=worker_env(redis.url, tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: set(EXPECTED) <= set(PeriodicTask.objects.values_list("name", flat=True)),
            timeout=60,
            message=f"the schedule in the database; beat log:\n{log.read_text()}",
        )
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=15)
        except subprocess.TimeoutExpired:  # beat may be inside a broker retry loop: stop it for good
            beat.kill()
            beat.wait(timeout=15)
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("interval", "crontab")}
    for name, task_name in EXPECTED.items():
        assert tasks[name].task == task_name and tasks[name].enabled
    sweep = tasks["task-runs-sweep"].interval
    assert (sweep.every, sweep.period) == (60, "seconds")
    reconcile = tasks["search-reconcile"].crontab
    assert (reconcile.minute, reconcile.hour) == ("0", "3")
    assert "DatabaseScheduler" in log.read_text()


@pytest.mark.django_db
def test_beat_tick_is_recorded_and_counted() -> None:
    first = beat_tick.delay().get()
    second = beat_tick.delay().get()
    tick = BeatTick.objects.get()
    assert (first["ticks"], second["ticks"], tick.ticks) == (1, 2, 2)
    assert second["last_tick_at"] == tick.last_tick_at.isoformat()


@pytest.mark.django_db
def test_sweep_task_reports_what_it_did() -> None:
    assert task_runs_sweep.delay().get() == {"requeued": 0, "sent": 0, "not_sent": 0}
