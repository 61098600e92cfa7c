"""Governance domain: access requests, their pre-checks and decisions, grants, deletion tasks and
the audit trail (PRODUCT.md §2 "Governance", §4).

- An ``AccessRequest`` asks, for one project and one dataset, for some columns, with a purpose, an
  Art. 6 legal basis, an Art. 9(2) condition when special-category columns are asked for, and a
  requested end date. Its pre-checks (``governance.prechecks``) are stored per revision
  (``PrecheckResult``): computed when it is filed and again each time it is changed.
- A decision (approve, approve with conditions, ask for changes, refuse) always has a reason; an
  approval creates a ``Grant``: the columns, the purpose, an expiry (the earliest of the requested
  end, the dataset's retention and, for an Exploration project, the end of Exploration) and the
  stage it was granted in.
- A revoked grant gets a ``DeletionTask`` for the dataset's custodian, closed with evidence.
- ``AuditEvent`` rows are append-only and hash-chained (``governance.audit``). The model refuses to
  save an existing row or delete one, its queryset refuses ``update`` and ``delete``, the admin is
  read-only, and on PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE of the table.

Every write goes through ``governance.services``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Column, Dataset, LegalBasis
from projects.models import Project, Stage


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
    ASK_CHANGES = "ask_changes", "Ask for changes"
    REFUSE = "refuse", "Refuse"


class Art9Condition(models.TextChoices):
    """GDPR Art. 9(2) conditions lifting the ban on processing special categories."""

    EXPLICIT_CONSENT = "a_explicit_consent", "Explicit consent (Art. 9(2)(a))"
    EMPLOYMENT = "b_employment_social_security", "Employment and social security law (Art. 9(2)(b))"
    VITAL_INTERESTS = "c_vital_interests", "Vital interests (Art. 9(2)(c))"
    NOT_FOR_PROFIT = "d_not_for_profit", "Not-for-profit body (Art. 9(2)(d))"
    MADE_PUBLIC = "e_made_public", "Made public by the data subject (Art. 9(2)(e))"
    LEGAL_CLAIMS = "f_legal_claims", "Legal claims (Art. 9(2)(f))"
    PUBLIC_INTEREST = "g_substantial_public_interest", "Substantial public interest (Art. 9(2)(g))"
    HEALTH_CARE = "h_health_care", "Preventive or occupational medicine (Art. 9(2)(h))"
    PUBLIC_HEALTH = "i_public_health", "Public health (Art. 9(2)(i))"
    RESEARCH = "j_research_statistics", "Archiving, research or statistics (Art. 9(2)(j))"


class Outcome(models.TextChoices):
    PASS = "pass", "Pass"
    WARNING = "warning", "Warning"
    BLOCKING = "blocking", "Blocking"


class RevocationCause(models.TextChoices):
    EXPIRY = "expiry", "Expired"
    STAGE_CHANGE = "stage_change", "The project left the stage it was granted for"
    ABANDONMENT = "abandonment", "The project was abandoned or retired"
    OFFICER = "officer", "Revoked by a governance officer"


# --- Access requests --------------------------------------------------------------------------------


class AccessRequestQuerySet(models.QuerySet["AccessRequest"]):
    def visible_to(self, user: Any) -> AccessRequestQuerySet:
        """Requests ``user`` may read: officers and admins all; others the ones they filed, those of
        projects they are an active member of, and those on datasets they own or look after."""
        from governance.permissions import is_admin, is_officer

        if not user.is_authenticated:
            return self.none()
        if is_admin(user) or is_officer(user):
            return self
        return self.filter(
            Q(requester=user)
            | Q(project__in=Project.objects.member_of(user).values("pk"))
            | Q(dataset__owner=user)
            | Q(dataset__custodian=user)
            | Q(dataset__steward=user)
        )

    def queue(self) -> AccessRequestQuerySet:
        """Waiting for an officer's decision."""
        return self.filter(status=RequestStatus.PENDING)


