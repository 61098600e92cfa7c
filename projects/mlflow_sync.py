"""The MLflow sync: read the model registry of ``MLFLOW_TRACKING_URI`` and mirror it in the projects app.

Two phases, so that a failing server never leaves half a sync behind:

1. ``fetch`` reads MLflow through ``mlflow.MlflowClient`` (the non-deprecated registry API: aliases,
   ``search_registered_models``, ``search_model_versions`` with paging, ``search_runs``) and returns a
   ``Snapshot``. Nothing is written; any failure raises ``MlflowUnavailable``.
2. ``apply`` writes the snapshot in the caller's transaction (``projects.services.mlflow_sync_run``):
   idempotent upserts on MLflow's keys, bulk queries.

Incremental and full passes:

- Every pass lists every registered model (``search_registered_models`` ordered by last update,
  1,000 a page), and refreshes each model's description, tags and aliases: setting a tag or moving an
  alias does not change MLflow's ``last_updated_timestamp``, so they cannot wait for it.
- An incremental pass reads the versions only of the models whose ``last_updated_timestamp`` is past
  what was synced for them (the watermark, kept per model in ``RegisteredModel.last_updated_ms``; the
  highest one is ``MlflowSyncState.watermark_ms``), or that are new. MLflow moves that timestamp
  when a version is created, changed or deleted. Versions of those models missing from MLflow are
  marked deleted.
- A full pass (nightly) reads every version and every run again, marks deleted the versions and models
  gone from MLflow, and refreshes version tags (which, like aliases, do not move the timestamp).
- Runs are read for new versions and for versions whose ``last_updated_timestamp`` moved, a hundred
  run ids a call (``search_runs`` with ``attributes.run_id IN (...)``): params, the metrics' latest
  values, the code version (tag ``mlflow.source.git.commit``), the dataset inputs.

Training data are matched to the catalog by ``match_catalog`` (rule in its docstring).

``CountingClient.calls`` counts the calls made to MLflow; against a tracking server each one is one
HTTP request (plus the HTTP retries of ``MLFLOW_HTTP_RETRIES`` when one fails).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from projects.models import (
    MlflowSyncState,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    RunMetric,
    RunParam,
    TrainingInput,
)

MODELS_PAGE = 1000  # MLflow's maximum for search_registered_models
VERSIONS_PAGE = 10_000
NAMES_PER_QUERY = 50
RUNS_PER_QUERY = 100
GIT_COMMIT_TAG = "mlflow.source.git.commit"
DATASET_CONTEXT_TAG = "mlflow.data.context"

T = TypeVar("T")


class MlflowUnavailable(Exception):
    """MLflow could not be read (server down, network error, server error). Nothing was written."""


# --- What is read from MLflow --------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedModel:
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    created_ms: int
    last_updated_ms: int


@dataclass(frozen=True)
class FetchedVersion:
    name: str
    version: int
    status: str
    stage: str
    description: str
    source: str
    run_id: str
    tags: dict[str, str]
    created_ms: int
    last_updated_ms: int


@dataclass(frozen=True)
class FetchedInput:
    name: str
    digest: str
    source_type: str
    source: str
    context: str


@dataclass(frozen=True)
class FetchedRun:
    run_id: str
    params: dict[str, str]
    metrics: dict[str, tuple[float, int, int]]  # key -> (value, step, timestamp ms)
    git_commit: str
    inputs: list[FetchedInput]


@dataclass
class Snapshot:
    full: bool
    models: list[FetchedModel]
    versions: dict[str, list[FetchedVersion]]  # complete version lists, by model name
    runs: dict[str, FetchedRun]
    runs_requested: set[str]  # run ids read (a run absent from ``runs`` no longer exists)
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())


# --- The client ----------------------------------------------------------------------------------------


def _configure_http() -> None:
    """MLflow's own HTTP retries default to minutes of backoff; the sync keeps them short (the Celery
    task retries the whole sync with its own backoff)."""
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(settings.MLFLOW_HTTP_TIMEOUT)
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(settings.MLFLOW_HTTP_RETRIES)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")


class CountingClient:
    """The calls the sync makes to MLflow, each counted by name in ``calls``."""

    def __init__(self, tracking_uri: str | None = None) -> None:
        from mlflow import MlflowClient

        _configure_http()
        self.tracking_uri = tracking_uri or settings.MLFLOW_TRACKING_URI
        self.client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        self.calls: Counter[str] = Counter()

    def _call(self, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.calls[name] += 1
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # MlflowException, requests' and urllib3's errors, OSError
            raise MlflowUnavailable(f"MLflow at {_redacted(self.tracking_uri)}: {name} failed: {exc}") from exc

    def _pages(self, name: str, fn: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(name, fn, page_token=token, **kwargs)
            yield from page
            token = page.token
            if not token:
                return

    def registered_models(self) -> list[FetchedModel]:
        models = []
        for rm in self._pages(
            "search_registered_models",
            self.client.search_registered_models,
            max_results=MODELS_PAGE,
            order_by=["last_updated_timestamp DESC"],
        ):
            models.append(
                FetchedModel(
                    name=rm.name,
                    description=rm.description or "",
                    tags=dict(rm.tags or {}),
                    aliases={str(a): int(v) for a, v in (rm.aliases or {}).items()},
                    created_ms=int(rm.creation_timestamp or 0),
                    last_updated_ms=int(rm.last_updated_timestamp or 0),
                )
            )
        return models

    def model_versions(self, names: list[str] | None) -> list[FetchedVersion]:
        """Every version (``names`` None), or the versions of the models named."""
        filters = [""] if names is None else list(_name_filters(names))
        versions = []
        for filter_string in filters:
            for mv in self._pages(
                "search_model_versions",
                self.client.search_model_versions,
                filter_string=filter_string,
                max_results=VERSIONS_PAGE,
            ):
                versions.append(_version(mv))
        return versions

    def runs(self, run_ids: Iterable[str]) -> dict[str, FetchedRun]:
        from mlflow.entities import ViewType

        ids = sorted(set(run_ids))
        if not ids:
            return {}
        experiments = [
            e.experiment_id
            for e in self._pages(
                "search_experiments", self.client.search_experiments, view_type=ViewType.ALL, max_results=1000
            )
        ]
        runs: dict[str, FetchedRun] = {}
        for batch in _batches(ids, RUNS_PER_QUERY):
            quoted = ", ".join(f"'{run_id}'" for run_id in batch if run_id.isalnum())
            if not quoted:
                continue
            for run in self._pages(
                "search_runs",
                self.client.search_runs,
                experiment_ids=experiments,
                filter_string=f"attributes.run_id IN ({quoted})",
                run_view_type=ViewType.ALL,
                max_results=RUNS_PER_QUERY,
            ):
                runs[run.info.run_id] = _run(run)
        return runs


def _redacted(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@")
    return uri


def _batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _name_filters(names: list[str]) -> Iterator[str]:
    """``name IN (...)`` filters, a batch of names each; a name holding a single quote goes alone,
    double-quoted."""
    plain = sorted(n for n in names if "'" not in n)
    for batch in _batches(plain, NAMES_PER_QUERY):
        yield "name IN (" + ", ".join(f"'{n}'" for n in batch) + ")"
    for name in sorted(n for n in names if "'" in n and '"' not in n):
        yield f'name = "{name}"'


def _version(mv: Any) -> FetchedVersion:
    stage = mv.current_stage or ""
    return FetchedVersion(
        name=mv.name,
        version=int(mv.version),
        status=str(mv.status or ""),
        stage="" if stage == "None" else stage,
        description=mv.description or "",
        source=mv.source or "",
        run_id=mv.run_id or "",
        tags=dict(mv.tags or {}),
        created_ms=int(mv.creation_timestamp or 0),
        last_updated_ms=int(mv.last_updated_timestamp or 0),
    )


def _source_uri(source: str) -> str:
    """The URI of an MLflow dataset source: its JSON's ``uri`` (or ``path``, ``url``), else as given."""
    try:
        parsed = json.loads(source)
    except (TypeError, ValueError):
        return source or ""
    if isinstance(parsed, dict):
        for key in ("uri", "path", "url", "table_name"):
            if parsed.get(key):
                return str(parsed[key])
    return source


