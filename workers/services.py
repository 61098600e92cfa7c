"""Writes of the workers app: worker heartbeats, beat ticks and the life of a ``TaskRun``.

A TaskRun goes queued -> running -> done | failed:

- ``task_run_enqueue`` creates it (queued) in the caller's transaction and sends the Celery task
  once that transaction commits. If the broker does not accept it, the run stays queued with
  ``sent_at`` null and the error noted; ``task_runs_sweep`` (every minute, beat) sends it again.
- ``task_run_start`` claims it for one attempt (a fresh ``claim`` token and a lease renewed while
  the worker lives). A message delivered twice, or redelivered after its worker was killed, runs
  the work again only once the previous attempt's lease expired; a done run is never run again.
- ``task_run_progress`` writes the percentage outside the task's own transaction, so pages see it.
- ``task_run_finish`` writes the result only if the attempt still holds the claim: called inside the
  task's transaction, the domain writes and the result commit together, once.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, transaction
from django.db.models import F
from django.utils import timezone

from workers.models import BeatTick, TaskRun, WorkerHeartbeat

logger = logging.getLogger(__name__)

MESSAGE_MAX = 500


class TaskRunClaimLost(RuntimeError):
    """The attempt no longer holds the run (its lease expired and another attempt took it)."""


@transaction.atomic
def worker_heartbeat_record(*, hostname: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Record that worker ``hostname`` answered; idempotent per call, counts heartbeats."""
    seen = at or timezone.now()
    heartbeat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"last_seen_at": seen, "tasks_run": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(last_seen_at=seen, tasks_run=F("tasks_run") + 1)
        heartbeat.refresh_from_db()
    return heartbeat


@transaction.atomic
def beat_tick_record(*, scheduler: str = "beat", at: datetime | None = None) -> BeatTick:
    """Record a tick of the periodic scheduler (the ``workers.beat_tick`` task ran)."""
    seen = at or timezone.now()
    tick, created = BeatTick.objects.select_for_update().get_or_create(
        scheduler=scheduler, defaults={"last_tick_at": seen, "ticks": 1}
    )
    if not created:
        BeatTick.objects.filter(pk=tick.pk).update(last_tick_at=seen, ticks=F("ticks") + 1)
        tick.refresh_from_db()
    return tick


# --- TaskRun -------------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.TASK_RUN_LEASE_SECONDS)


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


