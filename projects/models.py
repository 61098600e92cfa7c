"""Projects domain: lifecycle, gates, sign-offs, team, roadmap, risk screening (PRODUCT.md §2, §3).

The stage of a project is guarded: it changes only through ``projects.services.project_transition``,
which checks the gate and records a ``StageTransition``. ``Project.save()`` refuses a changed stage,
``ProjectQuerySet.update()`` refuses the stage fields, and the admin shows the stage read-only. The
one low-level writer, ``write_stage_unchecked``, is private to the transition service (and the test
factories).

Gate checklists are data (``GateChecklistTemplate`` with ``GateChecklistItem`` rows and the
``GateSignOffRole`` rows of who must sign), versioned: a template is never edited, a new version is
published instead (``projects.services.gate_template_publish``). Answers point to the item of the
version they were given for; sign-offs record the template version and the checklist state they
certified; a transition stores a JSON snapshot of the whole gate, so a later template change never
rewrites a past decision.

Who may read or change a project is decided here too (``ProjectQuerySet.readable_by`` and friends,
``Project.access``), so the API and the pages apply the same rules:

- a project lead of the project (active membership with the role) manages it: details, team, KPIs,
  roadmap, answers, risk screening, model links, transitions; platform admins may do the same;
- active members (any project role) read everything, answer checklist items, record risk screenings,
  link models, and sign for the roles they hold;
- platform governance officers read every project and sign the governance-officer role of any gate;
- any other authenticated user sees a summary (name, stage, purpose, leads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

User = AbstractBaseUser | AnonymousUser

# --- Choices -------------------------------------------------------------------------------------


class Stage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    EXPLORATION = "exploration", "Exploration (POC)"
    INDUSTRIALIZATION = "industrialization", "Industrialization"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"
    ABANDONED = "abandoned", "Abandoned"


# The forward path; each stage after the first is entered through its gate.
STAGE_PATH: tuple[Stage, ...] = (
    Stage.QUALIFICATION,
    Stage.EXPLORATION,
    Stage.INDUSTRIALIZATION,
    Stage.PRODUCTION,
    Stage.RETIRED,
)
GATED_STAGES: tuple[Stage, ...] = STAGE_PATH[1:]
ABANDONABLE_FROM: tuple[Stage, ...] = (Stage.QUALIFICATION, Stage.EXPLORATION, Stage.INDUSTRIALIZATION)
CLOSED_STAGES: tuple[Stage, ...] = (Stage.RETIRED, Stage.ABANDONED)


def next_stage(stage: str) -> Stage | None:
    """The stage after ``stage`` on the forward path (``None`` for Retired and Abandoned)."""
    if stage not in STAGE_PATH:
        return None
    index = STAGE_PATH.index(Stage(stage))
    return STAGE_PATH[index + 1] if index + 1 < len(STAGE_PATH) else None


def gate_passed(*, project_stage: str, gate: str) -> bool:
    """Whether a project in ``project_stage`` has passed the gate into ``gate``."""
    if project_stage == Stage.ABANDONED or project_stage not in STAGE_PATH or gate not in STAGE_PATH:
        return False
    return STAGE_PATH.index(Stage(project_stage)) >= STAGE_PATH.index(Stage(gate))


def stages_before(gate: str) -> list[Stage]:
    """Stages of projects that have not passed ``gate`` yet and still may (Abandoned excluded)."""
    return list(STAGE_PATH[: STAGE_PATH.index(Stage(gate))])


class ProjectRole(models.TextChoices):
    """Role of a person in one project (platform roles are ``catalog.roles.Role``)."""

    PROJECT_LEAD = "project_lead", "Project lead"
    DATA_SCIENTIST = "data_scientist", "Data scientist"
    DATA_ENGINEER = "data_engineer", "Data engineer"
    ML_ENGINEER = "ml_engineer", "ML engineer"
    SECURITY = "security", "Security"
    OPERATIONS = "operations", "Operations"
    BUSINESS_OWNER = "business_owner", "Business owner"
    GOVERNANCE_OFFICER = "governance_officer", "Governance officer"


class KPIKind(models.TextChoices):
    BUSINESS = "business", "Business KPI"
    ML = "ml", "ML metric"


class KPIDirection(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class EvidenceKind(models.TextChoices):
    TEXT = "text", "Text"
    LINK = "link", "Link"
    FILE = "file", "File"
    YES_NO = "yes_no", "Yes / no"
    AUTOMATIC = "automatic", "Checked from the project's data"


class AutoCheck(models.TextChoices):
    """Checklist items satisfied by the project's own data rather than by an answer (``projects.gates``)."""

    PURPOSE_AND_OWNER = "purpose_and_business_owner", "Purpose and business owner recorded on the project"
    KPIS = "kpis_with_targets", "A business KPI and an ML metric, each with a target"
    RATINGS = "ratings", "Value, risk and feasibility rated"
    AI_ACT_SCREENING = "ai_act_screening", "AI Act screening recorded, not a prohibited practice"
    DPIA_SCREENING = "dpia_screening", "DPIA screening recorded"
    CORE_TEAM = "core_team", "Project lead, data scientist and business owner assigned"
    REGISTERED_MODEL = "registered_model", "An MLflow registered model linked"


