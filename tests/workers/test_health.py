"""The health page shows the task queue: runs by state, the oldest queued one, the last beat tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.roles import Role
from tests.factories import TagFactory
from workers.models import TaskRun
from workers.services import beat_tick_record, task_run_enqueue, task_run_fail, task_run_start

pytestmark = pytest.mark.django_db


def page_for(user: object) -> object:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client.get(reverse("frontend:health"))


def test_health_page_shows_the_queue(admin_user) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory()
    runs = [task_run_enqueue(task_name="tests.progress_effect", target=tag) for _ in range(4)]
    TaskRun.objects.filter(pk=runs[0].pk).update(queued_at=timezone.now() - timedelta(minutes=7))
    assert task_run_start(run_id=runs[1].pk, worker="w1") is not None
    task_run_fail(run=runs[2], reason="Dataset file missing")
    beat_tick_record()

    response = page_for(admin_user)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="num" data-queue="queued">2</td>' in html
    assert '<td class="num" data-queue="unsent">2</td>' in html  # never committed: no hook sent them
    assert '<td class="num" data-queue="running">1</td>' in html
    assert '<td class="num" data-queue="failed">1</td>' in html
    assert "7\xa0minutes ago" in html or "7 minutes ago" in html
    assert "(1 ticks)" in html
    assert "Dataset file missing" in html


def test_health_page_says_when_beat_never_ticked(admin_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    html = page_for(admin_user).content.decode()
    assert "Never" in html and "scripts/beat.sh" in html


def test_health_page_is_for_admins(make_user) -> None:  # type: ignore[no-untyped-def]
    assert page_for(make_user(Role.DATA_SCIENTIST)).status_code == 403