def _run(run: Any) -> FetchedRun:
    inputs = []
    for dataset_input in getattr(run.inputs, "dataset_inputs", None) or []:
        dataset = dataset_input.dataset
        tags = {t.key: t.value for t in dataset_input.tags or []}
        inputs.append(
            FetchedInput(
                name=dataset.name or "",
                digest=dataset.digest or "",
                source_type=dataset.source_type or "",
                source=_source_uri(dataset.source),
                context=tags.get(DATASET_CONTEXT_TAG, ""),
            )
        )
    # RunData keeps the Metric entities (value, step, timestamp) behind ``metrics`` (values only).
    metric_objs = getattr(run.data, "_metric_objs", None)
    if metric_objs is not None:
        metrics = {m.key: (float(m.value), int(m.step or 0), int(m.timestamp or 0)) for m in metric_objs}
    else:
        metrics = {k: (float(v), 0, 0) for k, v in run.data.metrics.items()}
    return FetchedRun(
        run_id=run.info.run_id,
        params={k: str(v) for k, v in run.data.params.items()},
        metrics=metrics,
        git_commit=run.data.tags.get(GIT_COMMIT_TAG, ""),
        inputs=inputs,
    )


def fetch(*, full: bool, client: CountingClient | None = None) -> Snapshot:
    """Read what the pass needs from MLflow (see the module docstring). Raises ``MlflowUnavailable``."""
    client = client or CountingClient()
    models = client.registered_models()
    known = dict(RegisteredModel.objects.filter(deleted_at__isnull=True).values_list("name", "last_updated_ms"))
    if full:
        changed = [m.name for m in models]
        fetched = client.model_versions(None)
    else:
        changed = [m.name for m in models if m.name not in known or m.last_updated_ms > known[m.name]]
        fetched = client.model_versions(changed) if changed else []
    versions: dict[str, list[FetchedVersion]] = {name: [] for name in changed}
    for version in fetched:
        if version.name in versions:
            versions[version.name].append(version)
    run_ids = _runs_to_read(versions, full=full)
    runs = client.runs(run_ids)
    return Snapshot(
        full=full, models=models, versions=versions, runs=runs, runs_requested=set(run_ids), calls=client.calls
    )


