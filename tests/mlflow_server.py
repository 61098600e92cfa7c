"""A real MLflow tracking server for tests and benchmarks: ``mlflow server`` from the venv, on
127.0.0.1, with a SQLite backend store and a local artifact root in a temporary directory.

``MlflowServer.stop()`` stops it for real (SIGTERM, then wait) and ``start()`` starts it again on the
same port with the same store, so tests cause the "MLflow unreachable" fault for real.

Use the session fixture ``mlflow_server`` (import ``mlflow_server_fixture`` into a test module), or the context
manager ``mlflow_server_running()`` (the benchmark does).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.services import free_port

MLFLOW_BIN = Path(sys.executable).with_name("mlflow")


@dataclass
class MlflowServer:
    root: Path
    port: int = 0
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def backend_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, *, timeout: float = 120.0) -> None:
        if not MLFLOW_BIN.exists():
            raise RuntimeError(f"{MLFLOW_BIN} is missing: install requirements.txt into the venv")
        self.port = self.port or free_port()
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "PYTHONUNBUFFERED": "1"}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(MLFLOW_BIN),
                "server",
                "--backend-store-uri",
                self.backend_uri,
                "--default-artifact-root",
                str(self.root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env=env,
            start_new_session=True,  # its own process group: stop() ends the server and its workers
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self.is_up():
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited ({self.process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"mlflow server not healthy after {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.is_up() and time.monotonic() < deadline:  # the port is free again
            time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def mlflow_server_running(*, workers: int = 1) -> Iterator[MlflowServer]:
    root = Path(tempfile.mkdtemp(prefix="cadastre-mlflow."))
    server = MlflowServer(root=root, workers=workers)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", name="mlflow_server")
def mlflow_server_fixture() -> Iterator[MlflowServer]:
    """A tracking server for the whole test session (started on first use)."""
    with mlflow_server_running() as server:
        yield server


# --- Writing to MLflow as a data scientist would -------------------------------------------------------


@dataclass
class MlflowWriter:
    """Registers models and logs runs on one tracking URI, with the public MLflow API."""

    tracking_uri: str
    experiment: str = "cadastre-tests"

    @property
    def client(self):  # type: ignore[no-untyped-def]  # mlflow.MlflowClient
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def log_run(
        self,
        *,
        params: dict[str, object] | None = None,
        metrics: dict[str, float] | None = None,
        git_commit: str = "",
        inputs: list[tuple[str, str]] | None = None,  # (dataset name, source URI)
    ) -> str:
        """A finished run with params, metrics, the code version and training inputs; its id."""
        import mlflow
        import pandas as pd

        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_experiment(self.experiment)
        with mlflow.start_run() as run:
            for key, value in (params or {}).items():
                mlflow.log_param(key, value)
            for key, value in (metrics or {}).items():
                mlflow.log_metric(key, value, step=1)
            if git_commit:
                mlflow.set_tag("mlflow.source.git.commit", git_commit)
            for index, (name, source) in enumerate(inputs or []):
                frame = pd.DataFrame({"amount": [1.0 + index, 2.0], "label": [0, 1]})
                mlflow.log_input(mlflow.data.from_pandas(frame, name=name, source=source), context="training")
        return str(run.info.run_id)

    def register(self, name: str, *, tags: dict[str, str] | None = None) -> None:
        self.client.create_registered_model(name, tags=tags or {})

    def add_version(self, name: str, run_id: str) -> int:
        version = self.client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id)
        return int(version.version)
