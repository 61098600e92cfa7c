"""``project_stage_changed`` is sent once a transition is committed, never for a refused move."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from projects import services
from projects.models import Project, Stage, StageTransition
from projects.signals import project_stage_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sender: type, **kwargs: Any) -> None:
        calls.append({"sender": sender, **kwargs})

    project_stage_changed.connect(receiver, weak=False, dispatch_uid="test-receiver")
    yield calls
    project_stage_changed.disconnect(dispatch_uid="test-receiver")


def test_sent_on_commit_with_the_transition(
    lead: Any, project: Project, received: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition = services.project_transition(
            project=project, target_stage=Stage.ABANDONED, actor=lead, reason="No data."
        )
    assert received == [], "nothing is sent before the commit"
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(received) == 1
    call = received[0]
    assert call["sender"] is Project
    assert (call["project"].pk, call["from_stage"], call["to_stage"], call["actor"], call["transition"]) == (
        project.pk,
        Stage.QUALIFICATION,
        Stage.ABANDONED,
        lead,
        transition,
    )
    assert call["project"].stage == Stage.ABANDONED


def test_not_sent_when_the_move_is_refused_or_rolled_back(
    lead: Any, project: Project, received: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Exception):  # noqa: B017 - the gate refuses
            services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="x")
            raise RuntimeError("rolled back")
    assert received == []
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION
    assert not StageTransition.objects.filter(to_stage=Stage.ABANDONED).exists()


def test_a_failing_receiver_is_logged_and_does_not_undo_the_move(
    lead: Any, project: Project, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    def broken(sender: type, **kwargs: Any) -> None:
        raise RuntimeError("governance is down")

    project_stage_changed.connect(broken, weak=False, dispatch_uid="broken")
    try:
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="x")
    finally:
        project_stage_changed.disconnect(dispatch_uid="broken")
    assert Project.objects.get(pk=project.pk).stage == Stage.ABANDONED
    assert "project_stage_changed receiver" in caplog.text
