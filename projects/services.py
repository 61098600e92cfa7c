"""Writes of the projects app. Views, serializers, forms, admin actions, tasks and demo data call these.

Every function is keyword-only, validates its input (``django.core.exceptions.ValidationError`` with
field errors) and runs in one transaction: a failure leaves the project as it was. Functions taking
``at`` (or ``now``) default to the current time; a past time is for demo data and backfills.

Who may call a write is decided by the caller with ``Project.access(user)`` /
``ProjectQuerySet.manageable_by`` and friends (the API's permissions, the pages). Two rules belong
to the lifecycle itself and are enforced here for every caller:

- only a project lead of the project (or a platform admin) moves its stage (``PermissionDenied``);
- a user signs a gate only for a role they hold on the project (a platform governance officer may
  sign the governance-officer role of any project).

**Sign-off invalidation.** A sign-off certifies the checklist as it was when given. Every write
that can change a pending gate's checklist (an answer, the project's details or KPIs, the team, the
risk screening, model links, a new template version) re-evaluates the gates not yet passed and
invalidates the sign-offs whose checklist changed, recording when and why.

``gate_requirements`` (a read, from ``projects.gates``) is re-exported here: the transition uses it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from catalog.services import validated_save
from projects import mlflow_sync, risk
from projects.gates import (
    GateIncomplete,
    certified_state,
    current_templates,
    describe_change,
    evaluate,
    gate_requirements,
    load_gate_context,
    lower_first,
)
from projects.models import (
    ABANDONABLE_FROM,
    CLOSED_STAGES,
    GATED_STAGES,
    STAGE_PATH,
    AutoCheck,
    BacklogItem,
    BacklogProfile,
    BacklogStatus,
    EvidenceKind,
    GateAnswer,
    GateChecklistItem,
    GateChecklistTemplate,
    GateCondition,
    GateSignOffRole,
    KPIDirection,
    KPIKind,
    Membership,
    Milestone,
    MlflowSyncState,
    ModelAlert,
    ModelAlertKind,
    ModelLink,
    ModelLinkSource,
    ModelVersion,
    Project,
    ProjectKPI,
    ProjectRole,
    RegisteredModel,
    RiskScreening,
    RunMetric,
    SignOff,
    Stage,
    StageTransition,
    gate_passed,
    is_platform_admin,
    is_platform_officer,
    next_stage,
    stages_before,
    write_stage_unchecked,
)
from projects.signals import (
    membership_changed,
    project_stage_changed,
    sign_off_given,
    sign_off_invalidated,
    sign_off_withdrawn,
)

__all__ = [
    "GateIncomplete",
    "StaleRefresh",
    "SyncSummary",
    "backlog_item_create",
    "backlog_item_delete",
    "backlog_item_update",
    "gate_answer_set",
    "gate_requirements",
    "gate_template_publish",
    "kpi_create",
    "kpi_delete",
    "kpi_update",
    "membership_add",
    "membership_end",
    "milestone_create",
    "milestone_delete",
    "milestone_update",
    "mlflow_sync_queue",
    "mlflow_sync_run",
    "model_alert_raise",
    "model_alert_resolve",
    "model_alerts_reconcile",
    "model_link_add",
    "model_link_remove",
    "model_metric_alerts_refresh",
    "project_create",
    "project_stale_refresh",
    "project_transition",
    "project_update",
    "risk_screening_record",
    "signoff_give",
    "signoff_roles_of",
    "signoff_withdraw",
]

logger = logging.getLogger(__name__)

PROJECT_FIELDS = {
    "name",
    "purpose",
    "description",
    "business_owner",
    "processes_personal_data",
    "value_rating",
    "risk_rating",
    "feasibility_rating",
}
KPI_FIELDS = {"kind", "name", "target", "unit", "direction", "current_value", "position"}
MILESTONE_FIELDS = {"title", "description", "target_date", "actual_date"}
BACKLOG_FIELDS = {"title", "description", "profile", "status", "position"}
STAGE_MESSAGE = "The stage changes only through a gate transition."


# --- Helpers -------------------------------------------------------------------------------------------


# Slugs the web pages use as paths under /projects/.
RESERVED_SLUGS = frozenset({"new"})


def _unique_slug(base: str) -> str:
    root = slugify(base)[:180] or "project"
    slug, n = root, 2
    while slug in RESERVED_SLUGS or Project.objects.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _apply(instance: Any, data: Mapping[str, Any], allowed: set[str]) -> None:
    errors = {}
    for name in sorted(set(data) - allowed):
        errors[name] = STAGE_MESSAGE if name in {"stage", "entered_stage_at"} else "This field cannot be set here."
    if errors:
        raise ValidationError(errors)
    for name, value in data.items():
        setattr(instance, name, value)


def _next_position(queryset: Any) -> int:
    """One after the highest ``position`` of ``queryset`` (0 when empty)."""
    highest = queryset.aggregate(m=Max("position"))["m"]
    return 0 if highest is None else highest + 1


def _check_open(project: Project) -> None:
    if project.stage in CLOSED_STAGES:
        raise ValidationError(f"The project is {Stage(project.stage).label.lower()}: its record is closed.")


def _choice(field_name: str, value: Any, choices: type[Any]) -> Any:
    try:
        return choices(value)
    except ValueError:
        raise ValidationError({field_name: f"Unknown value {value!r}."}) from None


def _gate(stage: Any, field_name: str = "stage") -> Stage:
    value = _choice(field_name, stage, Stage)
    if value not in GATED_STAGES:
        raise ValidationError({field_name: f"There is no gate into {value.label}."})
    return value


def _user_label(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "someone"


def _revalidate_signoffs(project: Project, *, at: datetime | None = None, cause: str = "") -> list[SignOff]:
    """Invalidate the valid sign-offs of gates not yet passed whose certified checklist changed."""
    if project.stage in CLOSED_STAGES:
        return []
    pending = list(
        SignOff.objects.filter(project=project, invalidated_at__isnull=True).select_related("user").order_by("pk")
    )
    pending = [s for s in pending if not gate_passed(project_stage=project.stage, gate=s.stage)]
    if not pending:
        return []
    at = at or timezone.now()
    context = load_gate_context(project, now=at)
    invalidated: list[SignOff] = []
    for stage in sorted({s.stage for s in pending}):
        requirements = evaluate(context, stage)
        current = certified_state(requirements)
        for sign_off in (s for s in pending if s.stage == stage):
            if sign_off.template_version == requirements.template.version and sign_off.checklist_state == current:
                continue
            reason = describe_change(sign_off.checklist_state, requirements)
            sign_off.invalidated_at = at
            sign_off.invalidation_reason = f"{reason[:-1]} ({cause})." if cause else reason
            sign_off.save(update_fields=["invalidated_at", "invalidation_reason"])
            sign_off_invalidated.send(sender=SignOff, sign_off=sign_off, actor=None)
            invalidated.append(sign_off)
    return invalidated


# --- Projects ----------------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    name: str,
    purpose: str,
    creator: AbstractBaseUser,
    business_owner: AbstractBaseUser | None = None,
    description: str = "",
    processes_personal_data: bool = False,
    value_rating: int | None = None,
    risk_rating: int | None = None,
    feasibility_rating: int | None = None,
    at: datetime | None = None,
) -> Project:
    """Create a project in Qualification. The creator becomes its project lead; the history starts
    with a "created" entry."""
    at = at or timezone.now()
    project = Project(
        name=name.strip(),
        purpose=purpose.strip(),
        description=description,
        business_owner=business_owner,
        processes_personal_data=processes_personal_data,
        value_rating=value_rating,
        risk_rating=risk_rating,
        feasibility_rating=feasibility_rating,
        created_by=creator,
        entered_stage_at=at,
    )
    project.slug = _unique_slug(project.name)
    validated_save(project)
    Membership.objects.create(
        project=project, user=creator, role=ProjectRole.PROJECT_LEAD, started_at=at, added_by=creator
    )
    StageTransition.objects.create(
        project=project, from_stage="", to_stage=Stage.QUALIFICATION, actor=creator, at=at, reason="Project created."
    )
    return project


@transaction.atomic
def project_update(*, project: Project, data: Mapping[str, Any], actor: AbstractBaseUser | None = None) -> Project:
    """Change the details of a project (``PROJECT_FIELDS``); never its stage."""
    _check_open(project)
    _apply(project, data, PROJECT_FIELDS)
    if "name" in data:
        project.name = project.name.strip()
    if "purpose" in data:
        project.purpose = project.purpose.strip()
    validated_save(project)
    _revalidate_signoffs(project, cause=f"project details changed by {_user_label(actor)}")
    return project


# --- Team --------------------------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *,
    project: Project,
    user: AbstractBaseUser,
    role: str,
    added_by: AbstractBaseUser,
    started_at: datetime | None = None,
) -> Membership:
    """Give ``user`` a role in the project, from ``started_at`` (now). A user may hold several roles,
    but not the same one twice at once."""
    role = _choice("role", role, ProjectRole)
    if not user.is_active:
        raise ValidationError({"user": f"{user.get_username()} is not an active user."})
    started_at = started_at or timezone.now()
    overlapping = project.memberships.filter(user=user, role=role).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=started_at)
    )
    if overlapping.exists():
        raise ValidationError({"user": f"{user.get_username()} already holds the role {role.label} on this project."})
    membership = Membership(project=project, user=user, role=role, started_at=started_at, added_by=added_by)
    validated_save(membership)
    membership_changed.send(sender=Membership, membership=membership, change="added", actor=added_by)
    _revalidate_signoffs(project, cause=f"{user.get_username()} joined as {role.label} (by {_user_label(added_by)})")
    return membership


@transaction.atomic
def membership_end(
    *,
    membership: Membership,
    ended_by: AbstractBaseUser,
    reason: str = "",
    at: datetime | None = None,
) -> Membership:
    """End a membership at ``at`` (now; not in the future). A planned membership (starting later) is
    cancelled: it ends when it starts, never active. Refused for the last active project lead: a
    project always has one. The row stays, with who ended it, when and why."""
    now = timezone.now()
    at = at or now
    if at > now:
        raise ValidationError({"ended_at": "A membership ends now or in the past."})
    Project.objects.select_for_update().filter(pk=membership.project_id).first()  # serialise team changes
    membership.refresh_from_db()
    if membership.ended_at is not None and membership.ended_at <= max(at, membership.started_at):
        raise ValidationError(f"This membership already ended on {membership.ended_at:%Y-%m-%d}.")
    if membership.started_at > now:
        at = membership.started_at  # cancelled before it starts
    elif at < membership.started_at:
        raise ValidationError({"ended_at": "A membership ends after it starts."})
    if membership.role == ProjectRole.PROJECT_LEAD:
        other_leads = (
            Membership.objects.active(at)
            .filter(project_id=membership.project_id, role=ProjectRole.PROJECT_LEAD)
            .exclude(pk=membership.pk)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        )
        if not other_leads.exists():
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: "A project always has an active project lead: "
                    "add another project lead before ending this one."
                }
            )
    membership.ended_at = at
    membership.ended_by = ended_by
    membership.end_reason = reason.strip()
    validated_save(membership)
    membership_changed.send(sender=Membership, membership=membership, change="ended", actor=ended_by)
    project = membership.project
    _revalidate_signoffs(
        project,
        at=now,
        cause=f"{membership.user.get_username()} left the role {ProjectRole(membership.role).label} "
        f"(by {_user_label(ended_by)})",
    )
    return membership


# --- KPIs --------------------------------------------------------------------------------------------


def _clean_kpi(kpi: ProjectKPI) -> None:
    kpi.name = kpi.name.strip()
    _choice("kind", kpi.kind, KPIKind)
    _choice("direction", kpi.direction, KPIDirection)


@transaction.atomic
def kpi_create(
    *,
    project: Project,
    kind: str,
    name: str,
    target: float,
    direction: str = KPIDirection.HIGHER,
    unit: str = "",
    current_value: float | None = None,
    position: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> ProjectKPI:
    """Add a business KPI or an ML metric with its target."""
    _check_open(project)
    if position is None:
        position = _next_position(project.kpis.filter(kind=kind))
    kpi = ProjectKPI(
        project=project,
        kind=kind,
        name=name,
        target=target,
        direction=direction,
        unit=unit,
        current_value=current_value,
        position=position,
    )
    _clean_kpi(kpi)
    validated_save(kpi)
    _revalidate_signoffs(project, cause=f"KPI '{kpi.name}' added by {_user_label(actor)}")
    return kpi


@transaction.atomic
def kpi_update(*, kpi: ProjectKPI, data: Mapping[str, Any], actor: AbstractBaseUser | None = None) -> ProjectKPI:
    _check_open(kpi.project)
    _apply(kpi, data, KPI_FIELDS)
    _clean_kpi(kpi)
    validated_save(kpi)
    _revalidate_signoffs(kpi.project, cause=f"KPI '{kpi.name}' changed by {_user_label(actor)}")
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: ProjectKPI, actor: AbstractBaseUser | None = None) -> None:
    project = kpi.project
    _check_open(project)
    name = kpi.name
    kpi.delete()
    _revalidate_signoffs(project, cause=f"KPI '{name}' removed by {_user_label(actor)}")


# --- Roadmap -----------------------------------------------------------------------------------------


def _apply_done(milestone: Milestone, data: dict[str, Any]) -> None:
    """``done`` in the data: true sets the actual date (today) unless given; false clears it."""
    if "done" not in data:
        return
    done = data.pop("done")
    if done and milestone.actual_date is None and data.get("actual_date") is None:
        data["actual_date"] = timezone.localdate()
    elif not done:
        data["actual_date"] = None


@transaction.atomic
def milestone_create(
    *,
    project: Project,
    title: str,
    target_date: date,
    description: str = "",
    actual_date: date | None = None,
) -> Milestone:
    _check_open(project)
    milestone = Milestone(
        project=project,
        title=title.strip(),
        target_date=target_date,
        description=description,
        actual_date=actual_date,
    )
    validated_save(milestone)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, data: Mapping[str, Any]) -> Milestone:
    """Change a milestone (``MILESTONE_FIELDS``). ``done: true`` records today as its actual date
    (unless one is given); ``done: false`` clears it."""
    _check_open(milestone.project)
    data = dict(data)
    _apply_done(milestone, data)
    _apply(milestone, data, MILESTONE_FIELDS)
    milestone.title = milestone.title.strip()
    validated_save(milestone)
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone) -> None:
    _check_open(milestone.project)
    milestone.delete()


@transaction.atomic
def backlog_item_create(
    *,
    project: Project,
    title: str,
    profile: str,
    status: str = BacklogStatus.TODO,
    description: str = "",
    position: int | None = None,
) -> BacklogItem:
    """Add a backlog item for a profile (data scientist, data engineer, ops...); at the end unless a
    position is given."""
    _check_open(project)
    _choice("profile", profile, BacklogProfile)
    _choice("status", status, BacklogStatus)
    if position is None:
        position = _next_position(project.backlog_items)
    item = BacklogItem(
        project=project,
        title=title.strip(),
        profile=profile,
        status=status,
        description=description,
        position=position,
    )
    validated_save(item)
    return item


@transaction.atomic
def backlog_item_update(*, item: BacklogItem, data: Mapping[str, Any]) -> BacklogItem:
    """Change a backlog item (``BACKLOG_FIELDS``): its status, profile, position..."""
    _check_open(item.project)
    _apply(item, data, BACKLOG_FIELDS)
    _choice("profile", item.profile, BacklogProfile)
    _choice("status", item.status, BacklogStatus)
    item.title = item.title.strip()
    validated_save(item)
    return item


@transaction.atomic
def backlog_item_delete(*, item: BacklogItem) -> None:
    _check_open(item.project)
    item.delete()


# --- Gate answers --------------------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


def _current_item(stage: Stage, key: str) -> GateChecklistItem:
    template = current_templates([stage]).get(stage)
    if template is None:
        raise ValidationError({"stage": f"No checklist template is published for the {stage.label} gate."})
    for item in template.items.all():
        if item.key == key:
            return item
    raise ValidationError({"key": f"The current {stage.label} checklist has no item {key!r}."})


@transaction.atomic
def gate_answer_set(
    *,
    project: Project,
    stage: str,
    key: str,
    answered_by: AbstractBaseUser,
    value_text: str = "",
    value_url: str = "",
    value_bool: bool | None = None,
    evidence_file: File | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> GateAnswer:
    """Answer the checklist item ``key`` of the current template of the gate into ``stage``.

    The value that counts depends on the item's evidence kind: ``value_text`` (text), ``value_url``
    (link, http or https), ``value_bool`` (yes/no; only "yes" satisfies the item) or
    ``evidence_file`` (file, at most ``UPLOAD_MAX_MB``). Values of the other kinds must be empty;
    ``comment`` goes with any kind. Answering again replaces the answer; if the value changed,
    sign-offs given for that gate are invalidated. Automatic items and the items of a gate already
    passed cannot be answered.
    """
    gate = _gate(stage)
    _check_open(project)
    if gate_passed(project_stage=project.stage, gate=gate):
        raise ValidationError(
            {"stage": f"The {gate.label} gate was passed: its answers are part of the project's history."}
        )
    item = _current_item(gate, key)
    kind = item.evidence_kind
    if kind == EvidenceKind.AUTOMATIC:
        check = lower_first(AutoCheck(item.auto_check).label)
        raise ValidationError({"key": f"'{item.label}' is checked from the project's data ({check})."})
    value_text, value_url = (value_text or "").strip(), (value_url or "").strip()
    provided = {
        "value_text": bool(value_text),
        "value_url": bool(value_url),
        "value_bool": value_bool is not None,
        "evidence_file": evidence_file is not None,
    }
    expected = {
        EvidenceKind.TEXT: "value_text",
        EvidenceKind.LINK: "value_url",
        EvidenceKind.YES_NO: "value_bool",
        EvidenceKind.FILE: "evidence_file",
    }[EvidenceKind(kind)]
    errors: dict[str, str] = {
        name: f"Not used by a {EvidenceKind(kind).label.lower()} item."
        for name, given in provided.items()
        if given and name != expected
    }
    if not provided[expected]:
        errors[expected] = f"'{item.label}' needs a {EvidenceKind(kind).label.lower()} answer."
    if kind == EvidenceKind.LINK and value_url:
        try:
            _url(value_url)
        except ValidationError:
            errors["value_url"] = "Enter a valid http or https URL."
    if evidence_file is not None:
        size = getattr(evidence_file, "size", None) or 0
        if size == 0:
            errors["evidence_file"] = "The file is empty."
        elif size > settings.UPLOAD_MAX_BYTES:
            errors["evidence_file"] = f"The file is larger than {settings.UPLOAD_MAX_MB} MB."
    if errors:
        raise ValidationError(errors)

    at = at or timezone.now()
    answer = GateAnswer.objects.filter(project=project, item=item).first()
    if answer is None:
        answer = GateAnswer(project=project, item=item)
    answer.value_text, answer.value_url, answer.value_bool = value_text, value_url, value_bool
    answer.comment = comment.strip()
    answer.answered_by, answer.answered_at = answered_by, at
    stored_name = None
    try:
        if evidence_file is not None:
            filename = (getattr(evidence_file, "name", "") or "evidence").rsplit("/", 1)[-1]
            answer.evidence_file.save(filename, evidence_file, save=False)
            stored_name = answer.evidence_file.name
        else:
            answer.evidence_file = ""  # type: ignore[assignment]
        validated_save(answer, exclude=["evidence_file"])
        _revalidate_signoffs(project, at=at, cause=f"answer to '{item.label}' changed by {_user_label(answered_by)}")
    except Exception:
        if stored_name:
            answer.evidence_file.storage.delete(stored_name)
        raise
    return answer


# --- Sign-offs ---------------------------------------------------------------------------------------


def signoff_roles_of(*, project: Project, user: AbstractBaseUser, at: datetime | None = None) -> set[ProjectRole]:
    """The roles ``user`` may sign for on ``project``: their active project roles, plus governance
    officer for platform governance officers."""
    if not user.is_authenticated:
        return set()
    roles = {ProjectRole(r) for r in project.memberships.active(at).filter(user=user).values_list("role", flat=True)}
    if is_platform_officer(user):
        roles.add(ProjectRole.GOVERNANCE_OFFICER)
    return roles


@transaction.atomic
def signoff_give(
    *,
    project: Project,
    role: str,
    user: AbstractBaseUser,
    comment: str = "",
    stage: str | None = None,
    at: datetime | None = None,
) -> SignOff:
    """Sign the project's next gate for ``role``.

    Refused unless: the project is open; ``stage`` (when given) is its next gate; the current
    template requires ``role`` for this project (conditions included); ``user`` holds the role
    (``signoff_roles_of``); no valid sign-off exists for the role; and the checklist is complete
    (a sign-off certifies a complete checklist; changing it later invalidates the sign-off).
    """
    at = at or timezone.now()
    Project.objects.select_for_update().filter(pk=project.pk).first()
    _check_open(project)
    gate = next_stage(project.stage)
    assert gate is not None  # open projects have a next stage
    if stage is not None and _gate(stage) != gate:
        raise ValidationError(
            {"stage": f"Sign-offs are given for the project's next gate only: {gate.label}, not {Stage(stage).label}."}
        )
    role = _choice("role", role, ProjectRole)
    requirements = gate_requirements(project=project, target_stage=gate, now=at)
    status = next((s for s in requirements.sign_offs if s.role == role), None)
    if status is None or not status.required:
        raise ValidationError({"role": f"{role.label} does not sign the {gate.label} gate of this project."})
    if role not in signoff_roles_of(project=project, user=user, at=at):
        raise ValidationError({"role": f"You do not hold the role {role.label} on this project."})
    if status.sign_off is not None:
        raise ValidationError(
            {
                "role": f"{role.label} already signed, by {status.sign_off.user.get_username()} on "
                f"{status.sign_off.signed_at:%Y-%m-%d}."
            }
        )
    if not requirements.checklist_complete:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: "Complete the checklist before signing.",
                "checklist": requirements.checklist_messages(),
            }
        )
    # An outdated sign-off still marked valid (its checklist changed without a recorded reason) is
    # invalidated now, so the new one can be the role's valid sign-off.
    for bad in status.invalid:
        if bad.sign_off.invalidated_at is None:
            bad.sign_off.invalidated_at = at
            bad.sign_off.invalidation_reason = bad.reason
            bad.sign_off.save(update_fields=["invalidated_at", "invalidation_reason"])
            sign_off_invalidated.send(sender=SignOff, sign_off=bad.sign_off, actor=user)
    sign_off = SignOff(
        project=project,
        stage=gate,
        template_version=requirements.template.version,
        role=role,
        user=user,
        signed_at=at,
        comment=comment.strip(),
        checklist_state=certified_state(requirements),
    )
    validated_save(sign_off)
    sign_off_given.send(sender=SignOff, sign_off=sign_off, actor=user)
    return sign_off


@transaction.atomic
def signoff_withdraw(
    *, sign_off: SignOff, user: AbstractBaseUser, reason: str = "", at: datetime | None = None
) -> SignOff:
    """The signer takes back their sign-off before the gate is passed. The row stays, invalidated."""
    at = at or timezone.now()
    if sign_off.user_id != user.pk:
        raise PermissionDenied("Only the person who signed can withdraw a sign-off.")
    if sign_off.invalidated_at is not None:
        raise ValidationError("This sign-off is no longer valid.")
    if gate_passed(project_stage=sign_off.project.stage, gate=sign_off.stage):
        raise ValidationError("The gate was passed: its sign-offs are part of the project's history.")
    sign_off.invalidated_at = at
    sign_off.invalidation_reason = f"Withdrawn by {user.get_username()}" + (f": {reason.strip()}" if reason else ".")
    sign_off.save(update_fields=["invalidated_at", "invalidation_reason"])
    sign_off_withdrawn.send(sender=SignOff, sign_off=sign_off, actor=user)
    return sign_off


# --- Transitions -------------------------------------------------------------------------------------


def _move_refused(current: Stage, target: Stage) -> ValidationError:
    if current in CLOSED_STAGES:
        why = f"the project is {current.label.lower()}; its stage no longer changes"
    elif target == current:
        why = "the project is already there"
    elif target == Stage.ABANDONED:
        why = "a project is abandoned only before Production; from Production it is retired through its gate"
    elif target == Stage.QUALIFICATION or STAGE_PATH.index(target) < STAGE_PATH.index(current):
        why = "a project never moves back"
    else:
        why = f"projects pass one gate at a time; the next one is {next_stage(current).label}"  # type: ignore[union-attr]
    allowed = [s.label for s in _allowed_targets(current)]
    tail = f" Allowed from here: {', '.join(allowed)}." if allowed else ""
    return ValidationError({"target_stage": f"Cannot move from {current.label} to {target.label}: {why}.{tail}"})


def _allowed_targets(current: Stage) -> list[Stage]:
    targets = [s for s in [next_stage(current)] if s is not None]
    if current in ABANDONABLE_FROM:
        targets.append(Stage.ABANDONED)
    return targets


def _may_move(project: Project, actor: AbstractBaseUser) -> bool:
    if is_platform_admin(actor):
        return True
    return project.memberships.active().filter(user=actor, role=ProjectRole.PROJECT_LEAD).exists()


def project_transition(
    *,
    project: Project,
    target_stage: str,
    actor: AbstractBaseUser,
    reason: str = "",
    at: datetime | None = None,
) -> StageTransition:
    """Move the project to ``target_stage`` and record it in its history.

    Allowed moves: forward one gate (Qualification → Exploration → Industrialization → Production →
    Retired) when the gate is complete: every applicable required checklist item satisfied and a valid
    sign-off for every required role (``gate_requirements``); or Abandoned from Qualification,
    Exploration or Industrialization, with a reason and no gate. Every other move is refused.

    A refused move raises ``ValidationError`` (``GateIncomplete`` for an incomplete gate, whose
    ``checklist`` and ``sign_offs`` messages say exactly what is missing) and changes nothing. Only a
    project lead of the project or a platform admin moves it (``PermissionDenied``). Once committed,
    ``projects.signals.project_stage_changed`` is sent.
    """
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        current = Stage(locked.stage)
        target = _choice("target_stage", target_stage, Stage)
        if not _may_move(locked, actor):
            raise PermissionDenied("Only a project lead of this project moves its stage.")
        now = timezone.now()
        at = at or now
        if at > now or at < locked.entered_stage_at:
            raise ValidationError({"at": "A transition is dated between the last one and now."})
        if target not in _allowed_targets(current):
            raise _move_refused(current, target)
        reason = reason.strip()
        if target == Stage.ABANDONED:
            if not reason:
                raise ValidationError({"reason": "Say why the project is abandoned."})
            template_version = None
            snapshot: dict[str, Any] = {"gate": None, "abandoned_from": current.value}
        else:
            requirements = gate_requirements(project=locked, target_stage=target, now=at)
            if not requirements.is_complete:
                raise GateIncomplete(requirements)
            template_version = requirements.template.version
            snapshot = requirements.snapshot()
        transition = StageTransition.objects.create(
            project=locked,
            from_stage=current,
            to_stage=target,
            actor=actor,
            at=at,
            reason=reason,
            template_version=template_version,
            snapshot=snapshot,
        )
        write_stage_unchecked(locked, stage=target, at=at)
        _sync_instance(project, locked)

        def _announce() -> None:
            results = project_stage_changed.send_robust(
                sender=Project,
                project=locked,
                from_stage=current,
                to_stage=target,
                actor=actor,
                transition=transition,
            )
            for receiver, result in results:
                if isinstance(result, Exception):
                    logger.error(
                        "project_stage_changed receiver %r failed for %s", receiver, locked.slug, exc_info=result
                    )

        transaction.on_commit(_announce)
    return transition


def _sync_instance(target: Project, source: Project) -> None:
    """Bring the caller's instance up to date with the stage just written."""
    target.stage, target.entered_stage_at = source.stage, source.entered_stage_at
    target.is_stale, target.stale_since = source.is_stale, source.stale_since
    target._remember_stage()


