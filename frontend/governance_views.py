"""Governance pages (issue 5): access requests and their pre-checks, the officer's queue and
decisions, grants, deletion tasks, the Article 30 register and the audit trail; and the governance
parts of the dataset page ("Your access") and of the project page (the datasets it uses).

Views stay thin: reads go through ``governance.selectors`` (and the catalog's and projects'), writes
through ``governance.services``; who may do what comes from ``governance.permissions``. A refused
write shows the service's message next to the form (HTTP 400); a successful one redirects.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog import selectors as catalog_selectors
from catalog.models import Dataset, PersonalDataClass
from catalog.roles import Role, has_role
from frontend.governance_forms import (
    AccessRequestForm,
    AuditFilterForm,
    DecisionForm,
    DeletionCloseForm,
    RevokeForm,
)
from governance import prechecks, selectors, services
from governance.models import AccessRequest, Grant, Outcome, RequestStatus
from governance.permissions import delivers, is_officer_or_admin, may_close_deletion
from projects.models import CLOSED_STAGES, Project

EXPIRING_SOON_DAYS = 14
REVOKED_SHOWN = 50
CLOSED_TASKS_SHOWN = 50
AUDIT_EVENTS_PER_PAGE = 50
CHART_WEEKS = 12
OUTCOME_ORDER = (Outcome.BLOCKING, Outcome.WARNING, Outcome.PASS)


# --- Helpers -----------------------------------------------------------------------------------------


def _require_officer(request: HttpRequest) -> None:
    if not is_officer_or_admin(request.user):
        raise PermissionDenied("This page is for governance officers and admins.")


def _add_service_errors(form: Any, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _dataset_or_404(slug: str) -> Dataset:
    try:
        return catalog_selectors.dataset_detail(slug=slug)
    except Dataset.DoesNotExist:
        raise Http404("No dataset with this name.") from None


def _summary(results: list[Any]) -> list[dict[str, Any]]:
    """``[{"outcome": "blocking", "label": "Blocking", "count": 1}, ...]``, worst first, only present ones."""
    counts = Counter(str(r.outcome) for r in results)
    return [
        {"outcome": str(o), "label": Outcome(o).label, "count": counts[str(o)]} for o in OUTCOME_ORDER if counts[str(o)]
    ]


def _requestable_projects(user: Any) -> list[Project]:
    """The projects the user may request data for: open ones they are an active member of."""
    return list(Project.objects.member_of(user).exclude(stage__in=CLOSED_STAGES).order_by("name"))


def _project_context(project: Project) -> dict[str, Any]:
    """What the officer weighs about a project: stage, AI Act tier, DPIA screening and whether one is recorded."""
    screening = project.latest_risk_screening()
    return {
        "project": project,
        "screening": screening,
        "dpia_recorded": prechecks.dpia_recorded(project),
        "exploration_end": prechecks.exploration_end(project),
    }


# --- Filing and changing a request -------------------------------------------------------------------


def _column_rows(form: AccessRequestForm) -> list[dict[str, Any]]:
    """Each column's checkbox with the column itself, for the table of the form."""
    by_pk = {c.pk: c for c in form.column_list}
    rows = []
    for widget in form["columns"]:
        value = widget.data["value"]
        rows.append({"widget": widget, "column": by_pk[int(str(getattr(value, "value", value)))]})
    return rows


