"""Celery workers. The Celery app is loaded with Django so that ``shared_task`` binds to it.

- ``workers.celery``: the app (``celery -A workers worker`` / ``celery -A workers beat``); in the
  embedded default (no ``CELERY_BROKER_URL``) tasks run in-process when queued.
- ``workers.tasks_base.tracked_task``: the decorator for domain tasks whose state (queued, running
  with a percentage, done, failed with the reason) is kept on a ``workers.models.TaskRun`` for their
  object; queue them with ``workers.services.task_run_enqueue``. Read its module docstring.
- ``workers.selectors``: ``task_runs_for(obj)``, ``latest_task_run(obj, task_name)``.
- ``frontend/templates/frontend/_task_run.html``: the fragment that shows a run and polls
  ``/api/tasks/<id>/`` while it is queued or running.
- Periodic tasks are declared in ``settings.CELERY_BEAT_SCHEDULE`` and kept by beat in
  django-celery-beat's tables (``DatabaseScheduler``, editable in the admin).
"""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