def _runs_to_read(versions: dict[str, list[FetchedVersion]], *, full: bool) -> set[str]:
    """Run ids of the versions read: all of them in a full pass, else those of new versions and of
    versions changed since their run was read (``run_synced_ms``)."""
    fetched = [v for vs in versions.values() for v in vs if v.run_id]
    if full or not fetched:
        return {v.run_id for v in fetched}
    up_to_date = set(
        ModelVersion.objects.filter(registered_model__name__in=list(versions), run_synced_ms__isnull=False).values_list(
            "registered_model__name", "version", "run_synced_ms", "run_id"
        )
    )
    return {v.run_id for v in fetched if (v.name, v.version, v.last_updated_ms, v.run_id) not in up_to_date}


# --- Matching training data to the catalog ----------------------------------------------------------------


def match_catalog(inputs: Iterable[FetchedInput]) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    """Catalog dataset and version ids of each input, by (name, digest).

    The rule:

    - the dataset is the catalog dataset whose slug or else whose name is the input's name (ignoring
      case), else whose location is the input's source URI;
    - the version is, among that dataset's versions, the one whose URI is the source URI, else whose
      stored file path ends the source path (``datasets/<slug>/v<n>/<file>``), else whose schema
      fingerprint starts with the input's digest; else the highest-numbered one whose file name is the
      source's file name. No match leaves the field empty (the input still shows, unlinked).
    """
    from catalog.models import Dataset, DatasetVersion

    items = list(inputs)
    if not items:
        return {}
    names = {i.name for i in items}
    uris = {i.source for i in items if i.source}
    lowered = {n.lower() for n in names}
    candidates = list(
        Dataset.objects.annotate(lower_name=Lower("name"))
        .filter(Q(slug__in=lowered) | Q(lower_name__in=lowered) | Q(location__in=uris or [""]))
        .values("id", "slug", "name", "location")
    )
    by_slug = {d["slug"]: d["id"] for d in candidates}
    by_name = {d["name"].lower(): d["id"] for d in candidates}
    by_location = {d["location"]: d["id"] for d in candidates if d["location"]}
    dataset_of: dict[tuple[str, str], int | None] = {}
    for item in items:
        dataset_of[(item.name, item.digest)] = (
            by_slug.get(item.name.lower()) or by_name.get(item.name.lower()) or by_location.get(item.source)
        )
    dataset_ids = {d for d in dataset_of.values() if d}
    versions: dict[int, list[dict[str, Any]]] = {}
    for row in (
        DatasetVersion.objects.filter(dataset_id__in=dataset_ids)
        .order_by("-number")
        .values("id", "dataset_id", "uri", "file", "schema_fingerprint")
    ):
        versions.setdefault(row["dataset_id"], []).append(row)
    result: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for item in items:
        dataset_id = dataset_of[(item.name, item.digest)]
        version_id = _match_version(item, versions.get(dataset_id, [])) if dataset_id else None
        result[(item.name, item.digest)] = (dataset_id, version_id)
    return result