class AccessRequest(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="access_requests")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="access_requests")
    columns = models.ManyToManyField(Column, related_name="access_requests")
    purpose = models.TextField(help_text="What the data is for: the project's purpose (Art. 5(1)(b)).")
    legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices, blank=True)
    art9_condition = models.CharField(max_length=40, choices=Art9Condition.choices, blank=True)
    requested_end = models.DateField()
    justification = models.TextField(blank=True, help_text="Why each direct identifier is needed (minimisation).")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    revision = models.PositiveIntegerField(default=1, help_text="Incremented each time the requester changes it.")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=32, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    conditions = models.TextField(blank=True)
    override_reason = models.TextField(blank=True, help_text="Why blocking pre-checks were overridden.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["status", "submitted_at"]), models.Index(fields=["project", "dataset"])]

    def __str__(self) -> str:
        return f"Request #{self.pk}: {self.project} → {self.dataset}"

    @property
    def is_open(self) -> bool:
        return self.status in (RequestStatus.PENDING, RequestStatus.CHANGES_REQUESTED)

    def current_prechecks(self) -> list[PrecheckResult]:
        """The pre-check results of the current revision (uses ``current_results`` when prefetched)."""
        prefetched = getattr(self, "current_results", None)
        if prefetched is not None:
            return list(prefetched)
        return list(self.prechecks.filter(revision=self.revision))


class PrecheckResult(models.Model):
    """One rule's result for one revision of a request (PRODUCT.md §4)."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="prechecks")
    revision = models.PositiveIntegerField()
    rule = models.CharField(max_length=40)
    title = models.CharField(max_length=120)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    article = models.CharField(max_length=60)
    message = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["request", "revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "revision", "rule"], name="precheck_unique_rule_per_revision")
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.outcome}"


# --- Grants -------------------------------------------------------------------------------------------


class GrantQuerySet(models.QuerySet["Grant"]):
    def live(self, at: datetime | None = None) -> GrantQuerySet:
        """Not revoked and not expired at ``at`` (now): a grant is live through its expiry date."""
        at = at or timezone.now()
        day = timezone.localdate(at) if timezone.is_aware(at) else at.date()
        return self.filter(revoked_at__isnull=True, starts_at__lte=at, expires_on__gte=day)

    def visible_to(self, user: Any) -> GrantQuerySet:
        """Officers and admins all; others the grants of their projects and of datasets they look after."""
        from governance.permissions import is_admin, is_officer

        if not user.is_authenticated:
            return self.none()
        if is_admin(user) or is_officer(user):
            return self
        return self.filter(
            Q(project__in=Project.objects.member_of(user).values("pk"))
            | Q(dataset__owner=user)
            | Q(dataset__custodian=user)
            | Q(dataset__steward=user)
        )


class Grant(models.Model):
    request = models.OneToOneField(AccessRequest, on_delete=models.CASCADE, related_name="grant")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="grants")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="grants")
    columns = models.ManyToManyField(Column, related_name="grants")
    purpose = models.TextField()
    legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices, blank=True)
    conditions = models.TextField(blank=True)
    granted_stage = models.CharField(
        max_length=20, choices=Stage.choices, help_text="The project's stage when granted."
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    expires_on = models.DateField(help_text="Last day of access.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_cause = models.CharField(max_length=16, choices=RevocationCause.choices, blank=True)
    revocation_reason = models.TextField(blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["dataset", "revoked_at", "expires_on"]), models.Index(fields=["project"])]

    def __str__(self) -> str:
        return f"Grant #{self.pk}: {self.project} → {self.dataset}"

    def is_live(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.starts_at <= at and self.expires_on >= timezone.localdate(at)


# --- Deletion tasks --------------------------------------------------------------------------------------


def evidence_upload_path(instance: DeletionTask, filename: str) -> str:
    return f"governance/deletions/{instance.pk or 'new'}/{filename}"


class DeletionTaskQuerySet(models.QuerySet["DeletionTask"]):
    def open(self) -> DeletionTaskQuerySet:
        return self.filter(closed_at__isnull=True)

    def overdue(self, today: date | None = None) -> DeletionTaskQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def visible_to(self, user: Any) -> DeletionTaskQuerySet:
        """Officers and admins all; custodians (and owners) their datasets' tasks; members their projects'."""
        from governance.permissions import is_admin, is_officer

        if not user.is_authenticated:
            return self.none()
        if is_admin(user) or is_officer(user):
            return self
        return self.filter(
            Q(custodian=user)
            | Q(dataset__owner=user)
            | Q(dataset__custodian=user)
            | Q(grant__project__in=Project.objects.member_of(user).values("pk"))
        )


class DeletionTask(models.Model):
    """The custodian deletes the data of a revoked grant by ``due_on`` and says how (evidence)."""

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="deletion_task")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="deletion_tasks")
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deletion_tasks", null=True, blank=True
    )
    created_at = models.DateTimeField()
    due_on = models.DateField()
    overdue_since = models.DateField(null=True, blank=True, help_text="Set by the periodic overdue check.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence_text = models.TextField(blank=True)
    evidence_file = models.FileField(upload_to=evidence_upload_path, max_length=500, blank=True)

    objects = DeletionTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"Delete {self.dataset} data of grant #{self.grant_id}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def is_overdue(self, today: date | None = None) -> bool:
        return self.closed_at is None and self.due_on < (today or timezone.localdate())

    @property
    def file_name(self) -> str:
        return self.evidence_file.name.rsplit("/", 1)[-1] if self.evidence_file else ""


# --- Audit trail ----------------------------------------------------------------------------------------

APPEND_ONLY = "Audit events are append-only: they are never changed or deleted."


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError(APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(APPEND_ONLY)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise ValidationError(APPEND_ONLY)

    def for_target(self, target: models.Model) -> AuditEventQuerySet:
        return self.filter(target_type=target._meta.label_lower, target_id=str(target.pk))


class AuditEvent(models.Model):
    """One event of the trail. ``seq`` orders the chain; ``hash`` covers every field and
    ``prev_hash`` (the previous event's hash), so any edit, deletion or reordering breaks the
    chain (``manage.py audit_verify``). Created only by ``governance.audit.audit_event_record``."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="Username, or the system component for system events.")
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(APPEND_ONLY)


class AuditChainHead(models.Model):
    """The single row locked while an event is appended: appends are serialised, so two events
    never share a previous hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.seq}"


class AuditVerificationTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Periodic task"
    COMMAND = "command", "manage.py audit_verify"
    OFFICER = "officer", "Asked for by an officer"


class AuditVerification(models.Model):
    """One full walk of the audit chain (``audit.audit_verify``) and what it found.

    The audit page checks a long chain from the last of these (the events appended since), instead
    of walking every event at each load; a full walk runs periodically, on request and from
    ``manage.py audit_verify``."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    trigger = models.CharField(max_length=20, choices=AuditVerificationTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked = models.PositiveBigIntegerField(help_text="Events walked.")
    last_seq = models.PositiveBigIntegerField(help_text="Sequence number of the last event walked (0: none).")
    last_hash = models.CharField(max_length=64, help_text="Stored hash of that event (the chain's genesis: none).")
    ok = models.BooleanField()
    problem_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="The first problems found (at most 100).")

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        state = "intact" if self.ok else f"{self.problem_count} problem(s)"
        return f"audit verification of {self.checked} events at {self.finished_at:%Y-%m-%d %H:%M}: {state}"
