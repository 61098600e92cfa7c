"""Reads of the projects app, shaped for the board, the project page, the roadmap and the API.

Querysets come with what their callers display already joined or prefetched, so that a list runs a
constant number of queries whatever its size. The project page reads one ``ProjectDetail``.

Visibility: any authenticated user sees every project as a summary (name, stage, purpose, leads);
the full record (team, gates, roadmap...) is for ``Project.objects.readable_by(user)`` /
``Project.access(user).can_read``. The selectors do not filter: the caller checks the access.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects import risk
from projects.gates import (
    GateRequirements,
    evaluate,
    gate_requirements,
    load_gate_context,
)
from projects.models import (
    GATED_STAGES,
    BacklogItem,
    BacklogProfile,
    BacklogStatus,
    GateChecklistItem,
    GateChecklistTemplate,
    GateSignOffRole,
    KPIDirection,
    KPIKind,
    Membership,
    Milestone,
    MlflowSyncState,
    ModelAlert,
    ModelAlias,
    ModelLink,
    ModelVersion,
    Project,
    ProjectAccess,
    ProjectKPI,
    ProjectQuerySet,
    ProjectRole,
    RegisteredModel,
    RiskScreening,
    RunMetric,
    RunParam,
    SignOff,
    Stage,
    StageTransition,
    TrainingInput,
    access_from,
)

__all__ = [
    "BoardCard",
    "BoardColumn",
    "GateView",
    "ModelTimeline",
    "ProductionVersion",
    "ProjectDetail",
    "StageSpan",
    "SyncStatus",
    "Timeline",
    "TimelineEvent",
    "dataset_project_counts",
    "gate_requirements",
    "gate_template_as_data",
    "gate_template_current",
    "gate_template_list",
    "is_production_alias",
    "metric_kpi_key",
    "metric_misses_target",
    "mlflow_sync_status",
    "production_model_versions",
    "project_board",
    "project_detail",
    "project_gates",
    "project_list",
    "project_model_timeline",
    "project_timeline",
    "projects_of_user",
    "risk_questionnaire",
    "watched_model_versions",
]

User = AbstractBaseUser | AnonymousUser


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` rows of the outer project (no join multiplication)."""
    counted = queryset.filter(project=OuterRef("pk")).order_by().values("project").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _active_leads(now: datetime | None = None) -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.active(now)
        .filter(role=ProjectRole.PROJECT_LEAD)
        .select_related("user")
        .order_by("started_at", "pk"),
        to_attr="active_lead_memberships",
    )


def project_list(*, now: datetime | None = None) -> ProjectQuerySet:
    """Projects with their business owner, active leads (``project.leads``) and counts:
    ``member_count`` (active people), ``milestone_count``, ``milestones_done``, ``backlog_open``
    (items not done) and ``model_count`` (active model links)."""
    now = now or timezone.now()
    active = Membership.objects.active(now)
    people = (
        active.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(n=Count("user", distinct=True))
        .values("n")
    )
    return (
        Project.objects.select_related("business_owner")
        .prefetch_related(_active_leads(now))
        .annotate(
            member_count=Coalesce(Subquery(people, output_field=IntegerField()), Value(0)),
            milestone_count=_count(Milestone.objects.all()),
            milestones_done=_count(Milestone.objects.filter(actual_date__isnull=False)),
            backlog_open=_count(BacklogItem.objects.exclude(status=BacklogStatus.DONE)),
            model_count=_count(ModelLink.objects.active()),
        )
    )


def projects_of_user(*, user: User) -> ProjectQuerySet:
    """The projects ``user`` is an active member of (any role), with ``project_list``'s data."""
    return project_list().member_of(user)


# --- Board -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardCard:
    project: Project
    days_in_stage: int
    is_stale: bool
    leads: list[Any]
    is_member: bool  # the viewing user is an active member


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[BoardCard] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.stage.label)

    @property
    def stale_count(self) -> int:
        return sum(card.is_stale for card in self.cards)