# --- Gate templates ------------------------------------------------------------------------------------

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _clean_template_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        raise ValidationError({"items": "A checklist needs at least one item."})
    clean, errors, seen = [], [], set()
    for index, raw in enumerate(items):
        key = str(raw.get("key", "")).strip()
        label = str(raw.get("label", "")).strip()
        kind = str(raw.get("evidence_kind", ""))
        auto = str(raw.get("auto_check") or "")
        condition = str(raw.get("condition") or GateCondition.ALWAYS)
        where = f"Item {index + 1}"
        if not _KEY.match(key) or len(key) > 64:
            errors.append(f"{where}: the key must be lowercase letters, digits, - or _ (64 at most).")
        elif key in seen:
            errors.append(f"{where}: the key {key!r} is used twice.")
        seen.add(key)
        if not label:
            errors.append(f"{where}: a label is required.")
        if kind not in EvidenceKind.values:
            errors.append(f"{where}: unknown evidence kind {kind!r}.")
        elif (kind == EvidenceKind.AUTOMATIC) != bool(auto):
            errors.append(f"{where}: automatic items, and only they, name their automatic check.")
        if auto and auto not in AutoCheck.values:
            errors.append(f"{where}: unknown automatic check {auto!r}.")
        if condition not in GateCondition.values:
            errors.append(f"{where}: unknown condition {condition!r}.")
        clean.append(
            {
                "key": key,
                "label": label[:255],
                "help_text": str(raw.get("help_text") or ""),
                "evidence_kind": kind,
                "auto_check": auto,
                "required": bool(raw.get("required", True)),
                "condition": condition,
                "position": index,
            }
        )
    if errors:
        raise ValidationError({"items": errors})
    return clean


