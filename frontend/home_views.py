"""The home page: one page, with the sections of each persona the user is (issue 8).

A user may hold several platform roles (``catalog.roles``); the page shows the sections of each, in
the order of ``PERSONA_ORDER`` (what waits for a decision first: the officer's queue, then the
project lead's gates, the custodian's deliveries and deletions, the data scientist's own requests,
the administrator's health summary). Every section reads through the apps' selectors; the few reads
no selector offers (gates of many projects at once, stage counts, the latest versions of datasets)
are the small functions below. Each section runs a fixed number of queries, whatever the data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalog import selectors as catalog_selectors
from catalog.models import DatasetVersion
from catalog.roles import Role, user_roles
from frontend.views import database_status
from governance import selectors as governance_selectors
from governance.models import Outcome, RequestStatus
from projects import selectors as project_selectors
from projects.gates import GateContext, current_templates, evaluate, with_synced_versions
from projects.models import (
    GateAnswer,
    Membership,
    ModelAlert,
    ModelLink,
    Project,
    ProjectKPI,
    ProjectRole,
    RiskScreening,
    SignOff,
    Stage,
    access_from,
)
from workers.models import WorkerHeartbeat
from workers.selectors import queue_status

# Sections are listed in this order of personas, each persona's sections once.
PERSONA_ORDER = [Role.GOVERNANCE_OFFICER, Role.PROJECT_LEAD, Role.DATA_CUSTODIAN, Role.DATA_SCIENTIST, Role.ADMIN]

SHOWN = 8  # rows per list; the full list is one link away
EXPIRING_WITHIN_DAYS = 30  # grants expiring this soon are flagged to the officer
RECENT_DATASETS = 6
HEARTBEATS_SHOWN = 5
OUTCOME_ORDER = [Outcome.BLOCKING, Outcome.WARNING, Outcome.PASS]
DATABASE_VENDOR_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- Reads no selector offers ----------------------------------------------------------------------------


def precheck_summary(results: Iterable[Any]) -> list[dict[str, Any]]:
    """Counts of a request's pre-check outcomes, worst first (the shape ``governance/_summary.html`` shows)."""
    counts = Counter(str(r.outcome) for r in results)
    return [
        {"outcome": str(o), "label": Outcome(o).label, "count": counts[str(o)]} for o in OUTCOME_ORDER if counts[str(o)]
    ]