def project_board(
    *, user: User | None = None, queryset: QuerySet[Project] | None = None, now: datetime | None = None
) -> list[BoardColumn]:
    """Projects grouped by stage, in lifecycle order (Qualification ... Retired, then Abandoned).

    In each column stale POCs come first, then the longest in their stage. ``queryset`` narrows the
    board (e.g. ``project_list().member_of(user)``); it must come from ``project_list()``. Every
    authenticated user may see the board (summary data only)."""
    now = now or timezone.now()
    projects = list((queryset if queryset is not None else project_list(now=now)).order_by("entered_stage_at", "pk"))
    mine: set[int] = set()
    if user is not None and user.is_authenticated:
        mine = set(Membership.objects.active(now).filter(user=user).values_list("project_id", flat=True))
    columns = {stage: BoardColumn(stage=stage) for stage in Stage}
    for project in projects:
        columns[Stage(project.stage)].cards.append(
            BoardCard(
                project=project,
                days_in_stage=project.days_in_stage(now),
                is_stale=project.is_stale,
                leads=project.leads,
                is_member=project.pk in mine,
            )
        )
    for column in columns.values():
        column.cards.sort(key=lambda card: (not card.is_stale, -card.days_in_stage, card.project.name))
    return list(columns.values())


# --- Timeline ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    date: date
    kind: str  # "stage" (a transition, or the creation) or "milestone"
    title: str
    stage: str = ""  # stage entered ("stage" events)
    done: bool = True  # milestones: reached
    late: bool = False  # milestones: reached after, or still open past, the target date
    target_date: date | None = None  # milestones
    actor: str = ""  # stage events: username
    reason: str = ""
    milestone_id: int | None = None
    transition_id: int | None = None


@dataclass(frozen=True)
class StageSpan:
    stage: str
    start: date
    end: date | None  # None: the current stage
    days: int


@dataclass
class Timeline:
    """The roadmap of a project: dated events (stage changes and milestones, in date order), the span
    of each stage, and the range to draw (``start`` to ``end``, ``today`` inside or after)."""

    events: list[TimelineEvent]
    stage_spans: list[StageSpan]
    start: date
    end: date
    today: date


def _local(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def project_timeline(
    *,
    project: Project,
    today: date | None = None,
    transitions: Iterable[StageTransition] | None = None,
    milestones: Iterable[Milestone] | None = None,
) -> Timeline:
    """Milestones (at their actual date when reached, else their target date) and stage history as
    dated events, for the roadmap. Pass ``transitions``/``milestones`` when already loaded."""
    today = today or timezone.localdate()
    history = list(
        transitions if transitions is not None else project.transitions.select_related("actor").order_by("at", "pk")
    )
    stones = list(milestones if milestones is not None else project.milestones.order_by("target_date", "pk"))
    events: list[TimelineEvent] = []
    for t in history:
        title = (
            f"Created in {Stage(t.to_stage).label}"
            if not t.from_stage
            else f"{Stage(t.from_stage).label} → {Stage(t.to_stage).label}"
        )
        events.append(
            TimelineEvent(
                date=_local(t.at),
                kind="stage",
                title=title,
                stage=t.to_stage,
                actor=t.actor.get_username(),
                reason=t.reason,
                transition_id=t.pk,
            )
        )
    for m in stones:
        events.append(
            TimelineEvent(
                date=m.actual_date or m.target_date,
                kind="milestone",
                title=m.title,
                done=m.done,
                late=m.is_late(today),
                target_date=m.target_date,
                milestone_id=m.pk,
            )
        )
    events.sort(key=lambda e: (e.date, 0 if e.kind == "stage" else 1, e.title))

    spans: list[StageSpan] = []
    for index, t in enumerate(history):
        start = _local(t.at)
        following = history[index + 1] if index + 1 < len(history) else None
        end = _local(following.at) if following else None
        spans.append(StageSpan(stage=t.to_stage, start=start, end=end, days=((end or today) - start).days))
    dates = [e.date for e in events] + [today]
    if not history:
        dates.append(_local(project.created_at))
    return Timeline(events=events, stage_spans=spans, start=min(dates), end=max(dates), today=today)


# --- Project detail ----------------------------------------------------------------------------------


@dataclass
class GateView:
    """One gate of a project as the project page shows it.

    ``passed`` gates show the decision (``transition`` and its ``snapshot``: the checklist and
    sign-offs as they were); ``next`` and ``upcoming`` gates show ``requirements`` (what is missing,
    against the current template); ``closed`` gates (abandoned project) show neither.
    ``signable_roles``: the roles the viewing user can sign now (next gate, checklist complete, role
    required and not signed yet, held by the user)."""

    stage: Stage
    position: str
    requirements: GateRequirements | None = None
    transition: StageTransition | None = None
    signable_roles: list[ProjectRole] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.stage.label)

    @property
    def snapshot(self) -> dict[str, Any] | None:
        return self.transition.snapshot if self.transition is not None else None


