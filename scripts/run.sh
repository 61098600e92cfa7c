#!/usr/bin/env bash
# Start Cadastre on the embedded default with the demo catalog:
#   SQLite file, database search, tasks in-process, local MLflow store, all under ./var.
# Usage: scripts/run.sh            (serves http://127.0.0.1:8000, Ctrl-C to stop)
#        PORT=9000 scripts/run.sh
# Set DATABASE_URL, ELASTICSEARCH_URL, CELERY_BROKER_URL, MLFLOW_TRACKING_URI to scale out.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

python_env "$ROOT/requirements.txt"
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"

log "applying database migrations"
python manage.py migrate --no-input -v 0
log "loading the demo catalog"
python manage.py load_demo
"$ROOT/scripts/assets.sh"
log "collecting static files"
python manage.py collectstatic --no-input -v 0

log "Cadastre is at http://$HOST:$PORT/  (demo logins in README.md; Ctrl-C to stop)"
exec gunicorn cadastre.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --threads 4 --access-logfile - --log-level warning
