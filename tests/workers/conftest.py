"""Fixtures for the workers tests: a real Redis, real Celery worker processes, the effect table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

from tests.services import RedisServer, current_database_url, redis_server
from tests.workers import tasks_for_tests  # noqa: F401 - registers the test tasks in this process
from tests.workers.tasks_for_tests import EFFECT_TABLE
from workers.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """After a transactional test emptied the database, put back what data migrations seeded
    (role groups, gate templates) for the tests that follow, as the browser tests do."""
    try:
        return (yield)
    finally:
        marker = item.get_closest_marker("django_db")
        if nextitem is not None and marker is not None and marker.kwargs.get("transaction"):
            from tests.browser.conftest import _ensure_gate_templates, _ensure_role_groups

            with item.config.stash[blocking_manager_key].unblock():
                _ensure_role_groups()
                _ensure_gate_templates()


@pytest.fixture
def effect_table(django_db_setup, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A plain table the test tasks write their effect into (committed, outside test transactions)."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EFFECT_TABLE}")
        cursor.execute(
            f"CREATE TABLE {EFFECT_TABLE} (run_id bigint NOT NULL, attempt integer NOT NULL, note varchar(200))"
        )
    yield EFFECT_TABLE
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EFFECT_TABLE}")


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@contextmanager
def broker_client(url: str) -> Iterator[None]:
    """Point this process's Celery app at a real broker (as the web process is in scale-out)."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    conf.update(broker_url=url, result_backend=None, task_always_eager=False)
    _reset_connections()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_connections()


def _reset_connections() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis: RedisServer) -> Iterator[RedisServer]:
    with broker_client(redis.url):
        yield redis


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task without acknowledging its message."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


WorkerFactory = Callable[..., Worker]


def worker_env(broker_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": current_database_url(),
        "CADASTRE_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "cadastre.settings",
        "TASK_RUN_LEASE_SECONDS": "5",
        "CELERY_VISIBILITY_TIMEOUT": "4",
        **extra,
    }


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[WorkerFactory]:
    """Start real ``celery -A workers worker`` processes that also import the test tasks."""
    started: list[Worker] = []

    def start(broker_url: str, name: str = "w1", **extra: str) -> Worker:
        log = tmp_path / f"worker-{name}-{len(started)}.log"
        out = log.open("wb")
        process = subprocess.Popen(
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
                f"cadastre-test-{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--include",
                "tests.workers.tasks_for_tests",
            ],
            cwd=ROOT,
            env=worker_env(broker_url, tmp_path, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        worker = Worker(process=process, log=log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate: Callable[[], object], *, timeout: float = 60, message: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