class GateCondition(models.TextChoices):
    """When a checklist item or a sign-off role applies (``projects.gates.gate_conditions``)."""

    ALWAYS = "always", "Always"
    HIGH_RISK = "high_risk", "When the AI Act screening says high-risk"
    PERSONAL_DATA = "personal_data", "When the project uses personal data"
    DPIA_REQUIRED = "dpia_required", "When the DPIA screening says a DPIA is required"


class BacklogProfile(models.TextChoices):
    DATA_SCIENTIST = "data_scientist", "Data scientist"
    DATA_ENGINEER = "data_engineer", "Data engineer"
    OPS = "ops", "Ops"
    ML_ENGINEER = "ml_engineer", "ML engineer"
    BUSINESS = "business", "Business"
    GOVERNANCE = "governance", "Governance"


class BacklogStatus(models.TextChoices):
    TODO = "todo", "To do"
    DOING = "doing", "Doing"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"


class AIActTier(models.TextChoices):
    """Risk tier under the EU AI Act (Regulation (EU) 2024/1689), in increasing order."""

    MINIMAL = "minimal", "Minimal risk"
    LIMITED = "limited", "Limited risk (transparency, Art. 50)"
    HIGH = "high", "High-risk (Annex III)"
    PROHIBITED = "prohibited", "Prohibited practice (Art. 5)"


class ModelLinkSource(models.TextChoices):
    MANUAL = "manual", "Linked by hand"
    TAG = "tag", "Found by its MLflow tag"


# --- Access --------------------------------------------------------------------------------------


def _platform_roles(user: User) -> set[str]:
    from catalog.roles import user_roles

    cached = getattr(user, "_cadastre_platform_roles", None)
    if cached is None:
        cached = {str(r) for r in user_roles(user)}
        if user.is_authenticated:
            user._cadastre_platform_roles = cached  # type: ignore[union-attr]
    return cached


def is_platform_admin(user: User) -> bool:
    from catalog.roles import Role

    return Role.ADMIN.value in _platform_roles(user)


def is_platform_officer(user: User) -> bool:
    from catalog.roles import Role

    return Role.GOVERNANCE_OFFICER.value in _platform_roles(user)


def can_create_project(user: User) -> bool:
    """Project leads, data scientists and admins (platform roles) start projects."""
    from catalog.roles import Role

    return bool(_platform_roles(user) & {Role.PROJECT_LEAD.value, Role.DATA_SCIENTIST.value, Role.ADMIN.value})


@dataclass(frozen=True)
class ProjectAccess:
    """What one user may do on one project (see the module docstring for the rules)."""

    can_read: bool  # the full record; otherwise only the summary
    can_contribute: bool  # answer checklist items, record risk screenings, link models
    can_manage: bool  # details, team, KPIs, roadmap, transitions
    member_roles: frozenset[str]  # active project roles
    sign_roles: frozenset[str]  # roles the user may sign gates for

    @property
    def can_sign(self) -> bool:
        return bool(self.sign_roles)