def days_from(day: date, today: date) -> str:
    """``today``, ``tomorrow``, ``in 5 days``, ``yesterday``, ``5 days ago``."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if abs(delta) == 1:
        return "tomorrow" if delta > 0 else "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


def stage_counts() -> list[tuple[Stage, int]]:
    """How many projects are in each stage, in lifecycle order (one query)."""
    counts = dict(Project.objects.order_by().values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    return [(stage, counts.get(stage.value, 0)) for stage in Stage]


def gate_contexts(projects: list[Project], *, now: datetime) -> list[GateContext]:
    """``projects.gates.load_gate_context`` for many projects at once: nine queries whatever their
    number (the projects must come with their ``business_owner``)."""
    if not projects:
        return []
    ids = [p.pk for p in projects]
    by_project: dict[str, dict[int, list[Any]]] = {
        key: {pk: [] for pk in ids} for key in ("memberships", "kpis", "links", "answers", "sign_offs")
    }
    for membership in Membership.objects.active(now).filter(project_id__in=ids).select_related("user"):
        by_project["memberships"][membership.project_id].append(membership)
    for kpi in ProjectKPI.objects.filter(project_id__in=ids).order_by("kind", "position", "pk"):
        by_project["kpis"][kpi.project_id].append(kpi)
    for link in with_synced_versions(ModelLink.objects.active().filter(project_id__in=ids)).order_by(
        "registered_model_name"
    ):
        by_project["links"][link.project_id].append(link)
    for answer in GateAnswer.objects.filter(project_id__in=ids).select_related("item__template", "answered_by"):
        by_project["answers"][answer.project_id].append(answer)
    for sign_off in SignOff.objects.filter(project_id__in=ids).select_related("user").order_by("signed_at", "pk"):
        by_project["sign_offs"][sign_off.project_id].append(sign_off)
    screenings: dict[int, RiskScreening] = {}
    for screening in (
        RiskScreening.objects.filter(project_id__in=ids)
        .select_related("screened_by")
        .order_by("project_id", "-screened_at", "-pk")
    ):
        screenings.setdefault(screening.project_id, screening)
    templates = current_templates()
    return [
        GateContext(
            project=p,
            now=now,
            memberships=by_project["memberships"][p.pk],
            kpis=by_project["kpis"][p.pk],
            screening=screenings.get(p.pk),
            model_links=by_project["links"][p.pk],
            answers=by_project["answers"][p.pk],
            sign_offs=by_project["sign_offs"][p.pk],
            templates=templates,
        )
        for p in projects
    ]


@dataclass
class GateWaiting:
    """The next gate of a project, as the home page lists it."""

    project: Project
    stage: Stage
    complete: bool
    missing: list[str]  # what keeps the gate closed, one line each
    signable: list[str]  # role labels the user can sign now
    leads: bool  # the user leads the project

    @property
    def label(self) -> str:
        return str(self.stage.label)


def gates_waiting(*, user: Any, leads: bool, officer: bool, now: datetime) -> list[GateWaiting]:
    """Open projects whose next gate waits for ``user``: those the user leads (``leads``), with what is
    missing, and those whose next gate has a required sign-off the user can give now (project roles, and
    the governance officer's for ``officer``). Projects the user can sign first."""
    led = set(
        Membership.objects.active(now)
        .filter(user=user, role=ProjectRole.PROJECT_LEAD)
        .values_list("project_id", flat=True)
    )
    if not (leads or officer):
        return []
    candidates = Project.objects.exclude(stage__in=[Stage.RETIRED, Stage.ABANDONED])
    if not officer:  # officers sign gates of any project; others those of their projects
        candidates = candidates.filter(pk__in=Membership.objects.active(now).filter(user=user).values("project_id"))
    projects = list(candidates.select_related("business_owner").order_by("name", "pk"))
    result = []
    for context in gate_contexts(projects, now=now):
        project = context.project
        target = project.next_stage
        if target is None or target not in context.templates:
            continue
        requirements = evaluate(context, target)
        member_roles = frozenset(m.role for m in context.memberships if m.user_id == user.pk)
        sign_roles = access_from(user=user, member_roles=member_roles).sign_roles
        signable = []
        if requirements.checklist_complete:
            signable = [
                str(ProjectRole(s.role).label)
                for s in requirements.sign_offs
                if s.required and not s.signed and s.role in sign_roles
            ]
        is_led = leads and project.pk in led
        if not signable and not is_led:
            continue
        result.append(
            GateWaiting(
                project=project,
                stage=Stage(target),
                complete=requirements.is_complete,
                missing=requirements.missing_messages(),
                signable=signable,
                leads=is_led,
            )
        )
    result.sort(key=lambda g: (not g.signable, g.project.name))
    return result


def latest_versions(dataset_ids: list[int]) -> dict[int, DatasetVersion]:
    """The newest version of each dataset with its profile (one query)."""
    newest = DatasetVersion.objects.filter(dataset_id=OuterRef("dataset_id")).order_by("-number").values("number")[:1]
    versions = (
        DatasetVersion.objects.filter(dataset_id__in=dataset_ids, number=Subquery(newest))
        .select_related("profile", "delivered_by")
        .order_by()
    )
    return {v.dataset_id: v for v in versions}


# --- Sections ----------------------------------------------------------------------------------------------


@dataclass
class Section:
    """One include of the page (``frontend/home/_<template>.html``) and its data."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def include(self) -> str:
        return f"frontend/home/_{self.template}.html"


def _catalog_section() -> Section:
    return Section(
        "catalog",
        {
            "counts": catalog_selectors.catalog_counts(),
            "recent_datasets": list(catalog_selectors.dataset_list().order_by("-updated_at", "name")[:RECENT_DATASETS]),
        },
    )


def _officer_sections(user: Any, today: date) -> list[Section]:
    queue = governance_selectors.officer_queue()
    shown = governance_selectors.with_current_prechecks(queue[:SHOWN])
    for r in shown:
        r.summary = precheck_summary(r.current_prechecks())  # type: ignore[attr-defined]
    expiring = (
        governance_selectors.grants_visible_to(user=user)
        .live()
        .filter(expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS))
        .order_by("expires_on", "pk")
    )
    overdue = governance_selectors.overdue_deletion_tasks(today).order_by("due_on", "pk")
    expiring_shown, overdue_shown = list(expiring[:SHOWN]), list(overdue[:SHOWN])
    for grant in expiring_shown:
        grant.ends = days_from(grant.expires_on, today)  # type: ignore[attr-defined]
    for task in overdue_shown:
        task.late_by = (today - task.due_on).days  # type: ignore[attr-defined]
    entries = governance_selectors.register_entries()
    return [
        Section("queue", {"total": queue.count() if len(shown) == SHOWN else len(shown), "requests": shown}),
        Section(
            "expiring_grants",
            {"total": expiring.count(), "grants": expiring_shown, "within_days": EXPIRING_WITHIN_DAYS},
        ),
        Section("overdue_deletions", {"total": overdue.count(), "tasks": overdue_shown}),
        Section(
            "register",
            {
                "entries": len(entries),
                "special": sum(e.special_categories for e in entries),
                "transfers": sum(bool(e.transfers) for e in entries),
                "datasets": sum(len(e.datasets) for e in entries),
            },
        ),
    ]


def _lead_sections(user: Any, now: datetime) -> list[Section]:
    mine = project_selectors.project_board(user=user, queryset=project_selectors.projects_of_user(user=user), now=now)
    stale_projects = project_selectors.project_list(now=now).filter(is_stale=True)
    stale = [
        c
        for column in project_selectors.project_board(user=user, queryset=stale_projects, now=now)
        for c in column.cards
    ]
    stale.sort(key=lambda c: (not c.is_member, -c.days_in_stage, c.project.name))
    return [
        Section(
            "board",
            {
                "stages": stage_counts(),
                "columns": [c for c in mine if c.cards],
                "project_count": sum(len(c.cards) for c in mine),
            },
        ),
        Section("stale_pocs", {"total": len(stale), "cards": stale[:SHOWN], "limit_days": settings.STALE_POC_DAYS}),
    ]


def _gates_section(user: Any, roles: set[Role], now: datetime) -> Section:
    waiting = gates_waiting(
        user=user, leads=Role.PROJECT_LEAD in roles, officer=Role.GOVERNANCE_OFFICER in roles, now=now
    )
    return Section("gates", {"gates": waiting[:SHOWN], "total": len(waiting)})


def _alerts_section(user: Any, roles: set[Role]) -> Section:
    """Open model alerts: every project's for officers, the projects the user is a member of otherwise."""
    alerts = ModelAlert.objects.open().select_related("project", "model_version__registered_model")
    everything = Role.GOVERNANCE_OFFICER in roles
    if not everything:
        alerts = alerts.filter(project__in=Project.objects.member_of(user).values("pk"))
    found = list(alerts.order_by("-raised_at", "-pk"))
    return Section("model_alerts", {"alerts": found[:SHOWN], "total": len(found), "everything": everything})


def _custodian_sections(user: Any, today: date) -> list[Section]:
    datasets = list(
        catalog_selectors.dataset_list()
        .filter(Q(owner=user) | Q(steward=user) | Q(custodian=user))
        .order_by("-updated_at", "name")
    )
    ids = [d.pk for d in datasets[:SHOWN]]
    versions = latest_versions(ids)
    flags = catalog_selectors.datasets_quality_flags(dataset_ids=ids)
    rows = [
        {"dataset": d, "version": versions.get(d.pk), "quality_flags": flags.get(d.pk, [])} for d in datasets[:SHOWN]
    ]
    tasks = list(governance_selectors.deletion_tasks_of(user=user).order_by("due_on", "pk"))
    for task in tasks:
        task.overdue = task.is_overdue(today)  # type: ignore[attr-defined]
        task.due = days_from(task.due_on, today)  # type: ignore[attr-defined]
    return [
        Section("my_datasets", {"rows": rows, "total": len(datasets)}),
        Section(
            "deletion_tasks",
            {"tasks": tasks[:SHOWN], "total": len(tasks), "overdue": sum(t.overdue for t in tasks)},  # type: ignore[attr-defined]
        ),
    ]


def _scientist_sections(user: Any, today: date, *, with_projects: bool = True) -> list[Section]:
    requests = list(
        governance_selectors.access_requests_of(user=user)
        .filter(status__in=[RequestStatus.PENDING, RequestStatus.CHANGES_REQUESTED])
        .order_by("-submitted_at", "-pk")
    )
    grants = list(governance_selectors.grants_of_user(user=user).order_by("expires_on", "pk"))
    for grant in grants:
        grant.ends = days_from(grant.expires_on, today)  # type: ignore[attr-defined]
    sections = []
    if with_projects:
        projects = list(project_selectors.projects_of_user(user=user).order_by("name"))
        sections.append(Section("my_projects", {"projects": projects[:SHOWN], "total": len(projects)}))
    return [
        *sections,
        Section(
            "my_requests",
            {
                "requests": requests[:SHOWN],
                "total": len(requests),
                "changes_requested": sum(r.status == RequestStatus.CHANGES_REQUESTED for r in requests),
            },
        ),
        Section("my_grants", {"grants": grants[:SHOWN], "total": len(grants)}),
    ]


def _admin_section() -> Section:
    error = database_status()
    eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
    return Section(
        "health",
        {
            "database_error": error,
            "database_vendor": DATABASE_VENDOR_LABELS.get(connection.vendor, connection.vendor),
            "search_backend": settings.SEARCH_BACKEND,
            "celery_eager": eager,
            "queue": None if error else queue_status(),
            "heartbeats": [] if error else list(WorkerHeartbeat.objects.all()[:HEARTBEATS_SHOWN]),
            "heartbeat_count": 0 if error else WorkerHeartbeat.objects.count(),
            "mlflow": None if error else project_selectors.mlflow_sync_status(),
        },
    )


def home_sections(user: Any, roles: set[Role], *, now: datetime | None = None) -> list[Section]:
    """The sections ``user`` sees, in page order (see the module docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sections: list[Section] = []
    if Role.DATA_SCIENTIST in roles or not roles:
        sections.append(_catalog_section())  # the search hero: first for data scientists and the role-less
    gates_shown = alerts_shown = False
    for role in PERSONA_ORDER:
        if role not in roles:
            continue
        if role == Role.GOVERNANCE_OFFICER:
            officer = _officer_sections(user, today)
            sections += officer[:1]
            sections.append(_gates_section(user, roles, now))
            sections += officer[1:]
            sections.append(_alerts_section(user, roles))
            gates_shown = alerts_shown = True
        elif role == Role.PROJECT_LEAD:
            if not gates_shown:
                sections.append(_gates_section(user, roles, now))
            lead = _lead_sections(user, now)
            sections += lead
            if not alerts_shown:
                sections.append(_alerts_section(user, roles))
        elif role == Role.DATA_CUSTODIAN:
            sections += _custodian_sections(user, today)
        elif role == Role.DATA_SCIENTIST:
            # A project lead's board already lists the user's projects.
            sections += _scientist_sections(user, today, with_projects=Role.PROJECT_LEAD not in roles)
        elif role == Role.ADMIN:
            sections.append(_admin_section())
    return sections


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The home page of each persona (see the module docstring). Anonymous visitors log in first."""
    roles = user_roles(request.user)
    context = {
        "sections": home_sections(request.user, roles),
        "roles": [role for role in PERSONA_ORDER if role in roles],
        "max_shown": SHOWN,
    }
    return render(request, "frontend/home.html", context)