def _check_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "task_run_id" in kwargs:
        raise ValueError("kwargs must not contain task_run_id: it is added by task_run_enqueue")
    try:
        # Celery sends JSON: refuse here, in the caller's transaction, what could not be sent.
        return json.loads(json.dumps(kwargs, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"kwargs must be JSON-serializable: {exc}") from None


@transaction.atomic
def task_run_enqueue(
    *,
    task_name: str,
    target: models.Model,
    kwargs: dict[str, Any] | None = None,
    label: str = "",
    requested_by: AbstractBaseUser | None = None,
) -> TaskRun:
    """Queue ``task_name`` for ``target``: a queued TaskRun now, the Celery message on commit.

    The task receives ``task_run_id=run.id`` plus ``kwargs``. Nothing is sent if the caller's
    transaction rolls back; if the broker is unreachable the run stays queued and unsent (error
    noted) and ``task_runs_sweep`` sends it when the broker is back.
    """
    if target.pk is None:
        raise ValueError("target must be saved before a task is queued for it")
    if not task_name:
        raise ValueError("task_name is required")
    user = requested_by if requested_by is not None and requested_by.is_authenticated else None
    run = TaskRun.objects.create(
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=target.pk,
        task_name=task_name,
        label=_short(label)[:200],
        kwargs=_check_kwargs(dict(kwargs or {})),
        state=TaskRun.State.QUEUED,
        queued_at=timezone.now(),
        message="Waiting for a worker.",
        requested_by=user,
    )
    run_id = run.pk
    transaction.on_commit(lambda: _send(run_id))
    return run


SENT, SKIPPED, BROKER_DOWN = "sent", "skipped", "broker down"


def _send(run_id: int) -> str:
    """Hand a queued run to Celery (or run it in-process in the embedded default). Never raises.

    Returns ``SENT``, ``SKIPPED`` (no longer queued) or ``BROKER_DOWN`` (left queued, unsent).
    """
    from workers.celery import app

    run = TaskRun.objects.filter(pk=run_id, state=TaskRun.State.QUEUED).first()
    if run is None:
        return SKIPPED
    task_id = uuid.uuid4().hex
    TaskRun.objects.filter(pk=run.pk, state=TaskRun.State.QUEUED).update(celery_task_id=task_id)
    payload = {"task_run_id": run.pk, **run.kwargs}
    if app.conf.task_always_eager:
        # Embedded default: the task runs now, in this process; it records its own outcome.
        TaskRun.objects.filter(pk=run.pk, sent_at__isnull=True).update(sent_at=timezone.now(), error="")
        task = app.tasks.get(run.task_name)
        if task is None:
            task_run_fail(run=run, reason=f"Unknown task {run.task_name!r}.")
            return SKIPPED
        try:
            task.apply_async(kwargs=payload, task_id=task_id)
        except Exception:  # the run holds the reason; the caller's request must not fail
            logger.exception("Task %s (run %s) failed in-process", run.task_name, run.pk)
        return SENT
    try:
        app.send_task(run.task_name, kwargs=payload, task_id=task_id)
    except Exception as exc:  # broker down, DNS, refused: the sweep sends it again
        reason = f"Broker unreachable, will be sent again: {type(exc).__name__}: {exc}"
        logger.warning("Task %s (run %s) not sent: %s", run.task_name, run.pk, exc)
        TaskRun.objects.filter(pk=run.pk, state=TaskRun.State.QUEUED).update(
            sent_at=None, error=reason, message="Waiting for the broker."
        )
        return BROKER_DOWN
    now = timezone.now()
    TaskRun.objects.filter(pk=run.pk, state=TaskRun.State.QUEUED).update(
        sent_at=now, error="", message="Waiting for a worker."
    )
    # A fast worker may have claimed it already: record that the broker accepted it anyway.
    TaskRun.objects.filter(pk=run.pk, sent_at__isnull=True).update(sent_at=now)
    return SENT


def task_run_start(
    *, run_id: int, worker: str = "", celery_task_id: str = "", lease_seconds: int | None = None
) -> TaskRun | None:
    """Claim the run for this attempt; ``None`` when there is nothing to do.

    ``None`` when the run does not exist, is done or failed, or is running under a live attempt
    (its lease not expired). A queued run, or a running one whose lease expired (its worker was
    killed), is claimed: state running, a new ``claim`` token, ``attempts`` + 1.
    """
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds) if lease_seconds is not None else _lease()
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state in {TaskRun.State.DONE, TaskRun.State.FAILED}:
            return None
        if run.state == TaskRun.State.RUNNING and run.lease_expires_at is not None and run.lease_expires_at > now:
            return None
        retaken = run.state == TaskRun.State.RUNNING
        run.state = TaskRun.State.RUNNING
        run.claim = uuid.uuid4().hex
        run.lease_expires_at = now + lease
        run.attempts += 1
        run.started_at = now
        run.sent_at = run.sent_at or now
        run.worker = worker[:255]
        run.celery_task_id = celery_task_id or run.celery_task_id
        run.progress = 0
        if retaken:
            run.message = f"Running again (attempt {run.attempts}): the previous worker was lost."
        elif run.attempts > 1:
            run.message = f"Running (attempt {run.attempts})."
        else:
            run.message = "Running."
        run.save(
            update_fields=[
                "state",
                "claim",
                "lease_expires_at",
                "attempts",
                "started_at",
                "sent_at",
                "worker",
                "celery_task_id",
                "progress",
                "message",
                "updated_at",
            ]
        )
        return run


def _outside_transaction(write: Callable[[], int]) -> None:
    """Run ``write`` (an UPDATE returning its row count) so that it commits now if it can.

    Outside a transaction it runs directly (autocommit). Inside one it runs on another database
    connection, in a short-lived thread, and commits at once. It runs in the caller's transaction
    instead (visible when that commits) on SQLite, which has one writer at a time held by the
    caller, and when the other connection cannot see the row yet (created by the caller).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block or connection.vendor == "sqlite":
        write()
        return
    outcome: list[int | BaseException] = []

    def target() -> None:
        try:
            outcome.append(write())
        except BaseException as exc:  # reported in the caller's thread
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="task-run-write", daemon=True)
    thread.start()
    thread.join(timeout=30)
    if outcome and isinstance(outcome[0], BaseException):
        logger.warning("Task run write on its own connection failed: %s", outcome[0])
    if not outcome or outcome[0] == 0 or isinstance(outcome[0], BaseException):
        write()


def task_run_progress(*, run: TaskRun, percent: int, message: str = "") -> None:
    """Report progress (0-100), committed at once and visible to pages polling the run.

    Also renews the attempt's lease. Ignored if the attempt no longer holds the run.
    """
    percent = max(0, min(100, int(percent)))
    now = timezone.now()
    values: dict[str, Any] = {"progress": percent, "lease_expires_at": now + _lease(), "updated_at": now}
    if message:
        values["message"] = _short(message)
    run.progress = percent
    if message:
        run.message = values["message"]

    def write() -> int:
        return TaskRun.objects.filter(pk=run.pk, claim=run.claim, state=TaskRun.State.RUNNING).update(**values)

    _outside_transaction(write)


def task_run_renew(*, run: TaskRun) -> bool:
    """Extend the attempt's lease (the worker is alive); False if the attempt lost the run."""
    now = timezone.now()
    return bool(
        TaskRun.objects.filter(pk=run.pk, claim=run.claim, state=TaskRun.State.RUNNING).update(
            lease_expires_at=now + _lease()
        )
    )