class ProjectQuerySet(models.QuerySet["Project"]):
    def update(self, **kwargs: Any) -> int:
        """Like ``QuerySet.update``, but never the stage: that is the transition service's."""
        locked = sorted(STAGE_FIELDS & set(kwargs))
        if locked:
            raise ValidationError({name: STAGE_LOCKED_MESSAGE for name in locked})
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        locked = sorted(STAGE_FIELDS & set(fields))
        if locked:  # refused before any query, like ``update``
            raise ValidationError({name: STAGE_LOCKED_MESSAGE for name in locked})
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def _write_stage(self, **kwargs: Any) -> int:
        return super().update(**kwargs)

    def visible_to(self, user: User) -> ProjectQuerySet:
        """Projects ``user`` sees at least as a summary: all of them for any authenticated user."""
        return self if user.is_authenticated else self.none()

    def readable_by(self, user: User) -> ProjectQuerySet:
        """Projects whose full record ``user`` reads: admins and governance officers all, others
        those they are an active member of."""
        if not user.is_authenticated:
            return self.none()
        if is_platform_admin(user) or is_platform_officer(user):
            return self
        return self.filter(pk__in=Membership.objects.active().filter(user=user).values("project_id"))

    def contributable_by(self, user: User) -> ProjectQuerySet:
        """Projects where ``user`` may answer checklist items, screen risks and link models."""
        if not user.is_authenticated:
            return self.none()
        if is_platform_admin(user):
            return self
        return self.filter(pk__in=Membership.objects.active().filter(user=user).values("project_id"))

    def manageable_by(self, user: User) -> ProjectQuerySet:
        """Projects ``user`` manages: those they lead (active project-lead membership); admins all."""
        if not user.is_authenticated:
            return self.none()
        if is_platform_admin(user):
            return self
        leads = Membership.objects.active().filter(user=user, role=ProjectRole.PROJECT_LEAD)
        return self.filter(pk__in=leads.values("project_id"))

    def member_of(self, user: User) -> ProjectQuerySet:
        """Projects ``user`` is an active member of (any role)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Membership.objects.active().filter(user=user).values("project_id"))


STAGE_FIELDS = frozenset({"stage", "entered_stage_at"})
STAGE_LOCKED_MESSAGE = "The stage changes only through a gate transition (projects.services.project_transition)."


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    purpose = models.TextField(
        help_text="The purpose of the processing (GDPR Art. 5(1)(b)): what the project does with the data, and why."
    )
    description = models.TextField(blank=True)
    business_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_owned_projects",
    )
    processes_personal_data = models.BooleanField(
        default=False,
        help_text="Declared by the team. The project also counts as using personal data when its risk "
        "screening says so (see Project.uses_personal_data).",
    )
    value_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (low) to 5 (high)."
    )
    risk_rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (low risk) to 5 (high risk).",
    )
    feasibility_rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (hard) to 5 (easy).",
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUALIFICATION, editable=False)
    entered_stage_at = models.DateTimeField(default=timezone.now, editable=False)
    is_stale = models.BooleanField(
        default=False, editable=False, help_text="Exploration for longer than STALE_POC_DAYS without a gate decision."
    )
    stale_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["stage", "entered_stage_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_rating__isnull=True) | Q(value_rating__gte=1, value_rating__lte=5),
                name="project_value_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(risk_rating__isnull=True) | Q(risk_rating__gte=1, risk_rating__lte=5),
                name="project_risk_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(feasibility_rating__isnull=True) | Q(feasibility_rating__gte=1, feasibility_rating__lte=5),
                name="project_feasibility_rating_1_to_5",
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="project_stage_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    # --- the stage guard ---

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save everything but the stage, which only ``project_transition`` changes."""
        if self._state.adding:
            if self.stage != Stage.QUALIFICATION:
                raise ValidationError({"stage": "A project starts in Qualification. " + STAGE_LOCKED_MESSAGE})
            super().save(*args, **kwargs)
            self._remember_stage()
            return
        saved = getattr(self, "_saved_stage", None)
        if saved is not None and (self.__dict__.get("stage"), self.__dict__.get("entered_stage_at")) != saved:
            raise ValidationError({"stage": STAGE_LOCKED_MESSAGE})
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in STAGE_FIELDS
            ]
        elif STAGE_FIELDS & set(update_fields):
            raise ValidationError({"stage": STAGE_LOCKED_MESSAGE})
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Project:
        instance = super().from_db(db, field_names, values)
        instance._remember_stage()
        return instance

    def _remember_stage(self) -> None:
        self._saved_stage = (self.__dict__.get("stage"), self.__dict__.get("entered_stage_at"))

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_stage()

    # --- derived values ---

    def days_in_stage(self, now: datetime | None = None) -> int:
        """Whole days since the project entered its current stage."""
        return max(0, ((now or timezone.now()) - self.entered_stage_at).days)

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def next_stage(self) -> Stage | None:
        return next_stage(self.stage)

    @property
    def allowed_targets(self) -> list[Stage]:
        """The moves ``project_transition`` may accept from here (each still subject to its gate)."""
        targets = [s for s in [next_stage(self.stage)] if s is not None]
        if self.stage in ABANDONABLE_FROM:
            targets.append(Stage.ABANDONED)
        return targets

    @property
    def leads(self) -> list[Any]:
        """Users with an active project-lead membership (uses ``active_lead_memberships`` when prefetched)."""
        memberships = getattr(self, "active_lead_memberships", None)
        if memberships is None:
            memberships = list(self.memberships.active().filter(role=ProjectRole.PROJECT_LEAD).select_related("user"))
        return [m.user for m in memberships]

    def latest_risk_screening(self) -> RiskScreening | None:
        """The current screening: the latest recorded (uses ``latest_screenings`` when prefetched)."""
        prefetched = getattr(self, "latest_screenings", None)
        if prefetched is not None:
            return prefetched[0] if prefetched else None
        return self.risk_screenings.order_by("-screened_at", "-pk").first()

    def uses_personal_data(self, screening: RiskScreening | None = None) -> bool:
        """Declared on the project (``processes_personal_data``) or answered yes in the risk screening.

        Datasets granted to the project (governance, a later issue) will add to this.
        """
        screening = screening if screening is not None else self.latest_risk_screening()
        return self.processes_personal_data or bool(screening and screening.answers.get("personal_data"))

    def access(self, user: User) -> ProjectAccess:
        """What ``user`` may do on this project (one query for the memberships, one for the roles)."""
        if not user.is_authenticated:
            return ProjectAccess(False, False, False, frozenset(), frozenset())
        roles = frozenset(self.memberships.active().filter(user=user).values_list("role", flat=True))
        return access_from(user=user, member_roles=roles)


