#!/usr/bin/env bash
# Start a Celery worker (scale-out): consumes the Cadastre queue from CELERY_BROKER_URL.
# Usage: CELERY_BROKER_URL=redis://redis:6379/0 DATABASE_URL=postgres://... scripts/worker.sh [celery options]
#   e.g. scripts/worker.sh --concurrency 4
# Same environment as the web processes; run as many workers as needed, on any machine.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
# The database must be migrated first (`python manage.py migrate`, once per deployment).

if [ -z "${CELERY_BROKER_URL:-}" ]; then
  log "CELERY_BROKER_URL is not set: in the embedded default tasks run in the web process, no worker is needed"
  exit 2
fi
python_env "$ROOT/requirements.txt"
log "starting a Celery worker"
exec celery -A workers worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
