"""What the platform knows about its workers and tasks.

- ``WorkerHeartbeat``: the latest heartbeat each worker process answered (health page).
- ``BeatTick``: the latest tick of the periodic scheduler (``celery -A workers beat``).
- ``TaskRun``: one queued unit of background work on a domain object (its *target*), with the
  state shown on that object's page: queued, running with a percentage, done, failed with the
  reason. Written only by ``workers.services``; read through ``workers.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q


class WorkerHeartbeat(models.Model):
    """The latest heartbeat a worker process answered, shown on the health page."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()
    tasks_run = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class BeatTick(models.Model):
    """The last tick of the periodic scheduler: a worker ran the ``workers.beat_tick`` task."""

    scheduler = models.CharField(max_length=100, unique=True, default="beat")
    last_tick_at = models.DateTimeField()
    ticks = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scheduler} at {self.last_tick_at:%Y-%m-%d %H:%M:%S}"


class TaskRunQuerySet(models.QuerySet["TaskRun"]):
    def for_target(self, obj: models.Model) -> TaskRunQuerySet:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        return self.filter(target_type=content_type, target_id=obj.pk)

    def active(self) -> TaskRunQuerySet:
        return self.filter(state__in=[TaskRun.State.QUEUED, TaskRun.State.RUNNING])


class TaskRun(models.Model):
    """One run of a Celery task on a target object, from queued to done or failed."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")

    task_name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    # Extra keyword arguments sent with the task besides ``task_run_id`` (kept to re-send it).
    kwargs = models.JSONField(default=dict, blank=True)

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    celery_task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    # The attempt that holds the run while it is running, and until when (kept alive while the
    # attempt's process lives). A redelivered message finds it expired once that process died.
    claim = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TaskRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-queued_at"], name="workers_taskrun_target"),
            models.Index(fields=["state", "sent_at"], name="workers_taskrun_state_sent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="workers_taskrun_progress_lte_100"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.task_name} #{self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.RUNNING}
