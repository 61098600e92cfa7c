"""/api/tasks/: who may read a task run (who may see its target), its shape, list by target."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from catalog.roles import Role
from tests.factories import DatasetFactory, MembershipFactory, ProjectFactory, TagFactory
from workers.models import TaskRun
from workers.services import task_run_enqueue, task_run_fail, task_run_progress, task_run_start

pytestmark = pytest.mark.django_db


def queued_run(target: object, label: str = "Profiling") -> TaskRun:
    # Queued in the test's transaction: its commit hook (sending it) never runs, it stays queued.
    return task_run_enqueue(task_name="tests.progress_effect", target=target, label=label)  # type: ignore[arg-type]


def detail(run: TaskRun) -> str:
    return reverse("workers-api:taskrun-detail", args=[run.pk])


def test_anonymous_gets_401(client_for) -> None:  # type: ignore[no-untyped-def]
    run = queued_run(DatasetFactory())
    assert client_for(None).get(detail(run)).status_code == 401
    response = client_for(None).get(reverse("workers-api:taskrun-list"), {"target_type": "catalog.dataset"})
    assert response.status_code == 401


def test_a_user_who_may_see_the_dataset_reads_its_run(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory()
    run = queued_run(dataset)
    started = task_run_start(run_id=run.pk, worker="w1")
    assert started is not None
    task_run_progress(run=started, percent=40, message="Columns 4 of 10")
    reader = make_user(Role.DATA_SCIENTIST)  # catalog.view_dataset through the role
    response = client_for(reader).get(detail(run))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == run.pk
    assert body["target_type"] == "catalog.dataset" and body["target_id"] == dataset.pk
    assert (body["state"], body["active"], body["progress"]) == ("running", True, 40)
    assert body["message"] == "Columns 4 of 10"
    assert body["label"] == "Profiling" and body["attempts"] == 1
    assert "result" not in body and "claim" not in body and "kwargs" not in body


def test_wrong_role_gets_404(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    # No role: no catalog.view_tag permission, not staff.
    run = queued_run(TagFactory())
    nobody = make_user()
    assert client_for(nobody).get(detail(run)).status_code == 404
    listing = client_for(nobody).get(
        reverse("workers-api:taskrun-list"), {"target_type": "catalog.tag", "target_id": run.target_id}
    )
    assert listing.status_code == 200 and listing.json()["results"] == []


def test_project_runs_follow_who_reads_the_project(client_for, make_user, admin_user) -> None:  # type: ignore[no-untyped-def]
    project = ProjectFactory()
    run = queued_run(project, label="MLflow sync")
    member = make_user(Role.DATA_SCIENTIST)
    MembershipFactory(project=project, user=member)
    outsider = make_user(Role.DATA_SCIENTIST)
    assert client_for(member).get(detail(run)).status_code == 200
    assert client_for(outsider).get(detail(run)).status_code == 404
    assert client_for(admin_user).get(detail(run)).status_code == 200


def test_list_by_target_newest_first_and_by_task_name(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    dataset, other = DatasetFactory(), DatasetFactory()
    first = queued_run(dataset, "First")
    second = queued_run(dataset, "Second")
    failed = task_run_fail(run=queued_run(dataset, "Third"), reason="Broken file")
    queued_run(other, "Elsewhere")
    reader = make_user(Role.DATA_CUSTODIAN)
    url = reverse("workers-api:taskrun-list")
    response = client_for(reader).get(url, {"target_type": "catalog.dataset", "target_id": dataset.pk})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [failed.pk, second.pk, first.pk]
    assert response.json()["results"][0]["error"] == "Broken file"
    named = client_for(reader).get(
        url, {"target_type": "catalog.dataset", "target_id": dataset.pk, "task_name": "tests.other"}
    )
    assert named.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "target_type"),
        ({"target_type": "catalog.dataset"}, "target_id"),
        ({"target_type": "catalog.dataset", "target_id": "x"}, "target_id"),
        ({"target_type": "nodot", "target_id": "1"}, "target_type"),
        ({"target_type": "catalog.nosuchmodel", "target_id": "1"}, "target_type"),
    ],
)
def test_bad_list_parameters_get_400_naming_the_field(client_for, make_user, params, field) -> None:  # type: ignore[no-untyped-def]
    response = client_for(make_user(Role.DATA_SCIENTIST)).get(reverse("workers-api:taskrun-list"), params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_task_run_fragment_shows_state_progress_and_reason() -> None:
    run = queued_run(DatasetFactory(), "Profiling v3")
    started = task_run_start(run_id=run.pk, worker="w1")
    assert started is not None
    task_run_progress(run=started, percent=55, message="Columns 6 of 11")
    run.refresh_from_db()
    html = render_to_string("frontend/_task_run.html", {"run": run})
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="55"' in html and 'aria-valuemin="0"' in html and 'aria-valuemax="100"' in html
    assert "Profiling v3" in html and "Running" in html and "Columns 6 of 11" in html
    assert f'data-task-run-url="/api/tasks/{run.pk}/"' in html
    assert 'data-state="running"' in html
    assert "frontend/task_runs.js" in html
    assert "data-task-run-error hidden" in html

    failed = task_run_fail(run=started, reason="The file is not valid CSV.")
    failed.refresh_from_db()
    html = render_to_string("frontend/_task_run.html", {"run": failed})
    assert "Failed" in html and "The file is not valid CSV." in html
    assert "data-task-run-error hidden" not in html
    assert render_to_string("frontend/_task_run.html", {"run": None}).strip() == ""