def _request_form_page(
    request: HttpRequest,
    *,
    dataset: Dataset,
    form: AccessRequestForm,
    projects: list[Project],
    access_request: AccessRequest | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "dataset": dataset,
        "form": form,
        "projects": projects,
        "access_request": access_request,
        "purposes": {str(p.pk): p.purpose for p in projects},
        "column_rows": _column_rows(form),
    }
    return render(request, "frontend/governance/request_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def access_request_create(request: HttpRequest, slug: str) -> HttpResponse:
    """File an access request for one of the user's projects (active members only)."""
    dataset = _dataset_or_404(slug)
    projects = _requestable_projects(request.user)
    columns = list(dataset.columns.all())
    if request.method == "POST":
        if not projects:
            raise PermissionDenied("Only members of a project request data for it.")
        form = AccessRequestForm(request.POST, columns=columns, projects=projects)
        if form.is_valid():
            try:
                filed = services.access_request_create(
                    requester=request.user,  # type: ignore[arg-type]
                    project=form.cleaned_data["project"],
                    dataset=dataset,
                    **form.service_values(),
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, f"Request #{filed.pk} filed: its pre-checks are below.")
                return redirect("frontend:access-request-detail", pk=filed.pk)
        return _request_form_page(request, dataset=dataset, form=form, projects=projects, status=400)
    wanted = request.GET.get("project", "")
    chosen = next((p for p in projects if p.slug == wanted), projects[0] if projects else None)
    initial: dict[str, Any] = {}
    if chosen is not None:
        initial = {"project": chosen.pk, "purpose": chosen.purpose}
    form = AccessRequestForm(initial=initial, columns=columns, projects=projects)
    return _request_form_page(request, dataset=dataset, form=form, projects=projects)


def _own_open_request(request: HttpRequest, pk: int) -> AccessRequest:
    found = selectors.access_request_get(pk=pk, user=request.user)
    if found is None:
        raise Http404("No such request.")
    if found.requester_id != request.user.pk:
        raise PermissionDenied("Only the requester changes a request.")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def access_request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester changes a pending request, or one the officer sent back for changes, and
    resubmits it: the pre-checks run again."""
    access_request = _own_open_request(request, pk)
    dataset = access_request.dataset
    columns = list(dataset.columns.all())
    if not access_request.is_open:
        messages.error(
            request, f"This request is {access_request.get_status_display().lower()}: it can no longer change."
        )
        return redirect("frontend:access-request-detail", pk=pk)
    if request.method == "POST":
        form = AccessRequestForm(request.POST, columns=columns)
        if form.is_valid():
            try:
                services.access_request_resubmit(
                    request=access_request,
                    requester=request.user,  # type: ignore[arg-type]
                    **form.service_values(),
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, f"Request #{pk} resubmitted: its pre-checks were run again.")
                return redirect("frontend:access-request-detail", pk=pk)
        return _request_form_page(
            request, dataset=dataset, form=form, projects=[], access_request=access_request, status=400
        )
    form = AccessRequestForm(
        initial={
            "columns": [c.pk for c in access_request.columns.all()],
            "purpose": access_request.purpose,
            "legal_basis": access_request.legal_basis,
            "art9_condition": access_request.art9_condition,
            "requested_end": access_request.requested_end,
            "justification": access_request.justification,
        },
        columns=columns,
    )
    return _request_form_page(request, dataset=dataset, form=form, projects=[], access_request=access_request)


# --- A request's page, and the officer's decision ---------------------------------------------------------


def _grant_of(access_request: AccessRequest) -> Grant | None:
    try:
        return access_request.grant
    except Grant.DoesNotExist:
        return None


def _request_page(
    request: HttpRequest, access_request: AccessRequest, *, decision_form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    results = access_request.current_prechecks()
    blocking = any(r.outcome == Outcome.BLOCKING for r in results)
    can_decide = is_officer_or_admin(request.user) and access_request.status == RequestStatus.PENDING
    if can_decide and decision_form is None:
        decision_form = DecisionForm(initial={"expires_on": access_request.requested_end}, blocking=blocking)
    columns = sorted(access_request.columns.all(), key=lambda c: (c.position, c.name))
    context = {
        "access_request": access_request,
        "prechecks": results,
        "summary": _summary(results),
        "blocking": blocking,
        "columns": columns,
        "grant": _grant_of(access_request),
        "can_decide": can_decide,
        "can_edit": access_request.requester_id == request.user.pk and access_request.is_open,
        "decision_form": decision_form if can_decide else None,
        "is_officer": is_officer_or_admin(request.user),
        "audit_url": reverse("frontend:governance-audit")
        + f"?target_type=governance.accessrequest&target_id={access_request.pk}",
        **_project_context(access_request.project),
    }
    return render(request, "frontend/governance/request_detail.html", context, status=status)


@login_required
@require_safe
def access_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = selectors.access_request_get(pk=pk, user=request.user)
    if access_request is None:
        raise Http404("No such request.")
    return _request_page(request, access_request)


@login_required
@require_POST
def access_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (with an expiry, optionally with conditions), ask for changes or refuse: officers and admins."""
    _require_officer(request)
    access_request = selectors.access_request_get(pk=pk, user=request.user)
    if access_request is None:
        raise Http404("No such request.")
    blocking = any(r.outcome == Outcome.BLOCKING for r in access_request.current_prechecks())
    form = DecisionForm(request.POST, blocking=blocking)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = services.access_request_decide(
                request=access_request,
                officer=request.user,  # type: ignore[arg-type]
                decision=data["decision"],
                reason=data["reason"],
                expires_on=data.get("expires_on"),
                conditions=data.get("conditions") or "",
                override_reason=data.get("override_reason") or "",
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            grant = _grant_of(decided)
            outcome = decided.get_status_display()
            if grant is not None:
                outcome += f": access until {grant.expires_on:%Y-%m-%d}"
            messages.success(request, f"Request #{pk} decided — {outcome}.")
            return redirect("frontend:access-request-detail", pk=pk)
        access_request = selectors.access_request_get(pk=pk, user=request.user) or access_request
    return _request_page(request, access_request, decision_form=form, status=400)


# --- The requester's list ------------------------------------------------------------------------------------


@login_required
@require_safe
def my_requests(request: HttpRequest) -> HttpResponse:
    """The requests the user filed, with their statuses and pre-check summaries, and the live grants of
    the user's projects."""
    requests = selectors.with_current_prechecks(selectors.access_requests_of(user=request.user))
    for r in requests:
        r.summary = _summary(r.current_prechecks())  # type: ignore[attr-defined]
    context = {
        "requests": requests,
        "grants": list(selectors.grants_of_user(user=request.user).order_by("expires_on", "pk")),
        "changes_requested": sum(1 for r in requests if r.status == RequestStatus.CHANGES_REQUESTED),
    }
    return render(request, "frontend/governance/my_requests.html", context)


# --- Officer pages ------------------------------------------------------------------------------------------


@login_required
@require_safe
def officer_queue(request: HttpRequest) -> HttpResponse:
    """Pending requests, oldest first, each with its pre-check summary."""
    _require_officer(request)
    requests = selectors.with_current_prechecks(
        selectors.officer_queue().select_related("project", "dataset", "requester")
    )
    for r in requests:
        r.summary = _summary(r.current_prechecks())  # type: ignore[attr-defined]
    context = {"requests": requests, "requests_per_week": selectors.requests_per_week(weeks=CHART_WEEKS)}
    return render(request, "frontend/governance/queue.html", context)


@login_required
@require_safe
def grant_list(request: HttpRequest) -> HttpResponse:
    """Grants: active (those expiring soon first and flagged), and the latest revoked."""
    _require_officer(request)
    today = timezone.localdate()
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    visible = selectors.grants_visible_to(user=request.user)
    active = list(visible.live().order_by("expires_on", "pk"))
    context = {
        "active": active,
        "expiring": [g for g in active if g.expires_on <= soon],
        "revoked": list(visible.filter(revoked_at__isnull=False).order_by("-revoked_at", "-pk")[:REVOKED_SHOWN]),
        "soon": soon,
        "expiring_days": EXPIRING_SOON_DAYS,
        "revoke_forms": {g.pk: RevokeForm(auto_id=f"id_revoke{g.pk}_%s") for g in active},
    }
    return render(request, "frontend/governance/grants.html", context)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    grant = selectors.grants_visible_to(user=request.user).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such grant.")
    form = RevokeForm(request.POST)
    problems: list[str] = []
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            services.grant_revoke(grant=grant, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = (
                [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
            )
    if problems:
        messages.error(request, f"Grant #{pk} was not revoked: " + " ".join(problems))
        return redirect(reverse("frontend:governance-grants") + f"#grant-{pk}")
    messages.success(request, f"Grant #{pk} revoked: a deletion task was created for the custodian.")
    return redirect("frontend:governance-grants")


def _may_see_deletions(user: Any) -> bool:
    return is_officer_or_admin(user) or has_role(user, Role.DATA_CUSTODIAN)


def _deletions_page(
    request: HttpRequest, *, bound: dict[int, DeletionCloseForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    visible = selectors.deletion_tasks_visible_to(user=user)
    open_tasks = list(visible.open().order_by("due_on", "pk"))
    bound = bound or {}
    for task in open_tasks:
        task.overdue = task.is_overdue(today)  # type: ignore[attr-defined]
        task.may_close = may_close_deletion(user, task)  # type: ignore[attr-defined]
        task.close_form = bound.get(task.pk) or DeletionCloseForm(auto_id=f"id_task{task.pk}_%s")  # type: ignore[attr-defined]
    context = {
        "open_tasks": open_tasks,
        "overdue_count": sum(1 for t in open_tasks if t.overdue),  # type: ignore[attr-defined]
        "closed_tasks": list(
            visible.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")[:CLOSED_TASKS_SHOWN]
        ),
        "is_officer": is_officer_or_admin(user),
    }
    return render(request, "frontend/governance/deletions.html", context, status=status)


@login_required
@require_safe
def deletion_task_list(request: HttpRequest) -> HttpResponse:
    """Deletion tasks: officers and admins see all; custodians the tasks of their datasets."""
    if not _may_see_deletions(request.user):
        raise PermissionDenied("Deletion tasks are for data custodians and governance officers.")
    return _deletions_page(request)


@login_required
@require_POST
def deletion_task_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The custodian closes a deletion task with evidence (a text, optionally a file)."""
    task = selectors.deletion_tasks_visible_to(user=request.user).filter(pk=pk).first()
    if task is None:
        raise Http404("No such deletion task.")
    if not may_close_deletion(request.user, task):
        raise PermissionDenied("Only the dataset's custodian closes its deletion tasks.")
    form = DeletionCloseForm(request.POST, request.FILES, auto_id=f"id_task{pk}_%s")
    if form.is_valid():
        try:
            services.deletion_task_close(
                task=task,
                custodian=request.user,  # type: ignore[arg-type]
                evidence_text=form.cleaned_data["evidence_text"],
                evidence_file=form.cleaned_data.get("evidence_file"),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, f"Deletion task #{pk} closed with its evidence.")
            return redirect("frontend:deletion-tasks")
    return _deletions_page(request, bound={pk: form}, status=400)


@login_required
@require_safe
def register(request: HttpRequest) -> HttpResponse:
    """The Article 30 register of processing, generated from the live grants."""
    _require_officer(request)
    return render(request, "frontend/governance/register.html", {"entries": selectors.register_entries()})


@login_required
@require_safe
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, filtered by object, actor or action, with the chain's verification."""
    _require_officer(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    actor = None
    unknown_actor = False
    if filters.get("actor"):
        actor = get_user_model().objects.filter(username=filters["actor"]).first()
        unknown_actor = actor is None
    events = selectors.audit_events(action=filters.get("action", ""), actor=actor)
    # ``audit_events`` filters by a model instance; an object's type and id (a deleted object
    # included) are filtered here.
    if filters.get("target_type"):
        events = events.filter(target_type=filters["target_type"].lower())
    if filters.get("target_id"):
        events = events.filter(target_id=filters["target_id"])
    if unknown_actor:
        events = events.none()
    page = Paginator(events, AUDIT_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    for event in page.object_list:
        event.before_json = json.dumps(event.before, indent=1, ensure_ascii=False) if event.before else ""  # type: ignore[attr-defined]
        event.after_json = json.dumps(event.after, indent=1, ensure_ascii=False) if event.after else ""  # type: ignore[attr-defined]
    context = {
        "form": form,
        "is_filtered": bool(filters),
        "unknown_actor": unknown_actor,
        "page_obj": page,
        "events": page.object_list,
        "query_string": query.urlencode(),
        "chain": selectors.audit_chain_status(),
    }
    return render(request, "frontend/governance/audit.html", context)


@login_required
@require_POST
def audit_verify_now(request: HttpRequest) -> HttpResponse:
    """An officer asks for a walk of the whole chain now (the page then builds on its result)."""
    _require_officer(request)
    services.audit_verification_queue(requested_by=request.user)  # type: ignore[arg-type]
    messages.success(request, "A full verification of the audit trail was started; its result shows below when done.")
    return redirect("frontend:governance-audit")


# --- Parts of the dataset and project pages -------------------------------------------------------------------


def dataset_access_context(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    """The dataset page's "Your access" panel: for each of the user's projects, its live grant (columns,
    until when) or its open request; whether a request is needed at all; and the download and sample
    links when the user may use them."""
    user = request.user
    projects = _requestable_projects(user)
    project_ids = [p.pk for p in projects]
    grants = list(selectors.grants_of_user(user=user).filter(dataset=dataset).order_by("project__name", "-expires_on"))
    open_requests = list(
        AccessRequest.objects.filter(
            dataset=dataset,
            project_id__in=project_ids,
            status__in=[RequestStatus.PENDING, RequestStatus.CHANGES_REQUESTED],
        )
        .select_related("project", "requester")
        .order_by("project__name")
    )
    covered = {g.project_id for g in grants} | {r.project_id for r in open_requests}
    columns = list(dataset.columns.all())
    personal = any(c.personal_data_class != PersonalDataClass.NONE for c in columns)
    latest = dataset.versions.order_by("-number").first()
    download_allowed = (
        latest is not None and bool(latest.file) and selectors.version_download_allowed(user=user, version=latest)
    )
    return {
        "your_access": {
            "delivers": delivers(user, dataset),
            "personal": personal,
            "projects": projects,
            "grants": grants,
            "open_requests": open_requests,
            "without_access": [p for p in projects if p.pk not in covered],
            "latest": latest,
            "download_allowed": download_allowed,
            "visible_columns": sorted(selectors.columns_visible_to(user=user, dataset=dataset)),
        }
    }


def project_dataset_grants(project: Project) -> list[dict[str, Any]]:
    """The project page's "Datasets used": its live grants, with their columns, expiry and the quality
    flags of each dataset's latest version."""
    grants = list(selectors.grants_of_project(project=project, live_only=True).order_by("dataset__name", "pk"))
    flags = catalog_selectors.datasets_quality_flags(dataset_ids={g.dataset_id for g in grants})
    return [
        {"grant": g, "columns": list(g.columns.all()), "quality_flags": flags.get(g.dataset_id, [])} for g in grants
    ]
