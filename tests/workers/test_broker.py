"""Task runs through a real Redis broker and real Celery worker processes.

Queued -> running with progress -> done; queued while the broker is down and sent once it is back;
a worker killed mid-task leaves one result; transient errors are retried with backoff.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import TagFactory
from tests.services import free_port, redis_server
from tests.workers.conftest import WorkerFactory, wait_until
from tests.workers.tasks_for_tests import effects
from workers.models import TaskRun
from workers.services import task_run_enqueue, task_runs_sweep

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def state_of(run: TaskRun) -> TaskRun:
    run.refresh_from_db()
    return run


def wait_for_state(run: TaskRun, *states: str, timeout: float = 60, worker: object = None) -> TaskRun:
    try:
        wait_until(lambda: state_of(run).state in states, timeout=timeout, message=f"run {run.pk} in {states}")
    except AssertionError:
        logs = worker.output() if worker is not None else ""  # type: ignore[attr-defined]
        raise AssertionError(f"run {run.pk} is {run.state} ({run.message}); worker log:\n{logs}") from None
    return run


def test_enqueue_runs_on_a_worker_with_progress(broker, start_worker: WorkerFactory, effect_table: str) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(broker.url)
    run = task_run_enqueue(
        task_name="tests.progress_effect",
        target=TagFactory(),
        kwargs={"steps": 4, "pause": 0.6, "note": "via redis"},
        label="Progress test",
    )
    run.refresh_from_db()
    assert run.state == TaskRun.State.QUEUED
    assert run.sent_at is not None and run.error == ""
    seen: set[int] = set()

    def done() -> bool:
        state_of(run)
        if run.state == TaskRun.State.RUNNING:
            seen.add(run.progress)
        return run.state == TaskRun.State.DONE

    wait_until(done, timeout=60, message="the run to finish")
    assert any(0 < percent < 100 for percent in seen), (seen, worker.output())
    assert run.progress == 100 and run.result == {"steps": 4, "note": "via redis"}
    assert run.worker.startswith("cadastre-test-w1@")
    assert run.attempts == 1
    assert effects(run.pk) == [(run.pk, 1, "via redis")]


def test_a_task_queued_while_the_broker_is_down_runs_once_it_is_back(
    broker,  # type: ignore[no-untyped-def]
    start_worker: WorkerFactory,
    effect_table: str,
) -> None:
    port = broker.port
    broker.stop()
    assert not broker.ping()

    run = task_run_enqueue(task_name="tests.progress_effect", target=TagFactory(), kwargs={"steps": 1, "note": "late"})
    other = task_run_enqueue(task_name="tests.slow_effect", target=TagFactory(), kwargs={"sleep": 0, "note": "other"})

    run.refresh_from_db()
    assert run.state == TaskRun.State.QUEUED
    assert run.sent_at is None
    assert "Broker unreachable" in run.error
    assert run.message == "Waiting for the broker."
    # Still down: the sweep leaves them queued (giving up on the first refusal).
    assert task_runs_sweep(older_than=timedelta(0)) == {"requeued": 0, "sent": 0, "not_sent": 2}

    with redis_server(port=port) as again:
        worker = start_worker(again.url)
        assert task_runs_sweep(older_than=timedelta(0)) == {"requeued": 0, "sent": 2, "not_sent": 0}
        wait_for_state(run, TaskRun.State.DONE, worker=worker)
        wait_for_state(other, TaskRun.State.DONE, worker=worker)
        assert run.error == "" and run.attempts == 1
        assert effects(run.pk) == [(run.pk, 1, "late")]
        assert effects(other.pk) == [(other.pk, 1, "other")]
        # Sweeping again sends nothing more.
        assert task_runs_sweep(older_than=timedelta(0)) == {"requeued": 0, "sent": 0, "not_sent": 0}


def test_a_worker_killed_mid_task_leaves_one_result(broker, start_worker: WorkerFactory, effect_table: str) -> None:  # type: ignore[no-untyped-def]
    first = start_worker(broker.url, name="doomed")
    run = task_run_enqueue(task_name="tests.slow_effect", target=TagFactory(), kwargs={"sleep": 8, "note": "slow"})
    wait_for_state(run, TaskRun.State.RUNNING, worker=first)
    assert run.worker.startswith("cadastre-test-doomed@")
    wait_until(lambda: "tests.slow_effect" in first.output() and "received" in first.output(), timeout=10)
    first.kill()  # mid-task: its effect was written in the task's transaction, never committed
    assert state_of(run).state == TaskRun.State.RUNNING
    assert effects(run.pk) == []

    # No sweep here: the unacknowledged message comes back by itself (acks_late, visibility timeout).
    second = start_worker(broker.url, name="heir")
    wait_for_state(run, TaskRun.State.DONE, timeout=90, worker=second)
    assert run.attempts == 2
    assert run.worker.startswith("cadastre-test-heir@")
    assert run.result == {"slept": 8, "attempt": 2}
    assert effects(run.pk) == [(run.pk, 2, "slow")]


def test_transient_errors_are_retried_with_backoff_until_the_server_is_up(
    broker,  # type: ignore[no-untyped-def]
    start_worker: WorkerFactory,
    effect_table: str,
) -> None:
    worker = start_worker(broker.url)
    port = free_port()  # nothing listens there yet: the task's connection is refused
    run = task_run_enqueue(task_name="tests.needs_server", target=TagFactory(), kwargs={"port": port})
    wait_until(lambda: "Retrying in" in state_of(run).message, timeout=60, message="a retry")
    assert run.state == TaskRun.State.QUEUED
    assert "ConnectionRefusedError" in run.error
    with redis_server(port=port):
        wait_for_state(run, TaskRun.State.DONE, timeout=60, worker=worker)
    assert run.attempts >= 2
    assert run.error == ""
    assert effects(run.pk) == [(run.pk, run.attempts, f"reached {port}")]
    assert "retry" in worker.output().lower()


def test_a_task_fails_with_the_reason_after_its_last_retry(
    broker, start_worker: WorkerFactory, effect_table: str
) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(broker.url)
    port = free_port()
    run = task_run_enqueue(task_name="tests.needs_server", target=TagFactory(), kwargs={"port": port})
    wait_for_state(run, TaskRun.State.FAILED, timeout=90, worker=worker)
    assert run.attempts == 4  # the first attempt and 3 retries
    assert run.error.startswith("Gave up after 4 attempts: ConnectionRefusedError")
    assert run.message.startswith("Failed: Gave up after 4 attempts")
    assert run.finished_at is not None
    assert effects(run.pk) == []
