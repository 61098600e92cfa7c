"""Reads for the board, the project page and the roadmap."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from projects import selectors, services
from projects.models import Project, ProjectRole, Stage
from tests.factories import (
    BacklogItemFactory,
    MembershipFactory,
    MilestoneFactory,
    ModelLinkFactory,
    ProjectFactory,
    UserFactory,
)
from tests.projects.helpers import complete_gate

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def test_the_board_groups_projects_by_stage_stale_first(lead: Any) -> None:
    old = ProjectFactory(name="Old POC", stage=Stage.EXPLORATION, entered_stage_at=NOW - datetime.timedelta(days=200))
    stale = ProjectFactory(
        name="Stale POC", stage=Stage.EXPLORATION, entered_stage_at=NOW - datetime.timedelta(days=95)
    )
    Project.objects.filter(pk=stale.pk).update(is_stale=True)
    recent = ProjectFactory(name="New POC", stage=Stage.EXPLORATION, entered_stage_at=NOW - datetime.timedelta(days=3))
    mine = ProjectFactory(name="Mine", lead=lead, stage=Stage.PRODUCTION)
    ProjectFactory(name="Given up", stage=Stage.ABANDONED)
    board = selectors.project_board(user=lead, now=NOW)
    assert [c.stage for c in board] == list(Stage)
    columns = {c.stage: c for c in board}
    exploration = columns[Stage.EXPLORATION]
    assert [card.project for card in exploration.cards] == [stale, old, recent]
    assert [card.days_in_stage for card in exploration.cards] == [95, 200, 3]
    assert exploration.stale_count == 1 and exploration.label == "Exploration (POC)"
    production = columns[Stage.PRODUCTION].cards
    assert production[0].project == mine and production[0].is_member and production[0].leads == [lead]
    assert not exploration.cards[0].is_member
    assert len(columns[Stage.ABANDONED].cards) == 1 and columns[Stage.QUALIFICATION].cards == []
    narrowed = selectors.project_board(user=lead, queryset=selectors.projects_of_user(user=lead), now=NOW)
    assert sum(len(c.cards) for c in narrowed) == 1


def test_the_list_counts_people_milestones_backlog_and_models() -> None:
    project = ProjectFactory()
    person = UserFactory()
    MembershipFactory(project=project, user=person, role="project_lead")
    MembershipFactory(project=project, user=person, role="data_scientist")  # same person: counted once
    MembershipFactory(project=project, ended_at=NOW - datetime.timedelta(hours=1))  # left
    MembershipFactory(project=project)
    MilestoneFactory(project=project, actual_date=datetime.date(2026, 1, 5))
    MilestoneFactory(project=project)
    BacklogItemFactory(project=project, status="done")
    BacklogItemFactory(project=project, status="blocked")
    ModelLinkFactory(project=project)
    ModelLinkFactory(project=project, unlinked_at=NOW)
    row = selectors.project_list().get(pk=project.pk)
    assert (row.member_count, row.milestone_count, row.milestones_done, row.backlog_open, row.model_count) == (
        2,
        2,
        1,
        1,
        1,
    )
    assert row.leads == [person]


def test_projects_of_a_user_are_those_they_are_an_active_member_of(lead: Any, project: Project) -> None:
    other = ProjectFactory()
    MembershipFactory(project=other, user=lead, ended_at=NOW - datetime.timedelta(minutes=1))
    assert list(selectors.projects_of_user(user=lead)) == [project]


def test_the_project_detail_has_everything_the_page_shows(
    lead: Any, project: Project, officer: Any, add_member: Any
) -> None:
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead, reason="Go.")
    former = add_member(project, UserFactory(), ProjectRole.SECURITY)
    services.membership_end(membership=former, ended_by=lead)
    services.membership_add(
        project=project,
        user=UserFactory(),
        role=ProjectRole.OPERATIONS,
        added_by=lead,
        started_at=NOW + datetime.timedelta(days=10),
    )
    services.milestone_create(project=project, title="POC demo", target_date=datetime.date(2026, 6, 1))
    services.backlog_item_create(project=project, title="Baseline", profile="data_scientist")
    services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=lead)

    detail = selectors.project_detail(slug=project.slug, user=lead)
    assert detail.project == project and detail.access is not None and detail.access.can_manage
    assert {m.role for m in detail.team} == {"project_lead", "data_scientist", "business_owner"}
    assert [m.role for m in detail.former_members] == ["security"]
    assert [m.role for m in detail.planned_members] == ["operations"]
    assert [g.position for g in detail.gates] == ["passed", "next", "upcoming", "upcoming"]
    assert detail.next_gate is not None and detail.next_gate.stage == Stage.INDUSTRIALIZATION
    assert detail.next_gate.requirements is not None and not detail.next_gate.requirements.is_complete
    assert detail.gates[0].transition is not None and detail.gates[0].transition.reason == "Go."
    assert detail.allowed_targets == [Stage.INDUSTRIALIZATION, Stage.ABANDONED]
    assert [t.to_stage for t in detail.history] == ["qualification", "exploration"]
    assert {s.role for s in detail.sign_offs} == {"project_lead", "governance_officer"}
    assert [m.title for m in detail.milestones] == ["POC demo"]
    assert list(detail.backlog) == ["data_scientist", "data_engineer", "ops", "ml_engineer", "business", "governance"]
    assert [i.title for i in detail.backlog["data_scientist"]] == ["Baseline"]
    assert [m.registered_model_name for m in detail.model_links] == ["fraud-scorer"]
    assert detail.risk_screening is not None and detail.risk_screenings == [detail.risk_screening]
    assert {k.kind for k in detail.kpis} == {"business", "ml"}
    assert detail.days_in_stage == 0 and detail.datasets == []
    assert detail.timeline.events[-1].kind in {"stage", "milestone"}


def test_the_timeline_has_dated_events_and_stage_spans(lead: Any) -> None:
    start = timezone.make_aware(datetime.datetime(2026, 1, 10, 12))
    project = services.project_create(name="Timeline", purpose="Dates.", creator=lead, at=start)
    services.project_transition(
        project=project,
        target_stage=Stage.ABANDONED,
        actor=lead,
        reason="No budget.",
        at=start + datetime.timedelta(days=20),
    )
    # The project is closed: its milestones are added directly.
    MilestoneFactory(project=project, title="Kick-off", target_date=datetime.date(2026, 1, 12))
    MilestoneFactory(
        project=project,
        title="Data access",
        target_date=datetime.date(2026, 1, 20),
        actual_date=datetime.date(2026, 1, 25),
    )
    MilestoneFactory(project=project, title="Demo", target_date=datetime.date(2026, 3, 1))
    timeline = selectors.project_timeline(project=project, today=datetime.date(2026, 2, 15))
    assert [(e.date.isoformat(), e.kind, e.title) for e in timeline.events] == [
        ("2026-01-10", "stage", "Created in Qualification"),
        ("2026-01-12", "milestone", "Kick-off"),
        ("2026-01-25", "milestone", "Data access"),
        ("2026-01-30", "stage", "Qualification → Abandoned"),
        ("2026-03-01", "milestone", "Demo"),
    ]
    kickoff, access, demo = (e for e in timeline.events if e.kind == "milestone")
    assert (kickoff.done, kickoff.late) == (False, True)
    assert (access.done, access.late, access.target_date) == (True, True, datetime.date(2026, 1, 20))
    assert (demo.done, demo.late) == (False, False)
    assert timeline.events[3].reason == "No budget." and timeline.events[3].actor == lead.username
    assert [(s.stage, s.start.isoformat(), s.end, s.days) for s in timeline.stage_spans] == [
        ("qualification", "2026-01-10", datetime.date(2026, 1, 30), 20),
        ("abandoned", "2026-01-30", None, 16),
    ]
    assert (timeline.start, timeline.end, timeline.today) == (
        datetime.date(2026, 1, 10),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 2, 15),
    )


def test_gate_templates_read_and_copy(admin_user: Any) -> None:
    current = selectors.gate_template_current(stage=Stage.PRODUCTION)
    data = selectors.gate_template_as_data(current)
    assert data["stage"] == "production" and len(data["items"]) == 10
    copy = services.gate_template_publish(**data, published_by=admin_user)
    assert selectors.gate_template_as_data(copy) == data
    assert [t.version for t in selectors.gate_template_list().filter(gate="production")] == [2, 1]


def test_dataset_project_counts_is_empty_until_grants_exist() -> None:
    ProjectFactory()
    assert selectors.dataset_project_counts([1, 2, 3]) == {}
    assert selectors.dataset_project_counts(iter([])) == {}


def test_the_risk_questionnaire_is_exposed() -> None:
    questions = selectors.risk_questionnaire()
    assert questions[0].key == "personal_data" and len(questions) == 25
