"""Cadastre settings, read from environment variables.

Unset variables give the embedded default: a SQLite file, database-backed search, Celery tasks
executed in-process and a local MLflow store, all under ``CADASTRE_VAR_DIR`` (``./var``).
Setting ``DATABASE_URL``, ``ELASTICSEARCH_URL``, ``CELERY_BROKER_URL`` and ``MLFLOW_TRACKING_URI``
switches to the scale-out deployment. Values are parsed strictly: a bad one stops start-up with
a message naming the variable (see ``cadastre/env.py``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from cadastre.env import StrictEnv

env = StrictEnv()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("CADASTRE_VAR_DIR", str(BASE_DIR / "var")) or "").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

DEBUG = env.bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the var directory."""
    value = env.str("SECRET_KEY")
    if value is not None:
        if len(value) < 50 or len(set(value)) < 5:
            raise ImproperlyConfigured(
                "Environment variable SECRET_KEY is invalid: expected at least 50 characters with 5 distinct ones."
            )
        return value
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

# Behind HTTPS (scale-out): secure cookies, HSTS and redirect to HTTPS.
HTTPS = env.bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "catalog",
    "projects",
    "governance",
    "workers",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cadastre.urls"
WSGI_APPLICATION = "cadastre.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.cadastre",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cadastre.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # Tests use a file (one per test run) so that a separate worker process can open the same
    # database; the file is removed when the run ends.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-cadastre-{os.getpid()}.sqlite3")}
DATABASE_VENDOR = "sqlite" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = env.str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(VAR_DIR / "media")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Largest dataset file accepted for a version upload, in megabytes.
UPLOAD_MAX_MB = env.int("UPLOAD_MAX_MB", 512, minimum=1)
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Search: database backend unless an Elasticsearch URL is given.
ELASTICSEARCH_URL = env.url("ELASTICSEARCH_URL", schemes={"http", "https"})
SEARCH_BACKEND = "elasticsearch" if ELASTICSEARCH_URL else "database"
# Alias of the dataset index; each rebuild creates "<alias>-<timestamp>" and swaps it in.
ELASTICSEARCH_INDEX = env.str("ELASTICSEARCH_INDEX", "cadastre-datasets") or "cadastre-datasets"
ELASTICSEARCH_TIMEOUT = env.int("ELASTICSEARCH_TIMEOUT", 5, minimum=1)

# MLflow: a local SQLite store unless a tracking server is given.
MLFLOW_TRACKING_URI = env.url(
    "MLFLOW_TRACKING_URI",
    schemes={"http", "https", "file", "sqlite", "postgresql", "databricks"},
    default=f"sqlite:///{VAR_DIR / 'mlflow.db'}",
)
# MLflow sync (projects.mlflow_sync): aliases that mean "in production", the registered-model tag that
# links a model to a project (value: the project's slug), when the last sync counts as stale, and the
# HTTP timeout and retries of one MLflow call (the Celery task retries the whole sync with backoff).
MLFLOW_PRODUCTION_ALIASES = env.list("MLFLOW_PRODUCTION_ALIASES", ["production", "champion", "prod"])
MLFLOW_PROJECT_TAG = env.str("MLFLOW_PROJECT_TAG", "cadastre.project") or "cadastre.project"
MLFLOW_SYNC_STALE_MINUTES = env.int("MLFLOW_SYNC_STALE_MINUTES", 30, minimum=1)
MLFLOW_SYNC_INTERVAL_SECONDS = env.int("MLFLOW_SYNC_INTERVAL_SECONDS", 300, minimum=10)
MLFLOW_HTTP_TIMEOUT = env.int("MLFLOW_HTTP_TIMEOUT", 20, minimum=1)
MLFLOW_HTTP_RETRIES = env.int("MLFLOW_HTTP_RETRIES", 1, minimum=0)

