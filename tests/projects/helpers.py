"""Helpers of the projects tests: complete a gate through the services, as a team would."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from catalog.roles import Role
from projects import risk, services
from projects.models import AutoCheck, EvidenceKind, Project, ProjectRole, Stage
from tests.factories import ModelVersionFactory, RegisteredModelFactory, UserFactory


def lead_of(project: Project) -> Any:
    return project.leads[0]


def answer_value(kind: str) -> dict[str, Any]:
    """A valid answer for an item of this evidence kind."""
    if kind == EvidenceKind.TEXT:
        return {"value_text": "Done and documented."}
    if kind == EvidenceKind.LINK:
        return {"value_url": "https://wiki.example.com/evidence"}
    if kind == EvidenceKind.YES_NO:
        return {"value_bool": True}
    return {"evidence_file": ContentFile(b"%PDF-1.4 evidence", name="evidence.pdf")}


def satisfy_automatic(project: Project, check: str, actor: Any) -> None:
    if check == AutoCheck.PURPOSE_AND_OWNER:
        services.project_update(project=project, data={"business_owner": UserFactory()}, actor=actor)
    elif check == AutoCheck.KPIS:
        if not project.kpis.filter(kind="business").exists():
            services.kpi_create(project=project, kind="business", name="Fraud losses", target=1.2, direction="lower")
        if not project.kpis.filter(kind="ml").exists():
            services.kpi_create(project=project, kind="ml", name="Recall", target=0.8)
    elif check == AutoCheck.RATINGS:
        services.project_update(
            project=project, data={"value_rating": 4, "risk_rating": 2, "feasibility_rating": 3}, actor=actor
        )
    elif check in (AutoCheck.AI_ACT_SCREENING, AutoCheck.DPIA_SCREENING):
        if not project.risk_screenings.exists():  # one screening satisfies both items
            services.risk_screening_record(project=project, answers=risk.all_no(), screened_by=actor)
    elif check == AutoCheck.CORE_TEAM:
        for role in (ProjectRole.DATA_SCIENTIST, ProjectRole.BUSINESS_OWNER):
            if not project.memberships.active().filter(role=role).exists():
                services.membership_add(project=project, user=UserFactory(), role=role, added_by=actor)
    elif check == AutoCheck.REGISTERED_MODEL:
        name = f"{project.slug}-model"
        services.model_link_add(project=project, registered_model_name=name, linked_by=actor)
        # The gate asks for a version: one the MLflow sync copied (rows as the sync writes them).
        ModelVersionFactory(registered_model=RegisteredModelFactory(name=name), version=1)
    else:  # pragma: no cover
        raise AssertionError(check)


def complete_checklist(project: Project, stage: str) -> None:
    """Satisfy every applicable item of the gate into ``stage`` (current template)."""
    actor = lead_of(project)
    requirements = services.gate_requirements(project=project, target_stage=stage)
    for status in requirements.items:
        if not status.applicable or status.satisfied:
            continue
        item = status.item
        if item.evidence_kind == EvidenceKind.AUTOMATIC:
            satisfy_automatic(project, item.auto_check, actor)
        else:
            services.gate_answer_set(
                project=project, stage=stage, key=item.key, answered_by=actor, **answer_value(item.evidence_kind)
            )
    requirements = services.gate_requirements(project=project, target_stage=stage)
    assert requirements.checklist_complete, requirements.missing_messages()


def signer_for(project: Project, role: str, *, officer: Any = None) -> Any:
    """A user who may sign ``role``: a member holding it (added if needed); a platform governance
    officer for the governance-officer role."""
    if role == ProjectRole.GOVERNANCE_OFFICER:
        return officer or UserFactory(roles=[Role.GOVERNANCE_OFFICER])
    membership = project.memberships.active().filter(role=role).select_related("user").first()
    if membership is not None:
        return membership.user
    user = UserFactory()
    services.membership_add(project=project, user=user, role=role, added_by=lead_of(project))
    return user


def sign_all(project: Project, stage: str, *, officer: Any = None, except_roles: tuple[str, ...] = ()) -> None:
    """Give every required sign-off of the gate into ``stage`` that is missing."""
    requirements = services.gate_requirements(project=project, target_stage=stage)
    signers = {
        s.role: signer_for(project, s.role, officer=officer)
        for s in requirements.sign_offs
        if s.required and not s.signed and s.role not in except_roles
    }
    for role, user in signers.items():
        services.signoff_give(project=project, role=role, user=user, comment="Agreed.")


def complete_gate(project: Project, stage: str, *, officer: Any = None) -> None:
    complete_checklist(project, stage)
    sign_all(project, stage, officer=officer)
    assert services.gate_requirements(project=project, target_stage=stage).is_complete


def advance_to(project: Project, target: str, *, officer: Any = None) -> None:
    """Take the project through each gate up to ``target``, through the services."""
    order = [Stage.EXPLORATION, Stage.INDUSTRIALIZATION, Stage.PRODUCTION, Stage.RETIRED]
    for stage in order[order.index(Stage(project.stage)) + 1 if project.stage in order else 0 :]:
        complete_gate(project, stage, officer=officer)
        services.project_transition(project=project, target_stage=stage, actor=lead_of(project), reason="Gate passed.")
        if stage == target:
            return