def access_from(*, user: User, member_roles: frozenset[str]) -> ProjectAccess:
    """``ProjectAccess`` from a user's platform roles and active roles in the project."""
    if not user.is_authenticated:
        return ProjectAccess(False, False, False, frozenset(), frozenset())
    admin, officer = is_platform_admin(user), is_platform_officer(user)
    member = bool(member_roles)
    sign_roles = set(member_roles)
    if officer:
        sign_roles.add(ProjectRole.GOVERNANCE_OFFICER.value)
    return ProjectAccess(
        can_read=member or admin or officer,
        can_contribute=member or admin,
        can_manage=ProjectRole.PROJECT_LEAD in member_roles or admin,
        member_roles=member_roles,
        sign_roles=frozenset(sign_roles),
    )


def write_stage_unchecked(project: Project, *, stage: str, at: datetime) -> None:
    """Write a new stage, without any check. Private to ``projects.services.project_transition``
    (which checks the gate and records the history) and to the test factories."""
    Project.objects.filter(pk=project.pk)._write_stage(
        stage=stage, entered_stage_at=at, is_stale=False, stale_since=None, updated_at=timezone.now()
    )
    project.stage, project.entered_stage_at, project.is_stale, project.stale_since = stage, at, False, None
    project._remember_stage()


# --- Team and KPIs -----------------------------------------------------------------------------------


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, at: datetime | None = None) -> MembershipQuerySet:
        """Memberships in force at ``at`` (now): started, and not ended yet."""
        at = at or timezone.now()
        return self.filter(Q(started_at__lte=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at))


class Membership(models.Model):
    """A person's role in a project, from ``started_at`` until ``ended_at`` (open-ended when empty).

    Rows are never deleted: ending a membership records when, by whom and why. A planned membership
    cancelled before it starts ends when it starts (``ended_at == started_at``): it was never active.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_memberships")
    role = models.CharField(max_length=32, choices=ProjectRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["project", "role", "started_at", "pk"]
        indexes = [models.Index(fields=["user", "project"]), models.Index(fields=["project", "role"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} in {self.project}"

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.started_at <= at and (self.ended_at is None or self.ended_at > at)


class ProjectKPI(models.Model):
    """A business KPI or an ML metric with its target (PRODUCT.md §2)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="kpis")
    kind = models.CharField(max_length=16, choices=KPIKind.choices)
    name = models.CharField(max_length=200)
    target = models.FloatField()
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=8, choices=KPIDirection.choices, default=KPIDirection.HIGHER)
    current_value = models.FloatField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "kind", "position", "pk"]
        verbose_name = "KPI"
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "name"], name="kpi_unique_name_per_project_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def meets_target(self) -> bool | None:
        """Whether the current value reaches the target (``None`` until measured)."""
        if self.current_value is None:
            return None
        if self.direction == KPIDirection.HIGHER:
            return self.current_value >= self.target
        return self.current_value <= self.target