@dataclass
class ProjectDetail:
    project: Project
    access: ProjectAccess | None  # of the viewing user, when given
    days_in_stage: int
    team: list[Membership]  # active now
    planned_members: list[Membership]  # starting later
    former_members: list[Membership]
    kpis: list[Any]
    gates: list[GateView]
    allowed_targets: list[Stage]
    history: list[StageTransition]
    sign_offs: list[SignOff]  # every sign-off, valid or not, oldest first
    milestones: list[Milestone]
    backlog: dict[str, list[BacklogItem]]  # by profile, in BacklogProfile order (every profile present)
    model_links: list[ModelLink]  # active
    risk_screening: RiskScreening | None  # current (latest)
    risk_screenings: list[RiskScreening]  # newest first
    timeline: Timeline
    datasets: list[Any] = field(default_factory=list)  # arrive with the governance grants

    @property
    def next_gate(self) -> GateView | None:
        return next((g for g in self.gates if g.position == "next"), None)


def _signable_roles(requirements: GateRequirements, sign_roles: Iterable[str]) -> list[ProjectRole]:
    if requirements.position != "next" or not requirements.checklist_complete:
        return []
    roles = set(sign_roles)
    return [s.role for s in requirements.sign_offs if s.required and not s.signed and s.role in roles]


def project_gates(
    *,
    project: Project,
    user: User | None = None,
    now: datetime | None = None,
    transitions: Iterable[StageTransition] | None = None,
) -> list[GateView]:
    """The four gates of a project, in order (see ``GateView``), evaluated from one load."""
    now = now or timezone.now()
    context = load_gate_context(project, now=now)
    history = list(
        transitions if transitions is not None else project.transitions.select_related("actor").order_by("at", "pk")
    )
    decided = {t.to_stage: t for t in history if t.from_stage}
    sign_roles: frozenset[str] = frozenset()
    if user is not None and user.is_authenticated:
        member_roles = frozenset(m.role for m in context.memberships if m.user_id == user.pk)
        sign_roles = access_from(user=user, member_roles=member_roles).sign_roles
    views = []
    for stage in GATED_STAGES:
        if stage not in context.templates:
            continue
        requirements = evaluate(context, stage)
        # An abandoned project passed the gates of its history: the history says so, not the stage.
        position = "passed" if stage in decided else requirements.position
        if position == "passed":
            views.append(GateView(stage=stage, position=position, transition=decided.get(stage)))
        elif position == "closed":
            views.append(GateView(stage=stage, position=position))
        else:
            views.append(
                GateView(
                    stage=stage,
                    position=position,
                    requirements=requirements,
                    signable_roles=_signable_roles(requirements, sign_roles),
                )
            )
    return views


