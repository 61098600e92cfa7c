#!/usr/bin/env bash
# Start the Celery beat scheduler (scale-out): exactly ONE per deployment.
# Usage: CELERY_BROKER_URL=redis://redis:6379/0 DATABASE_URL=postgres://... scripts/beat.sh [celery options]
# The schedule is declared in settings.CELERY_BEAT_SCHEDULE and kept in django-celery-beat's tables
# (DatabaseScheduler): entries are synced there at start and can be paused or rescheduled in the admin
# (Periodic tasks). Among them workers.task_runs_sweep, every minute, re-sends queued task runs the
# broker did not accept and those of lost workers.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
# The database must be migrated first (`python manage.py migrate`, once per deployment).

if [ -z "${CELERY_BROKER_URL:-}" ]; then
  log "CELERY_BROKER_URL is not set: beat needs a broker to send periodic tasks to the workers"
  exit 2
fi
python_env "$ROOT/requirements.txt"
log "starting Celery beat (django_celery_beat DatabaseScheduler)"
exec celery -A workers beat --loglevel "${LOG_LEVEL:-INFO}" \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler --pidfile= "$@"