# --- Gate templates --------------------------------------------------------------------------------


class GateChecklistTemplateQuerySet(models.QuerySet["GateChecklistTemplate"]):
    def current(self) -> GateChecklistTemplateQuerySet:
        """The latest version of each gate's template."""
        latest = (
            GateChecklistTemplate.objects.filter(gate=models.OuterRef("gate"))
            .order_by("-version")
            .values("version")[:1]
        )
        return self.filter(version=models.Subquery(latest))


class GateChecklistTemplate(models.Model):
    """One version of the checklist and sign-off roles of the gate into ``gate``. Never edited:
    ``gate_template_publish`` creates version n+1."""

    gate = models.CharField(max_length=20, choices=Stage.choices, help_text="The stage this gate leads into.")
    version = models.PositiveIntegerField()
    notes = models.TextField(blank=True, help_text="What changed in this version.")
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = GateChecklistTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["gate", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "version"], name="gate_template_unique_version"),
            models.CheckConstraint(condition=Q(gate__in=[s.value for s in GATED_STAGES]), name="gate_template_gate"),
        ]

    def __str__(self) -> str:
        return f"{Stage(self.gate).label} gate v{self.version}"


class GateChecklistItem(models.Model):
    template = models.ForeignKey(GateChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=64, help_text="Stable across versions: answers carry over by key.")
    label = models.CharField(max_length=255)
    help_text = models.TextField(blank=True)
    evidence_kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    auto_check = models.CharField(
        max_length=32, choices=AutoCheck.choices, blank=True, help_text="For automatic items only."
    )
    required = models.BooleanField(default=True)
    condition = models.CharField(max_length=16, choices=GateCondition.choices, default=GateCondition.ALWAYS)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="gate_item_unique_key_per_template"),
        ]

    def __str__(self) -> str:
        return self.label


class GateSignOffRole(models.Model):
    """A role that must sign the gate, when its condition holds. A role required under several
    conditions has one row per condition (e.g. governance officer for Production: high-risk, or
    personal data): it is required when any of them holds."""

    template = models.ForeignKey(GateChecklistTemplate, on_delete=models.CASCADE, related_name="sign_off_roles")
    role = models.CharField(max_length=32, choices=ProjectRole.choices)
    condition = models.CharField(max_length=16, choices=GateCondition.choices, default=GateCondition.ALWAYS)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "pk"]
        verbose_name = "gate sign-off role"
        constraints = [
            models.UniqueConstraint(
                fields=["template", "role", "condition"], name="gate_signoff_unique_role_condition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.get_condition_display()})"


# --- Answers, sign-offs, history ---------------------------------------------------------------------


def evidence_upload_path(instance: GateAnswer, filename: str) -> str:
    item = instance.item
    return f"projects/{instance.project.slug}/gates/{item.template.gate}/{item.key}/{filename}"


class GateAnswer(models.Model):
    """The answer to one checklist item of one template version. Updated in place when answered
    again under the same version; an answer to an earlier version carries over to a later one with
    the same key and evidence kind (``projects.gates``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gate_answers")
    item = models.ForeignKey(GateChecklistItem, on_delete=models.PROTECT, related_name="answers")
    value_text = models.TextField(blank=True)
    value_url = models.URLField(max_length=500, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    evidence_file = models.FileField(upload_to=evidence_upload_path, max_length=500, blank=True)
    comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "item__template__gate", "item__position"]
        constraints = [models.UniqueConstraint(fields=["project", "item"], name="gate_answer_unique_per_item")]

    def __str__(self) -> str:
        return f"{self.project} - {self.item.key}"

    @property
    def file_name(self) -> str:
        return self.evidence_file.name.rsplit("/", 1)[-1] if self.evidence_file else ""


class SignOff(models.Model):
    """A person's sign-off of a gate for one role. It certifies the checklist as it was
    (``template_version`` and ``checklist_state``); a later change of that checklist invalidates it
    (``invalidated_at`` and the reason), and it must be given again."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sign_offs")
    stage = models.CharField(max_length=20, choices=Stage.choices, help_text="The gate: the stage it leads into.")
    template_version = models.PositiveIntegerField()
    role = models.CharField(max_length=32, choices=ProjectRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_sign_offs")
    signed_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    checklist_state = models.JSONField(default=dict, help_text="The checklist this sign-off certified.")
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "stage", "signed_at", "pk"]
        verbose_name = "sign-off"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "stage", "role"],
                condition=Q(invalidated_at__isnull=True),
                name="signoff_one_valid_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} sign-off of {self.project} into {self.get_stage_display()}"

    @property
    def is_invalidated(self) -> bool:
        return self.invalidated_at is not None


