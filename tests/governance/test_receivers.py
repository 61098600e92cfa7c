"""What the projects app and auth do reaches the audit trail; stage changes revoke grants (task)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from catalog.roles import Role, group_name
from governance.audit import audit_verify
from governance.models import AuditEvent, DeletionTask, Grant, RevocationCause
from governance.tasks import expire_grants, flag_overdue_deletions, revoke_grants_for_stage_change
from projects import services as project_services
from projects.models import EvidenceKind, ProjectRole, Stage
from tests.factories import UserFactory
from tests.governance.conftest import LEAD, MEMBER, OFFICER, World, approve, file_request
from tests.projects.helpers import complete_checklist, complete_gate

pytestmark = pytest.mark.django_db


def test_role_changes_are_audited_from_both_sides() -> None:
    user = UserFactory(username="newcomer")
    officers = Group.objects.get(name=group_name(Role.GOVERNANCE_OFFICER))
    user.groups.add(officers)
    event = AuditEvent.objects.filter(action="role.changed", target_id=str(user.pk)).last()
    assert event.before == {"groups": []} and event.after == {"groups": [officers.name]}
    user.groups.remove(officers)
    event = AuditEvent.objects.filter(action="role.changed", target_id=str(user.pk)).last()
    assert event.before == {"groups": [officers.name]} and event.after == {"groups": []}
    officers.user_set.add(user)
    user.groups.clear()
    events = list(AuditEvent.objects.filter(action="role.changed", target_id=str(user.pk)).order_by("seq"))
    assert [e.after["groups"] for e in events] == [[officers.name], [], [officers.name], []]
    assert audit_verify().ok


def test_membership_changes_are_audited(world: World) -> None:
    lead = world.user(LEAD)
    newcomer = UserFactory(username="sam")
    membership = project_services.membership_add(
        project=world.project, user=newcomer, role=ProjectRole.DATA_ENGINEER, added_by=lead
    )
    project_services.membership_end(membership=membership, ended_by=lead, reason="Moved team.")
    events = list(AuditEvent.objects.filter(target_type="projects.membership").order_by("seq"))
    assert [(e.action, e.actor_name) for e in events] == [("membership.added", "paula"), ("membership.ended", "paula")]
    assert events[1].after["end_reason"] == "Moved team." and events[1].after["user"] == "sam"


def test_sign_offs_given_withdrawn_and_invalidated_are_audited(world: World) -> None:
    officer = world.user(OFFICER)
    project = world.project
    complete_checklist(project, Stage.INDUSTRIALIZATION)
    lead = world.user(LEAD)
    sign_off = project_services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead, comment="Go.")
    project_services.signoff_withdraw(sign_off=sign_off, user=lead, reason="Wait.")
    again = project_services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    requirements = project_services.gate_requirements(project=project, target_stage=Stage.INDUSTRIALIZATION)
    text_item = next(st.item for st in requirements.items if st.item.evidence_kind == EvidenceKind.TEXT)
    project_services.gate_answer_set(
        project=project, stage=Stage.INDUSTRIALIZATION, key=text_item.key, answered_by=lead, value_text="Changed."
    )
    actions = list(
        AuditEvent.objects.filter(target_type="projects.signoff").order_by("seq").values_list("action", "target_id")
    )
    assert actions == [
        ("sign_off.given", str(sign_off.pk)),
        ("sign_off.withdrawn", str(sign_off.pk)),
        ("sign_off.given", str(again.pk)),
        ("sign_off.invalidated", str(again.pk)),
    ]
    assert AuditEvent.objects.get(action="sign_off.invalidated").after["invalidation_reason"]
    assert officer is not None


def test_entering_industrialization_revokes_exploration_grants(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    grant = approve(world, file_request(world)).grant
    project = world.project
    complete_gate(project, Stage.INDUSTRIALIZATION, officer=world.user(OFFICER))
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_transition(
            project=project, target_stage=Stage.INDUSTRIALIZATION, actor=world.user(LEAD), reason="POC ok."
        )
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revocation_cause == RevocationCause.STAGE_CHANGE
    assert DeletionTask.objects.filter(grant=grant).exists()
    stage_event = AuditEvent.objects.get(action="project.stage_changed")
    assert stage_event.before == {"stage": "exploration"} and stage_event.after["stage"] == "industrialization"
    assert audit_verify().ok


def test_the_stage_task_is_idempotent(world: World) -> None:
    grant = approve(world, file_request(world)).grant
    first = revoke_grants_for_stage_change.apply(args=[world.project.pk, "exploration", "abandoned"]).get()
    second = revoke_grants_for_stage_change.apply(args=[world.project.pk, "exploration", "abandoned"]).get()
    assert first == {"revoked": [grant.pk]} and second == {"revoked": []}
    assert revoke_grants_for_stage_change.apply(args=[999999, "exploration", "abandoned"]).get() == {"revoked": []}
    assert Grant.objects.get().revocation_cause == RevocationCause.ABANDONMENT


def test_periodic_tasks_run_their_service(world: World) -> None:
    approve(world, file_request(world))
    assert expire_grants.apply().get() == {"revoked": []}
    assert flag_overdue_deletions.apply().get() == {"flagged": []}


def test_periodic_tasks_are_scheduled(settings: Any) -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"governance.expire_grants", "governance.flag_overdue_deletions"} <= tasks


def test_member_requests_need_the_membership(world: World) -> None:
    membership = world.project.memberships.get(user=world.user(MEMBER))
    project_services.membership_end(membership=membership, ended_by=world.user(LEAD))
    with pytest.raises(Exception, match="members"):
        file_request(world)