def project_detail(*, slug: str, user: User | None = None, now: datetime | None = None) -> ProjectDetail:
    """Everything the project page shows. Raises ``Project.DoesNotExist``. The caller checks that
    ``user`` may read the full record (``detail.access.can_read``)."""
    now = now or timezone.now()
    project = (
        Project.objects.select_related("business_owner", "created_by")
        .prefetch_related(_active_leads(now))
        .get(slug=slug)
    )
    memberships = list(project.memberships.select_related("user", "added_by", "ended_by").order_by("role", "pk"))
    history = list(project.transitions.select_related("actor").order_by("at", "pk"))
    milestones = list(project.milestones.order_by("target_date", "pk"))
    backlog_items = list(project.backlog_items.order_by("position", "pk"))
    screenings = list(project.risk_screenings.select_related("screened_by").order_by("-screened_at", "-pk"))
    access = project.access(user) if user is not None else None
    backlog: dict[str, list[BacklogItem]] = {profile.value: [] for profile in BacklogProfile}
    for item in backlog_items:
        backlog[item.profile].append(item)
    return ProjectDetail(
        project=project,
        access=access,
        days_in_stage=project.days_in_stage(now),
        team=[m for m in memberships if m.is_active(now)],
        planned_members=[m for m in memberships if m.started_at > now],
        former_members=[m for m in memberships if m.ended_at is not None and m.ended_at <= now],
        kpis=list(project.kpis.order_by("kind", "position", "pk")),
        gates=project_gates(project=project, user=user, now=now, transitions=history),
        allowed_targets=project.allowed_targets,
        history=history,
        sign_offs=list(project.sign_offs.select_related("user").order_by("signed_at", "pk")),
        milestones=milestones,
        backlog=backlog,
        model_links=list(project.model_links.active().select_related("linked_by").order_by("registered_model_name")),
        risk_screening=screenings[0] if screenings else None,
        risk_screenings=screenings,
        timeline=project_timeline(
            project=project, today=timezone.localdate(now), transitions=history, milestones=milestones
        ),
    )


# --- Gate templates and the questionnaire -------------------------------------------------------------


def gate_template_list() -> QuerySet[GateChecklistTemplate]:
    """Every version of every gate's template, with items and sign-off roles (newest version first)."""
    return (
        GateChecklistTemplate.objects.select_related("published_by")
        .prefetch_related(
            Prefetch("items", queryset=GateChecklistItem.objects.order_by("position", "pk")),
            Prefetch("sign_off_roles", queryset=GateSignOffRole.objects.order_by("position", "pk")),
        )
        .order_by("gate", "-version")
    )


def gate_template_current(*, stage: str) -> GateChecklistTemplate:
    """The current (latest) template of the gate into ``stage``. Raises ``DoesNotExist``."""
    return gate_template_list().filter(gate=stage).order_by("-version")[:1].get()


def gate_template_as_data(template: GateChecklistTemplate) -> dict[str, Any]:
    """A template as the arguments of ``services.gate_template_publish`` (to edit and publish a copy)."""
    return {
        "stage": template.gate,
        "items": [
            {
                "key": i.key,
                "label": i.label,
                "help_text": i.help_text,
                "evidence_kind": i.evidence_kind,
                "auto_check": i.auto_check,
                "required": i.required,
                "condition": i.condition,
            }
            for i in template.items.all()
        ],
        "sign_off_roles": [{"role": r.role, "condition": r.condition} for r in template.sign_off_roles.all()],
    }


def risk_questionnaire() -> tuple[risk.Question, ...]:
    """The risk screening's questions, in order (``projects.risk``)."""
    return risk.QUESTIONS


# --- Links from the catalog --------------------------------------------------------------------------


def dataset_project_counts(dataset_ids: Iterable[int]) -> dict[int, int]:
    """How many projects use each dataset, for the catalog (search ranking, dataset page).

    A project uses a dataset through a live governance grant. Projects never import governance: the
    count comes from the counter the governance app registers in ``catalog.hooks``
    (``governance.selectors.dataset_project_counts``). Datasets used by no project are absent from
    the result (callers use ``.get(id, 0)``).
    """
    from catalog.hooks import project_counts

    return project_counts(dataset_ids)


# --- MLflow models of a project (issue 7) ---------------------------------------------------------------


def metric_kpi_key(name: str) -> str:
    """How an ML-metric KPI and an MLflow metric key are matched: case, spaces, dashes and dots ignored
    ("Recall", "recall", "val-recall" → "recall", "recall", "val_recall")."""
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


def metric_misses_target(kpi: ProjectKPI, value: float) -> bool:
    """Whether ``value`` misses the KPI's target, in the KPI's direction."""
    return value < kpi.target if kpi.direction == KPIDirection.HIGHER else value > kpi.target


