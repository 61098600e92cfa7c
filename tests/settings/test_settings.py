"""Settings come from the environment, parsed strictly; production values pass check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cadastre.env import StrictEnv

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qp9Lm2Zr5Vt8Wb1Nc4Hd6Jf0Gs3Ky" * 2,
    "ALLOWED_HOSTS": "cadastre.example.com",
    "HTTPS": "true",
    "DATABASE_URL": "postgres://cadastre:secret@db.example.com:5432/cadastre",
    "ELASTICSEARCH_URL": "https://search.example.com:9200",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    "MLFLOW_TRACKING_URI": "https://mlflow.example.com",
    "UPLOAD_MAX_MB": "1024",
}


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("CELERY")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    full = {**clean, "CADASTRE_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x@h/db"),
        ("DATABASE_URL", "postgres://host:notaport/db"),
        ("ELASTICSEARCH_URL", "localhost:9200"),
        ("CELERY_BROKER_URL", "http://redis:6379"),
        ("MLFLOW_TRACKING_URI", "ftp://mlflow"),
        ("SECRET_KEY", "short"),
        ("ALLOWED_HOSTS", "a,,b"),
        ("UPLOAD_MAX_MB", "ten"),
        ("UPLOAD_MAX_MB", "0"),
        ("HTTPS", "si"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(name: str, value: str, tmp_path: Path) -> None:
    result = run_manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"Configuration error: Environment variable {name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_default_when_nothing_is_set(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.SEARCH_BACKEND, s.CELERY_TASK_ALWAYS_EAGER, s.MLFLOW_TRACKING_URI)"
    )
    result = run_manage("shell", "-c", code, env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    engine, search, eager, mlflow = result.stdout.split()[-4:]
    assert engine == "django.db.backends.sqlite3"
    assert search == "database" and eager == "True"
    assert mlflow == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_scale_out_values_are_used(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.SEARCH_BACKEND,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.UPLOAD_MAX_BYTES)"
    )
    result = run_manage("shell", "-c", code, env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == [
        "django.db.backends.postgresql",
        "db.example.com",
        "elasticsearch",
        "False",
        str(1024 * 1024 * 1024),
    ]


def test_check_deploy_reports_nothing_with_production_values(tmp_path: Path) -> None:
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_strict_env_reader_unit() -> None:
    env = StrictEnv({"A": "yes", "B": " 12 ", "C": "x, y", "D": ""})
    assert env.bool("A", False) is True
    assert env.int("B", 0) == 12
    assert env.list("C", []) == ["x", "y"]
    assert env.str("D", "default") == "default"
    with pytest.raises(ImproperlyConfigured, match="Environment variable B="):
        env.int("B", 0, minimum=13)
