"""Reads of the governance app (pages, API, other apps through the catalog hooks).

Public functions:

- Requests: ``officer_queue()``, ``access_requests_of(*, user)`` (filed by the user),
  ``access_requests_visible_to(*, user)``, ``access_request_get(*, pk, user)``,
  ``precheck_preview(*, project, dataset, columns, purpose, legal_basis, art9_condition,
  requested_end, justification)`` (the checks a request would get, before filing it).
- Grants: ``grants_visible_to(*, user)``, ``grants_of_project(*, project, live_only=False)``,
  ``grants_of_dataset(*, dataset, live_only=False)``, ``grants_of_user(*, user)`` (live grants of
  the user's projects), ``grant_live_for(*, project, dataset, columns=None, at=None)``,
  ``projects_using_dataset(*, dataset)``, ``dataset_project_counts(dataset_ids)``.
- Enforcement: ``columns_visible_to(*, user, dataset) -> set[str]``,
  ``version_download_allowed(*, user, version) -> bool``, ``version_sample(*, user, version,
  limit=20)``, ``dataset_access_for(*, user, dataset_ids)`` (the ``access`` of search hits).
- Figures: ``requests_per_week(*, weeks=12, today=None)`` (the officer's chart).
- Deletion tasks: ``deletion_tasks_visible_to(*, user)``, ``deletion_tasks_of(*, user)`` (assigned
  to the user), ``overdue_deletion_tasks(today=None)``.
- Audit: ``audit_events(*, target=None, action="", actor=None)``.
- Register (Art. 30): ``register_entries()``, ``register_csv(entries)``, ``register_json(entries)``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from catalog.models import Column, Dataset, DatasetVersion, DataSubjectCategory, PersonalDataCategory, PersonalDataClass
from governance import prechecks
from governance.audit import audit_verify
from governance.models import (
    AccessRequest,
    AccessRequestQuerySet,
    AuditChainHead,
    AuditEvent,
    AuditVerification,
    DeletionTask,
    Grant,
    GrantQuerySet,
    PrecheckResult,
    RequestStatus,
)
from governance.permissions import delivers
from projects.models import Membership, Project

# --- Requests ------------------------------------------------------------------------------------------


def _with_relations(queryset: AccessRequestQuerySet) -> AccessRequestQuerySet:
    return queryset.select_related("requester", "project", "dataset", "decided_by", "grant").prefetch_related("columns")


def with_current_prechecks(queryset: AccessRequestQuerySet) -> list[AccessRequest]:
    """Requests with ``current_results`` (the pre-checks of their current revision) in one query."""
    requests = list(queryset)
    by_request: dict[int, list[PrecheckResult]] = defaultdict(list)
    if requests:
        wanted = Q()
        for r in requests:
            wanted |= Q(request_id=r.pk, revision=r.revision)
        for result in PrecheckResult.objects.filter(wanted).order_by("request_id", "position"):
            by_request[result.request_id].append(result)
    for r in requests:
        r.current_results = by_request.get(r.pk, [])  # type: ignore[attr-defined]
    return requests


def officer_queue() -> AccessRequestQuerySet:
    """Requests waiting for a decision, oldest first."""
    return _with_relations(AccessRequest.objects.queue()).order_by("submitted_at", "pk")


def access_requests_of(*, user: Any) -> AccessRequestQuerySet:
    """Requests the user filed, newest first."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    return _with_relations(AccessRequest.objects.filter(requester=user))


def access_requests_visible_to(*, user: Any) -> AccessRequestQuerySet:
    return _with_relations(AccessRequest.objects.visible_to(user))


def access_request_get(*, pk: int, user: Any) -> AccessRequest | None:
    """One request the user may read, with its pre-checks (``None`` otherwise)."""
    found = with_current_prechecks(access_requests_visible_to(user=user).filter(pk=pk))
    return found[0] if found else None