def is_production_alias(alias: str) -> bool:
    return alias.lower() in {a.lower() for a in settings.MLFLOW_PRODUCTION_ALIASES}


def _linked_models(project_ids: set[int] | None) -> dict[str, list[Project]]:
    links = ModelLink.objects.active().select_related("project")
    if project_ids is not None:
        links = links.filter(project_id__in=project_ids)
    linked: dict[str, list[Project]] = {}
    for link in links:
        linked.setdefault(link.registered_model_name, []).append(link.project)
    return linked


def watched_model_versions(*, project_ids: set[int] | None = None) -> list[tuple[Project, ModelVersion]]:
    """The model versions a project watches: of its linked models (not deleted), the versions under an
    alias and the latest version of each model."""
    linked = _linked_models(project_ids)
    if not linked:
        return []
    aliased = set(
        ModelAlias.objects.filter(registered_model__name__in=list(linked)).values_list("registered_model_id", "version")
    )
    versions = (
        ModelVersion.objects.filter(
            registered_model__name__in=list(linked), registered_model__deleted_at__isnull=True, deleted_at__isnull=True
        )
        .select_related("registered_model")
        .order_by("registered_model__name", "-version")
    )
    watched: list[tuple[Project, ModelVersion]] = []
    latest_seen: set[int] = set()
    for version in versions:
        latest = version.registered_model_id not in latest_seen
        latest_seen.add(version.registered_model_id)
        if latest or (version.registered_model_id, version.version) in aliased:
            watched.extend((project, version) for project in linked[version.registered_model.name])
    return watched


@dataclass(frozen=True)
class ProductionVersion:
    project: Project
    version: ModelVersion
    alias: str


def production_model_versions(*, project_ids: set[int] | None = None) -> list[ProductionVersion]:
    """Versions of the projects' linked models under a production alias (``MLFLOW_PRODUCTION_ALIASES``),
    with their training inputs prefetched."""
    linked = _linked_models(project_ids)
    if not linked:
        return []
    aliases = [
        a
        for a in ModelAlias.objects.filter(
            registered_model__name__in=list(linked), registered_model__deleted_at__isnull=True
        ).select_related("registered_model")
        if is_production_alias(a.alias)
    ]
    keys = {(a.registered_model_id, a.version) for a in aliases}
    versions = {
        (v.registered_model_id, v.version): v
        for v in ModelVersion.objects.filter(registered_model_id__in={k[0] for k in keys}, deleted_at__isnull=True)
        .select_related("registered_model")
        .prefetch_related("training_inputs__dataset", "training_inputs__dataset_version")
        if (v.registered_model_id, v.version) in keys
    }
    result = []
    for alias in sorted(aliases, key=lambda a: (a.registered_model.name, a.alias)):
        version = versions.get((alias.registered_model_id, alias.version))
        if version is None:
            continue
        result.extend(
            ProductionVersion(project=project, version=version, alias=alias.alias)
            for project in linked[alias.registered_model.name]
        )
    return result


@dataclass
class SyncStatus:
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    is_stale: bool  # never synced, or not for longer than MLFLOW_SYNC_STALE_MINUTES


def mlflow_sync_status(*, now: datetime | None = None) -> SyncStatus:
    now = now or timezone.now()
    state = MlflowSyncState.objects.filter(key="default").first()
    last = state.last_success_at if state else None
    stale = last is None or now - last > timedelta(minutes=settings.MLFLOW_SYNC_STALE_MINUTES)
    return SyncStatus(
        last_success_at=last,
        last_attempt_at=state.last_attempt_at if state else None,
        last_error=state.last_error if state else "",
        last_error_at=state.last_error_at if state else None,
        is_stale=stale,
    )


@dataclass
class MetricValue:
    key: str
    value: float
    step: int
    kpi: ProjectKPI | None  # the project's ML-metric KPI of that name
    misses_target: bool


@dataclass
class VersionView:
    version: ModelVersion
    aliases: list[str]
    production: bool  # under a production alias
    metrics: list[MetricValue]
    params: dict[str, str]
    training_inputs: list[TrainingInput]


