"""Project pages: the board, the project page (gates, sign-offs, roadmap), project creation.

Views stay thin: reads go through ``projects.selectors``, writes through ``projects.services``; who
may do what comes from ``Project.access(user)``. A refused write (``ValidationError``) is shown on
the project page, with exactly what the service said; a successful one redirects (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from frontend.governance_views import project_dataset_grants
from frontend.model_timeline import metrics_plot
from frontend.project_forms import (
    BacklogItemEditForm,
    BacklogItemForm,
    BacklogStatusForm,
    GateAnswerForm,
    KPIEditForm,
    KPIForm,
    MembershipAddForm,
    MembershipEndForm,
    MilestoneDoneForm,
    MilestoneEditForm,
    MilestoneForm,
    ModelLinkForm,
    ProjectCreateForm,
    ProjectDetailsForm,
    RiskScreeningForm,
)
from projects import selectors, services
from projects.models import (
    BacklogProfile,
    BacklogStatus,
    EvidenceKind,
    GateChecklistTemplate,
    Project,
    ProjectRole,
    Stage,
    can_create_project,
)

MAIN_STAGES = (Stage.QUALIFICATION, Stage.EXPLORATION, Stage.INDUSTRIALIZATION, Stage.PRODUCTION, Stage.RETIRED)


def _project_or_404(slug: str) -> Project:
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    return project


def _detail_url(project: Project, anchor: str = "") -> str:
    url = reverse("frontend:project-detail", args=[project.slug])
    return f"{url}#{anchor}" if anchor else url


def _stage_label(value: str) -> str:
    try:
        return str(Stage(value).label)
    except ValueError:
        return value


def _role_label(value: str) -> str:
    try:
        return str(ProjectRole(value).label)
    except ValueError:
        return value


# --- Board -------------------------------------------------------------------------------------------


@login_required
@require_safe
def project_board(request: HttpRequest) -> HttpResponse:
    columns = selectors.project_board(user=request.user)
    main = [c for c in columns if c.stage in MAIN_STAGES]
    abandoned = next((c for c in columns if c.stage == Stage.ABANDONED), None)
    context = {
        "columns": main,
        "abandoned": abandoned,
        "project_count": sum(len(c.cards) for c in columns),
        "stale_count": sum(c.stale_count for c in columns),
        "can_create": can_create_project(request.user),
    }
    return render(request, "frontend/project_board.html", context)


# --- Creation ----------------------------------------------------------------------------------------


def _add_service_errors(form: Any, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    if not can_create_project(request.user):
        raise PermissionDenied("Project leads, data scientists and admins start projects.")
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(creator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, f"Project {project.name} created in Qualification. You are its project lead.")
            return redirect(_detail_url(project))
    return render(request, "frontend/project_create.html", {"form": form}, status=400 if form.errors else 200)


# --- Project page ------------------------------------------------------------------------------------


def _passed_gate(view: selectors.GateView) -> dict[str, Any]:
    """A passed gate as decided: its snapshot, with labels for the template."""
    snapshot = view.snapshot or {}
    return {
        "items": [i for i in snapshot.get("items", []) if i.get("applicable")],
        "sign_offs": [
            {**s, "role_label": _role_label(s.get("role", "")), "signed_on": str(s.get("signed_at", ""))[:10]}
            for s in snapshot.get("sign_offs", [])
        ],
    }


def _timeline_bars(timeline: selectors.Timeline) -> dict[str, Any]:
    """Positions (percent of the drawn range) of the stage spans and milestones of the roadmap."""
    total = max(1, (timeline.end - timeline.start).days)

    def left(day: date) -> float:
        return round(100 * (day - timeline.start).days / total, 2)

    spans = []
    for span in timeline.stage_spans:
        end = span.end or timeline.today
        spans.append(
            {
                "stage": span.stage,
                "label": _stage_label(span.stage),
                "start": span.start,
                "end": span.end,
                "days": span.days,
                "left": left(span.start),
                "width": max(0.8, round(100 * (end - span.start).days / total, 2)),
            }
        )
    milestones = [{"event": e, "left": left(e.date)} for e in timeline.events if e.kind == "milestone"]
    return {"spans": spans, "milestones": milestones, "today_left": left(timeline.today)}


def _refusal(error: ValidationError, title: str) -> dict[str, Any]:
    """A refused write, for the page: the service's headline, then what is missing, by group."""
    groups: list[dict[str, Any]] = []
    headline: list[str] = []
    if hasattr(error, "error_dict"):
        labels = {"checklist": "Checklist", "sign_offs": "Sign-offs"}
        for name, errors in error.message_dict.items():
            if name == NON_FIELD_ERRORS:
                headline.extend(errors)
            elif name in labels:
                groups.append({"title": labels[name], "messages": errors})
            else:
                headline.extend(errors)
    else:
        headline.extend(error.messages)
    return {"title": title, "headline": headline, "groups": groups}


