"""Projects tasks. Each calls one service and is idempotent."""

from __future__ import annotations

from celery import shared_task

from projects.services import project_stale_refresh


@shared_task(name="projects.flag_stale")
def projects_flag_stale() -> dict[str, object]:
    """Periodic (daily, ``CELERY_BEAT_SCHEDULE``): flag the POCs in Exploration for longer than
    ``STALE_POC_DAYS`` without a gate decision, and clear the flag of those that moved on."""
    result = project_stale_refresh()
    return {"flagged": result.flagged, "cleared": result.cleared, "stale": result.stale}