# Celery: in-process execution unless a broker is given.
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", schemes={"redis", "rediss", "amqp", "memory"})
CELERY_RESULT_BACKEND = env.url("CELERY_RESULT_BACKEND", schemes={"redis", "rediss", "django-db"})
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "cadastre"
# Task modules outside the apps' tasks.py (autodiscovered): the MLflow sync.
CELERY_IMPORTS = ["workers.mlflow_tasks"]
# Publishing gives up quickly when the broker is down: the TaskRun stays queued and unsent, and
# the `workers.task_runs_sweep` periodic task sends it once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Redis redelivers a message not acknowledged (acks_late) within this many seconds, e.g. after
# its worker was killed; keep it above the longest task and the longest retry backoff.
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    # How often workers look for such messages: about a quarter of the timeout, at most every 100 s.
    "unacked_restore_interval": max(1, min(10, BROKER_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1 if BROKER_VISIBILITY_TIMEOUT < 400 else 10,
}
CELERY_RESULT_EXPIRES = 86_400
# A running TaskRun is held by its attempt for this many seconds, renewed while the worker lives;
# once expired (worker killed) a redelivered message or the sweep runs it again.
TASK_RUN_LEASE_SECONDS = env.int("TASK_RUN_LEASE_SECONDS", 60, minimum=5)
# A queued TaskRun sent this long ago that no worker started is sent again (message lost, e.g. a
# broker restarted without persistence). Duplicates are harmless: a run is claimed once.
TASK_RUN_RESEND_AFTER_SECONDS = env.int("TASK_RUN_RESEND_AFTER_SECONDS", 3600, minimum=60)
# Audit trail: the audit page walks the whole chain while it has at most this many events; beyond,
# it checks the events appended since the last full walk, which runs every
# AUDIT_VERIFY_INTERVAL_MINUTES (beat), on an officer's request and from `manage.py audit_verify`.
AUDIT_PAGE_FULL_VERIFY_LIMIT = env.int("AUDIT_PAGE_FULL_VERIFY_LIMIT", 20000, minimum=0)
AUDIT_VERIFY_INTERVAL_MINUTES = env.int("AUDIT_VERIFY_INTERVAL_MINUTES", 60, minimum=1)
# `celery -A workers beat` keeps the schedule in django-celery-beat's tables (editable in the
# admin); the entries below are synced into them when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks, run by `celery -A workers beat` (scale-out). Each is idempotent.
CELERY_BEAT_SCHEDULE = {
    # Queued tasks the broker did not accept (it was down) and tasks of killed workers: re-sent.
    "task-runs-sweep": {"task": "workers.task_runs_sweep", "schedule": 60.0},
    # Shows on the health page that the scheduler ticks and a worker consumes.
    "beat-tick": {"task": "workers.beat_tick", "schedule": 60.0},
    # Search changes left in the outbox (lost task, Elasticsearch down): retried every 5 minutes.
    "search-sweep": {"task": "catalog.search_sweep", "schedule": 300.0},
    # Full comparison of the catalog with both indexes, repaired: nightly.
    "search-reconcile": {"task": "catalog.search_reconcile", "schedule": crontab(hour=3, minute=0)},
    # MLflow: incremental sync every MLFLOW_SYNC_INTERVAL_SECONDS; a full pass (deleted versions) nightly.
    "projects-mlflow-sync": {"task": "projects.mlflow_sync", "schedule": float(MLFLOW_SYNC_INTERVAL_SECONDS)},
    "projects-mlflow-sync-full": {
        "task": "projects.mlflow_sync",
        "schedule": crontab(hour=1, minute=15),
        "kwargs": {"full": True},
    },
    "projects-flag-stale": {
        "task": "projects.flag_stale",
        "schedule": crontab(hour=2, minute=30),  # daily
    },
    # Governance: revoke expired grants (daily) and flag overdue deletion tasks (daily).
    "governance-expire-grants": {"task": "governance.expire_grants", "schedule": crontab(hour=1, minute=15)},
    "governance-flag-overdue-deletions": {
        "task": "governance.flag_overdue_deletions",
        "schedule": crontab(hour=1, minute=45),
    },
    # The whole audit chain walked and the result kept (the audit page builds on the last walk).
    "governance-verify-audit-chain": {
        "task": "governance.verify_audit_chain",
        "schedule": AUDIT_VERIFY_INTERVAL_MINUTES * 60.0,
    },
}

# Projects: a project in Exploration for longer than this without a gate decision is a stale POC.
STALE_POC_DAYS = env.int("STALE_POC_DAYS", 90, minimum=1)

# Governance: days a custodian has to delete the data of a revoked grant (deletion task due date).
GOVERNANCE_DELETION_DAYS = env.int("GOVERNANCE_DELETION_DAYS", 30, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", 50, minimum=1),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cadastre API",
    "DESCRIPTION": "Governance catalog and project-lifecycle tracker for data-science teams.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc served from our static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set shared by several fields (e.g. sensitivity and personal_data_class).
    "ENUM_NAME_OVERRIDES": {
        "PersonalDataClassEnum": "catalog.models.PersonalDataClass",
        "DataFormatEnum": "catalog.models.DataFormat",
        "ColumnTypeEnum": "catalog.models.ColumnType",
        # Keeps the dataset status enum's name now that backlog items have a status too.
        "StatusEnum": "catalog.models.DatasetStatus",
        "ProjectStageEnum": "projects.models.Stage",
        "ProjectRoleEnum": "projects.models.ProjectRole",
        "EvidenceKindEnum": "projects.models.EvidenceKind",
        "AutoCheckEnum": "projects.models.AutoCheck",
        "GateConditionEnum": "projects.models.GateCondition",
        "KPIKindEnum": "projects.models.KPIKind",
        "KPIDirectionEnum": "projects.models.KPIDirection",
        "BacklogProfileEnum": "projects.models.BacklogProfile",
        "BacklogStatusEnum": "projects.models.BacklogStatus",
        "AIActTierEnum": "projects.models.AIActTier",
        "ModelLinkSourceEnum": "projects.models.ModelLinkSource",
        "LegalBasisEnum": "catalog.models.LegalBasis",
        "AccessRequestStatusEnum": "governance.models.RequestStatus",
        "DecisionEnum": "governance.models.Decision",
        "Art9ConditionEnum": "governance.models.Art9Condition",
        "PrecheckOutcomeEnum": "governance.models.Outcome",
        "RevocationCauseEnum": "governance.models.RevocationCause",
    },
}

LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", choices={"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Tasks run in-process in the embedded default (no broker): one "Task ... succeeded" line per
    # task would flood the web server's output; a worker process logs them.
    "loggers": {"celery.app.trace": {"level": "WARNING"}} if CELERY_BROKER_URL is None and LOG_LEVEL == "INFO" else {},
}
