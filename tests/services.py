"""Real services for tests, started on 127.0.0.1 by the fixtures that need them and stopped after.

Nothing here is mocked: each helper runs the real server binary from Debian's packages, which the
test command installs (scripts/test.sh). A missing binary is a failure, not a skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def require_binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        raise RuntimeError(f"{name} is not installed: run scripts/test.sh, which installs it from Debian's packages")
    return path


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def redis_server(port: int | None = None) -> Iterator[RedisServer]:
    binary = require_binary("redis-server")
    port = port or free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(port=port, process=process)
    try:
        wait_for_port(port)
        deadline = time.monotonic() + 10
        while not server.ping():
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server does not answer PING")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


def current_database_url() -> str:
    """A DATABASE_URL for the database this test process uses (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


# --- Elasticsearch -------------------------------------------------------------------------------
# A real node from the integ-test-zip distribution, fetched and run by scripts/elasticsearch.sh (the
# one implementation of fetch/start/stop; this only calls it). Its state directory (config, data,
# logs, port) lives under /tmp, where the unprivileged node user can reach it when tests run as root.

ELASTICSEARCH_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "elasticsearch.sh"


@dataclass
class ElasticsearchNode:
    state_dir: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _script(self, command: str, *args: str) -> str:
        result = subprocess.run(
            ["bash", str(ELASTICSEARCH_SCRIPT), command, "--state-dir", str(self.state_dir), *args],
            capture_output=True,
            text=True,
            timeout=420,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"scripts/elasticsearch.sh {command} failed ({result.returncode}):\n{result.stderr}{result.stdout}"
            )
        return result.stdout

    def start(self) -> None:
        """Start the node (again): same port, same data directory, so indexed data survives a restart."""
        output = self._script("start", *(["--port", str(self.port)] if self.port else []))
        url = next(line for line in output.splitlines() if line.startswith("ELASTICSEARCH_URL="))
        self.port = int(url.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop the node for real (SIGTERM, wait for the process to exit)."""
        self._script("stop")

    def is_up(self) -> bool:
        if not self.port:
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


@contextmanager
def elasticsearch_node(*, port: int | None = None) -> Iterator[ElasticsearchNode]:
    """A single-node Elasticsearch 8 on 127.0.0.1 (security off), stopped and deleted on exit."""
    node = ElasticsearchNode(state_dir=Path(tempfile.mkdtemp(prefix="cadastre-es.", dir="/tmp")), port=port or 0)
    try:
        node.start()
        yield node
    finally:
        try:
            node.stop()
        finally:
            shutil.rmtree(node.state_dir, ignore_errors=True)
