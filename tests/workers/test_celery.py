"""Celery: in-process in the embedded default; a real worker consuming from a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from tests.services import RedisServer, current_database_url, redis_server
from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_embedded_default_runs_tasks_in_process() -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER
    result = heartbeat.delay()
    assert result.successful()
    record = WorkerHeartbeat.objects.get()
    assert result.result["hostname"] == record.hostname
    heartbeat.delay()
    record.refresh_from_db()
    assert record.tasks_run == 2


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_process_consumes_a_task_from_redis(redis: RedisServer, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "CELERY_BROKER_URL": redis.url,
        "CELERY_RESULT_BACKEND": redis.url,
        "DATABASE_URL": current_database_url(),
        "CADASTRE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cadastre.settings",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                "cadastre-test@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # A client configured for the broker, as the web process is in scale-out.
            client = Celery("cadastre-client", broker=redis.url, backend=redis.url)
            client.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
            result = client.send_task("workers.heartbeat")
            payload = result.get(timeout=60)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert payload["hostname"].startswith("cadastre-test@"), log.read_text()
    record = WorkerHeartbeat.objects.get(hostname=payload["hostname"])
    assert record.tasks_run == 1
    assert "workers.heartbeat" in log.read_text()
