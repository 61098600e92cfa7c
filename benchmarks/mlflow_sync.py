"""How long does the MLflow sync take on a registry of 1,000 models × 5 versions, and how many HTTP calls?

1. Builds an MLflow store of ``--models`` registered models × ``--versions`` versions, each version with
   its own finished run (2 params, 2 metrics, the git commit tag, 1 dataset input), written directly
   into the server's SQLite backend with MLflow's own store (not timed; the store is on /dev/shm
   unless ``--store-dir`` says otherwise, which makes populating it 4x faster). A tenth of the models carry
   the project tag of one of 50 projects (``cadastre.project``), each project with an ML-metric KPI.
2. Starts a real ``mlflow server`` on 127.0.0.1 on that store (``tests/mlflow_server.py``) and a fresh
   Cadastre database (SQLite under a temporary ``CADASTRE_VAR_DIR``, or ``DATABASE_URL`` when set),
   migrated.
3. Times ``projects.services.mlflow_sync_run``: a first full sync (empty database), a second full sync
   (nothing new), incremental syncs with no change (``--repeat`` times), and an incremental sync after
   changes (aliases moved on 20 models, a new version on 20 models, a tag set on 20 models), then
   the governance checks (``governance.model_checks``).

HTTP calls are counted twice: by the sync's client (``CountingClient``) and by the server itself
(its access log lines for ``/api/2.0/mlflow/``); both are printed.

    python benchmarks/mlflow_sync.py --models 1000 --versions 5
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadastre.settings")
FRESH_VAR = "CADASTRE_VAR_DIR" not in os.environ or "--fresh-var" in sys.argv
if FRESH_VAR:
    os.environ["CADASTRE_VAR_DIR"] = tempfile.mkdtemp(prefix="cadastre-bench-mlflow.")

import django  # noqa: E402

django.setup()
logging.getLogger("mlflow").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from governance.model_checks import model_governance_check  # noqa: E402
from projects import services  # noqa: E402
from projects.models import ModelVersion, Project, ProjectKPI, RegisteredModel, TrainingInput  # noqa: E402
from tests.mlflow_server import MlflowServer  # noqa: E402

PROJECTS = 50


def populate(store_uri: str, *, models: int, versions: int) -> float:
    """Write the registry into the MLflow backend store directly (no server): models, versions, runs."""
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    experiment = client.create_experiment("benchmark")
    started = time.perf_counter()
    for m in range(models):
        name = f"bench-model-{m:04d}"
        tags = {"cadastre.project": f"bench-project-{m % PROJECTS:02d}"} if m % 10 == 0 else {}
        client.create_registered_model(name, tags=tags)
        for v in range(versions):
            run = client.create_run(experiment)
            run_id = run.info.run_id
            now = int(time.time() * 1000)
            client.log_batch(
                run_id,
                metrics=[Metric("auc", 0.8 + 0.02 * v, now, 1), Metric("log_loss", 0.4 - 0.03 * v, now, 1)],
                params=[Param("max_depth", str(4 + v)), Param("learning_rate", "0.1")],
                tags=[RunTag("mlflow.source.git.commit", f"{m:04d}{v:02d}" + "a" * 34)],
            )
            dataset = Dataset(
                name=f"bench-dataset-{m % 100:02d}",
                digest=f"{m:04x}{v:04x}",
                source_type="s3",
                source=f'{{"uri": "s3://lake/bench/{m % 100:02d}/v{v + 1}.parquet"}}',
            )
            client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "training")])])
            client.set_terminated(run_id)
            client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id)
        client.set_registered_model_alias(name, "champion", versions)
        if (m + 1) % 100 == 0:
            print(f"  populated {m + 1}/{models} models ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


def server_calls(server: MlflowServer) -> int:
    return sum(1 for line in server.log_path.read_text(errors="replace").splitlines() if "/api/2.0/mlflow/" in line)


def server_cpu(server: MlflowServer) -> float:
    """CPU seconds (user + system) used so far by the server's process group (server and workers)."""
    assert server.process is not None
    group, total = server.process.pid, 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


Timed = tuple[float, float, float, int, int, services.SyncSummary]


def timed_sync(server: MlflowServer, *, full: bool) -> Timed:
    """Wall time, the sync's CPU time, the server's CPU time, client calls, HTTP requests, summary."""
    before, server_before = server_calls(server), server_cpu(server)
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = services.mlflow_sync_run(full=full)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    time.sleep(0.3)  # the access log line is written after the response
    return elapsed, cpu, server_cpu(server) - server_before, summary.calls, server_calls(server) - before, summary