class StageTransition(models.Model):
    """One step of a project's history. ``snapshot`` holds the gate as decided (checklist items with
    their answers, sign-offs, conditions), so later template changes never rewrite it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True, help_text="Empty at creation.")
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True, help_text="Gate template version used.")
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["project", "at", "pk"]
        get_latest_by = ["at", "pk"]

    def __str__(self) -> str:
        origin = Stage(self.from_stage).label if self.from_stage else "created"
        return f"{self.project}: {origin} → {Stage(self.to_stage).label}"


# --- Roadmap -----------------------------------------------------------------------------------------


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    target_date = models.DateField()
    actual_date = models.DateField(null=True, blank=True, help_text="When it was reached; empty until done.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "target_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def done(self) -> bool:
        return self.actual_date is not None

    def is_late(self, today: Any = None) -> bool:
        """Not done and past its target date (or done after it)."""
        today = today or timezone.localdate()
        if self.actual_date is not None:
            return self.actual_date > self.target_date
        return self.target_date < today


class BacklogItem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="backlog_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    profile = models.CharField(max_length=16, choices=BacklogProfile.choices)
    status = models.CharField(max_length=8, choices=BacklogStatus.choices, default=BacklogStatus.TODO)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "position", "pk"]

    def __str__(self) -> str:
        return self.title


# --- Risk screening and models -------------------------------------------------------------------


class RiskScreening(models.Model):
    """An AI Act and DPIA screening of the project (questionnaire and rules in ``projects.risk``).
    The latest one is current; earlier ones are history."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risk_screenings")
    questionnaire_version = models.PositiveIntegerField()
    answers = models.JSONField(help_text="Question key -> yes (true) / no (false).")
    ai_act_tier = models.CharField(max_length=16, choices=AIActTier.choices)
    ai_act_reasons = models.JSONField(default=list, blank=True)
    dpia_required = models.BooleanField()
    dpia_reasons = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "-screened_at", "-pk"]
        get_latest_by = ["screened_at", "pk"]

    def __str__(self) -> str:
        return f"Risk screening of {self.project} ({self.screened_at:%Y-%m-%d})"

    @property
    def is_high_risk(self) -> bool:
        return self.ai_act_tier == AIActTier.HIGH


class ModelLinkQuerySet(models.QuerySet["ModelLink"]):
    def active(self) -> ModelLinkQuerySet:
        return self.filter(unlinked_at__isnull=True)