def _render_detail(
    request: HttpRequest,
    slug: str,
    *,
    refusal: dict[str, Any] | None = None,
    answer_errors: dict[str, list[str]] | None = None,
    bound_forms: dict[str, Any] | None = None,
    row_errors: dict[str, dict[int, list[str]]] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        detail = selectors.project_detail(slug=slug, user=request.user)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    access = detail.access
    project = detail.project
    if access is None or not access.can_read:
        context = {"project": project, "detail": detail}
        return render(request, "frontend/project_summary.html", context, status=status)
    next_stage = project.next_stage if not project.is_closed else None
    gates = []
    for view in detail.gates:
        gates.append({"view": view, "passed": _passed_gate(view) if view.position == "passed" else None})
    context = {
        "project": project,
        "detail": detail,
        "access": access,
        "gates": gates,
        "next_stage": next_stage,
        "next_stage_label": _stage_label(next_stage) if next_stage else "",
        "can_move": access.can_manage and next_stage is not None,
        "can_abandon": access.can_manage and Stage.ABANDONED in detail.allowed_targets,
        "business_kpis": [k for k in detail.kpis if k.kind == "business"],
        "ml_kpis": [k for k in detail.kpis if k.kind == "ml"],
        "backlog": [
            {"profile": profile, "label": profile.label, "items": detail.backlog[profile.value]}
            for profile in BacklogProfile
            if detail.backlog[profile.value]
        ],
        "timeline": detail.timeline,
        "bars": _timeline_bars(detail.timeline),
        "models": (model_timeline := selectors.project_model_timeline(project=project)),
        "metrics_plot": metrics_plot(model_timeline.series),
        "refusal": refusal,
        "answer_errors": answer_errors or {},
        "evidence": EvidenceKind,
        "forms": _page_forms(detail, bound_forms or {}),
        "row_forms": _row_forms(detail, bound_forms or {}),
        "row_errors": row_errors or {},
        "backlog_statuses": BacklogStatus.choices,
        "today": timezone.localdate(),
        "dataset_grants": project_dataset_grants(project),
    }
    return render(request, "frontend/project_detail.html", context, status=status)


@login_required
@require_safe
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_detail(request, slug)


@login_required
@require_POST
def project_transition(request: HttpRequest, slug: str) -> HttpResponse:
    """Move the project (the next gate, or Abandoned with a reason). A refusal keeps the stage and
    shows what is missing."""
    project = _project_or_404(slug)
    if not project.access(request.user).can_manage:
        raise PermissionDenied("Only a project lead of this project moves its stage.")
    target = request.POST.get("target_stage", "")
    reason = request.POST.get("reason", "")
    try:
        transition = services.project_transition(
            project=project, target_stage=target, actor=request.user, reason=reason
        )
    except ValidationError as exc:
        refusal = _refusal(exc, f"The project was not moved to {_stage_label(target)}")
        return _render_detail(request, slug, refusal=refusal, status=400)
    messages.success(request, f"{project.name} moved to {_stage_label(transition.to_stage)}.")
    return redirect(_detail_url(project, "history"))


@login_required
@require_POST
def project_signoff(request: HttpRequest, slug: str) -> HttpResponse:
    project = _project_or_404(slug)
    if not project.access(request.user).can_sign:
        raise PermissionDenied("You hold no role that signs this project's gates.")
    role = request.POST.get("role", "")
    stage = request.POST.get("stage") or None
    try:
        services.signoff_give(
            project=project, role=role, user=request.user, comment=request.POST.get("comment", ""), stage=stage
        )
    except ValidationError as exc:
        refusal = _refusal(exc, f"Your sign-off as {_role_label(role)} was not recorded")
        return _render_detail(request, slug, refusal=refusal, status=400)
    messages.success(request, f"Signed the {_stage_label(stage or '')} gate as {_role_label(role)}.")
    return redirect(_detail_url(project, f"gate-{stage}" if stage else "gates"))


@login_required
@require_POST
def project_answer(request: HttpRequest, slug: str) -> HttpResponse:
    """Answer one checklist item of a gate not passed yet (members and admins)."""
    project = _project_or_404(slug)
    if not project.access(request.user).can_contribute:
        raise PermissionDenied("Only the project's members answer its checklists.")
    stage, key = request.POST.get("stage", ""), request.POST.get("key", "")
    try:
        template = selectors.gate_template_current(stage=stage)
    except GateChecklistTemplate.DoesNotExist:
        raise Http404("No such gate.") from None
    item = next((i for i in template.items.all() if i.key == key), None)
    if item is None:
        raise Http404("No such checklist item.")
    form = GateAnswerForm(request.POST, request.FILES)
    problems: list[str] = []
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            services.gate_answer_set(
                project=project,
                stage=stage,
                key=key,
                answered_by=request.user,
                **form.service_values(item.evidence_kind),
            )
        except ValidationError as exc:
            problems = (
                [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
            )
    if problems:
        refusal = {"title": f"Your answer to '{item.label}' was not saved", "headline": problems, "groups": []}
        return _render_detail(request, slug, refusal=refusal, answer_errors={key: problems}, status=400)
    messages.success(request, f"Answer to '{item.label}' saved.")
    return redirect(_detail_url(project, f"item-{key}"))


# --- Forms of the project page -----------------------------------------------------------------------
#
# Each form is a POST to its own URL; the view checks ``Project.access(user)``, calls one service and
# redirects back with a message. A refusal re-renders the page with the errors next to the form.

# key -> (form class, access level needed: "can_manage" or "can_contribute")
PAGE_FORMS: dict[str, tuple[type[Any], str]] = {
    "team": (MembershipAddForm, "can_manage"),
    "kpi": (KPIForm, "can_manage"),
    "details": (ProjectDetailsForm, "can_manage"),
    "milestone": (MilestoneForm, "can_manage"),
    "backlog": (BacklogItemForm, "can_manage"),
    "risk": (RiskScreeningForm, "can_contribute"),
    "model": (ModelLinkForm, "can_contribute"),
}


def _make_form(key: str, data: Any = None, **kwargs: Any) -> Any:
    form_class, _ = PAGE_FORMS[key]
    return form_class(data, auto_id=f"id_{key}_%s", **kwargs)


def _page_forms(detail: selectors.ProjectDetail, bound: dict[str, Any]) -> dict[str, Any]:
    """The forms the viewing user may use on this project (none once it is closed); ``bound``
    (a refused submission) replaces the blank one."""
    access, project = detail.access, detail.project
    if access is None or project.is_closed:
        return {}
    initial: dict[str, dict[str, Any]] = {
        "details": {
            "business_owner": project.business_owner_id,
            "value_rating": project.value_rating,
            "risk_rating": project.risk_rating,
            "feasibility_rating": project.feasibility_rating,
        },
    }
    if detail.risk_screening is not None:
        initial["risk"] = {
            key: ("yes" if value else "no") for key, value in (detail.risk_screening.answers or {}).items()
        }
        initial["risk"]["comment"] = detail.risk_screening.comment
    page_forms = {}
    for key, (_, level) in PAGE_FORMS.items():
        if getattr(access, level):
            page_forms[key] = bound.get(key) or _make_form(key, initial=initial.get(key))
    return page_forms


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for ms in error.message_dict.values() for m in ms]
    return list(error.messages)


def _page_form_post(
    request: HttpRequest, slug: str, key: str, save: Callable[[Project, dict[str, Any]], str], anchor: str
) -> HttpResponse:
    project = _project_or_404(slug)
    level = PAGE_FORMS[key][1]
    if not getattr(project.access(request.user), level):
        raise PermissionDenied(
            "Only a project lead of this project does this."
            if level == "can_manage"
            else "Only the project's members do this."
        )
    form = _make_form(key, request.POST)
    if form.is_valid():
        try:
            message = save(project, form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(_detail_url(project, anchor))
    return _render_detail(request, slug, bound_forms={key: form}, status=400)


def _start_of(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


@login_required
@require_POST
def project_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        user = data["username"]
        services.membership_add(
            project=project,
            user=user,
            role=data["role"],
            added_by=request.user,
            started_at=_start_of(data.get("started_on")),
        )
        return f"{user.get_full_name() or user.get_username()} added to the team as {_role_label(data['role'])}."

    return _page_form_post(request, slug, "team", save, "team-title")


@login_required
@require_POST
def project_member_end(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = _project_or_404(slug)
    if not project.access(request.user).can_manage:
        raise PermissionDenied("Only a project lead of this project changes its team.")
    membership = project.memberships.filter(pk=membership_id).select_related("user").first()
    if membership is None:
        raise Http404("No such membership.")
    form = MembershipEndForm(request.POST)
    problems: list[str] = []
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            services.membership_end(membership=membership, ended_by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            problems = _messages_of(exc)
    if problems:
        return _render_detail(request, slug, row_errors={"end": {membership.pk: problems}}, status=400)
    user = membership.user
    messages.success(
        request, f"{user.get_full_name() or user.get_username()} is no longer {_role_label(membership.role)}."
    )
    return redirect(_detail_url(project, "team-title"))


@login_required
@require_POST
def project_kpi_add(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        kpi = services.kpi_create(project=project, actor=request.user, **data)
        return f"KPI {kpi.name} added."

    return _page_form_post(request, slug, "kpi", save, "kpi-title")


@login_required
@require_POST
def project_details_update(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        services.project_update(project=project, data=data, actor=request.user)
        return "Business owner and ratings saved."

    return _page_form_post(request, slug, "details", save, "about-title")


@login_required
@require_POST
def project_risk_screening(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        form_answers = {key: value for key, value in data.items() if key != "comment"}
        screening = services.risk_screening_record(
            project=project, answers=form_answers, screened_by=request.user, comment=data.get("comment") or ""
        )
        dpia = "a DPIA is required" if screening.dpia_required else "no DPIA required"
        return f"Risk screening recorded: AI Act {screening.get_ai_act_tier_display()}, {dpia}."

    return _page_form_post(request, slug, "risk", save, "risk-title")


@login_required
@require_POST
def project_milestone_add(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        milestone = services.milestone_create(project=project, **data)
        return f"Milestone {milestone.title} added."

    return _page_form_post(request, slug, "milestone", save, "roadmap-title")


@login_required
@require_POST
def project_milestone_done(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    project = _project_or_404(slug)
    if not project.access(request.user).can_manage:
        raise PermissionDenied("Only a project lead of this project changes its roadmap.")
    milestone = project.milestones.filter(pk=milestone_id).first()
    if milestone is None:
        raise Http404("No such milestone.")
    form = MilestoneDoneForm(request.POST)
    problems: list[str] = []
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            services.milestone_update(milestone=milestone, data={"actual_date": form.cleaned_data["actual_date"]})
        except ValidationError as exc:
            problems = _messages_of(exc)
    if problems:
        return _render_detail(request, slug, row_errors={"done": {milestone.pk: problems}}, status=400)
    messages.success(request, f"Milestone {milestone.title} reached on {milestone.actual_date:%Y-%m-%d}.")
    return redirect(_detail_url(project, "roadmap-title"))


@login_required
@require_POST
def project_backlog_add(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        item = services.backlog_item_create(project=project, **data)
        return f"Backlog item {item.title} added."

    return _page_form_post(request, slug, "backlog", save, "backlog-title")


@login_required
@require_POST
def project_model_sync(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a sync of MLflow now (project leads and admins)."""
    project = _project_or_404(slug)
    if not project.access(request.user).can_manage:
        raise PermissionDenied("Only a project lead of this project syncs MLflow from here.")
    services.mlflow_sync_queue(full=False)
    messages.success(request, "MLflow sync queued: the model timeline shows it once done.")
    return redirect(_detail_url(project, "model-timeline-title"))


@login_required
@require_POST
def project_model_link(request: HttpRequest, slug: str) -> HttpResponse:
    def save(project: Project, data: dict[str, Any]) -> str:
        link = services.model_link_add(project=project, linked_by=request.user, **data)
        return f"MLflow model {link.registered_model_name} linked."

    return _page_form_post(request, slug, "model", save, "models-title")


# --- Editing and deleting rows: KPIs, milestones, backlog items ------------------------------------------
#
# Each row of these lists has its own edit form (prefilled, ids prefixed by the row) and a delete
# button, shown to those who manage the project (``Project.access(user).can_manage``) while it is
# open. A refused edit re-renders the page with that row's form open and its field errors; what the
# service refused is also said at the top of the page (a closed project shows no row forms).

# key -> (edit form, related name on Project, what the page calls it, anchor of its section)
ROW_FORMS: dict[str, tuple[type[Any], str, str, str]] = {
    "kpi": (KPIEditForm, "kpis", "KPI", "kpi-title"),
    "milestone": (MilestoneEditForm, "milestones", "milestone", "roadmap-title"),
    "backlog": (BacklogItemEditForm, "backlog_items", "backlog item", "backlog-title"),
}


def _row_form(key: str, row: Any, data: Any = None) -> Any:
    form_class = ROW_FORMS[key][0]
    return form_class(data, auto_id=f"id_{key}{row.pk}_%s", initial=form_class.initial_from(row))


def _row_forms(detail: selectors.ProjectDetail, bound: dict[str, Any]) -> dict[str, dict[int, Any]]:
    """The edit form of each KPI, milestone and backlog item, by key then row id, for those who manage
    the open project; ``bound`` (a refused submission, keyed ``<key>-<id>``) replaces the blank one."""
    access, project = detail.access, detail.project
    if access is None or not access.can_manage or project.is_closed:
        return {}
    rows: dict[str, list[Any]] = {
        "kpi": detail.kpis,
        "milestone": detail.milestones,
        "backlog": [item for items in detail.backlog.values() for item in items],
    }
    return {
        key: {row.pk: bound.get(f"{key}-{row.pk}") or _row_form(key, row) for row in items}
        for key, items in rows.items()
    }


def _managed_row(request: HttpRequest, slug: str, key: str, row_id: int) -> tuple[Project, Any]:
    """The project and its row ``row_id`` of kind ``key``; 403 unless the user manages the project,
    404 when the row is not the project's."""
    project = _project_or_404(slug)
    _, related, noun, _ = ROW_FORMS[key]
    if not project.access(request.user).can_manage:
        raise PermissionDenied(f"Only a project lead of this project changes its {noun}s.")
    row = getattr(project, related).filter(pk=row_id).first()
    if row is None:
        raise Http404(f"No such {noun}.")
    row.project = project
    return project, row


def _row_edit_post(
    request: HttpRequest, slug: str, key: str, row_id: int, save: Callable[[Any, dict[str, Any]], str]
) -> HttpResponse:
    project, row = _managed_row(request, slug, key, row_id)
    label = f"{ROW_FORMS[key][2]} {row}"  # before the service changes it
    form = _row_form(key, row, request.POST)
    refusal = None
    if form.is_valid():
        try:
            message = save(row, form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
            refusal = _refusal(exc, f"Your changes to the {label} were not saved")
        else:
            messages.success(request, message)
            return redirect(_detail_url(project, ROW_FORMS[key][3]))
    return _render_detail(request, slug, refusal=refusal, bound_forms={f"{key}-{row.pk}": form}, status=400)


def _row_delete_post(
    request: HttpRequest, slug: str, key: str, row_id: int, delete: Callable[[Any], str]
) -> HttpResponse:
    project, row = _managed_row(request, slug, key, row_id)
    label = f"{ROW_FORMS[key][2]} {row}"
    try:
        message = delete(row)
    except ValidationError as exc:
        return _render_detail(
            request,
            slug,
            refusal=_refusal(exc, f"The {label} was not deleted"),
            row_errors={f"{key}-delete": {row.pk: _messages_of(exc)}},
            status=400,
        )
    messages.success(request, message)
    return redirect(_detail_url(project, ROW_FORMS[key][3]))


@login_required
@require_POST
def project_kpi_edit(request: HttpRequest, slug: str, kpi_id: int) -> HttpResponse:
    def save(kpi: Any, data: dict[str, Any]) -> str:
        services.kpi_update(kpi=kpi, data=data, actor=request.user)
        return f"KPI {kpi.name} saved."

    return _row_edit_post(request, slug, "kpi", kpi_id, save)


@login_required
@require_POST
def project_kpi_delete(request: HttpRequest, slug: str, kpi_id: int) -> HttpResponse:
    def delete(kpi: Any) -> str:
        name = kpi.name
        services.kpi_delete(kpi=kpi, actor=request.user)
        return f"KPI {name} deleted."

    return _row_delete_post(request, slug, "kpi", kpi_id, delete)


@login_required
@require_POST
def project_milestone_edit(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    def save(milestone: Any, data: dict[str, Any]) -> str:
        services.milestone_update(milestone=milestone, data=data)
        reached = f", reached on {milestone.actual_date:%Y-%m-%d}" if milestone.actual_date else ""
        return f"Milestone {milestone.title} saved{reached}."

    return _row_edit_post(request, slug, "milestone", milestone_id, save)


@login_required
@require_POST
def project_milestone_delete(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    def delete(milestone: Any) -> str:
        title = milestone.title
        services.milestone_delete(milestone=milestone)
        return f"Milestone {title} deleted."

    return _row_delete_post(request, slug, "milestone", milestone_id, delete)


@login_required
@require_POST
def project_backlog_edit(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    def save(item: Any, data: dict[str, Any]) -> str:
        services.backlog_item_update(item=item, data=data)
        return f"Backlog item {item.title} saved ({item.get_status_display()})."

    return _row_edit_post(request, slug, "backlog", item_id, save)


@login_required
@require_POST
def project_backlog_status(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    """The quick status change of a backlog item, from its line."""
    project, item = _managed_row(request, slug, "backlog", item_id)
    form = BacklogStatusForm(request.POST)
    problems: list[str] = []
    refusal = None
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
    else:
        try:
            services.backlog_item_update(item=item, data={"status": form.cleaned_data["status"]})
        except ValidationError as exc:
            problems = _messages_of(exc)
            refusal = _refusal(exc, f"The status of the backlog item {item} was not changed")
    if problems:
        return _render_detail(
            request, slug, refusal=refusal, row_errors={"backlog-status": {item.pk: problems}}, status=400
        )
    messages.success(request, f"Backlog item {item.title} is now {item.get_status_display()}.")
    return redirect(_detail_url(project, "backlog-title"))


@login_required
@require_POST
def project_backlog_delete(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    def delete(item: Any) -> str:
        title = item.title
        services.backlog_item_delete(item=item)
        return f"Backlog item {title} deleted."

    return _row_delete_post(request, slug, "backlog", item_id, delete)
