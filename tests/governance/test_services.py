"""Requests, decisions, grants, revocations and deletion tasks through ``governance.services``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from catalog.models import SearchSyncItem
from governance import selectors, services
from governance.audit import audit_verify
from governance.models import AccessRequest, AuditEvent, DeletionTask, Grant, Outcome, RequestStatus, RevocationCause
from projects.models import Stage
from tests.factories import ProjectFactory
from tests.governance.conftest import (
    CUSTODIAN,
    DS,
    LEAD,
    MEMBER,
    OFFICER,
    OTHER_CUSTODIAN,
    PURPOSE,
    World,
    approve,
    file_request,
    in_days,
)

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_filing_stores_the_prechecks_and_audits_both(world: World) -> None:
    start = AuditEvent.objects.count()
    request = file_request(world)
    assert request.status == RequestStatus.PENDING and request.revision == 1
    assert sorted(c.name for c in request.columns.all()) == ["age_band", "balance", "customer_ref"]
    results = request.current_prechecks()
    assert len(results) == 7 and all(r.outcome == Outcome.PASS for r in results)
    assert actions()[start:] == ["access_request.filed", "precheck.recorded"]
    recorded = AuditEvent.objects.get(action="precheck.recorded")
    assert recorded.after["results"][0]["rule"] == "project_stage"


def test_only_members_file_requests(world: World) -> None:
    for role in (DS, OFFICER, CUSTODIAN):
        with pytest.raises(PermissionDenied):
            file_request(world, requester=world.user(role))
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"columns": []}, "columns"),
        ({"columns": ["nope"]}, "columns"),
        ({"purpose": "  "}, "purpose"),
        ({"requested_end": None}, "requested_end"),
        ({"requested_end": "2020-01-01"}, "requested_end"),
        ({"requested_end": "soon"}, "requested_end"),
        ({"legal_basis": "because"}, "legal_basis"),
        ({"art9_condition": "z"}, "art9_condition"),
    ],
)
def test_bad_requests_are_refused_with_field_errors(world: World, over: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        file_request(world, **over)
    assert field in raised.value.message_dict
    assert not AccessRequest.objects.exists() and not AuditEvent.objects.filter(action__startswith="access").exists()


def test_a_column_of_another_dataset_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        file_request(world, columns=(world.other_dataset.columns.get().name,))
    assert "columns" in raised.value.message_dict


def test_one_open_request_per_project_and_dataset(world: World) -> None:
    file_request(world)
    with pytest.raises(ValidationError):
        file_request(world, columns=("balance",))


def test_approval_creates_a_grant_with_the_earliest_expiry(world: World) -> None:
    request = file_request(world, requested_end=in_days(200))
    approve(world, request, expires_on=in_days(60), reason="Needed for the POC.")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_by == world.user(OFFICER)
    grant = request.grant
    assert grant.expires_on == in_days(60)
    assert grant.granted_stage == Stage.EXPLORATION and grant.is_live()
    assert sorted(c.name for c in grant.columns.all()) == ["age_band", "balance", "customer_ref"]
    assert actions()[-2:] == ["access_request.decided", "grant.created"]
    assert SearchSyncItem.objects.filter(dataset_id=world.dataset.pk).exists()  # re-indexed through the outbox


def test_expiry_is_capped_by_exploration_end_and_retention(world: World, settings: Any) -> None:
    settings.STALE_POC_DAYS = 20
    request = file_request(world, requested_end=in_days(300))
    approve(world, request)
    expected = timezone.localdate(world.project.entered_stage_at) + timedelta(days=20)
    assert Grant.objects.get().expires_on == expected
    world.dataset.retention_days = 5
    world.dataset.save()
    project = ProjectFactory(stage=Stage.PRODUCTION, purpose=PURPOSE, lead=world.user(MEMBER))
    request = file_request(world, project=project)
    approve(world, request)
    assert Grant.objects.get(project=project).expires_on == in_days(5)


def test_every_decision_needs_a_reason_and_conditions_when_conditional(world: World) -> None:
    request = file_request(world)
    with pytest.raises(ValidationError) as raised:
        approve(world, request, reason=" ")
    assert "reason" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        approve(world, request, decision="approve_with_conditions")
    assert "conditions" in raised.value.message_dict
    with pytest.raises(ValidationError):
        approve(world, request, decision="maybe")
    approve(world, request, decision="approve_with_conditions", conditions="Pseudonymise before export.")
    assert Grant.objects.get().conditions == "Pseudonymise before export."


def test_only_officers_and_admins_decide(world: World) -> None:
    request = file_request(world)
    for role in (MEMBER, LEAD, CUSTODIAN):
        with pytest.raises(PermissionDenied):
            approve(world, request, officer=world.user(role))
    approve(world, request, officer=world.users["admin"])
    assert Grant.objects.count() == 1


def test_blocking_prechecks_need_an_override_reason(world: World) -> None:
    request = file_request(world, columns=("customer_id", "conviction"))
    outcomes = {r.rule: r.outcome for r in request.current_prechecks()}
    assert outcomes["minimisation"] == outcomes["special_categories"] == Outcome.BLOCKING
    with pytest.raises(ValidationError) as raised:
        approve(world, request)
    assert "override_reason" in raised.value.message_dict
    assert not Grant.objects.exists()
    approve(world, request, override_reason="Fraud investigation mandated by the regulator.")
    request.refresh_from_db()
    assert request.override_reason.startswith("Fraud") and Grant.objects.count() == 1


def test_a_project_outside_receiving_stages_never_gets_a_grant(world: World) -> None:
    project = ProjectFactory(stage=Stage.QUALIFICATION, purpose=PURPOSE, lead=world.user(MEMBER))
    request = file_request(world, project=project)
    with pytest.raises(ValidationError):
        approve(world, request, override_reason="Please.")
    assert not Grant.objects.exists()


def test_ask_for_changes_then_resubmit_reruns_the_prechecks(world: World) -> None:
    request = file_request(world, columns=("customer_id",))
    approve(world, request, decision="ask_changes", reason="Use the pseudonymised reference.")
    request.refresh_from_db()
    assert request.status == RequestStatus.CHANGES_REQUESTED
    with pytest.raises(ValidationError):
        approve(world, request)  # not pending
    with pytest.raises(PermissionDenied):
        services.access_request_resubmit(
            request=request, requester=world.user(LEAD), columns=["customer_ref"], purpose=PURPOSE,
            legal_basis="legitimate_interests", requested_end=in_days(30),
        )  # fmt: skip
    services.access_request_resubmit(
        request=request,
        requester=world.user(MEMBER),
        columns=["customer_ref"],
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        requested_end=in_days(30),
    )
    request.refresh_from_db()
    assert (request.status, request.revision) == (RequestStatus.PENDING, 2)
    assert {r.outcome for r in request.current_prechecks()} == {Outcome.PASS}
    assert request.prechecks.filter(revision=1, rule="minimisation", outcome=Outcome.BLOCKING).exists()
    assert "access_request.resubmitted" in actions()


def test_refusal_creates_no_grant(world: World) -> None:
    request = file_request(world)
    approve(world, request, decision="refuse", reason="Not necessary for the purpose.")
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED and not Grant.objects.exists()


def _grant(world: World) -> Grant:
    return approve(world, file_request(world)).grant


def test_revocation_creates_a_deletion_task_for_the_custodian(world: World, settings: Any) -> None:
    settings.GOVERNANCE_DELETION_DAYS = 14
    grant = _grant(world)
    with pytest.raises(PermissionDenied):
        services.grant_revoke(grant=grant, actor=world.user(MEMBER), reason="No.")
    with pytest.raises(ValidationError):
        services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="")
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Purpose changed.")
    grant.refresh_from_db()
    assert not grant.is_live() and grant.revocation_cause == RevocationCause.OFFICER
    task = DeletionTask.objects.get(grant=grant)
    assert task.custodian == world.user(CUSTODIAN) and task.due_on == in_days(14)
    with pytest.raises(ValidationError):
        services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Again.")
    assert actions()[-2:] == ["grant.revoked", "deletion_task.created"]


def test_expired_grants_are_revoked_once(world: World) -> None:
    grant = _grant(world)
    assert services.grants_expire(today=grant.expires_on) == []
    revoked = services.grants_expire(today=grant.expires_on + timedelta(days=1))
    assert [g.pk for g in revoked] == [grant.pk]
    assert services.grants_expire(today=grant.expires_on + timedelta(days=2)) == []
    grant.refresh_from_db()
    assert grant.revocation_cause == RevocationCause.EXPIRY and grant.revoked_by is None
    assert AuditEvent.objects.get(action="grant.revoked").actor_name == "system"


def test_stage_change_revokes_the_grants_of_the_stage_left(world: World) -> None:
    grant = _grant(world)
    assert (
        services.grants_revoke_for_stage_change(
            project=world.project, from_stage=Stage.INDUSTRIALIZATION, to_stage=Stage.PRODUCTION
        )
        == []
    )
    revoked = services.grants_revoke_for_stage_change(
        project=world.project, from_stage=Stage.EXPLORATION, to_stage=Stage.INDUSTRIALIZATION
    )
    assert [g.pk for g in revoked] == [grant.pk]
    assert Grant.objects.get().revocation_cause == RevocationCause.STAGE_CHANGE


def test_abandonment_revokes_everything(world: World) -> None:
    grant = _grant(world)
    services.grants_revoke_for_stage_change(
        project=world.project, from_stage=Stage.EXPLORATION, to_stage=Stage.ABANDONED
    )
    grant.refresh_from_db()
    assert grant.revocation_cause == RevocationCause.ABANDONMENT and DeletionTask.objects.count() == 1


def test_deletion_task_closed_with_evidence(world: World) -> None:
    grant = _grant(world)
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Done.")
    task = DeletionTask.objects.get()
    with pytest.raises(PermissionDenied):
        services.deletion_task_close(task=task, custodian=world.user(OTHER_CUSTODIAN), evidence_text="Deleted.")
    with pytest.raises(ValidationError):
        services.deletion_task_close(task=task, custodian=world.user(CUSTODIAN), evidence_text=" ")
    services.deletion_task_close(
        task=task,
        custodian=world.user(CUSTODIAN),
        evidence_text="Dropped the POC schema on 2026-11-20.",
        evidence_file=ContentFile(b"drop log", name="drop.log"),
    )
    task.refresh_from_db()
    assert task.is_closed and task.file_name.startswith("drop") and task.evidence_file.read() == b"drop log"
    with pytest.raises(ValidationError):
        services.deletion_task_close(task=task, custodian=world.user(CUSTODIAN), evidence_text="Again.")
    assert actions()[-1] == "deletion_task.closed"


def test_overdue_tasks_are_flagged_once_and_listed(world: World) -> None:
    grant = _grant(world)
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Done.")
    task = DeletionTask.objects.get()
    assert services.deletion_tasks_flag_overdue(today=task.due_on) == []
    later = task.due_on + timedelta(days=1)
    assert [t.pk for t in services.deletion_tasks_flag_overdue(today=later)] == [task.pk]
    assert services.deletion_tasks_flag_overdue(today=later) == []
    assert list(selectors.overdue_deletion_tasks(today=later)) == [task]
    assert list(selectors.overdue_deletion_tasks(today=task.due_on)) == []


def test_the_whole_story_leaves_a_valid_chain(world: World) -> None:
    grant = _grant(world)
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Done.")
    services.deletion_task_close(task=DeletionTask.objects.get(), custodian=world.user(CUSTODIAN), evidence_text="Ok.")
    report = audit_verify()
    assert report.ok, report.problems
    assert report.checked == AuditEvent.objects.count() > 6