def _match_version(item: FetchedInput, versions: list[dict[str, Any]]) -> int | None:
    source = item.source
    path = urlsplit(source).path if "://" in source else source
    for row in versions:
        if row["uri"] and row["uri"] == source:
            return int(row["id"])
    for row in versions:
        if row["file"] and path.endswith(str(row["file"])):
            return int(row["id"])
    if item.digest:
        for row in versions:
            if row["schema_fingerprint"] and row["schema_fingerprint"].startswith(item.digest):
                return int(row["id"])
    base = PurePosixPath(path).name
    if base:
        for row in versions:
            names = {PurePosixPath(str(row["file"])).name, PurePosixPath(urlsplit(row["uri"] or "").path).name}
            if base in names - {""}:
                return int(row["id"])
    return None


# --- Writing the snapshot --------------------------------------------------------------------------------


@dataclass
class ApplyCounts:
    models_seen: int = 0
    models_created: int = 0
    models_updated: int = 0
    models_deleted: int = 0
    aliases_changed: int = 0
    versions_created: int = 0
    versions_updated: int = 0
    versions_deleted: int = 0
    runs_read: int = 0


def _dt(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None


def apply(snapshot: Snapshot, *, now: datetime) -> ApplyCounts:
    """Write ``snapshot`` (in the caller's transaction). Idempotent: applying it twice changes nothing
    the second time."""
    counts = ApplyCounts(models_seen=len(snapshot.models))
    models = _apply_models(snapshot, now=now, counts=counts)
    _apply_aliases(snapshot, models, now=now, counts=counts)
    _apply_versions(snapshot, models, now=now, counts=counts)
    _apply_runs(snapshot, counts=counts)
    return counts


def _apply_models(snapshot: Snapshot, *, now: datetime, counts: ApplyCounts) -> dict[str, RegisteredModel]:
    existing = {m.name: m for m in RegisteredModel.objects.all()}
    create, update = [], []
    for fm in snapshot.models:
        values = {
            "description": fm.description,
            "tags": fm.tags,
            "created_at_mlflow": _dt(fm.created_ms),
            "last_updated_ms": fm.last_updated_ms,
            "deleted_at": None,
        }
        row = existing.get(fm.name)
        if row is None:
            row = RegisteredModel(name=fm.name, synced_at=now, **values)
            create.append(row)
            existing[fm.name] = row
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.synced_at = now
            update.append(row)
    RegisteredModel.objects.bulk_create(create, batch_size=500)
    RegisteredModel.objects.bulk_update(update, [*_MODEL_FIELDS, "synced_at"], batch_size=500)
    counts.models_created, counts.models_updated = len(create), len(update)
    if create:  # primary keys, whatever the database backend
        ids = dict(RegisteredModel.objects.filter(name__in=[m.name for m in create]).values_list("name", "id"))
        for row in create:
            row.pk = row.id = ids[row.name]
    if snapshot.full:
        seen = {m.name for m in snapshot.models}
        gone = [m.pk for name, m in existing.items() if name not in seen and m.deleted_at is None]
        if gone:
            counts.models_deleted = RegisteredModel.objects.filter(pk__in=gone).update(deleted_at=now, synced_at=now)
            ModelVersion.objects.filter(registered_model_id__in=gone, deleted_at__isnull=True).update(deleted_at=now)
            ModelAlias.objects.filter(registered_model_id__in=gone).delete()
    return existing


_MODEL_FIELDS = ["description", "tags", "created_at_mlflow", "last_updated_ms", "deleted_at"]


def _apply_aliases(
    snapshot: Snapshot, models: dict[str, RegisteredModel], *, now: datetime, counts: ApplyCounts
) -> None:
    existing: dict[tuple[int, str], ModelAlias] = {
        (a.registered_model_id, a.alias): a for a in ModelAlias.objects.all()
    }
    seen_models = set()
    create, update = [], []
    wanted: set[tuple[int, str]] = set()
    for fm in snapshot.models:
        model_id = models[fm.name].pk
        seen_models.add(model_id)
        for alias, version in fm.aliases.items():
            wanted.add((model_id, alias))
            row = existing.get((model_id, alias))
            if row is None:
                create.append(ModelAlias(registered_model_id=model_id, alias=alias, version=version, synced_at=now))
            elif row.version != version:
                row.version, row.synced_at = version, now
                update.append(row)
    stale = [a.pk for key, a in existing.items() if key[0] in seen_models and key not in wanted]
    ModelAlias.objects.bulk_create(create, batch_size=500)
    ModelAlias.objects.bulk_update(update, ["version", "synced_at"], batch_size=500)
    if stale:
        ModelAlias.objects.filter(pk__in=stale).delete()
    counts.aliases_changed = len(create) + len(update) + len(stale)


_VERSION_FIELDS = [
    "status",
    "stage",
    "description",
    "source",
    "run_id",
    "tags",
    "created_at_mlflow",
    "last_updated_ms",
    "deleted_at",
]


def _apply_versions(
    snapshot: Snapshot, models: dict[str, RegisteredModel], *, now: datetime, counts: ApplyCounts
) -> None:
    if not snapshot.versions:
        return
    model_ids = {models[name].pk: name for name in snapshot.versions}
    existing: dict[tuple[int, int], ModelVersion] = {
        (v.registered_model_id, v.version): v for v in ModelVersion.objects.filter(registered_model_id__in=model_ids)
    }
    create, update = [], []
    seen: set[tuple[int, int]] = set()
    for name, fetched in snapshot.versions.items():
        model_id = models[name].pk
        for fv in fetched:
            key = (model_id, fv.version)
            seen.add(key)
            values = {
                "status": fv.status,
                "stage": fv.stage,
                "description": fv.description,
                "source": fv.source,
                "run_id": fv.run_id,
                "tags": fv.tags,
                "created_at_mlflow": _dt(fv.created_ms),
                "last_updated_ms": fv.last_updated_ms,
                "deleted_at": None,
            }
            row = existing.get(key)
            if row is None:
                create.append(ModelVersion(registered_model_id=model_id, version=fv.version, synced_at=now, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.synced_at = now
                update.append(row)
    ModelVersion.objects.bulk_create(create, batch_size=500)
    ModelVersion.objects.bulk_update(update, [*_VERSION_FIELDS, "synced_at"], batch_size=500)
    gone = [v.pk for key, v in existing.items() if key not in seen and v.deleted_at is None]
    if gone:
        ModelVersion.objects.filter(pk__in=gone).update(deleted_at=now, synced_at=now)
    counts.versions_created, counts.versions_updated, counts.versions_deleted = len(create), len(update), len(gone)


def _apply_runs(snapshot: Snapshot, *, counts: ApplyCounts) -> None:
    run_ids = sorted(snapshot.runs_requested)
    if not run_ids:
        return
    counts.runs_read = len(snapshot.runs)
    versions_of: dict[str, list[FetchedVersion]] = {}
    for fetched in snapshot.versions.values():
        for fv in fetched:
            if fv.run_id in snapshot.runs_requested:
                versions_of.setdefault(fv.run_id, []).append(fv)
    _upsert_params(snapshot.runs, run_ids)
    _upsert_metrics(snapshot.runs, run_ids)
    all_inputs = [i for run in snapshot.runs.values() for i in run.inputs]
    matches = match_catalog(all_inputs)
    rows = {
        (v.registered_model.name, v.version): v
        for v in ModelVersion.objects.filter(run_id__in=run_ids).select_related("registered_model")
    }
    existing_inputs: dict[int, dict[tuple[str, str], TrainingInput]] = {}
    for ti in TrainingInput.objects.filter(model_version__in=[v.pk for v in rows.values()]):
        existing_inputs.setdefault(ti.model_version_id, {})[(ti.name, ti.digest)] = ti
    version_updates, input_creates, input_updates, input_deletes = [], [], [], []
    for run_id, fvs in versions_of.items():
        run = snapshot.runs.get(run_id)
        for fv in fvs:
            row = rows.get((fv.name, fv.version))
            if row is None:
                continue
            row.git_commit = run.git_commit if run else ""
            row.run_synced_ms = fv.last_updated_ms
            version_updates.append(row)
            have = existing_inputs.get(row.pk, {})
            want = {}
            for item in run.inputs if run else []:
                dataset_id, version_id = matches.get((item.name, item.digest), (None, None))
                want[(item.name, item.digest)] = {
                    "source_type": item.source_type,
                    "source": item.source,
                    "context": item.context,
                    "dataset_id": dataset_id,
                    "dataset_version_id": version_id,
                }
            for key, values in want.items():
                ti = have.get(key)
                if ti is None:
                    input_creates.append(TrainingInput(model_version=row, name=key[0], digest=key[1], **values))
                elif any(getattr(ti, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(ti, k, v)
                    input_updates.append(ti)
            input_deletes.extend(ti.pk for key, ti in have.items() if key not in want)
    ModelVersion.objects.bulk_update(version_updates, ["git_commit", "run_synced_ms"], batch_size=500)
    TrainingInput.objects.bulk_create(input_creates, batch_size=500)
    TrainingInput.objects.bulk_update(
        input_updates, ["source_type", "source", "context", "dataset_id", "dataset_version_id"], batch_size=500
    )
    if input_deletes:
        TrainingInput.objects.filter(pk__in=input_deletes).delete()


def _upsert_params(runs: dict[str, FetchedRun], run_ids: list[str]) -> None:
    existing = {(p.run_id, p.key): p for p in RunParam.objects.filter(run_id__in=run_ids)}
    create, update = [], []
    want: set[tuple[str, str]] = set()
    for run in runs.values():
        for key, value in run.params.items():
            want.add((run.run_id, key))
            row = existing.get((run.run_id, key))
            if row is None:
                create.append(RunParam(run_id=run.run_id, key=key, value=value))
            elif row.value != value:
                row.value = value
                update.append(row)
    RunParam.objects.bulk_create(create, batch_size=500)
    RunParam.objects.bulk_update(update, ["value"], batch_size=500)
    stale = [p.pk for key, p in existing.items() if key not in want]
    if stale:
        RunParam.objects.filter(pk__in=stale).delete()


def _upsert_metrics(runs: dict[str, FetchedRun], run_ids: list[str]) -> None:
    existing = {(m.run_id, m.key): m for m in RunMetric.objects.filter(run_id__in=run_ids)}
    create, update = [], []
    want: set[tuple[str, str]] = set()
    for run in runs.values():
        for key, (value, step, timestamp) in run.metrics.items():
            want.add((run.run_id, key))
            row = existing.get((run.run_id, key))
            if row is None:
                create.append(RunMetric(run_id=run.run_id, key=key, value=value, step=step, timestamp_ms=timestamp))
            elif (row.value, row.step, row.timestamp_ms) != (value, step, timestamp):
                row.value, row.step, row.timestamp_ms = value, step, timestamp
                update.append(row)
    RunMetric.objects.bulk_create(create, batch_size=500)
    RunMetric.objects.bulk_update(update, ["value", "step", "timestamp_ms"], batch_size=500)
    stale = [m.pk for key, m in existing.items() if key not in want]
    if stale:
        RunMetric.objects.filter(pk__in=stale).delete()


def sync_state() -> MlflowSyncState:
    """The sync bookkeeping row (created on first use)."""
    state, _ = MlflowSyncState.objects.get_or_create(key="default")
    return state