def precheck_preview(
    *,
    project: Project,
    dataset: Dataset,
    columns: Sequence[Column],
    purpose: str,
    legal_basis: str = "",
    art9_condition: str = "",
    requested_end: date | None = None,
    justification: str = "",
) -> list[prechecks.Check]:
    """The pre-checks a request would get, for the requester's form (nothing is stored)."""
    return prechecks.run_prechecks(
        prechecks.build_input(
            project=project,
            dataset=dataset,
            columns=columns,
            purpose=purpose,
            legal_basis=legal_basis,
            art9_condition=art9_condition,
            requested_end=requested_end,
            justification=justification,
        )
    )


# --- Grants ----------------------------------------------------------------------------------------------


def _grants(queryset: GrantQuerySet) -> GrantQuerySet:
    return queryset.select_related(
        "project", "dataset", "granted_by", "revoked_by", "request__requester"
    ).prefetch_related("columns")


def grants_visible_to(*, user: Any) -> GrantQuerySet:
    return _grants(Grant.objects.visible_to(user))


def grants_of_project(*, project: Project, live_only: bool = False) -> GrantQuerySet:
    queryset = Grant.objects.filter(project=project)
    return _grants(queryset.live() if live_only else queryset)


def grants_of_dataset(*, dataset: Dataset, live_only: bool = False) -> GrantQuerySet:
    queryset = Grant.objects.filter(dataset=dataset)
    return _grants(queryset.live() if live_only else queryset)


def _member_project_ids(user: Any) -> QuerySet[Any]:
    return Membership.objects.active().filter(user=user).values("project_id")


def grants_of_user(*, user: Any, at: datetime | None = None) -> GrantQuerySet:
    """Live grants of the projects the user is an active member of: what the user may use."""
    if not user.is_authenticated:
        return Grant.objects.none()
    return _grants(Grant.objects.live(at).filter(project_id__in=_member_project_ids(user)))


def grant_live_for(
    *,
    project: Project,
    dataset: Dataset,
    columns: Iterable[str] | None = None,
    at: datetime | None = None,
) -> Grant | None:
    """A live grant (at ``at``, now by default) of ``dataset`` to ``project`` covering every column
    named in ``columns`` (any live grant when ``None``); the latest-expiring one when several do."""
    wanted = set(columns) if columns is not None else set()
    candidates = Grant.objects.live(at).filter(project=project, dataset=dataset).prefetch_related("columns")
    for grant in candidates.order_by("-expires_on", "-pk"):
        if wanted <= {c.name for c in grant.columns.all()}:
            return grant
    return None


def projects_using_dataset(*, dataset: Dataset, at: datetime | None = None) -> QuerySet[Project]:
    """Projects holding a live grant on the dataset."""
    return Project.objects.filter(pk__in=Grant.objects.live(at).filter(dataset=dataset).values("project_id"))


def dataset_project_counts(dataset_ids: Iterable[int]) -> dict[int, int]:
    """How many distinct projects hold a live grant on each dataset (absent when none)."""
    ids = list(dataset_ids)
    if not ids:
        return {}
    rows = (
        Grant.objects.live()
        .filter(dataset_id__in=ids)
        .values("dataset_id")
        .annotate(n=Count("project_id", distinct=True))
    )
    return {row["dataset_id"]: row["n"] for row in rows}


# --- Enforcement ------------------------------------------------------------------------------------------


def _granted_columns(user: Any, dataset_id: int, at: datetime | None = None) -> list[set[str]]:
    """Column names of each live grant of ``dataset_id`` to the user's projects."""
    grants = grants_of_user(user=user, at=at).filter(dataset_id=dataset_id)
    return [{c.name for c in g.columns.all()} for g in grants]


