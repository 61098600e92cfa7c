"""Reads of the workers app: the task runs of an object, and whether a user may see a run."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from workers.models import BeatTick, TaskRun
from workers.targets import target_visible_to


def task_runs_for(obj: models.Model) -> models.QuerySet[TaskRun]:
    """The runs queued for ``obj``, newest first."""
    return TaskRun.objects.for_target(obj).order_by("-queued_at", "-id")


def latest_task_run(obj: models.Model, task_name: str | None = None) -> TaskRun | None:
    """The newest run for ``obj`` (of ``task_name`` if given), or None."""
    runs = task_runs_for(obj)
    if task_name is not None:
        runs = runs.filter(task_name=task_name)
    return runs.first()


def task_run_visible_to(run: TaskRun, user: object) -> bool:
    """Whether ``user`` may see ``run``: who may see its target (see ``workers.targets``)."""
    return target_visible_to(run.target_type, [run.target_id], user) == {run.target_id}


def task_runs_visible_to(user: object, *, target_type: ContentType, target_id: int) -> models.QuerySet[TaskRun]:
    """The runs of one target, empty if ``user`` may not see that target."""
    if target_visible_to(target_type, [target_id], user) != {target_id}:
        return TaskRun.objects.none()
    return TaskRun.objects.filter(target_type=target_type, target_id=target_id).order_by("-queued_at", "-id")


def queue_status() -> dict[str, object]:
    """Figures for the health page: runs by state, age of the oldest queued one, last beat tick."""
    counts = dict(TaskRun.objects.values_list("state").annotate(n=models.Count("id")).values_list("state", "n"))
    oldest = TaskRun.objects.filter(state=TaskRun.State.QUEUED).order_by("queued_at").first()
    unsent = TaskRun.objects.filter(state=TaskRun.State.QUEUED, sent_at__isnull=True).count()
    tick = BeatTick.objects.order_by("-last_tick_at").first()
    now = timezone.now()
    return {
        "queued": counts.get(TaskRun.State.QUEUED, 0),
        "running": counts.get(TaskRun.State.RUNNING, 0),
        "done": counts.get(TaskRun.State.DONE, 0),
        "failed": counts.get(TaskRun.State.FAILED, 0),
        "unsent": unsent,
        "oldest_queued_at": oldest.queued_at if oldest else None,
        "oldest_queued_age_seconds": int((now - oldest.queued_at).total_seconds()) if oldest else None,
        "last_beat_tick": tick,
        "recent_failures": list(TaskRun.objects.filter(state=TaskRun.State.FAILED).order_by("-finished_at")[:5]),
        "active_runs": list(TaskRun.objects.active().select_related("target_type").order_by("queued_at")[:10]),
    }
