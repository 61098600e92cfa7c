"""Pages and forms of profiling, quality, drift and personal-data class suggestions (issue 6).

Reads through ``catalog.selectors`` (and ``workers.selectors`` for task progress), writes through
``catalog.profiling.services``; who may decide comes from ``catalog.api.permissions``, the one place
for those rules.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from catalog import selectors
from catalog.api.permissions import may_decide_expectations, may_decide_suggestions
from catalog.models import (
    ColumnClassSuggestion,
    Dataset,
    DatasetVersion,
    ExpectationStatus,
    PersonalDataClass,
    ProfileStatus,
    QualityExpectation,
    SuggestionStatus,
)
from catalog.profiling import services as profiling
from catalog.profiling import svg
from catalog.profiling.detection import KIND_LABELS
from catalog.tasks import DRIFT_TASK, PROFILE_TASK, QUALITY_TASK
from workers.selectors import latest_task_run

TASK_LABELS = {PROFILE_TASK: "Profiling", QUALITY_TASK: "Quality checks", DRIFT_TASK: "Drift"}


def _may_read(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm("catalog.view_dataset")


def _profile_rows(profile: Any) -> list[dict[str, Any]]:
    rows = []
    for stats in profile.columns if profile is not None else []:
        histogram = stats.get("histogram") or {}
        rows.append(
            {
                **stats,
                "histogram_svg": svg.bars(histogram.get("counts") or [], label=f"Histogram of {stats['name']}"),
                "missing_percent": round(100 * stats.get("missing_ratio", 0), 1),
            }
        )
    return rows


def _expectation_label(expectation: QualityExpectation) -> str:
    params = expectation.params or {}
    if expectation.kind == "row_count":
        return f"between {params.get('min'):,} and {params.get('max'):,} rows"
    if expectation.kind == "not_null":
        return f"at least {params.get('min_ratio', 0):.1%} of values present"
    if expectation.kind == "range":
        return f"values between {params.get('min')} and {params.get('max')}"
    if expectation.kind == "categories":
        return "one of: " + ", ".join(params.get("values", []))
    return "no value repeats"


def dataset_profiling_context(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    """What the dataset page shows of issue 6: the latest profile, expectations, the latest drift,
    suggested classes, and the quality flag of the latest version."""
    profile = selectors.dataset_latest_profile(dataset=dataset)
    expectations = list(
        selectors.quality_expectation_list().filter(dataset=dataset).order_by("status", "column", "kind")
    )
    for expectation in expectations:
        expectation.summary = _expectation_label(expectation)  # type: ignore[attr-defined]
        expectation.params_json = json.dumps(expectation.params)  # type: ignore[attr-defined]
    latest_drift = selectors.drift_report_list().filter(version__dataset=dataset).order_by("-version__number").first()
    suggestions = list(
        selectors.column_class_suggestion_list()
        .filter(column__dataset=dataset, status=SuggestionStatus.SUGGESTED)
        .order_by("column__position", "-confidence")
    )
    for suggestion in suggestions:
        suggestion.kind_label = KIND_LABELS.get(suggestion.kind, suggestion.kind)  # type: ignore[attr-defined]
    return {
        "latest_profile": profile,
        "latest_profile_rows": _profile_rows(profile) if profile and profile.status == ProfileStatus.DONE else [],
        "expectations": expectations,
        "expectations_open": sum(1 for e in expectations if e.status == ExpectationStatus.SUGGESTED),
        "can_decide_expectations": may_decide_expectations(request.user, dataset),
        "can_decide_suggestions": may_decide_suggestions(request.user, dataset),
        "class_suggestions": suggestions,
        "class_choices": PersonalDataClass.choices,
        "quality_flags": selectors.datasets_quality_flags(dataset_ids=[dataset.pk]).get(dataset.pk, []),
        "latest_drift": latest_drift,
    }


def version_profiling_context(request: HttpRequest, version: DatasetVersion) -> dict[str, Any]:
    """What the version page shows: task progress, profile, quality results, drift report."""
    profile = selectors.version_profile_for(version=version)
    runs = []
    for name, label in TASK_LABELS.items():
        run = latest_task_run(version, name)
        if run is not None:
            runs.append({"label": label, "run": run})
    return {
        "profile": profile,
        "profile_rows": _profile_rows(profile) if profile and profile.status == ProfileStatus.DONE else [],
        "task_runs": runs,
        "tasks_active": any(item["run"].is_active for item in runs),
        "quality_results": list(selectors.quality_result_list().filter(version=version)),
        "drift": selectors.drift_report_list().filter(version=version).first(),
    }


@login_required
@require_safe
def version_profile_report(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The stored ydata-profiling report of a version, for users who may read the dataset."""
    if not _may_read(request):
        raise PermissionDenied("You may not read this dataset.")
    try:
        version = selectors.dataset_version_detail(slug=slug, number=number)
    except DatasetVersion.DoesNotExist:
        raise Http404("No such version of this dataset.") from None
    profile = selectors.version_profile_for(version=version)
    if profile is None or not profile.report:
        raise Http404("This version has no profile report.")
    response = FileResponse(profile.report.open("rb"), content_type="text/html; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox allow-scripts; default-src 'self' 'unsafe-inline' data:"
    return response


def _dataset(slug: str) -> Dataset:
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None:
        raise Http404("No dataset with this name.")
    return dataset


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def expectation_decide(request: HttpRequest, slug: str, expectation_id: int) -> HttpResponse:
    """Accept (possibly with edited parameters, as JSON) or reject a quality expectation."""
    dataset = _dataset(slug)
    expectation = QualityExpectation.objects.filter(pk=expectation_id, dataset=dataset).first()
    if expectation is None:
        raise Http404("No such expectation.")
    if not may_decide_expectations(request.user, dataset):
        raise PermissionDenied("Only the dataset's owner, steward or custodian may decide on its expectations.")
    decision = request.POST.get("decision")
    try:
        if decision == "reject":
            profiling.expectation_reject(expectation=expectation, user=request.user)  # type: ignore[arg-type]
            messages.success(request, "Expectation rejected.")
        elif decision == "accept":
            raw = request.POST.get("params", "").strip()
            try:
                params = json.loads(raw) if raw else None
            except json.JSONDecodeError as exc:
                raise ValidationError({"params": f"Parameters are not valid JSON: {exc.msg}."}) from None
            profiling.expectation_accept(expectation=expectation, user=request.user, params=params)  # type: ignore[arg-type]
            messages.success(request, "Expectation accepted: it is checked on every new version.")
        else:
            raise ValidationError("Choose accept or reject.")
    except ValidationError as exc:
        messages.error(request, f"Not saved: {_messages_of(exc)}")
    return redirect(f"{dataset.get_absolute_url()}#quality-title")


@login_required
@require_POST
def class_suggestion_decide(request: HttpRequest, slug: str, suggestion_id: int) -> HttpResponse:
    """Confirm (applies the class to the column) or reject a suggested personal-data class."""
    dataset = _dataset(slug)
    suggestion = ColumnClassSuggestion.objects.filter(pk=suggestion_id, column__dataset=dataset).first()
    if suggestion is None:
        raise Http404("No such suggestion.")
    if not may_decide_suggestions(request.user, dataset):
        raise PermissionDenied("Only the dataset's custodians or a governance officer may decide.")
    decision = request.POST.get("decision")
    try:
        if decision == "confirm":
            chosen = request.POST.get("personal_data_class") or None
            profiling.column_class_suggestion_confirm(
                suggestion=suggestion,
                user=request.user,  # type: ignore[arg-type]
                personal_data_class=chosen,
            )
            messages.success(request, f"Column {suggestion.column.name} classified.")
        elif decision == "reject":
            profiling.column_class_suggestion_reject(suggestion=suggestion, user=request.user)  # type: ignore[arg-type]
            messages.success(request, f"Suggestion for {suggestion.column.name} rejected.")
        else:
            raise ValidationError("Choose confirm or reject.")
    except ValidationError as exc:
        messages.error(request, f"Not saved: {_messages_of(exc)}")
    return redirect(f"{dataset.get_absolute_url()}#suggestions-title")
