"""Pages of the web interface. Views stay thin: reads go through ``catalog.selectors``, writes
through ``catalog.services`` (and the workers' tasks); a view only turns HTTP into calls and back.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from catalog import selectors, services
from catalog.models import Dataset, DatasetVersion, GlossaryTerm
from catalog.roles import Role, has_role
from frontend.forms import DatasetFilterForm, VersionUploadForm
from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat

logger = logging.getLogger(__name__)

DATASETS_PER_PAGE = 25
HEARTBEATS_SHOWN = 20
DATABASE_VENDOR_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- Catalog ---------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Headline figures, a search box and the datasets delivered or edited most recently."""
    context = {
        "counts": selectors.catalog_counts(),
        "recent_datasets": selectors.dataset_list().order_by("-updated_at", "name")[:6],
    }
    return render(request, "frontend/home.html", context)


@login_required
@require_safe
def dataset_list(request: HttpRequest) -> HttpResponse:
    form = DatasetFilterForm(request.GET or None, tags=selectors.tag_list())
    filters = form.filters()
    datasets = selectors.dataset_filter(selectors.dataset_list(), **filters).order_by("name")
    page = Paginator(datasets, DATASETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "is_filtered": bool(filters),
        "page_obj": page,
        "datasets": page.object_list,
        "total_count": Dataset.objects.count() if filters else page.paginator.count,
    }
    return render(request, "frontend/dataset_list.html", context)


def _dataset_or_404(slug: str) -> Dataset:
    try:
        return selectors.dataset_detail(slug=slug)
    except Dataset.DoesNotExist:
        raise Http404("No dataset with this name.") from None


def _can_edit(request: HttpRequest, dataset: Dataset) -> bool:
    return Dataset.objects.editable_by(request.user).filter(pk=dataset.pk).exists()


@login_required
@require_safe
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset_or_404(slug)
    context = {
        "dataset": dataset,
        "columns": dataset.columns.all(),
        "versions": dataset.versions.all(),
        "can_upload": _can_edit(request, dataset),
    }
    return render(request, "frontend/dataset_detail.html", context)


def _schema_rows(version: DatasetVersion) -> list[dict[str, Any]]:
    """The version's schema in file order, each column marked with what changed since the previous one."""
    diff = version.schema_diff or {}
    added = set() if diff.get("initial") else set(diff.get("added") or [])
    retyped = {change["name"]: change["from"] for change in diff.get("type_changed") or []}
    return [
        {
            "position": position,
            "name": column["name"],
            "type": column["type"],
            "added": column["name"] in added,
            "previous_type": retyped.get(column["name"]),
        }
        for position, column in enumerate(version.schema or [], start=1)
    ]


@login_required
@require_safe
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    try:
        version = selectors.dataset_version_detail(slug=slug, number=number)
    except DatasetVersion.DoesNotExist:
        raise Http404("No such version of this dataset.") from None
    context = {
        "dataset": version.dataset,
        "version": version,
        "previous": selectors.dataset_version_previous(version=version),
        "schema_rows": _schema_rows(version),
        "file_name": version.file.name.rsplit("/", 1)[-1] if version.file else "",
    }
    return render(request, "frontend/version_detail.html", context)


def _add_service_errors(form: VersionUploadForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def version_upload(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset_or_404(slug)
    if not _can_edit(request, dataset):
        raise PermissionDenied("Only the dataset's owner, steward or custodian may deliver a version.")
    form = VersionUploadForm(request.POST, request.FILES) if request.method == "POST" else VersionUploadForm()
    if form.is_bound and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            version = services.dataset_version_register_from_file(
                dataset=dataset,
                file=uploaded.file,
                filename=uploaded.name,
                size=uploaded.size,
                operation=form.cleaned_data["operation"],
                delivered_by=request.user,  # type: ignore[arg-type]
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            rows = f"{version.row_count:,} rows" if version.row_count is not None else "row count unknown"
            messages.success(request, f"Version {version.number} of {dataset.name} registered ({rows}).")
            return redirect(version)
    return render(request, "frontend/version_upload.html", {"dataset": dataset, "form": form})


# --- Glossary --------------------------------------------------------------------------------


@login_required
@require_safe
def glossary_list(request: HttpRequest) -> HttpResponse:
    terms = selectors.glossary_term_list().order_by("label_en")
    return render(request, "frontend/glossary_list.html", {"terms": terms})


@login_required
@require_safe
def glossary_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        term = selectors.glossary_term_detail(slug=slug)
    except GlossaryTerm.DoesNotExist:
        raise Http404("No glossary term with this name.") from None
    context = {
        "term": term,
        "narrower": term.narrower.all(),
        "datasets": term.datasets.all(),
        "columns": term.columns.all(),
    }
    return render(request, "frontend/glossary_detail.html", context)


# --- Health ----------------------------------------------------------------------------------


def database_status() -> str | None:
    """``None`` when the database answers a trivial query, else the error."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return str(exc) or exc.__class__.__name__
    return None


def mask_url_password(url: str) -> str:
    """``redis://:secret@host:6379/0`` → ``redis://:****@host:6379/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{host}"))


def _may_see_health(request: HttpRequest) -> bool:
    return bool(request.user.is_staff or has_role(request.user, Role.ADMIN))


@login_required
@require_http_methods(["GET", "POST"])
def health(request: HttpRequest) -> HttpResponse:
    if not _may_see_health(request):
        raise PermissionDenied("The health page is for administrators.")
    eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
    if request.method == "POST":
        transaction.on_commit(lambda: heartbeat.delay(), robust=True)
        if eager:
            messages.success(request, "Heartbeat task run in-process.")
        else:
            messages.success(request, "Heartbeat task queued: a worker's answer appears below within seconds.")
        return redirect("frontend:health")
    database_error = database_status()
    context = {
        "database_error": database_error,
        "database_vendor": DATABASE_VENDOR_LABELS.get(connection.vendor, connection.vendor),
        "search_backend": settings.SEARCH_BACKEND,
        "celery_eager": eager,
        "celery_broker": "" if eager else mask_url_password(str(settings.CELERY_BROKER_URL or "")),
        "heartbeats": [] if database_error else list(WorkerHeartbeat.objects.all()[:HEARTBEATS_SHOWN]),
    }
    return render(request, "frontend/health.html", context)


@never_cache
@require_safe
def health_json(request: HttpRequest) -> JsonResponse:
    """For load balancers: no login, 200 when the database answers, 503 when it does not."""
    error = database_status()
    if error is not None:
        logger.error("Health check: database unreachable: %s", error)
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})