def _clean_template_roles(roles: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not roles:
        raise ValidationError({"sign_off_roles": "A gate needs at least one sign-off role."})
    clean, errors, seen = [], [], set()
    for index, raw in enumerate(roles):
        role = str(raw.get("role", ""))
        condition = str(raw.get("condition") or GateCondition.ALWAYS)
        if role not in ProjectRole.values:
            errors.append(f"Sign-off {index + 1}: unknown role {role!r}.")
        if condition not in GateCondition.values:
            errors.append(f"Sign-off {index + 1}: unknown condition {condition!r}.")
        if (role, condition) in seen:
            errors.append(f"Sign-off {index + 1}: {role} under {condition} is listed twice.")
        seen.add((role, condition))
        clean.append({"role": role, "condition": condition, "position": index})
    if errors:
        raise ValidationError({"sign_off_roles": errors})
    return clean


@transaction.atomic
def gate_template_publish(
    *,
    stage: str,
    items: Sequence[Mapping[str, Any]],
    sign_off_roles: Sequence[Mapping[str, Any]],
    published_by: AbstractBaseUser | None,
    notes: str = "",
    at: datetime | None = None,
) -> GateChecklistTemplate:
    """Publish version n+1 of the gate into ``stage``.

    ``items``: dicts of ``key``, ``label``, ``evidence_kind`` and optionally ``help_text``,
    ``auto_check`` (automatic items), ``required`` (true) and ``condition`` (always), in order.
    ``sign_off_roles``: dicts of ``role`` and optionally ``condition``. Earlier versions stay as they
    are: past answers and decisions keep pointing to them. Valid sign-offs of this gate on projects
    that have not passed it are invalidated (they certified the previous checklist); answers carry
    over by key when the evidence kind is unchanged.
    """
    gate = _gate(stage)
    clean_items = _clean_template_items(items)
    clean_roles = _clean_template_roles(sign_off_roles)
    at = at or timezone.now()
    list(GateChecklistTemplate.objects.select_for_update().filter(gate=gate).values_list("pk", flat=True))
    version = (GateChecklistTemplate.objects.filter(gate=gate).aggregate(m=Max("version"))["m"] or 0) + 1
    try:
        template = GateChecklistTemplate.objects.create(
            gate=gate, version=version, notes=notes.strip(), published_at=at, published_by=published_by
        )
    except IntegrityError:
        raise ValidationError("Another version of this gate was published at the same time; try again.") from None
    GateChecklistItem.objects.bulk_create(GateChecklistItem(template=template, **item) for item in clean_items)
    GateSignOffRole.objects.bulk_create(GateSignOffRole(template=template, **role) for role in clean_roles)
    SignOff.objects.filter(
        stage=gate, invalidated_at__isnull=True, project__stage__in=stages_before(gate), template_version__lt=version
    ).update(
        invalidated_at=at,
        invalidation_reason=f"The checklist changed after signing: checklist template v{version} published.",
    )
    return template


# --- Risk screening and models -----------------------------------------------------------------------


@transaction.atomic
def risk_screening_record(
    *,
    project: Project,
    answers: Mapping[str, Any],
    screened_by: AbstractBaseUser,
    comment: str = "",
    at: datetime | None = None,
) -> RiskScreening:
    """Record a risk screening: the answers to ``projects.risk.QUESTIONS`` (all of them, yes/no); the
    AI Act tier and the DPIA decision are computed. It becomes the project's current screening."""
    _check_open(project)
    result = risk.screen(answers)
    screening = RiskScreening(
        project=project,
        questionnaire_version=risk.QUESTIONNAIRE_VERSION,
        answers=risk.validate_answers(answers),
        ai_act_tier=result.ai_act_tier,
        ai_act_reasons=result.ai_act_reasons,
        dpia_required=result.dpia_required,
        dpia_reasons=result.dpia_reasons,
        comment=comment.strip(),
        screened_by=screened_by,
        screened_at=at or timezone.now(),
    )
    validated_save(screening)
    _revalidate_signoffs(project, at=screening.screened_at, cause=f"risk screening by {_user_label(screened_by)}")
    return screening


@transaction.atomic
def model_link_add(
    *,
    project: Project,
    registered_model_name: str,
    linked_by: AbstractBaseUser | None,
    source: str = ModelLinkSource.MANUAL,
    at: datetime | None = None,
) -> ModelLink:
    """Link the project to an MLflow registered model, by name (``source``: manual, or tag for the
    MLflow sync)."""
    _check_open(project)
    name = registered_model_name.strip()
    _choice("source", source, ModelLinkSource)
    if not name:
        raise ValidationError({"registered_model_name": "Give the registered model's name."})
    if project.model_links.active().filter(registered_model_name=name).exists():
        raise ValidationError({"registered_model_name": f"The project is already linked to {name}."})
    link = ModelLink(
        project=project, registered_model_name=name, source=source, linked_by=linked_by, linked_at=at or timezone.now()
    )
    validated_save(link)
    _revalidate_signoffs(project, cause=f"model {name} linked by {_user_label(linked_by)}")
    return link


@transaction.atomic
def model_link_remove(*, link: ModelLink, removed_by: AbstractBaseUser | None, at: datetime | None = None) -> ModelLink:
    """Remove a model link; the row stays with when and by whom."""
    if link.unlinked_at is not None:
        raise ValidationError("This model link was already removed.")
    link.unlinked_at = at or timezone.now()
    link.unlinked_by = removed_by
    link.save(update_fields=["unlinked_at", "unlinked_by"])
    _revalidate_signoffs(
        link.project, cause=f"model {link.registered_model_name} unlinked by {_user_label(removed_by)}"
    )
    return link


# --- Stale POCs --------------------------------------------------------------------------------------


@dataclass
class StaleRefresh:
    flagged: list[str] = field(default_factory=list)  # slugs newly flagged stale
    cleared: list[str] = field(default_factory=list)  # slugs no longer stale
    stale: int = 0  # projects stale after the refresh


@transaction.atomic
def project_stale_refresh(*, now: datetime | None = None) -> StaleRefresh:
    """Flag the stale POCs: projects in Exploration for longer than ``settings.STALE_POC_DAYS`` without a
    gate decision (any transition out of Exploration clears the flag). ``stale_since`` is when the limit
    was crossed. Idempotent: run it daily (``projects.tasks.projects_flag_stale``) or as often as wanted."""
    now = now or timezone.now()
    limit = timedelta(days=settings.STALE_POC_DAYS)
    stale_q = Q(stage=Stage.EXPLORATION, entered_stage_at__lte=now - limit)
    result = StaleRefresh()
    for project in Project.objects.filter(stale_q, is_stale=False).only("pk", "slug", "entered_stage_at"):
        Project.objects.filter(pk=project.pk).update(is_stale=True, stale_since=project.entered_stage_at + limit)
        result.flagged.append(project.slug)
    cleared = Project.objects.filter(is_stale=True).exclude(stale_q)
    result.cleared = list(cleared.values_list("slug", flat=True))
    cleared.update(is_stale=False, stale_since=None)
    result.stale = Project.objects.filter(is_stale=True).count()
    return result


# --- MLflow sync and model alerts (issue 7) ------------------------------------------------------------


@dataclass
class SyncSummary:
    """What one MLflow sync did (``mlflow_sync_run``)."""

    full: bool
    duration_s: float
    calls: int  # calls to MLflow (HTTP requests against a tracking server)
    calls_by_kind: dict[str, int]
    models_seen: int
    models_created: int
    models_updated: int
    models_deleted: int
    aliases_changed: int
    versions_created: int
    versions_updated: int
    versions_deleted: int
    runs_read: int
    links_added: list[str] = field(default_factory=list)  # "project-slug:model name"
    links_removed: list[str] = field(default_factory=list)
    alerts_raised: int = 0
    alerts_resolved: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sync_state_locked() -> MlflowSyncState:
    MlflowSyncState.objects.get_or_create(key="default")
    return MlflowSyncState.objects.select_for_update().get(key="default")


@transaction.atomic
def _sync_state_failed(*, error: str, at: datetime) -> None:
    state = _sync_state_locked()
    state.last_attempt_at, state.last_error, state.last_error_at = at, error[:4000], at
    state.save(update_fields=["last_attempt_at", "last_error", "last_error_at"])


def _revalidate_signoffs_of_linked_projects(*, at: datetime) -> None:
    """A sync that adds a model's first version or removes its last one changes what a gate's
    "registered model version" item certifies: the sign-offs given before are invalidated, as for any
    other checklist change. Only open projects with a linked model and a valid sign-off are read."""
    linked = ModelLink.objects.active().values("project_id")
    projects = (
        Project.objects.filter(pk__in=linked, sign_offs__invalidated_at__isnull=True)
        .exclude(stage__in=CLOSED_STAGES)
        .distinct()
    )
    for project in projects:
        _revalidate_signoffs(project, at=at, cause="model versions synced from MLflow")


def mlflow_sync_run(
    *, full: bool, now: datetime | None = None, client: mlflow_sync.CountingClient | None = None
) -> SyncSummary:
    """Sync the MLflow registry (``projects.mlflow_sync``): read MLflow, then write everything in one
    transaction, link the models tagged ``MLFLOW_PROJECT_TAG=<project slug>`` to their project, and
    raise or resolve the metric alerts. ``full`` also reads unchanged models and finds deleted versions.

    When MLflow cannot be read the failure is recorded (``MlflowSyncState.last_error``), nothing else
    is written, and ``mlflow_sync.MlflowUnavailable`` is raised (the task retries with backoff)."""
    now = now or timezone.now()
    started = time.monotonic()
    try:
        snapshot = mlflow_sync.fetch(full=full, client=client)
    except mlflow_sync.MlflowUnavailable as exc:
        _sync_state_failed(error=str(exc), at=now)
        raise
    with transaction.atomic():
        state = _sync_state_locked()
        counts = mlflow_sync.apply(snapshot, now=now)
        added, removed = _model_tag_links_refresh(at=now)
        if counts.versions_created or counts.versions_deleted or counts.models_deleted or added or removed:
            _revalidate_signoffs_of_linked_projects(at=now)
        raised, resolved = model_metric_alerts_refresh(at=now)
        summary = SyncSummary(
            full=full,
            duration_s=round(time.monotonic() - started, 3),
            calls=snapshot.call_count,
            calls_by_kind=dict(snapshot.calls),
            links_added=added,
            links_removed=removed,
            alerts_raised=raised,
            alerts_resolved=resolved,
            **counts.__dict__,
        )
        state.watermark_ms = max([state.watermark_ms, *(m.last_updated_ms for m in snapshot.models)])
        state.last_attempt_at = state.last_success_at = now
        state.last_error, state.last_error_at = "", None
        if full:
            state.last_full_at = now
        state.counts = summary.as_dict()
        state.save()
    return summary


MLFLOW_SYNC_TASK = "projects.mlflow_sync"  # defined in workers.mlflow_tasks (CELERY_IMPORTS)


def mlflow_sync_queue(*, full: bool) -> None:
    """Queue the MLflow sync task once the caller's transaction commits (the "sync now" action). The
    task is found by name: projects never imports workers (which imports governance). In the embedded
    default (no broker) it runs in-process; a failure there is logged, and recorded by the sync."""

    def send() -> None:
        from celery import current_app

        if current_app.conf.task_always_eager:
            current_app.loader.import_default_modules()  # registers the CELERY_IMPORTS tasks
            current_app.tasks[MLFLOW_SYNC_TASK].apply_async(kwargs={"full": full})
        else:
            current_app.send_task(MLFLOW_SYNC_TASK, kwargs={"full": full})

    transaction.on_commit(send, robust=True)


def _model_tag_links_refresh(*, at: datetime) -> tuple[list[str], list[str]]:
    """Link each registered model tagged ``MLFLOW_PROJECT_TAG=<slug>`` to that project (source: tag);
    remove the tag links whose model no longer carries the project's tag (or is gone from MLflow)."""
    key = settings.MLFLOW_PROJECT_TAG
    tagged = {
        name: str(tags.get(key, "")).strip()
        for name, tags in RegisteredModel.objects.filter(deleted_at__isnull=True, tags__has_key=key).values_list(
            "name", "tags"
        )
    }
    projects = {p.slug: p for p in Project.objects.filter(slug__in=set(tagged.values()))}
    active = {
        (link.project_id, link.registered_model_name): link
        for link in ModelLink.objects.active().select_related("project")
    }
    added, removed = [], []
    for name, slug in sorted(tagged.items()):
        project = projects.get(slug)
        if project is None or project.is_closed or (project.pk, name) in active:
            continue
        model_link_add(project=project, registered_model_name=name, linked_by=None, source=ModelLinkSource.TAG, at=at)
        added.append(f"{slug}:{name}")
    for (_, name), link in active.items():
        if link.source == ModelLinkSource.TAG and tagged.get(name) != link.project.slug:
            model_link_remove(link=link, removed_by=None, at=at)
            removed.append(f"{link.project.slug}:{name}")
    return added, removed


def _alert_recipients(project: Project) -> list[Any]:
    """The project's leads and governance officers, and the platform's governance officers."""
    from django.contrib.auth import get_user_model

    from catalog.roles import Role, group_name

    roles = (ProjectRole.PROJECT_LEAD, ProjectRole.GOVERNANCE_OFFICER)
    members = project.memberships.active().filter(role__in=roles).values("user_id")
    users = get_user_model().objects.filter(
        Q(pk__in=members) | Q(groups__name=group_name(Role.GOVERNANCE_OFFICER)), is_active=True
    )
    return list(users.distinct().order_by("pk"))


@transaction.atomic
def model_alert_raise(
    *, project: Project, model_version: ModelVersion, kind: str, message: str, at: datetime | None = None
) -> tuple[ModelAlert, bool]:
    """Raise an alert on a project's model version, to its leads and the governance officers. Idempotent:
    while an alert of that kind is open on the version, it is returned (its message refreshed) and
    ``created`` is False."""
    _choice("kind", kind, ModelAlertKind)
    if not message.strip():
        raise ValidationError({"message": "Say what the alert is about."})
    alert = ModelAlert.objects.open().filter(project=project, model_version=model_version, kind=kind).first()
    if alert is not None:
        if alert.message != message:
            alert.message = message
            alert.save(update_fields=["message"])
        return alert, False
    alert = ModelAlert.objects.create(
        project=project, model_version=model_version, kind=kind, message=message, raised_at=at or timezone.now()
    )
    alert.recipients.set(_alert_recipients(project))
    logger.warning("Model alert on %s: %s", project.slug, message)
    return alert, True


@transaction.atomic
def model_alert_resolve(*, alert: ModelAlert, at: datetime | None = None) -> ModelAlert:
    """Close an alert whose cause is gone (the sync calls it; it stays in the history)."""
    if alert.resolved_at is not None:
        raise ValidationError("This alert is already resolved.")
    alert.resolved_at = at or timezone.now()
    alert.save(update_fields=["resolved_at"])
    return alert


def model_alerts_reconcile(
    *, kind: str, wanted: Mapping[tuple[int, int], str], at: datetime, scope: set[int] | None = None
) -> tuple[list[ModelAlert], list[ModelAlert]]:
    """Make the open alerts of ``kind`` exactly ``wanted`` ((project id, version id) -> message): raise
    the missing ones, resolve the others (within the projects of ``scope`` when given). Returns the
    alerts newly raised and those resolved."""
    projects = {p.pk: p for p in Project.objects.filter(pk__in={p for p, _ in wanted})}
    versions = {v.pk: v for v in ModelVersion.objects.filter(pk__in={v for _, v in wanted})}
    raised = []
    for (project_id, version_id), message in sorted(wanted.items()):
        alert, created = model_alert_raise(
            project=projects[project_id], model_version=versions[version_id], kind=kind, message=message, at=at
        )
        if created:
            raised.append(alert)
    resolved = []
    stale = ModelAlert.objects.open().filter(kind=kind).select_related("project", "model_version")
    if scope is not None:
        stale = stale.filter(project_id__in=scope)
    for alert in stale:
        if (alert.project_id, alert.model_version_id) not in wanted:
            resolved.append(model_alert_resolve(alert=alert, at=at))
    return raised, resolved


def model_metric_alerts_refresh(*, at: datetime | None = None) -> tuple[int, int]:
    """Flag the linked model versions whose run misses an ML-metric target of their project (the KPI of
    kind ML metric whose name matches the metric's key, see ``selectors.metric_kpi_key``): the versions
    under an alias and the latest version of each model. Returns (raised, resolved)."""
    from projects.selectors import metric_kpi_key, metric_misses_target, watched_model_versions

    at = at or timezone.now()
    wanted: dict[tuple[int, int], str] = {}
    kpis: dict[int, dict[str, ProjectKPI]] = {}
    for kpi in ProjectKPI.objects.filter(kind=KPIKind.ML):
        kpis.setdefault(kpi.project_id, {})[metric_kpi_key(kpi.name)] = kpi
    watched = watched_model_versions(project_ids=set(kpis))
    metrics: dict[str, list[RunMetric]] = {}
    for metric in RunMetric.objects.filter(run_id__in={v.run_id for _, v in watched if v.run_id}):
        metrics.setdefault(metric.run_id, []).append(metric)
    for project, version in watched:
        for metric in metrics.get(version.run_id, []):
            kpi = kpis[project.pk].get(metric_kpi_key(metric.key))
            if kpi is not None and metric_misses_target(kpi, metric.value):
                wanted[(project.pk, version.pk)] = (
                    f"{version} has {metric.key} = {metric.value:g}, below the target of {kpi.name} "
                    f"({'at least' if kpi.direction == KPIDirection.HIGHER else 'at most'} {kpi.target:g})."
                )
    raised, resolved = model_alerts_reconcile(kind=ModelAlertKind.METRIC_BELOW_TARGET, wanted=wanted, at=at)
    return len(raised), len(resolved)
