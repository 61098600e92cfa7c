"""A task run's fragment polls /api/tasks/<id>/ and follows the run to its end without a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.factories import TaskRunFactory
from workers.services import task_run_fail, task_run_finish, task_run_progress, task_run_start

pytestmark = pytest.mark.browser


def test_health_page_follows_a_run_from_queued_to_done(login: Callable[[User], Page], admin_user: User) -> None:
    run = TaskRunFactory(label="Profiling card-payments v2")
    doomed = TaskRunFactory(label="Profiling broken v1")
    page = login(admin_user)
    page.goto("/health/")
    card = page.locator(f"[data-task-run-url='/api/tasks/{run.pk}/']")
    expect(card.get_by_role("heading", name="Profiling card-payments v2")).to_be_visible()
    expect(card.locator("[data-task-run-state]")).to_have_text("Queued")

    started = task_run_start(run_id=run.pk, worker="browser-test")
    assert started is not None
    task_run_progress(run=started, percent=45, message="Columns 5 of 11")
    expect(card.locator("[data-task-run-state]")).to_have_text("Running")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "45")
    expect(card.get_by_role("status")).to_have_text("Columns 5 of 11")

    task_run_finish(run=started, result={"columns": 11})
    expect(card.locator("[data-task-run-state]")).to_have_text("Done")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(card.locator("[data-task-run-percent]")).to_have_text("100%")
    expect(card.locator("[data-task-run-error]")).to_be_hidden()
    expect(card.locator("[data-task-run-times] time")).to_have_count(3)  # queued, started, finished

    failing = page.locator(f"[data-task-run-url='/api/tasks/{doomed.pk}/']")
    expect(failing.locator("[data-task-run-error]")).to_be_hidden()
    task_run_fail(run=doomed, reason="The file is not valid CSV.")
    expect(failing.locator("[data-task-run-state]")).to_have_text("Failed")
    expect(failing.locator("[data-task-run-error]")).to_be_visible()
    expect(failing.locator("[data-task-run-reason]")).to_have_text("The file is not valid CSV.")
