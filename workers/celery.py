"""The Celery application, configured from Django settings (``CELERY_*``).

Embedded default: no ``CELERY_BROKER_URL``, so ``task_always_eager`` is on and tasks run
in-process when queued. Scale-out: ``CELERY_BROKER_URL=redis://...`` and separate processes:
``celery -A workers worker`` and ``celery -A workers beat``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadastre.settings")

app = Celery("cadastre")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
