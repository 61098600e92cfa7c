"""Sign-off rules: who may sign what, one valid sign-off per role, invalidation when the checklist
changes (answers, template versions, the project's data, the risk screening), conditional
governance sign-off of the Production gate, withdrawal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from catalog.roles import Role
from projects import risk, services
from projects.gates import GateIncomplete
from projects.models import Project, ProjectRole, SignOff, Stage
from projects.selectors import gate_template_as_data, gate_template_current
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import complete_checklist, complete_gate, sign_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(lead: Any, project: Project) -> Project:
    """``project`` with the Exploration checklist complete, not signed."""
    complete_checklist(project, Stage.EXPLORATION)
    return project


@pytest.fixture
def industrializing(officer: Any) -> Project:
    """A project in Exploration with the Industrialization checklist complete and every sign-off given."""
    project = ProjectFactory(stage=Stage.EXPLORATION, lead=UserFactory(username="ivan"))
    complete_gate(project, Stage.INDUSTRIALIZATION, officer=officer)
    return project


def valid_sign_offs(project: Project, stage: str) -> set[str]:
    return set(SignOff.objects.filter(project=project, stage=stage, invalidated_at=None).values_list("role", flat=True))


# --- Who signs -----------------------------------------------------------------------------------------


def test_a_member_signs_only_for_a_role_they_hold(ready: Project, add_member: Any, make_user: Any) -> None:
    scientist = make_user(Role.DATA_SCIENTIST)
    add_member(ready, scientist, ProjectRole.DATA_SCIENTIST)
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=scientist)
    assert refused.value.message_dict == {"role": ["You do not hold the role Project lead on this project."]}
    outsider = make_user(Role.PROJECT_LEAD)
    with pytest.raises(ValidationError):
        services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=outsider)
    assert not SignOff.objects.exists()


def test_the_lead_signs_as_project_lead(lead: Any, ready: Project) -> None:
    sign_off = services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=lead, comment=" Go. ")
    assert (sign_off.stage, sign_off.role, sign_off.user, sign_off.comment, sign_off.template_version) == (
        Stage.EXPLORATION,
        ProjectRole.PROJECT_LEAD,
        lead,
        "Go.",
        1,
    )
    assert sign_off.checklist_state["items"]["kpis_with_targets"]


def test_a_governance_officer_signs_the_officer_role_without_membership(ready: Project, officer: Any) -> None:
    assert not ready.memberships.filter(user=officer).exists()
    services.signoff_give(project=ready, role=ProjectRole.GOVERNANCE_OFFICER, user=officer)
    assert valid_sign_offs(ready, Stage.EXPLORATION) == {ProjectRole.GOVERNANCE_OFFICER}
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=officer)
    assert refused.value.message_dict == {"role": ["You do not hold the role Project lead on this project."]}


def test_a_member_with_the_officer_role_in_the_project_signs_it(ready: Project, add_member: Any) -> None:
    delegate = UserFactory()
    add_member(ready, delegate, ProjectRole.GOVERNANCE_OFFICER)
    services.signoff_give(project=ready, role=ProjectRole.GOVERNANCE_OFFICER, user=delegate)
    assert valid_sign_offs(ready, Stage.EXPLORATION) == {ProjectRole.GOVERNANCE_OFFICER}


def test_a_former_member_no_longer_signs(lead: Any, ready: Project, add_member: Any) -> None:
    delegate = UserFactory()
    membership = add_member(ready, delegate, ProjectRole.GOVERNANCE_OFFICER)
    services.membership_end(membership=membership, ended_by=lead)
    with pytest.raises(ValidationError):
        services.signoff_give(project=ready, role=ProjectRole.GOVERNANCE_OFFICER, user=delegate)


def test_a_role_the_gate_does_not_require_is_refused(ready: Project, add_member: Any) -> None:
    security = UserFactory()
    add_member(ready, security, ProjectRole.SECURITY)
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=ready, role=ProjectRole.SECURITY, user=security)
    assert refused.value.message_dict == {
        "role": ["Security does not sign the Exploration (POC) gate of this project."]
    }


def test_only_the_next_gate_is_signed(lead: Any, ready: Project) -> None:
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=lead, stage=Stage.PRODUCTION)
    assert refused.value.message_dict == {
        "stage": ["Sign-offs are given for the project's next gate only: Exploration (POC), not Production."]
    }


def test_the_checklist_must_be_complete_before_signing(lead: Any, project: Project) -> None:
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    errors = refused.value.message_dict
    assert errors["__all__"] == ["Complete the checklist before signing."]
    assert len(errors["checklist"]) == 6


def test_one_valid_sign_off_per_role(lead: Any, ready: Project, add_member: Any) -> None:
    services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=lead)
    co_lead = UserFactory(username="colead")
    add_member(ready, co_lead, ProjectRole.PROJECT_LEAD)
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=co_lead)
    assert refused.value.message_dict["role"][0].startswith(f"Project lead already signed, by {lead.username} on ")


def test_closed_projects_take_no_sign_off() -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.ABANDONED, lead=lead)
    with pytest.raises(ValidationError) as refused:
        services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    assert refused.value.messages == ["The project is abandoned: its record is closed."]


# --- Invalidation --------------------------------------------------------------------------------------


def test_changing_an_answer_invalidates_the_gate_sign_offs(industrializing: Project) -> None:
    lead = industrializing.leads[0]
    assert valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION) == {
        "business_owner",
        "project_lead",
        "data_engineer",
        "operations",
    }
    services.gate_answer_set(
        project=industrializing,
        stage=Stage.INDUSTRIALIZATION,
        key="deployment_strategy",
        value_text="Blue-green instead.",
        answered_by=lead,
    )
    assert valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION) == set()
    sign_off = SignOff.objects.filter(project=industrializing).first()
    assert sign_off is not None and sign_off.invalidated_at is not None
    assert sign_off.invalidation_reason == (
        "The checklist changed after signing: changed: 'Deployment strategy chosen' "
        f"(answer to 'Deployment strategy chosen' changed by {lead.username})."
    )
    with pytest.raises(GateIncomplete) as refused:
        services.project_transition(project=industrializing, target_stage=Stage.INDUSTRIALIZATION, actor=lead)
    assert len(refused.value.message_dict["sign_offs"]) == 4
    assert "is no longer valid" in refused.value.message_dict["sign_offs"][0]
    assert "checklist" not in refused.value.message_dict
    sign_all(industrializing, Stage.INDUSTRIALIZATION)
    services.project_transition(project=industrializing, target_stage=Stage.INDUSTRIALIZATION, actor=lead)


def test_answering_again_with_the_same_value_keeps_the_sign_offs(industrializing: Project) -> None:
    services.gate_answer_set(
        project=industrializing,
        stage=Stage.INDUSTRIALIZATION,
        key="deployment_strategy",
        value_text="Done and documented.",
        answered_by=industrializing.leads[0],
    )
    assert len(valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION)) == 4


def test_answering_a_later_gate_keeps_the_next_gate_sign_offs(industrializing: Project) -> None:
    services.gate_answer_set(
        project=industrializing,
        stage=Stage.PRODUCTION,
        key="ci_cd_tests",
        value_url="https://ci.example.com/fraud",
        answered_by=industrializing.leads[0],
    )
    assert len(valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION)) == 4


def test_publishing_a_new_template_version_invalidates_pending_sign_offs(
    industrializing: Project, admin_user: Any
) -> None:
    passed = ProjectFactory(stage=Stage.PRODUCTION, lead=UserFactory())
    old = SignOff.objects.create(
        project=passed,
        stage=Stage.INDUSTRIALIZATION,
        template_version=1,
        role=ProjectRole.OPERATIONS,
        user=UserFactory(),
        signed_at=passed.entered_stage_at,
    )
    data = gate_template_as_data(gate_template_current(stage=Stage.INDUSTRIALIZATION))
    data["items"].append({"key": "cost_estimate", "label": "Run cost estimated", "evidence_kind": "text"})
    template = services.gate_template_publish(**data, published_by=admin_user, notes="Add the run cost.")
    assert template.version == 2
    assert valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION) == set()
    assert set(SignOff.objects.filter(project=industrializing).values_list("invalidation_reason", flat=True)) == {
        "The checklist changed after signing: checklist template v2 published."
    }
    old.refresh_from_db()
    assert old.invalidated_at is None, "sign-offs of a gate already passed are history"

    requirements = services.gate_requirements(project=industrializing, target_stage=Stage.INDUSTRIALIZATION)
    assert [s.item.key for s in requirements.missing_items] == ["cost_estimate"]
    carried = next(s for s in requirements.items if s.item.key == "poc_result")
    assert carried.satisfied and carried.carried_from_version == 1


@pytest.mark.parametrize(
    "change",
    ["kpi_target", "business_owner", "model_linked", "risk_screening"],
)
def test_changing_the_project_data_a_gate_checks_invalidates_its_sign_offs(
    change: str, lead: Any, ready: Project, officer: Any
) -> None:
    sign_all(ready, Stage.EXPLORATION, officer=officer)
    assert len(valid_sign_offs(ready, Stage.EXPLORATION)) == 2
    if change == "kpi_target":
        services.kpi_update(kpi=ready.kpis.get(kind="ml"), data={"target": 0.6}, actor=lead)
        expected = "Business KPI and ML metric with targets"
    elif change == "business_owner":
        services.project_update(project=ready, data={"business_owner": UserFactory()}, actor=lead)
        expected = "Purpose and business owner"
    elif change == "model_linked":
        # Linking a model does not touch the Exploration checklist: sign-offs stay.
        services.model_link_add(project=ready, registered_model_name="fraud", linked_by=lead)
        assert len(valid_sign_offs(ready, Stage.EXPLORATION)) == 2
        return
    else:
        services.risk_screening_record(
            project=ready, answers={**risk.all_no(), "creditworthiness": True}, screened_by=lead
        )
        expected = "AI Act screening"
    assert valid_sign_offs(ready, Stage.EXPLORATION) == set()
    reasons = set(SignOff.objects.values_list("invalidation_reason", flat=True))
    assert len(reasons) == 1 and f"'{expected}'" in reasons.pop()


def test_a_kpi_current_value_is_not_part_of_the_checklist(lead: Any, ready: Project, officer: Any) -> None:
    sign_all(ready, Stage.EXPLORATION, officer=officer)
    services.kpi_update(kpi=ready.kpis.get(kind="ml"), data={"current_value": 0.7}, actor=lead)
    assert len(valid_sign_offs(ready, Stage.EXPLORATION)) == 2


def test_passed_gates_keep_their_sign_offs(industrializing: Project) -> None:
    lead = industrializing.leads[0]
    services.project_transition(project=industrializing, target_stage=Stage.INDUSTRIALIZATION, actor=lead)
    services.model_link_add(project=industrializing, registered_model_name="another-model", linked_by=lead)
    assert len(valid_sign_offs(industrializing, Stage.INDUSTRIALIZATION)) == 4


# --- The conditional governance sign-off of the Production gate ---------------------------------------


@pytest.mark.parametrize(
    "declared, screening, officer_required",
    [
        (False, {}, False),
        (False, {"creditworthiness": True}, True),  # high-risk AI
        (True, {}, True),  # personal data, declared on the project
        (False, {"personal_data": True}, True),  # personal data, from the screening
        (False, {"interacts_with_people": True}, False),  # limited risk, no personal data
    ],
)
def test_the_production_gate_needs_the_officer_when_high_risk_or_personal_data(
    declared: bool, screening: dict[str, bool], officer_required: bool, officer: Any
) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.INDUSTRIALIZATION, lead=lead, processes_personal_data=declared)
    services.risk_screening_record(project=project, answers={**risk.all_no(), **screening}, screened_by=lead)
    requirements = services.gate_requirements(project=project, target_stage=Stage.PRODUCTION)
    required = {s.role for s in requirements.required_sign_offs}
    assert (ProjectRole.GOVERNANCE_OFFICER in required) is officer_required
    assert {ProjectRole.SECURITY, ProjectRole.OPERATIONS, ProjectRole.PROJECT_LEAD} <= required
    complete_checklist(project, Stage.PRODUCTION)
    sign_all(project, Stage.PRODUCTION, officer=officer, except_roles=(ProjectRole.GOVERNANCE_OFFICER,))
    if officer_required:
        with pytest.raises(GateIncomplete) as refused:
            services.project_transition(project=project, target_stage=Stage.PRODUCTION, actor=lead)
        assert refused.value.message_dict["sign_offs"] == ["Governance officer: not signed."]
        services.signoff_give(project=project, role=ProjectRole.GOVERNANCE_OFFICER, user=officer)
    else:
        with pytest.raises(ValidationError):
            services.signoff_give(project=project, role=ProjectRole.GOVERNANCE_OFFICER, user=officer)
    services.project_transition(project=project, target_stage=Stage.PRODUCTION, actor=lead)
    assert project.stage == Stage.PRODUCTION


def test_high_risk_ai_adds_its_checklist_items_and_a_required_dpia_its_own(officer: Any) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.INDUSTRIALIZATION, lead=lead)
    services.risk_screening_record(project=project, answers=risk.all_no(), screened_by=lead)
    base = services.gate_requirements(project=project, target_stage=Stage.PRODUCTION)
    assert [s.item.key for s in base.applicable_items] == [
        "ci_cd_tests",
        "monitoring_live",
        "approved_model_version",
        "security_review",
    ]
    not_needed = next(s for s in base.items if s.item.key == "dpia_done")
    assert not not_needed.applicable and not not_needed.missing
    assert not_needed.detail == "Not needed (when the DPIA screening says a DPIA is required)."
    services.risk_screening_record(
        project=project,
        answers={**risk.all_no(), "personal_data": True, "creditworthiness": True, "large_scale": True},
        screened_by=lead,
    )
    high = services.gate_requirements(project=project, target_stage=Stage.PRODUCTION)
    assert high.conditions == {"always": True, "high_risk": True, "personal_data": True, "dpia_required": True}
    assert [s.item.key for s in high.missing_items] == [
        "ci_cd_tests",
        "monitoring_live",
        "approved_model_version",
        "security_review",
        "dpia_done",
        "ai_risk_management",
        "ai_technical_documentation",
        "ai_human_oversight",
        "ai_logging",
        "fundamental_rights_assessment",
    ]
    officer_status = next(s for s in high.sign_offs if s.role == ProjectRole.GOVERNANCE_OFFICER)
    assert officer_status.conditions == ["high_risk", "personal_data"] and officer_status.required


def test_a_screening_that_adds_the_officer_invalidates_the_production_sign_offs(officer: Any) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.INDUSTRIALIZATION, lead=lead)
    services.risk_screening_record(project=project, answers=risk.all_no(), screened_by=lead)
    complete_gate(project, Stage.PRODUCTION, officer=officer)
    assert valid_sign_offs(project, Stage.PRODUCTION) == {"security", "operations", "project_lead"}
    services.risk_screening_record(project=project, answers={**risk.all_no(), "personal_data": True}, screened_by=lead)
    assert valid_sign_offs(project, Stage.PRODUCTION) == set()
    reason = SignOff.objects.filter(project=project).first().invalidation_reason  # type: ignore[union-attr]
    assert "condition 'when the project uses personal data' is now met" in reason


# --- Withdrawal -------------------------------------------------------------------------------------------


def test_the_signer_withdraws_and_signs_again(lead: Any, ready: Project) -> None:
    sign_off = services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=lead)
    with pytest.raises(PermissionDenied):
        services.signoff_withdraw(sign_off=sign_off, user=UserFactory())
    services.signoff_withdraw(sign_off=sign_off, user=lead, reason="Numbers to check.")
    assert sign_off.invalidation_reason == f"Withdrawn by {lead.username}: Numbers to check."
    with pytest.raises(ValidationError):
        services.signoff_withdraw(sign_off=sign_off, user=lead)
    services.signoff_give(project=ready, role=ProjectRole.PROJECT_LEAD, user=lead)
    assert valid_sign_offs(ready, Stage.EXPLORATION) == {ProjectRole.PROJECT_LEAD}


def test_a_sign_off_of_a_passed_gate_cannot_be_withdrawn(industrializing: Project) -> None:
    lead = industrializing.leads[0]
    services.project_transition(project=industrializing, target_stage=Stage.INDUSTRIALIZATION, actor=lead)
    sign_off = SignOff.objects.get(project=industrializing, role=ProjectRole.PROJECT_LEAD)
    with pytest.raises(ValidationError):
        services.signoff_withdraw(sign_off=sign_off, user=lead)
