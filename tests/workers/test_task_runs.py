"""TaskRun services in the embedded default (tasks in-process): claim, finish once, fail, sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from tests.factories import TagFactory, TaskRunFactory
from tests.services import free_port
from tests.workers.tasks_for_tests import crashes, effects, refuses, slow_effect
from workers.models import TaskRun
from workers.selectors import latest_task_run, task_runs_for
from workers.services import (
    TaskRunClaimLost,
    task_run_enqueue,
    task_run_fail,
    task_run_finish,
    task_run_progress,
    task_run_start,
    task_runs_sweep,
)

pytestmark = pytest.mark.django_db


def enqueue(task_name: str, target: object, **kwargs: object) -> TaskRun:
    return task_run_enqueue(task_name=task_name, target=target, kwargs=kwargs, label="Test run")  # type: ignore[arg-type]


def test_enqueue_runs_in_process_after_commit(effect_table: str, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = enqueue("tests.progress_effect", tag, steps=3, note="hello")
    run.refresh_from_db()
    assert run.state == TaskRun.State.QUEUED
    assert run.sent_at is None and run.attempts == 0
    assert run.kwargs == {"steps": 3, "note": "hello"}
    assert len(callbacks) == 1
    callbacks[0]()
    run.refresh_from_db()
    assert run.state == TaskRun.State.DONE
    assert run.progress == 100
    assert run.result == {"steps": 3, "note": "hello"}
    assert run.attempts == 1
    assert run.sent_at is not None and run.started_at is not None and run.finished_at is not None
    assert run.claim and run.lease_expires_at is None
    assert effects(run.pk) == [(run.pk, 1, "hello")]
    assert list(task_runs_for(tag)) == [run]
    assert latest_task_run(tag) == run
    assert latest_task_run(tag, task_name="tests.other") is None


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue("tests.progress_effect", tag)
        raise RuntimeError("the caller fails after queueing")
    assert callbacks == []
    assert not TaskRun.objects.exists()


def test_enqueue_refuses_bad_arguments() -> None:
    tag = TagFactory()
    with pytest.raises(ValueError, match="task_run_id"):
        task_run_enqueue(task_name="tests.progress_effect", target=tag, kwargs={"task_run_id": 3})
    with pytest.raises(ValueError, match="JSON"):
        task_run_enqueue(task_name="tests.progress_effect", target=tag, kwargs={"x": object()})
    with pytest.raises(ValueError, match="saved"):
        task_run_enqueue(task_name="tests.progress_effect", target=TagFactory.build())
    assert not TaskRun.objects.exists()


def test_a_run_is_claimed_by_one_attempt_and_finished_once() -> None:
    tag = TagFactory()
    run = enqueue("tests.slow_effect", tag, sleep=0)
    first = task_run_start(run_id=run.pk, worker="w1")
    assert first is not None and first.state == TaskRun.State.RUNNING and first.attempts == 1
    # A duplicate delivery while the first attempt lives: nothing to do.
    assert task_run_start(run_id=run.pk, worker="w2") is None
    # The first attempt's worker died: its lease expires, the next delivery takes the run over.
    TaskRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    second = task_run_start(run_id=run.pk, worker="w2")
    assert second is not None and second.attempts == 2 and second.claim != first.claim
    assert "previous worker was lost" in second.message
    # The first attempt, were it still around, can no longer write its result.
    with pytest.raises(TaskRunClaimLost):
        task_run_finish(run=first, result={"by": "w1"})
    task_run_progress(run=first, percent=50, message="stale")
    task_run_finish(run=second, result={"by": "w2"})
    run.refresh_from_db()
    assert (run.state, run.result, run.progress, run.worker) == (TaskRun.State.DONE, {"by": "w2"}, 100, "w2")
    # Done is final: a late redelivery does nothing and the result is not overwritten.
    assert task_run_start(run_id=run.pk, worker="w3") is None
    with pytest.raises(TaskRunClaimLost):
        task_run_finish(run=second, result={"by": "again"})
    task_run_fail(run=second, reason="late failure")
    run.refresh_from_db()
    assert run.state == TaskRun.State.DONE and run.result == {"by": "w2"}
    assert task_run_start(run_id=999_999) is None


def _read_in_another_connection(run_id: int) -> tuple[int, str]:
    seen: list[tuple[int, str]] = []

    def read() -> None:
        try:
            seen.append(TaskRun.objects.values_list("progress", "message").get(pk=run_id))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.django_db(transaction=True)
def test_progress_is_committed_outside_the_tasks_transaction() -> None:
    run = task_run_start(run_id=TaskRunFactory().pk)
    assert run is not None
    task_run_progress(run=run, percent=30, message="reading")
    assert _read_in_another_connection(run.pk) == (30, "reading")
    with transaction.atomic():  # the task's own transaction, not committed yet
        task_run_progress(run=run, percent=140, message="almost")
        seen = _read_in_another_connection(run.pk)
        if connection.vendor == "postgresql":
            assert seen == (100, "almost")  # written on another connection, committed at once
        else:
            assert seen == (30, "reading")  # SQLite has one writer: written when the task commits
    assert _read_in_another_connection(run.pk) == (100, "almost")
    task_run_progress(run=run, percent=-3)
    run.refresh_from_db()
    assert (run.progress, run.message) == (0, "almost")


def test_running_the_same_run_twice_writes_once(effect_table: str) -> None:
    run = enqueue("tests.slow_effect", TagFactory(), sleep=0, note="once")
    first = slow_effect.apply(kwargs={"task_run_id": run.pk, "sleep": 0, "note": "once"})
    second = slow_effect.apply(kwargs={"task_run_id": run.pk, "sleep": 0, "note": "once"})
    assert first.result == {"slept": 0, "attempt": 1}
    assert second.result is None
    assert effects(run.pk) == [(run.pk, 1, "once")]
    run.refresh_from_db()
    assert run.state == TaskRun.State.DONE and run.attempts == 1


def test_a_task_that_refuses_fails_with_its_reason_and_rolls_back(effect_table: str) -> None:
    run = enqueue("tests.refuses", TagFactory(), reason="The file is not valid CSV.")
    refuses.apply(kwargs={"task_run_id": run.pk, "reason": "The file is not valid CSV."})
    run.refresh_from_db()
    assert run.state == TaskRun.State.FAILED
    assert run.error == "The file is not valid CSV."
    assert run.message == "Failed: The file is not valid CSV."
    assert run.finished_at is not None and run.attempts == 1
    assert effects(run.pk) == []  # the task's own writes were rolled back


def test_a_crashing_task_fails_with_the_exception_without_retry(effect_table: str) -> None:
    run = enqueue("tests.crashes", TagFactory())
    with pytest.raises(KeyError):  # propagated in-process (CELERY_TASK_EAGER_PROPAGATES)
        crashes.apply(kwargs={"task_run_id": run.pk})
    run.refresh_from_db()
    assert run.state == TaskRun.State.FAILED
    assert run.error == "KeyError: 'missing'"
    assert run.attempts == 1
    assert effects(run.pk) == []


def test_sweep_sends_unsent_runs_and_runs_of_lost_workers(
    effect_table: str, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory()
    with django_capture_on_commit_callbacks(execute=False):
        unsent = enqueue("tests.progress_effect", tag, steps=1, note="unsent")  # its commit hook is lost
        recent = enqueue("tests.progress_effect", tag, steps=1, note="recent")
        lost = enqueue("tests.slow_effect", tag, sleep=0, note="lost")
    old = timezone.now() - timedelta(minutes=5)
    TaskRun.objects.filter(pk__in=[unsent.pk, lost.pk]).update(queued_at=old)
    claimed = task_run_start(run_id=lost.pk, worker="dead-worker")
    assert claimed is not None
    TaskRun.objects.filter(pk=lost.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    outcome = task_runs_sweep(older_than=timedelta(minutes=1))

    assert outcome == {"requeued": 1, "sent": 2, "not_sent": 0}
    states = dict(TaskRun.objects.values_list("pk", "state"))
    assert states == {unsent.pk: "done", recent.pk: "queued", lost.pk: "done"}
    lost.refresh_from_db()
    assert lost.attempts == 2
    assert effects(lost.pk) == [(lost.pk, 2, "lost")]
    assert effects(unsent.pk) == [(unsent.pk, 1, "unsent")]
    # Idempotent: a second sweep finds nothing to do.
    assert task_runs_sweep(older_than=timedelta(minutes=1)) == {"requeued": 0, "sent": 0, "not_sent": 0}


def test_in_process_transient_errors_are_retried_then_fail_with_the_reason(
    effect_table: str,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    port = free_port()  # nothing listens: every attempt's connection is refused
    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue("tests.needs_server", TagFactory(), port=port)
    run.refresh_from_db()
    assert run.state == TaskRun.State.FAILED
    assert run.attempts == 4
    assert run.error.startswith("Gave up after 4 attempts: ConnectionRefusedError")
    assert effects(run.pk) == []