class ModelLink(models.Model):
    """A project's link to an MLflow registered model, by name. Versions, aliases and metrics are
    read from MLflow (the MLflow integration). Removing a link keeps the row (``unlinked_at``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_links")
    registered_model_name = models.CharField(max_length=256)
    source = models.CharField(max_length=8, choices=ModelLinkSource.choices, default=ModelLinkSource.MANUAL)
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ModelLinkQuerySet.as_manager()

    class Meta:
        ordering = ["project", "registered_model_name", "-linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "registered_model_name"],
                condition=Q(unlinked_at__isnull=True),
                name="model_link_one_active_per_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} → {self.registered_model_name}"


# --- MLflow registry mirror (projects.mlflow_sync) -----------------------------------------------------
# What the MLflow sync (``projects.services.mlflow_sync_run``) copied from MLFLOW_TRACKING_URI:
# registered models, their versions, aliases, the versions' runs (params, metrics, training inputs).
# Rows are upserted on their MLflow keys ((name), (name, version), (model, alias), (run id, key)), so a
# sync repeated after a failure neither loses nor duplicates anything. A version gone from MLflow
# keeps its row with ``deleted_at``.


class ModelAlertKind(models.TextChoices):
    UNAPPROVED_PRODUCTION = "unapproved_production", "Production alias before the Production gate"
    UNGRANTED_TRAINING_DATA = "ungranted_training_data", "Trained on data without a live grant"
    METRIC_BELOW_TARGET = "metric_below_target", "ML metric misses the project's target"


class RegisteredModel(models.Model):
    """An MLflow registered model, as of the last sync. Projects link to it by name (``ModelLink``,
    by hand or, for the project named by its ``MLFLOW_PROJECT_TAG`` tag, by the sync)."""

    name = models.CharField(max_length=256, unique=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    created_at_mlflow = models.DateTimeField(null=True, blank=True)
    last_updated_ms = models.BigIntegerField(default=0, help_text="MLflow's last_updated_timestamp (ms).")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When the sync found it gone from MLflow.")
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """One version of a registered model, with its run's code version."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=32, blank=True)
    stage = models.CharField(max_length=32, blank=True, help_text="Legacy MLflow stage, on servers that use them.")
    description = models.TextField(blank=True)
    source = models.CharField(max_length=1000, blank=True)
    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    tags = models.JSONField(default=dict, blank=True)
    created_at_mlflow = models.DateTimeField(null=True, blank=True)
    last_updated_ms = models.BigIntegerField(default=0)
    git_commit = models.CharField(max_length=64, blank=True, help_text="The run's mlflow.source.git.commit.")
    run_synced_ms = models.BigIntegerField(
        null=True, blank=True, help_text="The version's last_updated_ms when its run was last read."
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["registered_model", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "version"], name="model_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.version}"


class ModelAlias(models.Model):
    """An alias of a registered model and the version it points to now."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=256)
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["registered_model", "alias"]
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "alias"], name="model_alias_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name}@{self.alias} → v{self.version}"


class RunMetric(models.Model):
    """A metric of an MLflow run: its latest value (the one MLflow reports for the run)."""

    run_id = models.CharField(max_length=64)
    key = models.CharField(max_length=250)
    value = models.FloatField()
    step = models.BigIntegerField(default=0)
    timestamp_ms = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["run_id", "key"]
        constraints = [models.UniqueConstraint(fields=["run_id", "key"], name="run_metric_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}={self.value:g}"


class RunParam(models.Model):
    run_id = models.CharField(max_length=64)
    key = models.CharField(max_length=250)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["run_id", "key"]
        constraints = [models.UniqueConstraint(fields=["run_id", "key"], name="run_param_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class TrainingInput(models.Model):
    """A dataset the version's run logged as input (``mlflow.log_input``), matched to the catalog
    (rule in ``projects.mlflow_sync.match_catalog``)."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="training_inputs")
    name = models.CharField(max_length=500)
    digest = models.CharField(max_length=64)
    source_type = models.CharField(max_length=64, blank=True)
    source = models.TextField(blank=True)
    context = models.CharField(max_length=64, blank=True, help_text="The input's mlflow.data.context tag.")
    dataset = models.ForeignKey(
        "catalog.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_training_inputs"
    )
    dataset_version = models.ForeignKey(
        "catalog.DatasetVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_training_inputs",
    )

    class Meta:
        ordering = ["model_version", "name", "digest"]
        constraints = [
            models.UniqueConstraint(fields=["model_version", "name", "digest"], name="training_input_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.digest})"


class MlflowSyncState(models.Model):
    """The one row of sync bookkeeping: watermark, last attempt and success, last error, counts."""

    key = models.CharField(max_length=16, unique=True, default="default")
    watermark_ms = models.BigIntegerField(default=0, help_text="Highest last_updated_timestamp synced (ms).")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Figures of the last successful sync.")

    class Meta:
        verbose_name = "MLflow sync state"

    def __str__(self) -> str:
        return f"MLflow sync (last success {self.last_success_at})"


class ModelAlertQuerySet(models.QuerySet["ModelAlert"]):
    def open(self) -> ModelAlertQuerySet:
        return self.filter(resolved_at__isnull=True)


class ModelAlert(models.Model):
    """A governance alert on a model version of a project; one open alert per (project, version, kind)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_alerts")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=ModelAlertKind.choices)
    message = models.TextField()
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="model_alerts")

    objects = ModelAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "model_version", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="model_alert_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.model_version}"
