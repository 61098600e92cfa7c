"""Governance tasks. Each takes ids, calls one service, is idempotent and retries with backoff."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from governance import services
from projects.models import Project

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 8}


@shared_task(name="governance.revoke_for_stage_change", **RETRY)
def revoke_grants_for_stage_change(project_id: int, from_stage: str, to_stage: str) -> dict[str, object]:
    """Queued (on commit) when a project changes stage: revoke the grants of the stage it left, all of
    them when it is abandoned or retired, and create the deletion tasks. Running it again revokes
    nothing more."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return {"revoked": []}
    revoked = services.grants_revoke_for_stage_change(project=project, from_stage=from_stage, to_stage=to_stage)
    return {"revoked": [g.pk for g in revoked]}


@shared_task(name="governance.expire_grants", **RETRY)
def expire_grants() -> dict[str, object]:
    """Periodic (daily, ``CELERY_BEAT_SCHEDULE``): revoke the grants past their expiry date."""
    return {"revoked": [g.pk for g in services.grants_expire()]}


@shared_task(name="governance.flag_overdue_deletions", **RETRY)
def flag_overdue_deletions() -> dict[str, object]:
    """Periodic (daily): flag the deletion tasks past their due date for the officer."""
    return {"flagged": [t.pk for t in services.deletion_tasks_flag_overdue()]}


@shared_task(name="governance.verify_audit_chain", **RETRY)
def verify_audit_chain(trigger: str = "schedule", requested_by_id: int | None = None) -> dict[str, object]:
    """Periodic (``AUDIT_VERIFY_INTERVAL_MINUTES``) or asked for by an officer: walk the whole audit
    chain and keep the result (a new row each run; running it again only adds a later result)."""
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    verification = services.audit_verification_run(trigger=trigger, requested_by=user)
    return {"verification": verification.pk, "checked": verification.checked, "ok": verification.ok}