def columns_visible_to(*, user: Any, dataset: Dataset) -> set[str]:
    """Names of the columns whose values ``user`` may see: every column for the dataset's owner,
    steward and custodian; otherwise the non-personal columns plus those covered by a live grant
    to a project the user is an active member of. Anonymous users see none."""
    if not user.is_authenticated:
        return set()
    columns = list(dataset.columns.all())
    if delivers(user, dataset):
        return {c.name for c in columns}
    visible = {c.name for c in columns if c.personal_data_class == PersonalDataClass.NONE}
    for granted in _granted_columns(user, dataset.pk):
        visible |= granted
    return visible


def _file_personal_columns(version: DatasetVersion) -> set[str]:
    """Personal-data columns of a version's file: those the catalog classifies as personal, plus any
    column of the file the catalog does not document (unknown, so treated as personal)."""
    classes = dict(version.dataset.columns.values_list("name", "personal_data_class"))
    names = [c.get("name", "") for c in version.schema or []]
    return {n for n in names if classes.get(n, "unknown") != PersonalDataClass.NONE}


def version_download_allowed(*, user: Any, version: DatasetVersion) -> bool:
    """Whether ``user`` may download the version's file: its owner, steward and custodian; anyone
    else with one live grant (to a project they are an active member of) covering all the file's
    personal-data columns (a file without personal data: any authenticated user)."""
    if not user.is_authenticated:
        return False
    if delivers(user, version.dataset):
        return True
    personal = _file_personal_columns(version)
    if not personal:
        return True
    return any(personal <= granted for granted in _granted_columns(user, version.dataset_id))


