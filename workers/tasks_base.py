"""``tracked_task``: a Celery task whose state is kept on a ``TaskRun`` shown on its object's page.

Write a domain task as a function of the run and the ids it needs, and queue it with
``workers.services.task_run_enqueue``::

    from workers.tasks_base import TaskFailed, tracked_task
    from workers.services import task_run_progress

    @tracked_task(name="catalog.profile_version")
    def profile_version(run, *, version_id: int) -> dict:
        version = DatasetVersion.objects.get(pk=version_id)
        for percent, step in profile_steps(version):
            task_run_progress(run=run, percent=percent, message=step)  # visible at once
        if broken:
            raise TaskFailed("The file is not valid CSV.")  # failed with this reason, no retry
        return {"rows": 42}  # TaskRun.result

    # in a service, inside its transaction:
    task_run_enqueue(task_name="catalog.profile_version", target=version, kwargs={"version_id": version.pk})

The Celery task takes ``task_run_id`` plus the function's keyword arguments (ids, JSON). It:

- claims the run (``task_run_start``): nothing is done for a run already done or failed, or held by
  a live attempt (a duplicate message retries later, in case that attempt dies);
- runs the function in one transaction (``atomic=True``, the default) and marks the run done
  inside it: the domain writes and the result commit together, once. A worker killed mid-task
  leaves nothing half-written; its message is redelivered (``acks_late``, reject on worker lost,
  Redis visibility timeout) or the sweep re-sends it, and the next attempt does the work again.
  ``atomic=False`` for long tasks that commit as they go: their writes must be idempotent;
- keeps the attempt's lease alive from a thread while the function runs, so a live attempt is
  never taken over and a dead one is, ``TASK_RUN_LEASE_SECONDS`` after its worker died;
- retries transient errors (database ``OperationalError``/``InterfaceError``, ``ConnectionError``,
  ``TimeoutError``, broker errors, plus ``transient=``) with exponential backoff and full jitter
  (``retry_backoff`` * 2**n seconds, at most ``retry_backoff_max``), ``max_retries`` times; then,
  and on any other error, marks the run failed with the reason.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from workers.models import TaskRun
from workers.services import (
    TaskRunClaimLost,
    task_run_fail,
    task_run_finish,
    task_run_renew,
    task_run_requeue,
    task_run_start,
)

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    BrokerOperationalError,
)


# How many times a duplicate message checks back on a run held by a live attempt.
HELD_RETRIES_MAX = 10_000


# In the embedded default (in-process) a transient error is retried at once, after this pause at most.
EAGER_RETRY_PAUSE = 0.5


class _RetryInProcess(Exception):
    """Internal: retry the attempt in this process (embedded default)."""


class TaskFailed(Exception):
    """Raise from a tracked task to fail its run with this reason, without retrying."""


class _LeaseKeeper:
    """Renews the attempt's lease every third of the lease while the task runs (own connection)."""

    def __init__(self, run: TaskRun) -> None:
        self.run = run
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"task-run-{run.pk}-lease", daemon=True)

    def _loop(self) -> None:
        interval = max(1.0, settings.TASK_RUN_LEASE_SECONDS / 3)
        try:
            while not self.stopped.wait(interval):
                try:
                    if not task_run_renew(run=self.run):
                        return
                except Exception as exc:  # the database may be busy or briefly down: try again
                    logger.warning("Could not renew the lease of task run %s: %s", self.run.pk, exc)
        finally:
            connections.close_all()

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def tracked_task(
    *,
    name: str,
    transient: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    retry_backoff: float = 2.0,
    retry_backoff_max: float = 600.0,
    atomic: bool = True,
    **options: Any,
) -> Callable[[Callable[..., dict[str, Any] | None]], Any]:
    """Decorate ``fn(run, **ids) -> dict | None`` into the Celery task ``name`` (see module doc)."""
    retry_on = TRANSIENT_ERRORS + tuple(transient)

    def decorator(fn: Callable[..., dict[str, Any] | None]) -> Any:
        @shared_task(
            bind=True,
            name=name,
            acks_late=True,
            reject_on_worker_lost=True,
            max_retries=max_retries,
            **options,
        )
        @functools.wraps(fn)
        def task(self: Any, task_run_id: int, **kwargs: Any) -> dict[str, Any] | None:
            while True:
                try:
                    return _attempt(self, task_run_id, kwargs)
                except _RetryInProcess:
                    continue  # embedded default: retried here, in-process, after a short pause

        def _attempt(self: Any, task_run_id: int, kwargs: dict[str, Any]) -> dict[str, Any] | None:
            eager = bool(self.request.is_eager)
            worker = self.request.hostname or socket.gethostname()

            def retry_later(exc: BaseException, run: TaskRun | None) -> Any:
                # Retries are counted on the run (its attempts), so that a duplicate message that
                # waited for another attempt, or a redelivery after a lost worker, counts right.
                retries = run.attempts - 1 if run is not None else self.request.retries
                if eager and run is None:
                    raise exc  # the run could not even be claimed in-process: nothing counts the tries
                if retries >= max_retries:
                    reason = f"Gave up after {retries + 1} attempts: {_reason(exc)}"
                    if run is not None:
                        _safely(lambda: task_run_fail(run=run, reason=reason))
                    raise exc
                countdown = get_exponential_backoff_interval(
                    factor=retry_backoff, retries=retries, maximum=retry_backoff_max, full_jitter=True
                )
                countdown = max(countdown, 1)
                if run is not None:
                    _safely(lambda: task_run_requeue(run=run, reason=_reason(exc), countdown=countdown))
                logger.warning("Task %s (run %s) retries in %ss: %s", name, task_run_id, countdown, exc)
                if eager:
                    time.sleep(min(countdown, EAGER_RETRY_PAUSE))
                    raise _RetryInProcess from exc
                raise self.retry(exc=exc, countdown=countdown, max_retries=HELD_RETRIES_MAX)

            try:
                run = task_run_start(run_id=task_run_id, worker=worker, celery_task_id=self.request.id or "")
            except retry_on as exc:
                return retry_later(exc, None)
            if run is None:
                current = TaskRun.objects.filter(pk=task_run_id).first()
                if (
                    not eager
                    and current is not None
                    and current.state == TaskRun.State.RUNNING
                    and current.lease_expires_at is not None
                ):
                    # Held by another live attempt: come back after its lease, in case it dies.
                    wait = max(1.0, (current.lease_expires_at - timezone.now()).total_seconds() + 1)
                    logger.info("Task run %s is held by %s; checking again in %.0fs", task_run_id, current.worker, wait)
                    raise self.retry(countdown=wait, max_retries=HELD_RETRIES_MAX)
                return None

            keeper = None if eager else _LeaseKeeper(run)
            try:
                if keeper is not None:
                    keeper.__enter__()
                if atomic:
                    with transaction.atomic():
                        result = fn(run, **kwargs)
                        task_run_finish(run=run, result=result)
                else:
                    result = fn(run, **kwargs)
                    task_run_finish(run=run, result=result)
            except TaskFailed as exc:
                task_run_fail(run=run, reason=str(exc) or "Failed.")
                return None
            except TaskRunClaimLost:
                logger.warning("Task run %s was taken over by another attempt; this one's work is discarded", run.pk)
                return None
            except retry_on as exc:
                return retry_later(exc, run)
            except Exception as exc:
                reason = _reason(exc)
                _safely(lambda: task_run_fail(run=run, reason=reason))
                raise
            finally:
                if keeper is not None:
                    keeper.__exit__()
            return result

        return task

    return decorator


def _safely(write: Callable[[], Any]) -> None:
    """Record a run's state, but never hide the task's own error behind a failed write."""
    try:
        write()
    except Exception as exc:
        logger.warning("Could not record the task run state: %s", exc)
