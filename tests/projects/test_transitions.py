"""Every stage move, allowed and refused: forward one gate when complete, Abandoned before Production,
nothing else. A refused move changes nothing and says what is missing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from catalog.roles import Role
from projects import mlflow_sync, risk, services
from projects.gates import GateIncomplete
from projects.models import Project, ProjectRole, Stage, StageTransition
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import advance_to, complete_checklist, complete_gate, lead_of, sign_all

pytestmark = pytest.mark.django_db

ALLOWED = {
    (Stage.QUALIFICATION, Stage.EXPLORATION),
    (Stage.EXPLORATION, Stage.INDUSTRIALIZATION),
    (Stage.INDUSTRIALIZATION, Stage.PRODUCTION),
    (Stage.PRODUCTION, Stage.RETIRED),
    (Stage.QUALIFICATION, Stage.ABANDONED),
    (Stage.EXPLORATION, Stage.ABANDONED),
    (Stage.INDUSTRIALIZATION, Stage.ABANDONED),
}


def _state(project: Project) -> tuple[Any, ...]:
    row = Project.objects.get(pk=project.pk)
    return row.stage, row.entered_stage_at, StageTransition.objects.filter(project=project).count()


@pytest.mark.parametrize("origin", list(Stage))
@pytest.mark.parametrize("target", list(Stage))
def test_every_move(origin: Stage, target: Stage, officer: Any) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=origin, lead=lead, entered_stage_at=timezone.now() - timezone.timedelta(days=3))
    if (origin, target) in ALLOWED and target != Stage.ABANDONED:
        complete_gate(project, target, officer=officer)
    before = _state(project)
    if (origin, target) in ALLOWED:
        transition = services.project_transition(project=project, target_stage=target, actor=lead, reason="Why not.")
        assert project.stage == target == Project.objects.get(pk=project.pk).stage
        assert (transition.from_stage, transition.to_stage, transition.actor, transition.reason) == (
            origin,
            target,
            lead,
            "Why not.",
        )
        assert _state(project)[2] == before[2] + 1
        return
    with pytest.raises(ValidationError) as refused:
        services.project_transition(project=project, target_stage=target, actor=lead, reason="Why not.")
    message = refused.value.message_dict["target_stage"][0]
    assert message.startswith(f"Cannot move from {origin.label} to {target.label}: ")
    if origin in (Stage.RETIRED, Stage.ABANDONED):
        assert "its stage no longer changes" in message
    elif target == origin:
        assert "already there" in message
    elif target == Stage.ABANDONED:
        assert "abandoned only before Production" in message
    elif target == Stage.QUALIFICATION or list(Stage).index(target) < list(Stage).index(origin):
        assert "never moves back" in message
    else:
        assert "one gate at a time" in message
    assert _state(project) == before


def test_the_whole_path_records_each_step(lead: Any, project: Project, officer: Any) -> None:
    advance_to(project, Stage.RETIRED, officer=officer)
    history = list(project.transitions.order_by("at", "pk").values_list("from_stage", "to_stage", "template_version"))
    assert history == [
        ("", "qualification", None),
        ("qualification", "exploration", 1),
        ("exploration", "industrialization", 1),
        ("industrialization", "production", 1),
        ("production", "retired", 1),
    ]
    last = project.transitions.latest()
    assert last.actor == lead and last.reason == "Gate passed."
    assert project.entered_stage_at == last.at


@pytest.mark.parametrize("gate", [Stage.EXPLORATION, Stage.INDUSTRIALIZATION, Stage.PRODUCTION, Stage.RETIRED])
def test_an_incomplete_gate_is_refused_and_says_what_is_missing(gate: Stage, officer: Any) -> None:
    lead = UserFactory()
    origin = list(Stage)[list(Stage).index(gate) - 1]
    project = ProjectFactory(stage=origin, lead=lead)
    before = _state(project)
    with pytest.raises(GateIncomplete) as refused:
        services.project_transition(project=project, target_stage=gate, actor=lead)
    errors = refused.value.message_dict
    requirements = refused.value.requirements
    assert errors["__all__"] == [requirements.headline()]
    assert errors["checklist"] == [f"{s.item.label}: {s.detail}" for s in requirements.missing_items]
    assert errors["sign_offs"] == [f"{s.role.label}: not signed." for s in requirements.missing_sign_offs]
    assert len(errors["checklist"]) == len([s for s in requirements.items if s.applicable])
    assert _state(project) == before


def test_the_exploration_gate_lists_exactly_what_is_missing(lead: Any, project: Project) -> None:
    with pytest.raises(GateIncomplete) as refused:
        services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
    assert refused.value.message_dict == {
        "__all__": ["The Exploration (POC) gate is not complete: 6 checklist item(s) missing, 2 sign-off(s) missing."],
        "checklist": [
            "Purpose and business owner: No business owner on the project.",
            "Business KPI and ML metric with targets: No business KPI and no ML metric.",
            "Value, risk and feasibility rating: Not rated: value, risk, feasibility.",
            "AI Act screening: No risk screening recorded.",
            "DPIA screening: No risk screening recorded.",
            "Project lead, data scientist and business owner assigned: No data scientist, no business owner in the "
            "team.",
        ],
        "sign_offs": ["Project lead: not signed.", "Governance officer: not signed."],
    }


def test_with_the_checklist_complete_only_the_missing_sign_off_is_listed(
    lead: Any, project: Project, officer: Any
) -> None:
    complete_checklist(project, Stage.EXPLORATION)
    sign_all(project, Stage.EXPLORATION, officer=officer, except_roles=(ProjectRole.GOVERNANCE_OFFICER,))
    with pytest.raises(GateIncomplete) as refused:
        services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
    assert refused.value.message_dict == {
        "__all__": ["The Exploration (POC) gate is not complete: 1 sign-off(s) missing."],
        "sign_offs": ["Governance officer: not signed."],
    }
    services.signoff_give(project=project, role=ProjectRole.GOVERNANCE_OFFICER, user=officer)
    services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
    assert project.stage == Stage.EXPLORATION


def test_the_transition_snapshot_records_the_gate_as_decided(lead: Any, project: Project, officer: Any) -> None:
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    transition = services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
    snapshot = transition.snapshot
    assert snapshot["gate"] == "exploration" and snapshot["template_version"] == 1
    assert [i["key"] for i in snapshot["items"]] == [
        "purpose_and_business_owner",
        "kpis_with_targets",
        "value_risk_feasibility",
        "ai_act_screening",
        "dpia_screening",
        "core_team_assigned",
    ]
    assert all(i["satisfied"] for i in snapshot["items"])
    assert {(s["role"], s["user"]) for s in snapshot["sign_offs"]} == {
        ("project_lead", lead.username),
        ("governance_officer", officer.username),
    }
    assert snapshot["risk_screening"]["ai_act_tier"] == "minimal"
    assert snapshot["conditions"] == {
        "always": True,
        "high_risk": False,
        "personal_data": False,
        "dpia_required": False,
    }


@pytest.mark.parametrize("origin", [Stage.QUALIFICATION, Stage.EXPLORATION, Stage.INDUSTRIALIZATION])
def test_abandoned_from_each_stage_before_production_needs_only_a_reason(origin: Stage) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=origin, lead=lead)
    with pytest.raises(ValidationError) as no_reason:
        services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="  ")
    assert no_reason.value.message_dict == {"reason": ["Say why the project is abandoned."]}
    assert Project.objects.get(pk=project.pk).stage == origin
    transition = services.project_transition(
        project=project, target_stage=Stage.ABANDONED, actor=lead, reason="No business case."
    )
    assert project.stage == Stage.ABANDONED
    assert (transition.template_version, transition.snapshot) == (None, {"gate": None, "abandoned_from": origin})


@pytest.mark.parametrize("origin", [Stage.PRODUCTION, Stage.RETIRED])
def test_abandoned_is_refused_from_production_and_retired(origin: Stage) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=origin, lead=lead)
    with pytest.raises(ValidationError) as refused:
        services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="Stop.")
    assert "target_stage" in refused.value.message_dict
    assert Project.objects.get(pk=project.pk).stage == origin


def test_an_unknown_target_is_refused(lead: Any, project: Project) -> None:
    with pytest.raises(ValidationError) as refused:
        services.project_transition(project=project, target_stage="launched", actor=lead)
    assert refused.value.message_dict == {"target_stage": ["Unknown value 'launched'."]}


def test_only_a_lead_of_the_project_or_an_admin_moves_it(
    lead: Any, project: Project, add_member: Any, make_user: Any
) -> None:
    member = make_user(Role.DATA_SCIENTIST)
    add_member(project, member)
    other_lead = make_user(Role.PROJECT_LEAD)
    ProjectFactory(lead=other_lead)
    for user in (member, other_lead, make_user(Role.GOVERNANCE_OFFICER)):
        with pytest.raises(PermissionDenied):
            services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=user, reason="x")
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION
    admin = make_user(Role.ADMIN)
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=admin, reason="Cleanup.")
    assert project.stage == Stage.ABANDONED


def test_a_former_lead_no_longer_moves_it(lead: Any, project: Project, add_member: Any) -> None:
    successor = UserFactory()
    add_member(project, successor, ProjectRole.PROJECT_LEAD)
    services.membership_end(membership=project.memberships.get(user=lead), ended_by=successor)
    with pytest.raises(PermissionDenied):
        services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="x")
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=successor, reason="x")


def test_a_prohibited_practice_blocks_every_gate_but_retirement(officer: Any) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.QUALIFICATION, lead=lead)
    complete_checklist(project, Stage.EXPLORATION)
    services.risk_screening_record(project=project, answers={**risk.all_no(), "social_scoring": True}, screened_by=lead)
    requirements = services.gate_requirements(project=project, target_stage=Stage.EXPLORATION)
    assert not requirements.checklist_complete
    assert requirements.blockers and "prohibited AI practice" in requirements.blockers[0]
    assert "AI Act screening: AI Act: Prohibited practice (Art. 5). The project cannot go on." in (
        requirements.checklist_messages()
    )
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    assert refused.value.message_dict["__all__"] == ["Complete the checklist before signing."]

    in_production = ProjectFactory(stage=Stage.PRODUCTION, lead=lead)
    services.risk_screening_record(
        project=in_production, answers={**risk.all_no(), "social_scoring": True}, screened_by=lead
    )
    complete_gate(in_production, Stage.RETIRED, officer=officer)
    services.project_transition(project=in_production, target_stage=Stage.RETIRED, actor=lead)
    assert in_production.stage == Stage.RETIRED


def test_a_transition_cannot_be_dated_in_the_future_or_before_the_current_stage(lead: Any, project: Project) -> None:
    for at in (timezone.now() + timezone.timedelta(hours=1), project.entered_stage_at - timezone.timedelta(days=1)):
        with pytest.raises(ValidationError) as refused:
            services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="x", at=at)
        assert "at" in refused.value.message_dict


def test_a_backdated_transition_sets_the_stage_date(lead: Any, officer: Any) -> None:
    past = timezone.now() - timezone.timedelta(days=40)
    project = services.project_create(name="Old", purpose="Old purpose.", creator=lead, at=past)
    for role in (ProjectRole.DATA_SCIENTIST, ProjectRole.BUSINESS_OWNER):  # members at the decision date
        services.membership_add(project=project, user=UserFactory(), role=role, added_by=lead, started_at=past)
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    services.project_transition(
        project=project, target_stage=Stage.EXPLORATION, actor=lead_of(project), at=past + timezone.timedelta(days=5)
    )
    assert project.days_in_stage() == 35


def _sync_aliases(name: str, aliases: dict[str, int]) -> None:
    """What the MLflow sync writes when it reads the model with these aliases (its own apply)."""
    ms = int(timezone.now().timestamp() * 1000)
    mlflow_sync.apply(
        mlflow_sync.Snapshot(
            full=False,
            models=[mlflow_sync.FetchedModel(name, "", {}, aliases, ms, ms)],
            versions={
                name: [mlflow_sync.FetchedVersion(name, 1, "READY", "", "", f"models:/{name}/1", "", {}, ms, ms)]
            },
            runs={},
            runs_requested=set(),
        ),
        now=timezone.now(),
    )


def test_a_model_still_under_a_production_alias_blocks_retirement(lead: Any, project: Project, officer: Any) -> None:
    advance_to(project, Stage.PRODUCTION, officer=officer)
    name = project.model_links.active().get().registered_model_name
    complete_gate(project, Stage.RETIRED, officer=officer)  # the team answered "production alias removed: yes"
    _sync_aliases(name, {"production": 1, "staging": 1})  # ...but MLflow still serves the model
    requirements = services.gate_requirements(project=project, target_stage=Stage.RETIRED)
    assert requirements.blockers == [
        f"{name} still carries a production alias (production, champion, prod) in MLflow, as last synced: "
        "remove it there and sync before retiring the project."
    ]
    with pytest.raises(GateIncomplete, match="still carries a production alias"):
        services.project_transition(project=project, target_stage=Stage.RETIRED, actor=lead)
    assert Project.objects.get(pk=project.pk).stage == Stage.PRODUCTION
    # Another alias is no obstacle; once the sync no longer sees a production alias, the project retires.
    _sync_aliases(name, {"staging": 1})
    assert services.gate_requirements(project=project, target_stage=Stage.RETIRED).blockers == []
    services.project_transition(project=project, target_stage=Stage.RETIRED, actor=lead)
    assert Project.objects.get(pk=project.pk).stage == Stage.RETIRED
