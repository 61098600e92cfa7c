"""The workers' environment variables are parsed strictly, like every setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.settings.test_settings import run_manage


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CELERY_VISIBILITY_TIMEOUT", "soon"),
        ("CELERY_VISIBILITY_TIMEOUT", "0"),
        ("TASK_RUN_LEASE_SECONDS", "4"),
        ("TASK_RUN_LEASE_SECONDS", "1m"),
        ("TASK_RUN_RESEND_AFTER_SECONDS", "59"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(name: str, value: str, tmp_path: Path) -> None:
    result = run_manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"Configuration error: Environment variable {name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_values_reach_the_celery_configuration(tmp_path: Path) -> None:
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from workers.celery import app; from django.conf import settings; "
        "print(app.conf.broker_transport_options['visibility_timeout'], settings.TASK_RUN_LEASE_SECONDS, "
        "app.conf.beat_scheduler, app.conf.task_acks_late, app.conf.task_reject_on_worker_lost)",
        env={"CELERY_VISIBILITY_TIMEOUT": "120", "TASK_RUN_LEASE_SECONDS": "30"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["120", "30", "django_celery_beat.schedulers:DatabaseScheduler", "True", "True"]