@dataclass
class ModelView:
    name: str
    link: ModelLink
    registered_model: RegisteredModel | None  # None until a sync finds it in MLflow
    versions: list[VersionView]  # newest first, deleted ones included (``version.deleted_at``)
    aliases: dict[str, int]


@dataclass
class MetricSeries:
    key: str
    kpi: ProjectKPI | None
    points: list[tuple[datetime, float, str]]  # (version created in MLflow, value, "model vN"), oldest first


@dataclass
class ModelTimeline:
    models: list[ModelView]
    series: list[MetricSeries]  # the KPI metrics first, then the others
    alerts: list[ModelAlert]  # open, newest first
    sync: SyncStatus


def project_model_timeline(*, project: Project, now: datetime | None = None) -> ModelTimeline:
    """The project's MLflow models as synced: versions with aliases, metrics, params, training data
    (linked to the catalog), the metric series over time, open alerts and the sync status."""
    links = list(project.model_links.active().order_by("registered_model_name"))
    names = [link.registered_model_name for link in links]
    kpis = {metric_kpi_key(k.name): k for k in project.kpis.filter(kind=KPIKind.ML)}
    registered = {m.name: m for m in RegisteredModel.objects.filter(name__in=names)}
    aliases: dict[int, dict[str, int]] = {}
    for alias in ModelAlias.objects.filter(registered_model__in=registered.values()):
        aliases.setdefault(alias.registered_model_id, {})[alias.alias] = alias.version
    versions = list(
        ModelVersion.objects.filter(registered_model__in=registered.values())
        .select_related("registered_model")
        .prefetch_related(
            Prefetch(
                "training_inputs",
                queryset=TrainingInput.objects.select_related("dataset", "dataset_version__dataset"),
            )
        )
        .order_by("registered_model__name", "-version")
    )
    run_ids = {v.run_id for v in versions if v.run_id}
    metrics: dict[str, list[RunMetric]] = {}
    for metric in RunMetric.objects.filter(run_id__in=run_ids).order_by("key"):
        metrics.setdefault(metric.run_id, []).append(metric)
    params: dict[str, dict[str, str]] = {}
    for param in RunParam.objects.filter(run_id__in=run_ids).order_by("key"):
        params.setdefault(param.run_id, {})[param.key] = param.value
    by_model: dict[int, list[VersionView]] = {}
    series: dict[str, MetricSeries] = {}
    for version in versions:
        model_aliases = aliases.get(version.registered_model_id, {})
        held = sorted(a for a, n in model_aliases.items() if n == version.version)
        values = []
        for metric in metrics.get(version.run_id, []):
            kpi = kpis.get(metric_kpi_key(metric.key))
            values.append(
                MetricValue(
                    key=metric.key,
                    value=metric.value,
                    step=metric.step,
                    kpi=kpi,
                    misses_target=kpi is not None and metric_misses_target(kpi, metric.value),
                )
            )
            if version.deleted_at is None and version.created_at_mlflow is not None:
                line = series.setdefault(metric.key, MetricSeries(key=metric.key, kpi=kpi, points=[]))
                line.points.append((version.created_at_mlflow, metric.value, str(version)))
        by_model.setdefault(version.registered_model_id, []).append(
            VersionView(
                version=version,
                aliases=held,
                production=any(is_production_alias(a) for a in held),
                metrics=values,
                params=params.get(version.run_id, {}),
                training_inputs=list(version.training_inputs.all()),
            )
        )
    models = []
    for link in links:
        model = registered.get(link.registered_model_name)
        models.append(
            ModelView(
                name=link.registered_model_name,
                link=link,
                registered_model=model,
                versions=by_model.get(model.pk, []) if model else [],
                aliases=aliases.get(model.pk, {}) if model else {},
            )
        )
    for line in series.values():
        line.points.sort(key=lambda p: p[0])
    ordered = sorted(series.values(), key=lambda s: (s.kpi is None, s.key))
    alerts = list(
        project.model_alerts.open().select_related("model_version__registered_model").order_by("-raised_at", "-pk")
    )
    return ModelTimeline(models=models, series=ordered, alerts=alerts, sync=mlflow_sync_status(now=now))
