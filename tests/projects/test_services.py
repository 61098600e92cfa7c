"""Projects services: projects, team, KPIs, roadmap, risk screening, model links."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects import risk, services
from projects.models import (
    BacklogItem,
    Membership,
    Milestone,
    ModelLink,
    Project,
    ProjectKPI,
    ProjectRole,
    Stage,
    StageTransition,
)
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Projects -------------------------------------------------------------------------------------------


def test_create_makes_the_creator_lead_and_starts_the_history(lead: Any) -> None:
    owner = UserFactory()
    project = services.project_create(
        name="  Churn prediction ",
        purpose=" Anticipate churn to offer retention deals. ",
        creator=lead,
        business_owner=owner,
        value_rating=4,
    )
    assert (project.name, project.slug, project.purpose) == (
        "Churn prediction",
        "churn-prediction",
        "Anticipate churn to offer retention deals.",
    )
    assert project.stage == Stage.QUALIFICATION and project.created_by == lead
    assert project.leads == [lead]
    created = StageTransition.objects.get(project=project)
    assert (created.from_stage, created.to_stage, created.actor, created.at) == (
        "",
        "qualification",
        lead,
        project.entered_stage_at,
    )
    again = services.project_create(name="Churn-prediction", purpose="Another.", creator=lead)
    assert again.slug == "churn-prediction-2"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "", "purpose": "x"}, "name"),
        ({"name": "X", "purpose": "  "}, "purpose"),
        ({"name": "X", "purpose": "x", "value_rating": 6}, "value_rating"),
        ({"name": "X", "purpose": "x", "risk_rating": 0}, "risk_rating"),
    ],
)
def test_create_validates(kwargs: dict[str, Any], field: str, lead: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.project_create(creator=lead, **kwargs)
    assert field in refused.value.message_dict
    assert not Project.objects.exists() and not Membership.objects.exists()


def test_a_project_named_new_does_not_take_the_creation_page_path(lead: Any) -> None:
    project = services.project_create(name="New", purpose="A project called New.", creator=lead)
    assert project.slug == "new-2"


def test_names_are_unique(lead: Any, project: Project) -> None:
    with pytest.raises(ValidationError) as refused:
        services.project_create(name=project.name, purpose="Same name.", creator=lead)
    assert "name" in refused.value.message_dict


def test_update_changes_details_but_never_the_stage(lead: Any, project: Project) -> None:
    services.project_update(
        project=project, data={"description": "Now with more data.", "feasibility_rating": 2}, actor=lead
    )
    project.refresh_from_db()
    assert (project.description, project.feasibility_rating) == ("Now with more data.", 2)
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=project, data={"stage": Stage.PRODUCTION, "slug": "x"}, actor=lead)
    assert refused.value.message_dict == {
        "slug": ["This field cannot be set here."],
        "stage": ["The stage changes only through a gate transition."],
    }
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION


def test_a_closed_project_is_read_only(lead: Any) -> None:
    project = ProjectFactory(stage=Stage.RETIRED, lead=lead)
    for call in (
        lambda: services.project_update(project=project, data={"description": "x"}),
        lambda: services.kpi_create(project=project, kind="ml", name="AUC", target=0.8),
        lambda: services.milestone_create(project=project, title="x", target_date=datetime.date(2030, 1, 1)),
        lambda: services.backlog_item_create(project=project, title="x", profile="ops"),
        lambda: services.risk_screening_record(project=project, answers=risk.all_no(), screened_by=lead),
        lambda: services.model_link_add(project=project, registered_model_name="m", linked_by=lead),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.messages == ["The project is retired: its record is closed."]


# --- Team --------------------------------------------------------------------------------------------


def test_members_join_with_roles_and_leave_with_a_trace(lead: Any, project: Project) -> None:
    alice = UserFactory(username="alice")
    scientist = services.membership_add(project=project, user=alice, role="data_scientist", added_by=lead)
    services.membership_add(project=project, user=alice, role="ml_engineer", added_by=lead)
    with pytest.raises(ValidationError) as twice:
        services.membership_add(project=project, user=alice, role="data_scientist", added_by=lead)
    assert twice.value.message_dict == {"user": ["alice already holds the role Data scientist on this project."]}
    ended = services.membership_end(membership=scientist, ended_by=lead, reason=" Moved to another team. ")
    assert (ended.ended_by, ended.end_reason, ended.is_active()) == (lead, "Moved to another team.", False)
    assert Membership.objects.filter(pk=scientist.pk).exists(), "memberships are never deleted"
    with pytest.raises(ValidationError):
        services.membership_end(membership=scientist, ended_by=lead)
    again = services.membership_add(project=project, user=alice, role="data_scientist", added_by=lead)
    assert again.is_active()


def test_the_last_project_lead_cannot_leave(lead: Any, project: Project) -> None:
    membership = project.memberships.get(user=lead)
    with pytest.raises(ValidationError) as refused:
        services.membership_end(membership=membership, ended_by=lead)
    assert refused.value.messages == [
        "A project always has an active project lead: add another project lead before ending this one."
    ]
    assert project.memberships.get(pk=membership.pk).ended_at is None
    successor = UserFactory()
    planned = services.membership_add(
        project=project,
        user=successor,
        role=ProjectRole.PROJECT_LEAD,
        added_by=lead,
        started_at=timezone.now() + datetime.timedelta(days=7),
    )
    with pytest.raises(ValidationError):  # a lead starting next week does not lead today
        services.membership_end(membership=membership, ended_by=lead)
    assert planned.started_at > timezone.now()
    services.membership_add(project=project, user=UserFactory(), role=ProjectRole.PROJECT_LEAD, added_by=lead)
    services.membership_end(membership=membership, ended_by=lead)
    assert lead not in Project.objects.get(pk=project.pk).leads


def test_a_membership_ends_now_or_in_the_past_and_after_it_starts(lead: Any, project: Project) -> None:
    member = services.membership_add(project=project, user=UserFactory(), role="operations", added_by=lead)
    with pytest.raises(ValidationError) as future:
        services.membership_end(membership=member, ended_by=lead, at=timezone.now() + datetime.timedelta(days=1))
    assert "ended_at" in future.value.message_dict
    with pytest.raises(ValidationError) as before_start:
        services.membership_end(membership=member, ended_by=lead, at=member.started_at - datetime.timedelta(days=1))
    assert before_start.value.message_dict == {"ended_at": ["A membership ends after it starts."]}


def test_a_planned_membership_is_cancelled_before_it_starts(lead: Any, project: Project) -> None:
    start = timezone.now() + datetime.timedelta(days=5)
    planned = services.membership_add(
        project=project, user=UserFactory(), role="operations", added_by=lead, started_at=start
    )
    services.membership_end(membership=planned, ended_by=lead, reason="Not needed after all.")
    assert planned.ended_at == planned.started_at == start
    assert not planned.is_active(start) and not planned.is_active(start + datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.membership_end(membership=planned, ended_by=lead)


def test_inactive_users_and_unknown_roles_are_refused(lead: Any, project: Project) -> None:
    with pytest.raises(ValidationError) as inactive:
        services.membership_add(project=project, user=UserFactory(is_active=False), role="security", added_by=lead)
    assert "user" in inactive.value.message_dict
    with pytest.raises(ValidationError) as role:
        services.membership_add(project=project, user=UserFactory(), role="astronaut", added_by=lead)
    assert role.value.message_dict == {"role": ["Unknown value 'astronaut'."]}


# --- KPIs and roadmap ------------------------------------------------------------------------------------


def test_kpis_with_targets_and_whether_they_are_met(lead: Any, project: Project) -> None:
    recall = services.kpi_create(project=project, kind="ml", name="Recall", target=0.8)
    losses = services.kpi_create(
        project=project, kind="business", name="Fraud losses", target=1.2, unit="M€", direction="lower"
    )
    assert recall.meets_target is None
    services.kpi_update(kpi=recall, data={"current_value": 0.85})
    services.kpi_update(kpi=losses, data={"current_value": 1.5})
    assert (recall.meets_target, losses.meets_target) == (True, False)
    with pytest.raises(ValidationError):
        services.kpi_create(project=project, kind="ml", name="Recall", target=0.9)
    with pytest.raises(ValidationError) as kind:
        services.kpi_create(project=project, kind="vanity", name="Likes", target=1)
    assert kind.value.message_dict == {"kind": ["Unknown value 'vanity'."]}
    services.kpi_delete(kpi=recall)
    assert list(ProjectKPI.objects.values_list("name", flat=True)) == ["Fraud losses"]


def test_milestones_are_done_with_an_actual_date(project: Project) -> None:
    milestone = services.milestone_create(project=project, title=" POC demo ", target_date=datetime.date(2026, 3, 1))
    assert (milestone.title, milestone.done) == ("POC demo", False)
    services.milestone_update(milestone=milestone, data={"done": True})
    assert milestone.actual_date == timezone.localdate() and milestone.done
    services.milestone_update(milestone=milestone, data={"actual_date": datetime.date(2026, 3, 4)})
    assert milestone.is_late() and milestone.done
    services.milestone_update(milestone=milestone, data={"done": False})
    assert milestone.actual_date is None
    with pytest.raises(ValidationError):
        services.milestone_update(milestone=milestone, data={"project": None})
    services.milestone_delete(milestone=milestone)
    assert not Milestone.objects.exists()


def test_backlog_items_per_profile_go_to_the_end_and_change_status(project: Project) -> None:
    first = services.backlog_item_create(project=project, title="Feature store", profile="data_engineer")
    second = services.backlog_item_create(project=project, title="Baseline model", profile="data_scientist")
    assert (first.position, second.position, second.status) == (0, 1, "todo")
    services.backlog_item_update(item=second, data={"status": "doing", "position": 0})
    assert BacklogItem.objects.get(pk=second.pk).status == "doing"
    for bad in ({"profile": "intern"}, {"status": "maybe"}):
        with pytest.raises(ValidationError):
            services.backlog_item_update(item=first, data=bad)
    services.backlog_item_delete(item=first)
    assert list(BacklogItem.objects.values_list("title", flat=True)) == ["Baseline model"]


# --- Risk screening and models --------------------------------------------------------------------------


def test_a_risk_screening_is_computed_and_becomes_current(lead: Any, project: Project) -> None:
    first = services.risk_screening_record(project=project, answers=risk.all_no(), screened_by=lead)
    second = services.risk_screening_record(
        project=project,
        answers={**risk.all_no(), "personal_data": True, "creditworthiness": True, "large_scale": True},
        screened_by=lead,
        comment="After the scoping workshop.",
    )
    assert (first.ai_act_tier, first.dpia_required) == ("minimal", False)
    assert (second.ai_act_tier, second.dpia_required, second.questionnaire_version) == ("high", True, 1)
    assert second.dpia_reasons[-1].startswith("2 criteria met")
    assert project.latest_risk_screening() == second
    assert project.uses_personal_data()
    with pytest.raises(ValidationError):
        services.risk_screening_record(project=project, answers={"personal_data": True}, screened_by=lead)


def test_model_links_are_kept_when_removed(lead: Any, project: Project) -> None:
    link = services.model_link_add(project=project, registered_model_name=" fraud-scorer ", linked_by=lead)
    assert (link.registered_model_name, link.source) == ("fraud-scorer", "manual")
    with pytest.raises(ValidationError) as twice:
        services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=lead)
    assert twice.value.message_dict == {"registered_model_name": ["The project is already linked to fraud-scorer."]}
    with pytest.raises(ValidationError):
        services.model_link_add(project=project, registered_model_name="  ", linked_by=lead)
    services.model_link_remove(link=link, removed_by=lead)
    assert link.unlinked_by == lead and link.unlinked_at is not None
    with pytest.raises(ValidationError):
        services.model_link_remove(link=link, removed_by=lead)
    services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=None, source="tag")
    assert ModelLink.objects.count() == 2 and ModelLink.objects.active().count() == 1