def task_run_finish(*, run: TaskRun, result: dict[str, Any] | None = None) -> TaskRun:
    """Mark the run done with ``result``, once: raises ``TaskRunClaimLost`` if the attempt lost it.

    Call it inside the task's transaction so that the domain writes and the result commit together.
    """
    now = timezone.now()
    stored = _check_kwargs(result) if result is not None else None
    updated = TaskRun.objects.filter(pk=run.pk, claim=run.claim, state=TaskRun.State.RUNNING).update(
        state=TaskRun.State.DONE,
        progress=100,
        result=stored,
        error="",
        message="Done.",
        finished_at=now,
        lease_expires_at=None,
        updated_at=now,
    )
    if not updated:
        raise TaskRunClaimLost(f"Task run {run.pk} is no longer held by this attempt.")
    run.state, run.progress, run.result, run.error = TaskRun.State.DONE, 100, stored, ""
    run.message, run.finished_at, run.lease_expires_at = "Done.", now, None
    return run


def task_run_fail(*, run: TaskRun, reason: str) -> TaskRun:
    """Mark the run failed with ``reason``: a queued run, or a running one held by this attempt.

    A done run stays done. ``tracked_task`` calls it after the task's transaction rolled back.
    """
    now = timezone.now()
    reason = reason.strip() or "Failed."
    values: dict[str, Any] = {
        "state": TaskRun.State.FAILED,
        "error": reason,
        "message": _short(f"Failed: {reason.splitlines()[0]}"),
        "finished_at": now,
        "lease_expires_at": None,
        "updated_at": now,
    }

    held = models.Q(state=TaskRun.State.RUNNING, claim=run.claim) if run.claim else models.Q(pk__in=[])
    TaskRun.objects.filter(models.Q(pk=run.pk) & (models.Q(state=TaskRun.State.QUEUED) | held)).update(**values)
    run.state, run.error, run.message = TaskRun.State.FAILED, reason, values["message"]
    run.finished_at, run.lease_expires_at = now, None
    return run


def task_run_requeue(*, run: TaskRun, reason: str, countdown: float) -> TaskRun:
    """Give the run back to the queue for a retry in ``countdown`` seconds (transient error)."""
    now = timezone.now()
    message = _short(f"Retrying in {countdown:.0f} s after attempt {run.attempts}: {reason.splitlines()[0]}")
    values: dict[str, Any] = {
        "state": TaskRun.State.QUEUED,
        "claim": "",
        "lease_expires_at": None,
        "error": reason,
        "message": message,
        "sent_at": now,
        "updated_at": now,
    }

    TaskRun.objects.filter(pk=run.pk, claim=run.claim, state=TaskRun.State.RUNNING).update(**values)
    run.state, run.claim, run.lease_expires_at, run.error, run.message = TaskRun.State.QUEUED, "", None, reason, message
    return run


def task_runs_sweep(*, older_than: timedelta, resend_after: timedelta | None = None) -> dict[str, int]:
    """Send again what would otherwise be lost; idempotent, run every minute by beat.

    - queued runs never accepted by the broker (``sent_at`` null), queued more than ``older_than`` ago;
    - running runs whose attempt's lease expired (the worker was killed or lost): back to queued;
    - queued runs sent more than ``resend_after`` ago that no worker started (message lost).
    """
    now = timezone.now()
    resend_after = resend_after or timedelta(seconds=settings.TASK_RUN_RESEND_AFTER_SECONDS)
    lost_ids = list(
        TaskRun.objects.filter(state=TaskRun.State.RUNNING, lease_expires_at__lt=now).values_list("pk", flat=True)
    )
    requeued = 0
    for run_id in lost_ids:
        with transaction.atomic():
            run = TaskRun.objects.select_for_update().filter(pk=run_id).first()
            if run is None or run.state != TaskRun.State.RUNNING or not run.lease_expires_at:
                continue
            if run.lease_expires_at >= timezone.now():
                continue
            worker = run.worker or "unknown worker"
            TaskRun.objects.filter(pk=run.pk).update(
                state=TaskRun.State.QUEUED,
                claim="",
                lease_expires_at=None,
                sent_at=None,
                message=_short(f"Worker {worker} was lost during attempt {run.attempts}; queued again."),
                updated_at=timezone.now(),
            )
            requeued += 1
    unsent_ids = list(
        TaskRun.objects.filter(state=TaskRun.State.QUEUED)
        .filter(
            models.Q(sent_at__isnull=True, queued_at__lt=now - older_than)
            | models.Q(sent_at__isnull=True, pk__in=lost_ids)
            | models.Q(sent_at__lt=now - resend_after)
        )
        .order_by("queued_at")
        .values_list("pk", flat=True)
    )
    sent = not_sent = 0
    for position, run_id in enumerate(unsent_ids):
        outcome = _send(run_id)
        if outcome == SENT:
            sent += 1
        elif outcome == BROKER_DOWN:
            # Still down: the others wait for the next sweep rather than each timing out now.
            not_sent = len(unsent_ids) - position
            break
    return {"requeued": requeued, "sent": sent, "not_sent": not_sent}
