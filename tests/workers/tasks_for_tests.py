"""Tasks used only by the tests, imported by the test process and by the test worker (``-I``).

Their visible effect is a row in the ``test_task_effect`` table (created by the ``effect_table``
fixture), so a test can count how many times a run's work was committed.
"""

from __future__ import annotations

import socket
import time

from django.db import connection

from workers.models import TaskRun
from workers.services import task_run_progress
from workers.tasks_base import TaskFailed, tracked_task

EFFECT_TABLE = "test_task_effect"


def record_effect(run: TaskRun, note: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EFFECT_TABLE} (run_id, attempt, note) VALUES (%s, %s, %s)",  # noqa: S608
            [run.pk, run.attempts, note],
        )


def effects(run_id: int) -> list[tuple[int, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT run_id, attempt, note FROM {EFFECT_TABLE} WHERE run_id = %s", [run_id])  # noqa: S608
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


@tracked_task(name="tests.progress_effect", atomic=False)
def progress_effect(run: TaskRun, *, steps: int = 4, pause: float = 0.0, note: str = "") -> dict[str, object]:
    """Reports progress step by step (committed as it goes), then records its effect once."""
    for step in range(1, steps + 1):
        time.sleep(pause)
        task_run_progress(run=run, percent=step * 100 // (steps + 1), message=f"Step {step} of {steps}")
    if not any(row[0] == run.pk for row in effects(run.pk)):  # idempotent: atomic=False
        record_effect(run, note)
    return {"steps": steps, "note": note}


@tracked_task(name="tests.slow_effect")
def slow_effect(run: TaskRun, *, sleep: float, note: str = "") -> dict[str, object]:
    """Records its effect, then sleeps before finishing: a worker killed here commits nothing."""
    record_effect(run, note)
    time.sleep(sleep)
    return {"slept": sleep, "attempt": run.attempts}


@tracked_task(name="tests.needs_server", max_retries=3, retry_backoff=1.0, retry_backoff_max=2.0)
def needs_server(run: TaskRun, *, port: int) -> dict[str, object]:
    """Needs a TCP server on ``port``: a refused connection is a transient error, retried."""
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    record_effect(run, f"reached {port}")
    return {"port": port, "attempt": run.attempts}


@tracked_task(name="tests.refuses")
def refuses(run: TaskRun, *, reason: str) -> None:
    """Fails for good with ``reason``."""
    record_effect(run, "before failing")
    raise TaskFailed(reason)


@tracked_task(name="tests.crashes")
def crashes(run: TaskRun) -> None:
    """A programming error: fails the run with the exception, no retry."""
    record_effect(run, "before crashing")
    raise KeyError("missing")
