"""Governance checks of the model versions synced from MLflow (issue 7, PRODUCTION.md journey 5).

A version of a project's linked model under a production alias (``MLFLOW_PRODUCTION_ALIASES``) raises
an alert to the project's leads and the governance officers, with an audit event, when:

- the project has not passed the Production gate (``unapproved_production``);
- it was trained on data without a live grant to the project (``ungranted_training_data``): a
  training input matched to a catalog dataset the project holds no live grant on, or one that matches
  no catalog dataset (data the catalog does not know cannot have been granted).

An alert stays open while its cause holds and is resolved (with an audit event) when it is gone.
Projects may not import governance, so these checks live here and run after each sync
(``workers.mlflow_tasks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.audit import audit_event_record
from governance.selectors import grant_live_for
from projects import selectors, services
from projects.models import ModelAlert, ModelAlertKind, Stage, gate_passed


@dataclass
class ModelCheckSummary:
    raised: list[int] = field(default_factory=list)  # alert ids
    resolved: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"raised": self.raised, "resolved": self.resolved}


def _alert_state(alert: ModelAlert) -> dict[str, Any]:
    return {
        "project": alert.project.slug,
        "model": alert.model_version.registered_model.name,
        "version": alert.model_version.version,
        "kind": alert.kind,
        "message": alert.message,
    }


@transaction.atomic
def model_governance_check(*, at: datetime | None = None) -> ModelCheckSummary:
    """Raise and resolve the production-alias alerts of every project (idempotent)."""
    at = at or timezone.now()
    unapproved: dict[tuple[int, int], str] = {}
    ungranted: dict[tuple[int, int], str] = {}
    for item in selectors.production_model_versions():
        project, version = item.project, item.version
        key = (project.pk, version.pk)
        if not gate_passed(project_stage=project.stage, gate=Stage.PRODUCTION):
            unapproved[key] = (
                f"{version} holds the alias '{item.alias}' but {project.name} has not passed the Production gate "
                f"(stage: {project.get_stage_display()})."
            )
        problems = []
        for training in version.training_inputs.all():
            if training.dataset is None:
                problems.append(f"{training.name} (not in the catalog)")
            elif grant_live_for(project=project, dataset=training.dataset, at=at) is None:
                problems.append(f"{training.dataset.name} (no live grant)")
        if problems:
            ungranted[key] = (
                f"{version} holds the alias '{item.alias}' and was trained on data {project.name} may not use: "
                + ", ".join(sorted(set(problems)))
                + "."
            )
    summary = ModelCheckSummary()
    for kind, wanted in (
        (ModelAlertKind.UNAPPROVED_PRODUCTION, unapproved),
        (ModelAlertKind.UNGRANTED_TRAINING_DATA, ungranted),
    ):
        raised, resolved = services.model_alerts_reconcile(kind=kind, wanted=wanted, at=at)
        for alert in raised:
            audit_event_record(actor=None, action="model_alert.raised", target=alert, after=_alert_state(alert))
            summary.raised.append(alert.pk)
        for alert in resolved:
            audit_event_record(
                actor=None,
                action="model_alert.resolved",
                target=alert,
                before=_alert_state(alert),
                after={"resolved_at": alert.resolved_at},
            )
            summary.resolved.append(alert.pk)
    return summary
