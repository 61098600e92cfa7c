"""Pages of the web interface. Views stay thin: reads go through ``catalog.selectors``, writes
through ``catalog.services`` (and the workers' tasks); a view only turns HTTP into calls and back.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from catalog import selectors, services
from catalog.hooks import fill_access
from catalog.models import Dataset, DatasetStatus, DatasetVersion, GlossaryTerm, PersonalDataClass
from catalog.roles import Role, has_role
from catalog.search.analysis import fold
from catalog.search.types import FACETS, FacetValue, Hit, SearchQuery, SearchResult
from frontend import governance_views, profile_views
from frontend.forms import DatasetFilterForm, VersionUploadForm
from workers.models import WorkerHeartbeat
from workers.selectors import queue_status
from workers.tasks import heartbeat

logger = logging.getLogger(__name__)

DATASETS_PER_PAGE = 25
HEARTBEATS_SHOWN = 20
DATABASE_VENDOR_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- Catalog ---------------------------------------------------------------------------------


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


# --- Search ----------------------------------------------------------------------------------

SEARCH_PAGE_SIZE = 20
SEARCH_MAX_QUERY_LENGTH = 200
SEARCH_MAX_VALUES_PER_FACET = 20
SEARCH_MAX_PAGE = 10_000
FACET_VALUES_SHOWN = 8  # more values of a facet sit behind a "Show more" disclosure
FACET_TITLES: dict[str, str] = {
    "domain": "Domain",
    "sensitivity": "Sensitivity",
    "tag": "Tag",
    "concept": "Glossary concept",
    "owner": "Owner",
    "format": "Format",
    "status": "Status",
}
# Facets whose values read best in their natural order (least to most sensitive, draft to deprecated).
FACET_NATURAL_ORDER: dict[str, list[str]] = {
    "sensitivity": [str(value) for value in PersonalDataClass.values],
    "status": [str(value) for value in DatasetStatus.values],
}
_QUERY_WORD_RE = re.compile(r"[^\W_]+")


def _search_query(params: QueryDict) -> SearchQuery:
    """The search described by the page's URL. Lenient, as a page should be: a bad page number is
    page 1, an overlong query is cut, an unknown facet value simply matches nothing."""
    filters: dict[str, tuple[str, ...]] = {}
    for key in FACETS:
        values = tuple(dict.fromkeys(v.strip()[:200] for v in params.getlist(key) if v.strip()))
        if values:
            filters[key] = values[:SEARCH_MAX_VALUES_PER_FACET]
    try:
        page = min(max(1, int(params.get("page", "1"))), SEARCH_MAX_PAGE)
    except ValueError:
        page = 1
    text = params.get("q", "").strip()[:SEARCH_MAX_QUERY_LENGTH]
    return SearchQuery(text=text, filters=filters, page=page, page_size=SEARCH_PAGE_SIZE)


def _search_url(params: QueryDict, **changes: list[str] | str | None) -> str:
    """The search page's URL with ``changes`` applied (``None`` removes a parameter), from page 1."""
    new = params.copy()
    new.pop("page", None)
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new.setlist(key, [value] if isinstance(value, str) else value)
    encoded = new.urlencode()
    return reverse("frontend:search") + (f"?{encoded}" if encoded else "")


def _toggle_url(params: QueryDict, key: str, value: str) -> str:
    """The URL adding ``value`` to facet ``key``'s filter, or removing it when already there."""
    values = [v.strip() for v in params.getlist(key)]
    return _search_url(params, **{key: [v for v in values if v != value] if value in values else [*values, value]})


def _facet_groups(params: QueryDict, query: SearchQuery, result: SearchResult) -> list[dict[str, Any]]:
    """The sidebar: each facet with its values, counts and the link that toggles each one."""
    groups = []
    for key, title in FACET_TITLES.items():
        values = list(result.facets.get(key, []))
        present = {v.value for v in values}
        # A selected value no dataset has any more still shows, so that it can be removed.
        values += [
            FacetValue(value=v, label=v, count=0, selected=True) for v in query.filters.get(key, ()) if v not in present
        ]
        if key in FACET_NATURAL_ORDER:
            order = FACET_NATURAL_ORDER[key]
            values.sort(key=lambda v: order.index(v.value) if v.value in order else len(order))
        options = [
            {
                "value": v.value,
                "label": v.label,
                "count": v.count,
                "selected": v.selected,
                "url": _toggle_url(params, key, v.value),
            }
            for v in values
        ]
        if not options:
            continue
        shown = options[:FACET_VALUES_SHOWN] + [o for o in options[FACET_VALUES_SHOWN:] if o["selected"]]
        more = [o for o in options[FACET_VALUES_SHOWN:] if not o["selected"]]
        groups.append({"key": key, "title": title, "shown": shown, "more": more})
    return groups


