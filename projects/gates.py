"""Stage gates: the checklist templates of PRODUCT.md §3 as data, and what a gate still needs.

**Templates.** ``INITIAL_TEMPLATES`` is version 1 of each gate, seeded by migration
``0002_gate_templates``. It is frozen: change a gate by publishing a new version
(``projects.services.gate_template_publish``), never by editing it here.

**Items.** Each item has an evidence kind: *text*, *link*, *file* or *yes/no* items are answered by
the team (``GateAnswer``; a yes/no item is satisfied only by "yes"); *automatic* items are satisfied
by the project's own data (``AutoCheck``: purpose and business owner, KPIs with targets, ratings,
risk screening, core team, linked model). An answer given for an earlier template version carries
over to a later version's item with the same key and evidence kind.

**Conditions.** An item or a sign-off role applies ``always`` or only when a condition holds, from
the project's latest risk screening and its declaration (``gate_conditions``):

- ``high_risk``: the AI Act tier is high;
- ``dpia_required``: the DPIA screening says a DPIA is required;
- ``personal_data``: the project declares it processes personal data (``Project.processes_personal_data``)
  or its risk screening answered yes to "Does the project process personal data?". Datasets granted
  to the project (governance, a later issue) will add to this.

A role listed under several conditions is required when any holds (Production: governance officer
when high-risk or when personal data is used).

**Sign-offs.** A sign-off is valid while it is not invalidated, was given for the current template
version, and the checklist state it certified (``GateRequirements.state``: template version,
conditions, and the evidence of each applicable item) is still the current one. Any change of that
state invalidates it (``projects.services`` records when and why).

**Blockers.** A project screened as a prohibited AI practice passes no gate but Retired. A project
does not retire while a linked registered model still carries a production alias
(``MLFLOW_PRODUCTION_ALIASES``) as last synced from MLflow, whatever the checklist answer says.

``gate_requirements(project=..., target_stage=...)`` is the one read that everything uses: the
transition service to decide, the API and the pages to show what is missing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from projects.models import (
    CLOSED_STAGES,
    GATED_STAGES,
    AIActTier,
    AutoCheck,
    EvidenceKind,
    GateAnswer,
    GateChecklistItem,
    GateChecklistTemplate,
    GateCondition,
    GateSignOffRole,
    KPIKind,
    Membership,
    ModelAlias,
    ModelLink,
    ModelVersion,
    Project,
    ProjectKPI,
    ProjectRole,
    RiskScreening,
    SignOff,
    Stage,
    gate_passed,
    next_stage,
)

# --- Version 1 of the templates (PRODUCT.md §3) ----------------------------------------------------


def _item(
    key: str,
    label: str,
    kind: str,
    help_text: str = "",
    *,
    auto_check: str = "",
    condition: str = GateCondition.ALWAYS,
    required: bool = True,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "help_text": help_text,
        "evidence_kind": str(kind),
        "auto_check": str(auto_check),
        "required": required,
        "condition": str(condition),
    }


def _auto(key: str, label: str, check: AutoCheck, help_text: str = "") -> dict[str, Any]:
    return _item(key, label, EvidenceKind.AUTOMATIC, help_text, auto_check=check)


def _role(role: ProjectRole, condition: str = GateCondition.ALWAYS) -> dict[str, str]:
    return {"role": str(role), "condition": str(condition)}


INITIAL_TEMPLATES: dict[str, dict[str, Any]] = {
    Stage.EXPLORATION.value: {
        "notes": "Initial version, from the product's stage-gate table.",
        "items": [
            _auto(
                "purpose_and_business_owner",
                "Purpose and business owner",
                AutoCheck.PURPOSE_AND_OWNER,
                "The GDPR purpose of the project and its business owner, recorded on the project.",
            ),
            _auto(
                "kpis_with_targets",
                "Business KPI and ML metric with targets",
                AutoCheck.KPIS,
                "At least one business KPI and one ML metric, each with its target and direction.",
            ),
            _auto(
                "value_risk_feasibility",
                "Value, risk and feasibility rating",
                AutoCheck.RATINGS,
                "Each rated from 1 to 5 on the project.",
            ),
            _auto(
                "ai_act_screening",
                "AI Act screening",
                AutoCheck.AI_ACT_SCREENING,
                "Does it score or profile people? Creditworthiness scoring is high-risk. Recorded with the risk "
                "screening; a prohibited practice stops the project.",
            ),
            _auto(
                "dpia_screening",
                "DPIA screening",
                AutoCheck.DPIA_SCREENING,
                "Scoring or profiling, special categories, large scale...: recorded with the risk screening.",
            ),
            _auto(
                "core_team_assigned",
                "Project lead, data scientist and business owner assigned",
                AutoCheck.CORE_TEAM,
                "Active memberships with these three roles.",
            ),
        ],
        "sign_off_roles": [_role(ProjectRole.PROJECT_LEAD), _role(ProjectRole.GOVERNANCE_OFFICER)],
    },
    Stage.INDUSTRIALIZATION.value: {
        "notes": "Initial version, from the product's stage-gate table.",
        "items": [
            _item(
                "poc_result",
                "POC result against the targets and the current manual process",
                EvidenceKind.TEXT,
                "The ML metric and the business KPI reached, compared with their targets and with how the work is "
                "done today.",
            ),
            _item(
                "target_environment",
                "Target production environment known",
                EvidenceKind.TEXT,
                "Where the model will run in production, and who operates it.",
            ),
            _item(
                "scalability_checked",
                "Scalability checked against production volumes",
                EvidenceKind.YES_NO,
                "Training and inference tested on production-sized data.",
            ),
            _item(
                "lifecycle_versioning",
                "Lifecycle and versioning of code, data and model planned",
                EvidenceKind.TEXT,
                "How each object is versioned and how often the model is retrained (e.g. monthly).",
            ),
            _item(
                "exposure",
                "Exposure chosen",
                EvidenceKind.TEXT,
                "Offline batch, model-as-a-service API, or online learning.",
            ),
            _item(
                "deployment_strategy",
                "Deployment strategy chosen",
                EvidenceKind.TEXT,
                "Shadow, canary or blue-green.",
            ),
            _item(
                "monitoring_plan",
                "Monitoring plan",
                EvidenceKind.LINK,
                "Model metrics, data drift, alert levels and who receives the alerts.",
            ),
            _auto(
                "registered_model",
                "A registered MLflow model version",
                AutoCheck.REGISTERED_MODEL,
                "The project is linked to its MLflow registered model.",
            ),
            _item(
                "exploration_data_deletion",
                "Exploration data deletion scheduled",
                EvidenceKind.YES_NO,
                "The data granted for exploration is scheduled for deletion.",
            ),
        ],
        "sign_off_roles": [
            _role(ProjectRole.BUSINESS_OWNER),
            _role(ProjectRole.PROJECT_LEAD),
            _role(ProjectRole.DATA_ENGINEER),
            _role(ProjectRole.OPERATIONS),
        ],
    },
    Stage.PRODUCTION.value: {
        "notes": "Initial version, from the product's stage-gate table.",
        "items": [
            _item(
                "ci_cd_tests",
                "CI/CD and automated tests (code and data tests) in place",
                EvidenceKind.LINK,
                "Link to the pipeline.",
            ),
            _item(
                "monitoring_live",
                "Monitoring and alerts live",
                EvidenceKind.LINK,
                "Link to the dashboard and alert rules.",
            ),
            _item(
                "approved_model_version",
                "Exact model version approved",
                EvidenceKind.TEXT,
                "Registered model name and version going to production.",
            ),
            _item("security_review", "Security review done", EvidenceKind.FILE, "The security review report."),
            _item(
                "dpia_done",
                "DPIA done",
                EvidenceKind.FILE,
                "Required because the DPIA screening said so (GDPR Art. 35).",
                condition=GateCondition.DPIA_REQUIRED,
            ),
            _item(
                "ai_risk_management",
                "Risk management system (high-risk AI)",
                EvidenceKind.LINK,
                "AI Act Art. 9.",
                condition=GateCondition.HIGH_RISK,
            ),
            _item(
                "ai_technical_documentation",
                "Technical documentation (high-risk AI)",
                EvidenceKind.LINK,
                "AI Act Art. 11 and Annex IV.",
                condition=GateCondition.HIGH_RISK,
            ),
            _item(
                "ai_human_oversight",
                "Human oversight (high-risk AI)",
                EvidenceKind.TEXT,
                "Who oversees the system and how they can intervene (AI Act Art. 14).",
                condition=GateCondition.HIGH_RISK,
            ),
            _item(
                "ai_logging",
                "Logging of the system's events (high-risk AI)",
                EvidenceKind.YES_NO,
                "Automatic recording of events over the system's lifetime (AI Act Art. 12).",
                condition=GateCondition.HIGH_RISK,
            ),
            _item(
                "fundamental_rights_assessment",
                "Fundamental-rights impact assessment (high-risk AI)",
                EvidenceKind.FILE,
                "AI Act Art. 27.",
                condition=GateCondition.HIGH_RISK,
            ),
        ],
        "sign_off_roles": [
            _role(ProjectRole.SECURITY),
            _role(ProjectRole.OPERATIONS),
            _role(ProjectRole.PROJECT_LEAD),
            _role(ProjectRole.GOVERNANCE_OFFICER, GateCondition.HIGH_RISK),
            _role(ProjectRole.GOVERNANCE_OFFICER, GateCondition.PERSONAL_DATA),
        ],
    },
    Stage.RETIRED.value: {
        "notes": "Initial version, from the product's stage-gate table.",
        "items": [
            _item("production_alias_removed", "Production alias removed", EvidenceKind.YES_NO),
            _item("grants_revoked", "Data access grants revoked", EvidenceKind.YES_NO),
            _item(
                "data_deleted",
                "Data deleted, with evidence",
                EvidenceKind.FILE,
                "Deletion evidence from the custodians.",
            ),
            _item("register_updated", "Register of processing updated", EvidenceKind.YES_NO),
        ],
        "sign_off_roles": [_role(ProjectRole.PROJECT_LEAD), _role(ProjectRole.GOVERNANCE_OFFICER)],
    },
}


# --- What the evaluation reads ------------------------------------------------------------------------


@dataclass
class GateContext:
    """Everything the gates of one project are evaluated from, loaded once (``load_gate_context``)."""

    project: Project
    now: datetime
    memberships: list[Membership]  # active at ``now``
    kpis: list[ProjectKPI]
    screening: RiskScreening | None
    model_links: list[ModelLink]  # active, from ``with_synced_versions`` (the model check reads its annotations)
    answers: list[GateAnswer]
    sign_offs: list[SignOff]
    templates: dict[str, GateChecklistTemplate]  # current version of each gate


def with_synced_versions(links: QuerySet[ModelLink]) -> QuerySet[ModelLink]:
    """``links`` annotated with the live (not deleted) versions the MLflow sync copied of each linked
    registered model: ``synced_versions`` (how many), ``first_synced_version`` and
    ``latest_synced_version`` (``None`` without any). Subqueries: the query count does not change."""
    live = (
        ModelVersion.objects.filter(
            registered_model__name=OuterRef("registered_model_name"),
            registered_model__deleted_at__isnull=True,
            deleted_at__isnull=True,
        )
        .order_by()
        .values("registered_model")
    )

    def aggregate(function: type[Count] | type[Min] | type[Max]) -> Subquery:
        return Subquery(live.annotate(value=function("version")).values("value")[:1], output_field=IntegerField())

    # The aliases meaning "in production" (``MLFLOW_PRODUCTION_ALIASES``) the model carries, as last synced.
    in_production = (
        ModelAlias.objects.filter(
            registered_model__name=OuterRef("registered_model_name"),
            registered_model__deleted_at__isnull=True,
            alias__in=settings.MLFLOW_PRODUCTION_ALIASES,
        )
        .order_by()
        .values("registered_model")
        .annotate(value=Count("pk"))
        .values("value")[:1]
    )
    return links.annotate(
        synced_versions=aggregate(Count),
        first_synced_version=aggregate(Min),
        latest_synced_version=aggregate(Max),
        production_aliases=Subquery(in_production, output_field=IntegerField()),
    )


def current_templates(gates: Iterable[str] | None = None) -> dict[str, GateChecklistTemplate]:
    """The current template of each gate, with items and sign-off roles (three queries)."""
    queryset = GateChecklistTemplate.objects.current().prefetch_related(
        Prefetch("items", queryset=GateChecklistItem.objects.order_by("position", "pk")),
        Prefetch("sign_off_roles", queryset=GateSignOffRole.objects.order_by("position", "pk")),
    )
    if gates is not None:
        queryset = queryset.filter(gate__in=list(gates))
    return {t.gate: t for t in queryset}


def load_gate_context(project: Project, *, now: datetime | None = None) -> GateContext:
    now = now or timezone.now()
    return GateContext(
        project=project,
        now=now,
        memberships=list(project.memberships.active(now).select_related("user")),
        kpis=list(project.kpis.order_by("kind", "position", "pk")),
        screening=project.risk_screenings.select_related("screened_by").order_by("-screened_at", "-pk").first(),
        model_links=list(with_synced_versions(project.model_links.active().order_by("registered_model_name"))),
        answers=list(GateAnswer.objects.filter(project=project).select_related("item__template", "answered_by")),
        sign_offs=list(SignOff.objects.filter(project=project).select_related("user").order_by("signed_at", "pk")),
        templates=current_templates(),
    )


def gate_conditions(context: GateContext) -> dict[str, bool]:
    """Which conditions hold for the project (see the module docstring)."""
    screening = context.screening
    project = context.project
    return {
        GateCondition.ALWAYS.value: True,
        GateCondition.HIGH_RISK.value: bool(screening and screening.ai_act_tier == AIActTier.HIGH),
        GateCondition.PERSONAL_DATA.value: project.processes_personal_data
        or bool(screening and screening.answers.get("personal_data")),
        GateCondition.DPIA_REQUIRED.value: bool(screening and screening.dpia_required),
    }


# --- Automatic checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    satisfied: bool
    detail: str  # what is missing, or what was found
    evidence: Any  # JSON-able: what a sign-off certifies about this item


def _sentence(text: str) -> str:
    """First letter upper-cased, the rest kept (``str.capitalize`` would lower "KPI"), and a full stop."""
    return text[:1].upper() + text[1:] + "."


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _check_purpose(context: GateContext) -> CheckResult:
    project = context.project
    missing = []
    if not project.purpose.strip():
        missing.append("no purpose on the project")
    if project.business_owner_id is None:
        missing.append("no business owner on the project")
    evidence = {"purpose": project.purpose.strip(), "business_owner": project.business_owner_id}
    if missing:
        return CheckResult(False, _sentence("; ".join(missing)), evidence)
    owner = project.business_owner
    return CheckResult(True, f"Business owner: {owner.get_full_name() or owner.get_username()}.", evidence)


def _kpi_text(kpi: ProjectKPI) -> str:
    sign = "≥" if kpi.direction == "higher" else "≤"
    return f"{kpi.name} {sign} {kpi.target:g}{(' ' + kpi.unit) if kpi.unit else ''}"


def _check_kpis(context: GateContext) -> CheckResult:
    business = [k for k in context.kpis if k.kind == KPIKind.BUSINESS]
    ml = [k for k in context.kpis if k.kind == KPIKind.ML]
    evidence = sorted([k.kind, k.name, k.target, k.unit, k.direction] for k in context.kpis)
    missing = (["no business KPI"] if not business else []) + (["no ML metric"] if not ml else [])
    if missing:
        return CheckResult(False, _sentence(" and ".join(missing)), evidence)
    return CheckResult(
        True,
        f"Business: {', '.join(map(_kpi_text, business))}. ML: {', '.join(map(_kpi_text, ml))}.",
        evidence,
    )


def _check_ratings(context: GateContext) -> CheckResult:
    project = context.project
    ratings = {
        "value": project.value_rating,
        "risk": project.risk_rating,
        "feasibility": project.feasibility_rating,
    }
    missing = [name for name, value in ratings.items() if value is None]
    if missing:
        return CheckResult(False, f"Not rated: {', '.join(missing)}.", ratings)
    return CheckResult(True, _sentence(", ".join(f"{k} {v}/5" for k, v in ratings.items())), ratings)


def _check_ai_act(context: GateContext) -> CheckResult:
    screening = context.screening
    if screening is None:
        return CheckResult(False, "No risk screening recorded.", None)
    evidence = {"tier": screening.ai_act_tier}
    label = AIActTier(screening.ai_act_tier).label
    if screening.ai_act_tier == AIActTier.PROHIBITED:
        return CheckResult(False, f"AI Act: {label}. The project cannot go on.", evidence)
    return CheckResult(True, f"AI Act: {label}.", evidence)


def _check_dpia(context: GateContext) -> CheckResult:
    screening = context.screening
    if screening is None:
        return CheckResult(False, "No risk screening recorded.", None)
    detail = "DPIA required." if screening.dpia_required else "No DPIA required."
    return CheckResult(True, detail, {"dpia_required": screening.dpia_required})


CORE_TEAM_ROLES = (ProjectRole.PROJECT_LEAD, ProjectRole.DATA_SCIENTIST, ProjectRole.BUSINESS_OWNER)


def _check_core_team(context: GateContext) -> CheckResult:
    held = {m.role for m in context.memberships}
    evidence = {str(role): role in held for role in CORE_TEAM_ROLES}
    missing = [str(role.label).lower() for role in CORE_TEAM_ROLES if role not in held]
    if missing:
        return CheckResult(False, f"No {', no '.join(missing)} in the team.", evidence)
    return CheckResult(True, "Project lead, data scientist and business owner in the team.", evidence)


def _synced_text(link: ModelLink) -> str:
    count, first, latest = link.synced_versions or 0, link.first_synced_version, link.latest_synced_version
    if count == 1:
        return f"{link.registered_model_name} (version {latest} synced)"
    if count == latest - first + 1:
        return f"{link.registered_model_name} (versions {first}–{latest} synced, latest v{latest})"
    return f"{link.registered_model_name} ({count} versions synced, v{first} to v{latest}, latest v{latest})"


def _check_model(context: GateContext) -> CheckResult:
    """Satisfied when a linked registered model has a live version copied by the MLflow sync: the gate
    asks for a registered model *version*, a link by name is not enough. The evidence is which linked
    models have one (a newer version does not change it; losing the last one does)."""
    links = context.model_links
    names = [link.registered_model_name for link in links]
    if not links:
        return CheckResult(False, "No MLflow registered model linked.", {"linked": [], "with_versions": []})
    synced = [link for link in links if link.synced_versions]
    evidence = {"linked": names, "with_versions": [link.registered_model_name for link in synced]}
    if not synced:
        verb = "is" if len(names) == 1 else "are"
        return CheckResult(
            False,
            f"{', '.join(names)} {verb} linked but no version has been synced from MLflow yet: run a sync.",
            evidence,
        )
    detail = f"Linked: {', '.join(_synced_text(link) for link in synced)}."
    waiting = [link.registered_model_name for link in links if not link.synced_versions]
    if waiting:
        detail += f" No synced version yet: {', '.join(waiting)}."
    return CheckResult(True, detail, evidence)


AUTO_CHECKS: dict[str, Callable[[GateContext], CheckResult]] = {
    AutoCheck.PURPOSE_AND_OWNER: _check_purpose,
    AutoCheck.KPIS: _check_kpis,
    AutoCheck.RATINGS: _check_ratings,
    AutoCheck.AI_ACT_SCREENING: _check_ai_act,
    AutoCheck.DPIA_SCREENING: _check_dpia,
    AutoCheck.CORE_TEAM: _check_core_team,
    AutoCheck.REGISTERED_MODEL: _check_model,
}


# --- Answered items --------------------------------------------------------------------------------


def answer_evidence(answer: GateAnswer, kind: str) -> dict[str, Any]:
    if kind == EvidenceKind.TEXT:
        return {"text": answer.value_text.strip()}
    if kind == EvidenceKind.LINK:
        return {"url": answer.value_url}
    if kind == EvidenceKind.FILE:
        return {"file": answer.evidence_file.name or ""}
    return {"yes": answer.value_bool}


def _answer_check(answer: GateAnswer | None, kind: str) -> CheckResult:
    if answer is None:
        return CheckResult(False, "Not answered.", None)
    evidence = answer_evidence(answer, kind)
    if kind == EvidenceKind.TEXT and not evidence["text"]:
        return CheckResult(False, "Not answered.", evidence)
    if kind == EvidenceKind.LINK and not evidence["url"]:
        return CheckResult(False, "No link given.", evidence)
    if kind == EvidenceKind.FILE and not evidence["file"]:
        return CheckResult(False, "No file attached.", evidence)
    if kind == EvidenceKind.YES_NO and evidence["yes"] is not True:
        return CheckResult(False, "Answered no." if evidence["yes"] is False else "Not answered.", evidence)
    return CheckResult(True, "Answered.", evidence)


# --- Results -----------------------------------------------------------------------------------------


@dataclass
class ItemStatus:
    item: GateChecklistItem
    applicable: bool
    satisfied: bool
    detail: str
    evidence: Any
    answer: GateAnswer | None = None
    carried_from_version: int | None = None  # the answer was given for this earlier template version

    @property
    def missing(self) -> bool:
        return self.applicable and self.item.required and not self.satisfied

    @property
    def is_automatic(self) -> bool:
        return self.item.evidence_kind == EvidenceKind.AUTOMATIC


@dataclass
class InvalidSignOff:
    sign_off: SignOff
    reason: str


@dataclass
class SignOffStatus:
    role: ProjectRole
    conditions: list[str]  # the conditions under which the template requires this role
    required: bool  # one of them holds
    sign_off: SignOff | None  # the valid sign-off, if any
    invalid: list[InvalidSignOff] = field(default_factory=list)  # invalidated or outdated, newest first
    eligible: list[Any] = field(default_factory=list)  # active members holding the role
    officers_may_sign: bool = False  # any platform governance officer may sign this role

    @property
    def signed(self) -> bool:
        return self.sign_off is not None

    @property
    def missing(self) -> bool:
        return self.required and self.sign_off is None


@dataclass
class GateRequirements:
    """What the gate into ``stage`` needs from ``project``, and what it has."""

    project: Project
    stage: Stage
    template: GateChecklistTemplate
    position: str  # passed, next, upcoming or closed (see ``gate_position``)
    conditions: dict[str, bool]
    items: list[ItemStatus]
    sign_offs: list[SignOffStatus]
    blockers: list[str]
    state: dict[str, Any]
    screening: RiskScreening | None = None

    @property
    def applicable_items(self) -> list[ItemStatus]:
        return [s for s in self.items if s.applicable]

    @property
    def missing_items(self) -> list[ItemStatus]:
        return [s for s in self.items if s.missing]

    @property
    def required_sign_offs(self) -> list[SignOffStatus]:
        return [s for s in self.sign_offs if s.required]

    @property
    def missing_sign_offs(self) -> list[SignOffStatus]:
        return [s for s in self.sign_offs if s.missing]

    @property
    def invalid_sign_offs(self) -> list[InvalidSignOff]:
        """Invalidated or outdated sign-offs of required roles that have no valid one."""
        return [bad for s in self.missing_sign_offs for bad in s.invalid]

    @property
    def checklist_complete(self) -> bool:
        return not self.missing_items and not self.blockers

    @property
    def is_complete(self) -> bool:
        return self.checklist_complete and not self.missing_sign_offs

    def checklist_messages(self) -> list[str]:
        return [*self.blockers, *(f"{s.item.label}: {s.detail}" for s in self.missing_items)]

    def sign_off_messages(self) -> list[str]:
        messages = []
        for status in self.missing_sign_offs:
            label = ProjectRole(status.role).label
            if status.invalid:
                last = status.invalid[0]
                messages.append(
                    f"{label}: the sign-off of {last.sign_off.user.get_username()} is no longer valid "
                    f"({last.reason}); sign again."
                )
            else:
                messages.append(f"{label}: not signed.")
        return messages

    def missing_messages(self) -> list[str]:
        """Everything that keeps the gate closed, one line each."""
        return self.checklist_messages() + self.sign_off_messages()

    def headline(self) -> str:
        parts = []
        if self.blockers:
            parts.append("blocked")
        if self.missing_items:
            parts.append(f"{len(self.missing_items)} checklist item(s) missing")
        if self.missing_sign_offs:
            parts.append(f"{len(self.missing_sign_offs)} sign-off(s) missing")
        return f"The {Stage(self.stage).label} gate is not complete: {', '.join(parts)}."

    def error(self) -> GateIncomplete:
        return GateIncomplete(self)

    def snapshot(self) -> dict[str, Any]:
        """The gate as decided, stored with the transition (JSON)."""
        screening = self.screening
        return to_json(
            {
                "gate": self.stage,
                "template_version": self.template.version,
                "evaluated_at": self.state.get("evaluated_at"),
                "conditions": self.conditions,
                "items": [
                    {
                        "key": s.item.key,
                        "label": s.item.label,
                        "evidence_kind": s.item.evidence_kind,
                        "auto_check": s.item.auto_check,
                        "required": s.item.required,
                        "condition": s.item.condition,
                        "applicable": s.applicable,
                        "satisfied": s.satisfied,
                        "detail": s.detail,
                        "answer": _answer_json(s.answer, s.carried_from_version),
                    }
                    for s in self.items
                ],
                "sign_offs": [
                    {
                        "role": s.role,
                        "user": s.sign_off.user.get_username(),
                        "signed_at": s.sign_off.signed_at,
                        "comment": s.sign_off.comment,
                        "template_version": s.sign_off.template_version,
                    }
                    for s in self.sign_offs
                    if s.required and s.sign_off is not None
                ],
                "risk_screening": None
                if screening is None
                else {
                    "id": screening.pk,
                    "ai_act_tier": screening.ai_act_tier,
                    "dpia_required": screening.dpia_required,
                    "screened_at": screening.screened_at,
                    "screened_by": screening.screened_by.get_username(),
                },
            }
        )


def _answer_json(answer: GateAnswer | None, carried_from: int | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "value_text": answer.value_text,
        "value_url": answer.value_url,
        "value_bool": answer.value_bool,
        "file": answer.evidence_file.name or "",
        "comment": answer.comment,
        "answered_by": answer.answered_by.get_username(),
        "answered_at": answer.answered_at,
        "template_version": answer.item.template.version,
        "carried_from_version": carried_from,
    }


class GateIncomplete(ValidationError):
    """Raised by ``project_transition`` when the gate is not complete. Its messages say what is
    missing (``checklist`` and ``sign_offs`` fields); ``requirements`` has the details."""

    def __init__(self, requirements: GateRequirements) -> None:
        errors: dict[str, list[str]] = {NON_FIELD_ERRORS: [requirements.headline()]}
        if requirements.checklist_messages():
            errors["checklist"] = requirements.checklist_messages()
        if requirements.sign_off_messages():
            errors["sign_offs"] = requirements.sign_off_messages()
        super().__init__(errors)
        self.requirements = requirements


def to_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON field (so states compare equal after a round trip)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


# --- Evaluation ----------------------------------------------------------------------------------------


def gate_position(project_stage: str, gate: str) -> str:
    """``passed`` (behind the project), ``next`` (the gate it can pass now), ``upcoming`` (later), or
    ``closed`` (the project was abandoned before it)."""
    if gate_passed(project_stage=project_stage, gate=gate):
        return "passed"
    if project_stage in CLOSED_STAGES:
        return "closed"
    if next_stage(project_stage) == gate:
        return "next"
    return "upcoming"


def _find_answer(context: GateContext, item: GateChecklistItem, gate: str) -> tuple[GateAnswer | None, int | None]:
    """The answer to ``item``: given for it, or carried over from an earlier version's item with the same
    key and evidence kind (the latest such answer)."""
    carried: GateAnswer | None = None
    for answer in context.answers:
        if answer.item_id == item.pk:
            return answer, None
        same = answer.item
        if (
            same.template.gate == gate
            and same.key == item.key
            and same.evidence_kind == item.evidence_kind
            and same.template.version < item.template.version
            and (carried is None or answer.answered_at > carried.answered_at)
        ):
            carried = answer
    return carried, (carried.item.template.version if carried else None)


def _describe_change(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str]) -> str:
    parts = []
    if old.get("template_version") != new.get("template_version"):
        parts.append(f"checklist template v{new.get('template_version')} published")
    for condition, now in (new.get("conditions") or {}).items():
        before = (old.get("conditions") or {}).get(condition)
        if before != now:
            label = lower_first(str(GateCondition(condition).label))
            parts.append(f"condition '{label}' is now {'met' if now else 'not met'}")
    old_items, new_items = old.get("items") or {}, new.get("items") or {}
    keys = sorted(set(old_items) | set(new_items))
    changed = [labels.get(k, k) for k in keys if old_items.get(k) != new_items.get(k)]
    if changed:
        parts.append("changed: " + ", ".join(f"'{label}'" for label in changed))
    return "The checklist changed after signing: " + ("; ".join(parts) or "its state differs") + "."


def evaluate(context: GateContext, stage: str) -> GateRequirements:
    """The requirements of the gate into ``stage`` for ``context.project``."""
    stage = Stage(stage)
    if stage not in GATED_STAGES:
        raise ValidationError({"target_stage": f"There is no gate into {stage.label}."})
    template = context.templates.get(stage)
    if template is None:
        raise ValidationError({"target_stage": f"No checklist template is published for the {stage.label} gate."})
    conditions = gate_conditions(context)

    items: list[ItemStatus] = []
    for item in template.items.all():
        applicable = conditions[item.condition]
        if item.evidence_kind == EvidenceKind.AUTOMATIC:
            result, answer, carried = AUTO_CHECKS[item.auto_check](context), None, None
        else:
            answer, carried = _find_answer(context, item, stage)
            result = _answer_check(answer, item.evidence_kind)
        items.append(
            ItemStatus(
                item=item,
                applicable=applicable,
                satisfied=result.satisfied,
                detail=result.detail
                if applicable
                else f"Not needed ({lower_first(str(GateCondition(item.condition).label))}).",
                evidence=result.evidence,
                answer=answer,
                carried_from_version=carried,
            )
        )

    state = to_json(
        {
            "template_version": template.version,
            "conditions": {k: v for k, v in conditions.items() if k != GateCondition.ALWAYS},
            "items": {s.item.key: s.evidence for s in items if s.applicable},
        }
    )
    labels = {s.item.key: s.item.label for s in items}

    by_role: dict[str, list[str]] = defaultdict(list)
    for requirement in template.sign_off_roles.all():
        by_role[requirement.role].append(requirement.condition)
    sign_offs: list[SignOffStatus] = []
    for role, role_conditions in by_role.items():
        valid: SignOff | None = None
        invalid: list[InvalidSignOff] = []
        for sign_off in reversed([s for s in context.sign_offs if s.stage == stage and s.role == role]):
            if sign_off.invalidated_at is not None:
                invalid.append(InvalidSignOff(sign_off, sign_off.invalidation_reason or "invalidated"))
            elif sign_off.template_version != template.version or sign_off.checklist_state != state:
                invalid.append(InvalidSignOff(sign_off, _describe_change(sign_off.checklist_state, state, labels)))
            else:
                valid = sign_off
        sign_offs.append(
            SignOffStatus(
                role=ProjectRole(role),
                conditions=role_conditions,
                required=any(conditions[c] for c in role_conditions),
                sign_off=valid,
                invalid=invalid,
                eligible=[m.user for m in context.memberships if m.role == role],
                officers_may_sign=role == ProjectRole.GOVERNANCE_OFFICER,
            )
        )

    blockers = []
    screening = context.screening
    if screening is not None and screening.ai_act_tier == AIActTier.PROHIBITED and stage != Stage.RETIRED:
        blockers.append(
            "The risk screening found a prohibited AI practice (AI Act Art. 5): the project cannot pass this gate."
        )
    if stage == Stage.RETIRED:
        # Whatever the checklist answer says, MLflow (as last synced) must agree.
        serving = [link.registered_model_name for link in context.model_links if link.production_aliases]
        if serving:
            blockers.append(
                f"{', '.join(serving)} still {'carries' if len(serving) == 1 else 'carry'} a production alias "
                f"({', '.join(settings.MLFLOW_PRODUCTION_ALIASES)}) in MLflow, as last synced: remove it there "
                "and sync before retiring the project."
            )
    state_with_time = {**state, "evaluated_at": to_json(context.now)}
    return GateRequirements(
        project=context.project,
        stage=stage,
        template=template,
        position=gate_position(context.project.stage, stage),
        conditions=conditions,
        items=items,
        sign_offs=sign_offs,
        blockers=blockers,
        state=state_with_time,
        screening=screening,
    )


def certified_state(requirements: GateRequirements) -> dict[str, Any]:
    """The part of the state a sign-off certifies (without the evaluation time)."""
    return {k: v for k, v in requirements.state.items() if k != "evaluated_at"}


def describe_change(old: dict[str, Any], requirements: GateRequirements) -> str:
    labels = {s.item.key: s.item.label for s in requirements.items}
    return _describe_change(old, certified_state(requirements), labels)


def gate_requirements(
    *, project: Project, target_stage: str, now: datetime | None = None, context: GateContext | None = None
) -> GateRequirements:
    """What the gate into ``target_stage`` needs and has: missing checklist items, missing sign-off
    roles, invalid sign-offs (``GateRequirements``). A read: it changes nothing.

    Pass ``context`` (``load_gate_context``) to evaluate several gates of a project from one load.
    """
    return evaluate(context or load_gate_context(project, now=now), target_stage)


def all_gate_requirements(*, project: Project, now: datetime | None = None) -> list[GateRequirements]:
    """The four gates of a project, in order, evaluated from one load."""
    context = load_gate_context(project, now=now)
    return [evaluate(context, stage) for stage in GATED_STAGES if stage in context.templates]