def report(
    label: str,
    elapsed: float,
    cpu: float,
    server_cpu_s: float,
    client_calls: int,
    http_calls: int,
    summary: services.SyncSummary,
) -> None:
    print(
        f"{label}: {elapsed:.2f} s wall (CPU: sync {cpu:.2f} s, MLflow server {server_cpu_s:.2f} s), "
        f"{client_calls} client calls, {http_calls} HTTP requests at the server "
        f"{dict(summary.calls_by_kind)}; models +{summary.models_created}/~{summary.models_updated}, "
        f"versions +{summary.versions_created}/~{summary.versions_updated}/-{summary.versions_deleted}, "
        f"aliases changed {summary.aliases_changed}, runs read {summary.runs_read}, links +{len(summary.links_added)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5, help="incremental syncs with no change")
    parser.add_argument("--fresh-var", action="store_true", help="a new CADASTRE_VAR_DIR even if one is set")
    shm = Path("/dev/shm")  # noqa: S108  (a private mkdtemp directory is created in it)
    parser.add_argument(
        "--store-dir",
        default=str(shm) if shm.is_dir() else None,
        help="where the MLflow server's SQLite store goes (default /dev/shm: populating it is 4x faster)",
    )
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}, "
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    for i in range(PROJECTS):
        project = Project.objects.create(name=f"Bench project {i:02d}", slug=f"bench-project-{i:02d}", purpose="Bench.")
        ProjectKPI.objects.create(project=project, kind="ml", name="AUC", target=0.85, direction="higher")

    root = Path(tempfile.mkdtemp(prefix="cadastre-bench-mlflow-store.", dir=args.store_dir))
    server = MlflowServer(root=root, workers=1)
    print(f"populating {args.models} models × {args.versions} versions into {server.backend_uri} ...", flush=True)
    populated = populate(server.backend_uri, models=args.models, versions=args.versions)
    print(f"populated in {populated:.0f} s", flush=True)
    server.start()
    settings.MLFLOW_TRACKING_URI = server.url
    try:
        first = timed_sync(server, full=True)
        report("full sync, empty database", *first)
        second = timed_sync(server, full=True)
        report("full sync, nothing new", *second)
        idle = [timed_sync(server, full=False) for _ in range(args.repeat)]
        for i, run in enumerate(idle):
            report(f"incremental sync, no change #{i + 1}", *run)
        idle_times = [r[0] for r in idle]
        print(
            f"incremental, no change: median {statistics.median(idle_times):.3f} s wall, max {max(idle_times):.3f} s; "
            f"median CPU: sync {statistics.median(r[1] for r in idle):.3f} s, "
            f"server {statistics.median(r[2] for r in idle):.3f} s; "
            f"HTTP requests {sorted({r[4] for r in idle})} (bound: ceil(models / 1000) + 1 = "
            f"{-(-args.models // 1000) + 1})",
            flush=True,
        )

        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
        experiment = client.get_experiment_by_name("benchmark").experiment_id
        k = min(20, args.models // 3)
        for m in range(0, k):
            client.set_registered_model_alias(f"bench-model-{m:04d}", "champion", 1)
        for m in range(k, 2 * k):
            run_id = client.create_run(experiment).info.run_id
            client.log_metric(run_id, "auc", 0.95)
            client.set_terminated(run_id)
            client.create_model_version(f"bench-model-{m:04d}", source=f"runs:/{run_id}/model", run_id=run_id)
        for m in range(2 * k, 3 * k):
            client.set_registered_model_tag(f"bench-model-{m:04d}", "reviewed", "yes")
        changed = timed_sync(server, full=False)
        report(f"incremental sync after {k} alias moves, {k} new versions, {k} model tags", *changed)

        started = time.perf_counter()
        checks = model_governance_check()
        print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)
        print(
            f"governance checks: {time.perf_counter() - started:.2f} s, {len(checks.raised)} alerts raised",
            flush=True,
        )
        print(
            f"database: {RegisteredModel.objects.count()} models, {ModelVersion.objects.count()} versions, "
            f"{TrainingInput.objects.count()} training inputs",
            flush=True,
        )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        if FRESH_VAR:
            shutil.rmtree(os.environ["CADASTRE_VAR_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