def _active_filters(params: QueryDict, query: SearchQuery, groups: list[dict[str, Any]]) -> list[dict[str, str]]:
    labels = {(g["key"], o["value"]): o["label"] for g in groups for o in g["shown"] + g["more"]}
    return [
        {
            "facet": FACET_TITLES[key],
            "label": labels.get((key, value), value),
            "url": _toggle_url(params, key, value),
        }
        for key, values in query.filters.items()
        for value in values
    ]


def _search_hit(params: QueryDict, hit: Hit) -> dict[str, Any]:
    """What a result shows. Highlight snippets are HTML (matches in ``<mark>``, the rest escaped by
    the search backends); the template marks only them safe."""
    document, highlights = hit.document, hit.highlights
    selected_tags = set(params.getlist("tag"))
    return {
        "hit": hit,
        "document": document,
        "url": reverse("frontend:dataset-detail", args=[hit.slug]),
        "name_html": (highlights.get("name") or [None])[0],
        "description_html": (highlights.get("description") or [None])[0],
        "matched_columns": highlights.get("column_names", []),
        "matched_column_descriptions": highlights.get("column_descriptions", []),
        "matched_concepts": highlights.get("concept_labels", []),
        "tags": [
            {"name": name, "url": _toggle_url(params, "tag", slug), "selected": slug in selected_tags}
            for name, slug in zip(document.get("tags", []), document.get("tag_slugs", []), strict=False)
        ],
    }


def _corrected_text(text: str, corrections: dict[str, tuple[str, ...]]) -> str:
    """``text`` with each word the search corrected replaced by its first correction."""

    def fix(match: re.Match[str]) -> str:
        fixes = corrections.get(fold(match.group(0)))
        return fixes[0] if fixes else match.group(0)

    return _QUERY_WORD_RE.sub(fix, text)


def _concepts_in_order(slugs: tuple[str, ...]) -> list[GlossaryTerm]:
    terms = {t.slug: t for t in GlossaryTerm.objects.filter(slug__in=slugs)} if slugs else {}
    return [terms[s] for s in slugs if s in terms]


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Faceted, glossary-aware search (``catalog.search`` through ``selectors.dataset_search``)."""
    params = request.GET
    query = _search_query(params)
    result = selectors.dataset_search(query=query, user=request.user)
    fill_access(result.hits, request.user)
    page_obj = Paginator(range(result.total), SEARCH_PAGE_SIZE).get_page(query.page)
    if query.page > page_obj.number and result.total:  # past the last page: go to the last one
        new = params.copy()
        new["page"] = str(page_obj.number)
        return redirect(f"{reverse('frontend:search')}?{new.urlencode()}")
    expanded = result.expanded
    corrections = dict(expanded.corrections) if expanded is not None else {}
    corrected = _corrected_text(query.text, corrections) if corrections else ""
    groups = _facet_groups(params, query, result)
    context = {
        "query": query,
        "result": result,
        "hits": [_search_hit(params, hit) for hit in result.hits],
        "facet_groups": groups,
        "active_filters": _active_filters(params, query, groups),
        "clear_filters_url": _search_url(params, **dict.fromkeys(FACETS)),
        "hidden_filters": [(key, value) for key, values in query.filters.items() for value in values],
        "corrections": [{"word": word, "fixes": fixes} for word, fixes in corrections.items()],
        "corrected_url": _search_url(params, q=corrected) if corrected and corrected != query.text else "",
        "corrected_text": corrected,
        "concepts": _concepts_in_order(expanded.concept_slugs if expanded is not None else ()),
        "page_obj": page_obj,
        "first_shown": (page_obj.number - 1) * SEARCH_PAGE_SIZE + 1,
        "last_shown": (page_obj.number - 1) * SEARCH_PAGE_SIZE + len(result.hits),
    }
    return render(request, "frontend/search.html", context)


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
        **profile_views.dataset_profiling_context(request, dataset),
        **governance_views.dataset_access_context(request, dataset),
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
        **profile_views.version_profiling_context(request, version),
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
        "queue": None if database_error else queue_status(),
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