def _read_rows(version: DatasetVersion, limit: int) -> tuple[list[str], list[list[Any]]]:
    """The header and the first ``limit`` rows of the version's stored file."""
    import pyarrow.parquet as pq

    with version.file.open("rb") as handle:
        if version.file_format == "parquet" or version.file.name.endswith(".parquet"):
            parquet = pq.ParquetFile(handle)
            header = list(parquet.schema_arrow.names)
            batch = next(parquet.iter_batches(batch_size=limit), None)
            records = batch.to_pylist()[:limit] if batch is not None else []
            return header, [[record.get(name) for name in header] for record in records]
        text = io.TextIOWrapper(handle, encoding=version.encoding or "utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=version.delimiter or ",")
        header = next(reader, [])
        rows = []
        for row in reader:
            if len(rows) >= limit:
                break
            rows.append(row)
        return header, rows


@dataclass
class ValuesSample:
    version: int
    columns: list[str]
    hidden_columns: list[str]
    rows: list[list[Any]]


def version_sample(*, user: Any, version: DatasetVersion, limit: int = 20) -> ValuesSample:
    """The first ``limit`` rows of a version's file, restricted to the columns ``user`` may see
    (``columns_visible_to``); the others are listed as hidden. A version without a stored file gives
    no rows."""
    visible = columns_visible_to(user=user, dataset=version.dataset)
    if not version.file:
        names = [c.get("name", "") for c in version.schema or []]
        return ValuesSample(
            version.number, [n for n in names if n in visible], [n for n in names if n not in visible], []
        )
    header, rows = _read_rows(version, limit)
    keep = [i for i, name in enumerate(header) if name in visible]
    return ValuesSample(
        version=version.number,
        columns=[header[i] for i in keep],
        hidden_columns=[name for name in header if name not in visible],
        rows=[[row[i] if i < len(row) else None for i in keep] for row in rows],
    )


def dataset_access_for(*, user: Any, dataset_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What ``user`` may do with each dataset, for search hits, in a fixed number of queries:
    ``status`` is ``not_needed`` (no personal data, or the user delivers it), ``granted`` (a live grant
    to one of the user's projects), ``pending`` (an open request of one of them) or ``requestable``;
    ``next_step`` and ``url`` say what to do next."""
    ids = list(dataset_ids)
    if not ids or not user.is_authenticated:
        return {}
    datasets = {
        d.pk: d
        for d in Dataset.objects.filter(pk__in=ids)
        .with_sensitivity()
        .only("pk", "slug", "owner_id", "steward_id", "custodian_id")
    }
    member_projects = _member_project_ids(user)
    granted: dict[int, date] = {}
    for dataset_id, expires_on in (
        Grant.objects.live()
        .filter(dataset_id__in=ids, project_id__in=member_projects)
        .values_list("dataset_id", "expires_on")
    ):
        granted[dataset_id] = max(expires_on, granted.get(dataset_id, expires_on))
    pending = set(
        AccessRequest.objects.filter(
            dataset_id__in=ids,
            project_id__in=member_projects,
            status__in=[RequestStatus.PENDING, RequestStatus.CHANGES_REQUESTED],
        ).values_list("dataset_id", flat=True)
    )
    result: dict[int, dict[str, Any]] = {}
    for dataset_id in ids:
        dataset = datasets.get(dataset_id)
        if dataset is None:
            continue
        dataset_url = reverse("frontend:dataset-detail", args=[dataset.slug])
        if not getattr(dataset, "sensitivity_rank", 0) or delivers(user, dataset):
            entry = {"status": "not_needed", "next_step": "No request needed: open the dataset.", "url": dataset_url}
        elif dataset_id in granted:
            entry = {
                "status": "granted",
                "next_step": f"Granted to your project until {granted[dataset_id]}.",
                "url": dataset_url,
                "expires_on": granted[dataset_id].isoformat(),
            }
        elif dataset_id in pending:
            entry = {
                "status": "pending",
                "next_step": "A request of your project is waiting for a decision.",
                "url": dataset_url,
            }
        else:
            entry = {
                "status": "requestable",
                "next_step": "Contains personal data: request the columns you need for your project.",
                "url": dataset_url + "#request-access",
            }
        result[dataset_id] = entry
    return result


# --- Deletion tasks --------------------------------------------------------------------------------------------


def _tasks(queryset: QuerySet[DeletionTask]) -> QuerySet[DeletionTask]:
    return queryset.select_related("dataset", "custodian", "closed_by", "grant__project")


def deletion_tasks_visible_to(*, user: Any) -> QuerySet[DeletionTask]:
    return _tasks(DeletionTask.objects.visible_to(user))


def deletion_tasks_of(*, user: Any, open_only: bool = True) -> QuerySet[DeletionTask]:
    """Tasks assigned to the user (as custodian)."""
    if not user.is_authenticated:
        return DeletionTask.objects.none()
    queryset = DeletionTask.objects.filter(custodian=user)
    return _tasks(queryset.open() if open_only else queryset)


def overdue_deletion_tasks(today: date | None = None) -> QuerySet[DeletionTask]:
    """Open tasks past their due date, for the officer."""
    return _tasks(DeletionTask.objects.overdue(today))


# --- Audit -----------------------------------------------------------------------------------------------------


def audit_events(*, target: Any = None, action: str = "", actor: Any = None) -> QuerySet[AuditEvent]:
    """Audit events, newest first, optionally of one object, one action (prefix) or one actor."""
    queryset = AuditEvent.objects.select_related("actor").order_by("-seq")
    if target is not None:
        queryset = queryset.for_target(target)
    if action:
        queryset = queryset.filter(action__startswith=action)
    if actor is not None:
        queryset = queryset.filter(actor_id=actor.pk)
    return queryset


@dataclass
class ChainStatus:
    """What the audit page says of the chain: verified whole now, or from the last full walk on."""

    ok: bool
    events: int  # events in the chain
    checked_now: int  # events walked for this answer
    problems: list[str]
    full_walk: AuditVerification | None  # the full walk this answer builds on (None: walked whole now)


def audit_chain_status(*, full_walk_limit: int | None = None) -> ChainStatus:
    """The chain's state for the audit page. Up to ``AUDIT_PAGE_FULL_VERIFY_LIMIT`` events (or when
    no full walk was ever kept) the whole chain is walked now; a longer chain is checked from the last
    full walk on (``services.audit_verification_run``: periodic, on request, ``manage.py
    audit_verify``), whose own problems are carried over."""
    limit = settings.AUDIT_PAGE_FULL_VERIFY_LIMIT if full_walk_limit is None else full_walk_limit
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    last_walk = AuditVerification.objects.order_by("-finished_at", "-id").first()
    if head <= limit or last_walk is None:
        report = audit_verify()
        return ChainStatus(report.ok, report.checked, report.checked, report.problems, None)
    report = audit_verify(after=(last_walk.last_seq, last_walk.last_hash))
    problems = [*last_walk.problems, *report.problems]
    return ChainStatus(not problems, head, report.checked, problems, last_walk)


# --- Register of processing (Art. 30) ---------------------------------------------------------------------------


@dataclass
class RegisterDataset:
    name: str
    slug: str
    columns: list[str]
    expires_on: str
    retention_days: int | None
    transfers_outside_eu: bool
    transfer_safeguards: str
    security_measures: str
    storage_location: str


@dataclass
class RegisterEntry:
    """One processing activity: a project with live grants (PRODUCT.md §2, register of processing)."""

    project: str
    project_slug: str
    stage: str
    purposes: list[str]
    legal_bases: list[str]
    data_subject_categories: list[str]
    personal_data_categories: list[str]
    special_categories: bool
    recipients: list[str]
    transfers: list[str]
    erasure_deadlines: list[str]
    security_measures: list[str]
    datasets: list[RegisterDataset] = field(default_factory=list)


def register_entries(at: datetime | None = None) -> list[RegisterEntry]:
    """The Art. 30 register, generated: one entry per project with live grants, from the grants
    (purposes, legal bases, columns), the datasets' GDPR profiles (data subjects, personal-data
    categories, transfers, retention, security) and the project's active members (recipients)."""
    grants = list(
        Grant.objects.live(at)
        .select_related("project", "dataset")
        .prefetch_related(Prefetch("columns", queryset=Column.objects.order_by("position", "name")))
        .order_by("project__name", "dataset__name", "pk")
    )
    project_ids = {g.project_id for g in grants}
    members: dict[int, list[str]] = defaultdict(list)
    for membership in (
        Membership.objects.active()
        .filter(project_id__in=project_ids)
        .select_related("user")
        .order_by("project_id", "role", "user__username")
    ):
        name = membership.user.get_full_name() or membership.user.get_username()
        members[membership.project_id].append(f"{name} ({membership.get_role_display()})")
    subject_labels = dict(DataSubjectCategory.choices)
    category_labels = dict(PersonalDataCategory.choices)
    entries: dict[int, RegisterEntry] = {}
    for grant in grants:
        project, dataset = grant.project, grant.dataset
        entry = entries.get(project.pk)
        if entry is None:
            entry = entries[project.pk] = RegisterEntry(
                project=project.name,
                project_slug=project.slug,
                stage=project.get_stage_display(),
                purposes=[project.purpose],
                legal_bases=[],
                data_subject_categories=[],
                personal_data_categories=[],
                special_categories=False,
                recipients=list(dict.fromkeys(members.get(project.pk, []))),
                transfers=[],
                erasure_deadlines=[],
                security_measures=[],
            )
        columns = list(grant.columns.all())
        if grant.purpose not in entry.purposes:
            entry.purposes.append(grant.purpose)
        if grant.legal_basis:
            label = grant.get_legal_basis_display()
            if label not in entry.legal_bases:
                entry.legal_bases.append(label)
        for value in dataset.data_subject_categories or []:
            label = subject_labels.get(value, value)
            if label not in entry.data_subject_categories:
                entry.data_subject_categories.append(label)
        if any(c.personal_data_class != PersonalDataClass.NONE for c in columns):
            for value in dataset.personal_data_categories or []:
                label = category_labels.get(value, value)
                if label not in entry.personal_data_categories:
                    entry.personal_data_categories.append(label)
        if any(c.personal_data_class in (PersonalDataClass.SPECIAL, PersonalDataClass.CRIMINAL) for c in columns):
            entry.special_categories = True
        if dataset.transfers_outside_eu:
            entry.transfers.append(f"{dataset.name}: {dataset.transfer_safeguards or 'outside the EU'}")
        retention = f", retention {dataset.retention_days} days" if dataset.retention_days else ""
        entry.erasure_deadlines.append(f"{dataset.name}: access ends {grant.expires_on}{retention}")
        if dataset.security_measures and dataset.security_measures not in entry.security_measures:
            entry.security_measures.append(dataset.security_measures)
        entry.datasets.append(
            RegisterDataset(
                name=dataset.name,
                slug=dataset.slug,
                columns=[c.name for c in columns],
                expires_on=grant.expires_on.isoformat(),
                retention_days=dataset.retention_days,
                transfers_outside_eu=dataset.transfers_outside_eu,
                transfer_safeguards=dataset.transfer_safeguards,
                security_measures=dataset.security_measures,
                storage_location=dataset.storage_location,
            )
        )
    return list(entries.values())


def register_json(entries: list[RegisterEntry]) -> list[dict[str, Any]]:
    return [asdict(e) for e in entries]


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
REGISTER_CSV_COLUMNS = [
    "project",
    "stage",
    "purposes",
    "legal_bases",
    "data_subject_categories",
    "personal_data_categories",
    "special_categories",
    "recipients",
    "transfers",
    "erasure_deadlines",
    "security_measures",
    "datasets",
]


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def register_csv(entries: list[RegisterEntry]) -> str:
    """The register as CSV (one row per project; lists joined with " | "), safe from formula injection."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTER_CSV_COLUMNS)
    for e in entries:
        values = {
            "project": e.project,
            "stage": e.stage,
            "purposes": " | ".join(e.purposes),
            "legal_bases": " | ".join(e.legal_bases),
            "data_subject_categories": " | ".join(e.data_subject_categories),
            "personal_data_categories": " | ".join(e.personal_data_categories),
            "special_categories": "yes" if e.special_categories else "no",
            "recipients": " | ".join(e.recipients),
            "transfers": " | ".join(e.transfers) or "none",
            "erasure_deadlines": " | ".join(e.erasure_deadlines),
            "security_measures": " | ".join(e.security_measures),
            "datasets": " | ".join(f"{d.name} ({', '.join(d.columns)})" for d in e.datasets),
        }
        writer.writerow([csv_safe(values[c]) for c in REGISTER_CSV_COLUMNS])
    return out.getvalue()


def requests_per_week(*, weeks: int = 12, today: date | None = None) -> list[dict[str, Any]]:
    """Access requests filed (last submitted) per ISO week over the last ``weeks`` weeks, the current one
    included, split by outcome: one aggregate query; weeks without a request count zero."""
    today = today or timezone.localdate()
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    start = timezone.make_aware(datetime.combine(first_monday, time.min))
    rows = (
        AccessRequest.objects.filter(submitted_at__gte=start)
        .annotate(week=TruncWeek("submitted_at"))
        .values("week")
        .annotate(
            approved=Count("pk", filter=Q(status=RequestStatus.APPROVED)),
            refused=Count("pk", filter=Q(status=RequestStatus.REFUSED)),
            other=Count("pk", filter=~Q(status__in=[RequestStatus.APPROVED, RequestStatus.REFUSED])),
        )
        .order_by("week")
    )
    counts = {_week_start(row["week"]): row for row in rows}
    chart = []
    for index in range(weeks):
        monday = first_monday + timedelta(weeks=index)
        row = counts.get(monday, {})
        year, week, _ = monday.isocalendar()
        chart.append(
            {
                "label": f"{year}-W{week:02d}",
                "monday": monday,
                "approved": row.get("approved", 0),
                "refused": row.get("refused", 0),
                "other": row.get("other", 0),
            }
        )
    return chart


def _week_start(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
