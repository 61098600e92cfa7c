"""Writes of the governance app. Views, serializers, tasks, admin and demo data call these.

Public functions (keyword-only, each in one transaction, each recording its audit events):

- ``access_request_create(*, requester, project, dataset, columns, purpose, legal_basis,
  art9_condition="", requested_end, justification="")`` -> AccessRequest: file a request (active
  members of the project only); its pre-checks are run and stored.
- ``access_request_resubmit(*, request, requester, columns, purpose, legal_basis, art9_condition,
  requested_end, justification)`` -> AccessRequest: the requester changes a request that is pending
  or sent back for changes; pre-checks are re-run (new revision) and it is pending again.
- ``access_request_decide(*, request, officer, decision, reason, expires_on=None, conditions="",
  override_reason="")`` -> AccessRequest: approve, approve with conditions, ask for changes or
  refuse (officers and admins). Approvals create the ``Grant``.
- ``grant_revoke(*, grant, actor, reason, cause=RevocationCause.OFFICER)`` -> Grant: revoke and
  create the custodian's ``DeletionTask`` (an officer or admin; ``actor=None`` for the system).
- ``grants_expire(*, today=None)`` -> list[Grant]: revoke the grants past their expiry (periodic).
- ``grants_revoke_for_stage_change(*, project, from_stage, to_stage)`` -> list[Grant]: revoke the
  grants of the stage left, everything when the project is abandoned or retired.
- ``deletion_task_close(*, task, custodian, evidence_text, evidence_file=None)`` -> DeletionTask.
- ``deletion_tasks_flag_overdue(*, today=None)`` -> list[DeletionTask] (periodic).

``access_request_create``, ``access_request_decide`` and ``grant_revoke`` take ``at`` (default now): a
past time is for demo data and backfills, like the projects services.

Errors: ``ValidationError`` with field errors for bad input; ``PermissionDenied`` when the user may
not do this at all. Grant changes mark the dataset for search re-indexing (catalog's outbox).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from catalog.models import Column, Dataset, LegalBasis
from catalog.search.sync import mark as mark_for_search
from governance import prechecks
from governance.audit import audit_event_record, audit_verify, snapshot
from governance.models import (
    AccessRequest,
    Art9Condition,
    AuditVerification,
    AuditVerificationTrigger,
    Decision,
    DeletionTask,
    Grant,
    Outcome,
    PrecheckResult,
    RequestStatus,
    RevocationCause,
)
from governance.permissions import is_officer_or_admin, may_close_deletion, may_request_for
from projects.models import CLOSED_STAGES, Project, Stage

__all__ = [
    "access_request_create",
    "access_request_decide",
    "access_request_resubmit",
    "audit_verification_queue",
    "audit_verification_run",
    "deletion_task_close",
    "deletion_tasks_flag_overdue",
    "grant_revoke",
    "grants_expire",
    "grants_revoke_for_stage_change",
]

REQUEST_FIELDS = [
    "requester",
    "project",
    "dataset",
    "columns",
    "purpose",
    "legal_basis",
    "art9_condition",
    "requested_end",
    "justification",
    "status",
    "revision",
]
GRANT_FIELDS = [
    "project",
    "dataset",
    "columns",
    "purpose",
    "legal_basis",
    "conditions",
    "granted_stage",
    "expires_on",
    "revoked_at",
    "revocation_cause",
    "revocation_reason",
]
MAX_TEXT = 5000


# --- Helpers ---------------------------------------------------------------------------------------


def _resolve_columns(dataset: Dataset, columns: Iterable[Column | str | int]) -> list[Column]:
    """Columns of ``dataset`` given as objects, names or ids; each must belong to it."""
    wanted = list(columns)
    if not wanted:
        raise ValidationError({"columns": "Ask for at least one column."})
    by_name = {c.name: c for c in dataset.columns.all()}
    by_id = {c.pk: c for c in by_name.values()}
    resolved: list[Column] = []
    unknown: list[str] = []
    for item in wanted:
        if isinstance(item, Column):
            column = by_id.get(item.pk)
        elif isinstance(item, int):
            column = by_id.get(item)
        else:
            column = by_name.get(str(item))
        if column is None:
            unknown.append(str(getattr(item, "name", item)))
        elif column not in resolved:
            resolved.append(column)
    if unknown:
        raise ValidationError({"columns": f"Not columns of {dataset.name}: {', '.join(unknown)}."})
    return sorted(resolved, key=lambda c: (c.position, c.name))


def _clean_fields(
    *, purpose: str, legal_basis: str, art9_condition: str, requested_end: Any, justification: str, today: date
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = "Say what the data is for (the project's purpose)."
    if legal_basis and legal_basis not in LegalBasis.values:
        errors["legal_basis"] = f"Unknown legal basis {legal_basis!r}."
    if art9_condition and art9_condition not in Art9Condition.values:
        errors["art9_condition"] = f"Unknown Art. 9(2) condition {art9_condition!r}."
    if isinstance(requested_end, str):
        try:
            requested_end = date.fromisoformat(requested_end)
        except ValueError:
            errors["requested_end"] = "A date, YYYY-MM-DD."
    if requested_end is None:
        errors["requested_end"] = "Give the date until which the data is needed."
    elif isinstance(requested_end, date) and requested_end < today:
        errors["requested_end"] = "The requested end date is past."
    if len(purpose) > MAX_TEXT or len(justification or "") > MAX_TEXT:
        errors[NON_FIELD_ERRORS] = f"Texts are limited to {MAX_TEXT} characters."
    if errors:
        raise ValidationError(errors)
    return {
        "purpose": purpose,
        "legal_basis": legal_basis or "",
        "art9_condition": art9_condition or "",
        "requested_end": requested_end,
        "justification": (justification or "").strip(),
    }


def _run_prechecks(request: AccessRequest, columns: list[Column], at: datetime | None = None) -> list[PrecheckResult]:
    """Run the rules on the request as it is and store the results under its current revision."""
    checks = prechecks.run_prechecks(
        prechecks.build_input(
            project=request.project,
            dataset=request.dataset,
            columns=columns,
            purpose=request.purpose,
            legal_basis=request.legal_basis,
            art9_condition=request.art9_condition,
            requested_end=request.requested_end,
            justification=request.justification,
            today=timezone.localdate(at) if at else None,
        )
    )
    now = at or timezone.now()
    results = [
        PrecheckResult(
            request=request,
            revision=request.revision,
            rule=c.rule,
            title=c.title,
            outcome=c.outcome,
            article=c.article,
            message=c.message,
            position=i,
            checked_at=now,
        )
        for i, c in enumerate(checks)
    ]
    PrecheckResult.objects.bulk_create(results)
    return results


def _precheck_summary(results: list[PrecheckResult]) -> dict[str, Any]:
    return {
        "revision": results[0].revision if results else None,
        "results": [
            {"rule": r.rule, "outcome": r.outcome, "article": r.article, "message": r.message} for r in results
        ],
    }


def _audit_prechecks(actor: Any, request: AccessRequest, results: list[PrecheckResult]) -> None:
    audit_event_record(actor=actor, action="precheck.recorded", target=request, after=_precheck_summary(results))


def _exploration_end(project: Project) -> date | None:
    return prechecks.exploration_end(project)


def grant_expiry(*, request: AccessRequest, expires_on: date | None = None, today: date | None = None) -> date:
    """The earliest of: the requested end, the officer's expiry, the dataset's retention and, for an
    Exploration project, the end of Exploration (``prechecks.exploration_end``)."""
    today = today or timezone.localdate()
    candidates = [request.requested_end]
    if expires_on is not None:
        candidates.append(expires_on)
    if request.dataset.retention_days:
        candidates.append(today + timedelta(days=request.dataset.retention_days))
    end = _exploration_end(request.project)
    if end is not None:
        candidates.append(end)
    return min(candidates)


# --- Access requests ---------------------------------------------------------------------------------


@transaction.atomic
def access_request_create(
    *,
    requester: AbstractBaseUser,
    project: Project,
    dataset: Dataset,
    columns: Iterable[Column | str | int],
    purpose: str,
    legal_basis: str,
    requested_end: date | str | None,
    art9_condition: str = "",
    justification: str = "",
    at: datetime | None = None,
) -> AccessRequest:
    """File a request for ``columns`` of ``dataset`` for ``project``; only active members of the
    project may. The pre-checks are run and stored with it (revision 1)."""
    if not may_request_for(requester, project):
        raise PermissionDenied("Only active members of the project request data for it.")
    at = at or timezone.now()
    cleaned = _clean_fields(
        purpose=purpose,
        legal_basis=legal_basis,
        art9_condition=art9_condition,
        requested_end=requested_end,
        justification=justification,
        today=timezone.localdate(at),
    )
    resolved = _resolve_columns(dataset, columns)
    if project.stage in CLOSED_STAGES:
        raise ValidationError({"project": f"The project is {Stage(project.stage).label.lower()}: it receives no data."})
    if AccessRequest.objects.filter(
        project=project, dataset=dataset, status__in=[RequestStatus.PENDING, RequestStatus.CHANGES_REQUESTED]
    ).exists():
        raise ValidationError(
            {"dataset": "This project already has an open request for this dataset: change that one instead."}
        )
    request = AccessRequest.objects.create(
        requester=requester, project=project, dataset=dataset, submitted_at=at, **cleaned
    )
    request.columns.set(resolved)
    audit_event_record(
        actor=requester, action="access_request.filed", target=request, after=snapshot(request, REQUEST_FIELDS)
    )
    _audit_prechecks(requester, request, _run_prechecks(request, resolved, at))
    return request


@transaction.atomic
def access_request_resubmit(
    *,
    request: AccessRequest,
    requester: AbstractBaseUser,
    columns: Iterable[Column | str | int],
    purpose: str,
    legal_basis: str,
    requested_end: date | str | None,
    art9_condition: str = "",
    justification: str = "",
) -> AccessRequest:
    """The requester changes a pending request, or one sent back for changes: the pre-checks run
    again (a new revision) and it waits for a decision again."""
    request = AccessRequest.objects.select_for_update().select_related("project", "dataset").get(pk=request.pk)
    if request.requester_id != requester.pk:
        raise PermissionDenied("Only the requester changes a request.")
    if not request.is_open:
        raise ValidationError({NON_FIELD_ERRORS: f"This request is {request.get_status_display().lower()}."})
    if not may_request_for(requester, request.project):
        raise PermissionDenied("Only active members of the project request data for it.")
    cleaned = _clean_fields(
        purpose=purpose,
        legal_basis=legal_basis,
        art9_condition=art9_condition,
        requested_end=requested_end,
        justification=justification,
        today=timezone.localdate(),
    )
    resolved = _resolve_columns(request.dataset, columns)
    before = snapshot(request, REQUEST_FIELDS)
    for name, value in cleaned.items():
        setattr(request, name, value)
    request.revision += 1
    request.status = RequestStatus.PENDING
    request.submitted_at = timezone.now()
    request.save()
    request.columns.set(resolved)
    audit_event_record(
        actor=requester,
        action="access_request.resubmitted",
        target=request,
        before=before,
        after=snapshot(request, REQUEST_FIELDS),
    )
    _audit_prechecks(requester, request, _run_prechecks(request, resolved))
    return request


@transaction.atomic
def access_request_decide(
    *,
    request: AccessRequest,
    officer: AbstractBaseUser,
    decision: str,
    reason: str,
    expires_on: date | str | None = None,
    conditions: str = "",
    override_reason: str = "",
    at: datetime | None = None,
) -> AccessRequest:
    """Decide a pending request (governance officers and admins). A reason is always required;
    approve-with-conditions needs the conditions. Approving a request with blocking pre-checks
    needs ``override_reason``. The pre-checks are re-run first, under the same revision, so the
    decision is taken on the situation of the day (e.g. the project's stage). A project that is not
    in Exploration, Industrialization or Production never receives a grant."""
    if not is_officer_or_admin(officer):
        raise PermissionDenied("Only governance officers decide access requests.")
    request = AccessRequest.objects.select_for_update().select_related("project", "dataset").get(pk=request.pk)
    at = at or timezone.now()
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = f"Unknown decision {decision!r}: one of {', '.join(Decision.values)}."
    reason, conditions, override_reason = reason.strip(), conditions.strip(), override_reason.strip()
    if not reason:
        errors["reason"] = "Every decision has a reason."
    if decision == Decision.APPROVE_WITH_CONDITIONS and not conditions:
        errors["conditions"] = "Say which conditions the approval comes with."
    if isinstance(expires_on, str) and expires_on:
        try:
            expires_on = date.fromisoformat(expires_on)
        except ValueError:
            errors["expires_on"] = "A date, YYYY-MM-DD."
    if isinstance(expires_on, date) and expires_on < timezone.localdate(at):
        errors["expires_on"] = "The expiry date is past."
    if errors:
        raise ValidationError(errors)
    if request.status != RequestStatus.PENDING:
        raise ValidationError({NON_FIELD_ERRORS: f"This request is {request.get_status_display().lower()}."})
    columns = list(request.columns.all())
    approving = decision in (Decision.APPROVE, Decision.APPROVE_WITH_CONDITIONS)
    before = snapshot(request, REQUEST_FIELDS)
    if approving:
        stored = list(request.prechecks.filter(revision=request.revision))
        request.prechecks.filter(revision=request.revision).delete()
        results = _run_prechecks(request, columns, at)
        if [(r.rule, r.outcome, r.message) for r in stored] != [(r.rule, r.outcome, r.message) for r in results]:
            _audit_prechecks(officer, request, results)
        if request.project.stage not in prechecks.RECEIVING_STAGES:
            raise ValidationError(
                {NON_FIELD_ERRORS: f"The project is in {Stage(request.project.stage).label}: it may not receive data."}
            )
        blocking = [r for r in results if r.outcome == Outcome.BLOCKING]
        if blocking and not override_reason:
            raise ValidationError(
                {
                    "override_reason": "Blocking pre-checks: "
                    + "; ".join(f"{r.title} ({r.article})" for r in blocking)
                    + ". Approving needs a written reason for overriding them."
                }
            )
        if not blocking:
            override_reason = ""
    request.decision = decision
    request.decision_reason = reason
    request.conditions = conditions if approving else ""
    request.override_reason = override_reason if approving else ""
    request.decided_by = officer
    request.decided_at = at
    request.status = {
        Decision.APPROVE: RequestStatus.APPROVED,
        Decision.APPROVE_WITH_CONDITIONS: RequestStatus.APPROVED,
        Decision.ASK_CHANGES: RequestStatus.CHANGES_REQUESTED,
        Decision.REFUSE: RequestStatus.REFUSED,
    }[Decision(decision)]
    request.save()
    audit_event_record(
        actor=officer,
        action="access_request.decided",
        target=request,
        before=before,
        after={
            **snapshot(request, REQUEST_FIELDS),
            "decision": decision,
            "reason": reason,
            "conditions": request.conditions,
            "override_reason": request.override_reason,
        },
    )
    if approving:
        _grant_create(request=request, officer=officer, columns=columns, expires_on=expires_on, at=at)  # type: ignore[arg-type]
    return request


def _grant_create(
    *, request: AccessRequest, officer: Any, columns: list[Column], expires_on: date | None, at: datetime
) -> Grant:
    grant = Grant.objects.create(
        request=request,
        project=request.project,
        dataset=request.dataset,
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        conditions=request.conditions,
        granted_stage=request.project.stage,
        granted_by=officer,
        starts_at=at,
        expires_on=grant_expiry(request=request, expires_on=expires_on, today=timezone.localdate(at)),
    )
    grant.columns.set(columns)
    audit_event_record(actor=officer, action="grant.created", target=grant, after=snapshot(grant, GRANT_FIELDS))
    mark_for_search([grant.dataset_id])
    return grant


# --- Grants and deletion tasks -----------------------------------------------------------------------------


def _deletion_due(at: datetime) -> date:
    return timezone.localdate(at) + timedelta(days=settings.GOVERNANCE_DELETION_DAYS)


@transaction.atomic
def grant_revoke(
    *,
    grant: Grant,
    actor: AbstractBaseUser | None,
    reason: str,
    cause: str = RevocationCause.OFFICER,
    at: datetime | None = None,
) -> Grant:
    """Revoke a live grant and give the dataset's custodian (its owner when it has none) a deletion
    task due in ``GOVERNANCE_DELETION_DAYS``. Officers and admins revoke by hand; ``actor=None`` is
    the system (expiry, stage change)."""
    if actor is not None and not is_officer_or_admin(actor):
        raise PermissionDenied("Only governance officers revoke grants.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the grant is revoked."})
    if cause not in RevocationCause.values:
        raise ValidationError({"cause": f"Unknown cause {cause!r}."})
    grant = Grant.objects.select_for_update().select_related("dataset", "project").get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError({NON_FIELD_ERRORS: f"This grant was already revoked on {grant.revoked_at:%Y-%m-%d}."})
    before = snapshot(grant, GRANT_FIELDS)
    grant.revoked_at = at or timezone.now()
    grant.revoked_by = actor
    grant.revocation_cause = cause
    grant.revocation_reason = reason
    grant.save()
    audit_event_record(
        actor=actor, action="grant.revoked", target=grant, before=before, after=snapshot(grant, GRANT_FIELDS)
    )
    dataset = grant.dataset
    task = DeletionTask.objects.create(
        grant=grant,
        dataset=dataset,
        custodian_id=dataset.custodian_id or dataset.owner_id,
        created_at=grant.revoked_at,
        due_on=_deletion_due(grant.revoked_at),
    )
    audit_event_record(
        actor=actor,
        action="deletion_task.created",
        target=task,
        after={"grant": grant.pk, "dataset": dataset.pk, "custodian": task.custodian_id, "due_on": task.due_on},
    )
    mark_for_search([grant.dataset_id])
    return grant


def grants_expire(*, today: date | None = None) -> list[Grant]:
    """Revoke every unrevoked grant whose expiry date is past (idempotent: revoked ones are skipped)."""
    today = today or timezone.localdate()
    revoked = []
    for grant in Grant.objects.filter(revoked_at__isnull=True, expires_on__lt=today).order_by("pk"):
        revoked.append(
            grant_revoke(
                grant=grant, actor=None, reason=f"Expired on {grant.expires_on}.", cause=RevocationCause.EXPIRY
            )
        )
    return revoked


def grants_revoke_for_stage_change(*, project: Project, from_stage: str, to_stage: str) -> list[Grant]:
    """Revoke the live grants of the stage the project left (all of them when it is abandoned or
    retired). Idempotent: grants already revoked are skipped."""
    grants = Grant.objects.filter(project=project, revoked_at__isnull=True)
    if to_stage in CLOSED_STAGES:
        cause = RevocationCause.ABANDONMENT
        reason = f"The project was {Stage(to_stage).label.lower()}."
    else:
        grants = grants.filter(granted_stage=from_stage)
        cause = RevocationCause.STAGE_CHANGE
        reason = f"The project left {Stage(from_stage).label} for {Stage(to_stage).label}."
    return [grant_revoke(grant=g, actor=None, reason=reason, cause=cause) for g in grants.order_by("pk")]


@transaction.atomic
def deletion_task_close(
    *,
    task: DeletionTask,
    custodian: AbstractBaseUser,
    evidence_text: str,
    evidence_file: File | None = None,
) -> DeletionTask:
    """The custodian confirms the deletion with evidence: a text (how, when, what) and optionally a file."""
    task = DeletionTask.objects.select_for_update().select_related("dataset").get(pk=task.pk)
    if not may_close_deletion(custodian, task):
        raise PermissionDenied("Only the dataset's custodian closes its deletion tasks.")
    evidence_text = evidence_text.strip()
    if not evidence_text:
        raise ValidationError({"evidence_text": "Say how and when the data was deleted."})
    if task.closed_at is not None:
        raise ValidationError({NON_FIELD_ERRORS: f"This task was closed on {task.closed_at:%Y-%m-%d}."})
    task.evidence_text = evidence_text
    if evidence_file is not None:
        task.evidence_file.save(getattr(evidence_file, "name", None) or "evidence", evidence_file, save=False)
    task.closed_at = timezone.now()
    task.closed_by = custodian
    task.save()
    audit_event_record(
        actor=custodian,
        action="deletion_task.closed",
        target=task,
        after={
            "evidence_text": task.evidence_text,
            "evidence_file": task.evidence_file.name or "",
            "closed_at": task.closed_at,
        },
    )
    return task


@transaction.atomic
def deletion_tasks_flag_overdue(*, today: date | None = None) -> list[DeletionTask]:
    """Flag the open tasks past their due date (once each; idempotent)."""
    today = today or timezone.localdate()
    flagged = list(DeletionTask.objects.overdue(today).filter(overdue_since__isnull=True).order_by("pk"))
    for task in flagged:
        task.overdue_since = today
        task.save(update_fields=["overdue_since"])
        audit_event_record(
            actor=None, action="deletion_task.overdue", target=task, after={"due_on": task.due_on, "flagged_on": today}
        )
    return flagged


# --- Verification of the audit chain ---------------------------------------------------------------------

AUDIT_PROBLEMS_KEPT = 100


def audit_verification_run(*, trigger: str, requested_by: AbstractBaseUser | None = None) -> AuditVerification:
    """Walk the whole audit chain (``audit.audit_verify``) and keep what it found: the audit page
    checks the events appended since the last of these instead of the whole chain."""
    if trigger not in AuditVerificationTrigger.values:
        raise ValidationError({"trigger": f"Unknown trigger {trigger!r}."})
    started = timezone.now()
    report = audit_verify()
    return AuditVerification.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        trigger=trigger,
        requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
        checked=report.checked,
        last_seq=report.last_seq,
        last_hash=report.last_hash,
        ok=report.ok,
        problem_count=len(report.problems),
        problems=report.problems[:AUDIT_PROBLEMS_KEPT],
    )


def audit_verification_queue(*, requested_by: AbstractBaseUser) -> None:
    """An officer asks for a full walk now: queued once the caller's transaction commits (in-process
    in the embedded default)."""
    if not is_officer_or_admin(requested_by):
        raise PermissionDenied("Only governance officers verify the audit trail.")
    from governance.tasks import verify_audit_chain  # tasks import this module

    user_id = requested_by.pk
    transaction.on_commit(
        lambda: verify_audit_chain.delay(trigger=AuditVerificationTrigger.OFFICER.value, requested_by_id=user_id)
    )
