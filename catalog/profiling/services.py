"""Writes of profiling, quality, drift and personal-data detection (issue 6).

Keyword-only functions named ``<entity>_<action>``. The long computation (reading the file) runs
outside any transaction; what it produces is stored in one transaction at the end, so a failure
leaves the previous state (and the profile row says why it failed). Every function is idempotent:
running it again on the same version replaces its own results.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.models import (
    Column,
    ColumnClassSuggestion,
    Dataset,
    DatasetVersion,
    DriftReport,
    ExpectationStatus,
    PersonalDataClass,
    ProfileStatus,
    QualityExpectation,
    QualityResult,
    SuggestionStatus,
    VersionProfile,
)
from catalog.profiling import detection, drift, quality, report
from catalog.profiling.reader import ProfilingError, Source
from catalog.profiling.stats import compute_profile

logger = logging.getLogger(__name__)

REPORT_SAMPLE_ROWS = 10_000
Progress = Callable[[int, str], None]


class ProfilingFailed(Exception):
    """A version could not be profiled (or compared); the message is shown on its page."""


def _source(version: DatasetVersion) -> Source:
    try:
        path = version.file.path
    except (NotImplementedError, ValueError):
        raise ProfilingFailed("The version's file is not on local storage.") from None
    if not os.path.exists(path):
        raise ProfilingFailed("The version's file is missing from storage.")
    return Source(
        path=path,
        file_format="parquet" if version.file_format == "parquet" else "csv",
        schema=list(version.schema or []),
        encoding=version.encoding or "utf-8",
        delimiter=version.delimiter or ",",
    )


def _classified_personal(dataset: Dataset) -> set[str]:
    return set(
        Column.objects.filter(dataset=dataset)
        .exclude(personal_data_class=PersonalDataClass.NONE)
        .values_list("name", flat=True)
    )


def version_profile_run(
    *, version: DatasetVersion, progress: Progress | None = None, sample_rows: int = REPORT_SAMPLE_ROWS
) -> VersionProfile:
    """Profile ``version``: per-column statistics in one streaming pass, the HTML report on a row
    sample, class suggestions for columns that look personal, and (first profile of the dataset)
    suggested quality expectations. Raises ``ProfilingFailed`` (the profile row keeps the reason)."""
    profile, _ = VersionProfile.objects.get_or_create(version=version)
    if not version.file:
        VersionProfile.objects.filter(pk=profile.pk).update(
            status=ProfileStatus.SKIPPED, error="No file was delivered with this version: nothing to profile."
        )
        profile.refresh_from_db()
        return profile
    started = timezone.now()
    VersionProfile.objects.filter(pk=profile.pk).update(status=ProfileStatus.RUNNING, started_at=started, error="")
    detections: dict[str, detection.Detection] = {}

    def first_chunk(samples: dict[str, list[str]]) -> set[str]:
        detections.update(detection.detect_columns(samples))
        return set(detections)

    def on_rows(done: int, expected: int) -> None:
        if progress is not None:
            percent = min(90, int(done * 90 / max(expected, 1)))
            progress(percent, f"Statistics: {done:,} of {expected:,} rows read.")

    try:
        source = _source(version)
        clock = time.perf_counter()
        result = compute_profile(
            source,
            personal=_classified_personal(version.dataset),
            expected_rows=version.row_count,
            sample_rows=sample_rows,
            first_chunk=first_chunk,
            progress=on_rows,
        )
        if progress is not None:
            progress(92, "Building the HTML report on a sample.")
        report_started = time.perf_counter()
        html = report.build_report(
            result.sample,
            title=f"Profile of {version.dataset.name} version {version.number}",
            personal=result.personal,
            total_rows=result.rows,
        )
        timings = {
            **result.timings,
            "report_seconds": round(time.perf_counter() - report_started, 3),
            "total_seconds": round(time.perf_counter() - clock, 3),
        }
    except (ProfilingError, ProfilingFailed) as exc:
        _profile_failed(profile, str(exc))
        raise ProfilingFailed(str(exc)) from None
    except Exception as exc:
        logger.exception("Profiling %s failed", version)
        _profile_failed(profile, f"Unexpected error while profiling: {type(exc).__name__}: {exc}")
        raise ProfilingFailed(f"Unexpected error while profiling: {type(exc).__name__}: {exc}") from exc

    with transaction.atomic():
        profile = VersionProfile.objects.select_for_update().get(pk=profile.pk)
        old_report = profile.report.name if profile.report else ""
        profile.report.save("report.html", ContentFile(html.encode("utf-8")), save=False)
        if old_report and old_report != profile.report.name:
            profile.report.storage.delete(old_report)
        profile.status = ProfileStatus.DONE
        profile.error = ""
        profile.columns = result.columns
        profile.personal_columns = result.personal
        profile.row_count = result.rows
        profile.sample_size = len(result.sample)
        profile.timings = timings
        profile.started_at = started
        profile.finished_at = timezone.now()
        profile.save()
        column_class_suggestions_record(version=version, detections=detections)
        if not QualityExpectation.objects.filter(dataset_id=version.dataset_id).exists():
            expectations_suggest(profile=profile)
    return profile


def _profile_failed(profile: VersionProfile, reason: str) -> None:
    VersionProfile.objects.filter(pk=profile.pk).update(
        status=ProfileStatus.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


# --- Personal-data class suggestions --------------------------------------------------------------


@transaction.atomic
def column_class_suggestions_record(
    *, version: DatasetVersion, detections: dict[str, detection.Detection]
) -> list[ColumnClassSuggestion]:
    """Store the detector's suggestions for columns still classified "not personal". A suggestion
    already confirmed or rejected is kept as decided; nothing is applied to the columns."""
    columns = {c.name: c for c in Column.objects.filter(dataset_id=version.dataset_id)}
    stored: list[ColumnClassSuggestion] = []
    for name, found in detections.items():
        column = columns.get(name)
        if column is None or column.personal_data_class != PersonalDataClass.NONE:
            continue
        suggestion, created = ColumnClassSuggestion.objects.get_or_create(
            column=column,
            kind=found.kind,
            defaults={
                "version": version,
                "suggested_class": found.suggested_class,
                "confidence": found.confidence,
                "evidence": found.evidence,
            },
        )
        if not created and suggestion.status == SuggestionStatus.SUGGESTED:
            suggestion.version = version
            suggestion.confidence = found.confidence
            suggestion.evidence = found.evidence
            suggestion.suggested_class = found.suggested_class
            suggestion.save(update_fields=["version", "confidence", "evidence", "suggested_class", "updated_at"])
        stored.append(suggestion)
    return stored


def _decide(suggestion: ColumnClassSuggestion, status: str, user: AbstractBaseUser) -> None:
    if suggestion.status != SuggestionStatus.SUGGESTED:
        raise ValidationError({"status": f"This suggestion was already {suggestion.get_status_display().lower()}."})
    suggestion.status = status
    suggestion.decided_by = user  # type: ignore[assignment]
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


@transaction.atomic
def column_class_suggestion_confirm(
    *, suggestion: ColumnClassSuggestion, user: AbstractBaseUser, personal_data_class: str | None = None
) -> ColumnClassSuggestion:
    """Confirm a suggestion: the column gets the class (or the one the user chose instead),
    through ``catalog.services.column_classify`` so search and audit see the change."""
    from catalog.services import column_classify

    suggestion = ColumnClassSuggestion.objects.select_for_update().select_related("column").get(pk=suggestion.pk)
    chosen = personal_data_class or suggestion.suggested_class
    if chosen not in PersonalDataClass.values:
        raise ValidationError({"personal_data_class": f"Unknown class {chosen!r}."})
    _decide(suggestion, SuggestionStatus.CONFIRMED, user)
    column_classify(column=suggestion.column, personal_data_class=chosen)
    # Other open suggestions for the same column are settled by this decision.
    ColumnClassSuggestion.objects.filter(column=suggestion.column, status=SuggestionStatus.SUGGESTED).update(
        status=SuggestionStatus.REJECTED, decided_by=user, decided_at=timezone.now()
    )
    return suggestion


@transaction.atomic
def column_class_suggestion_reject(
    *, suggestion: ColumnClassSuggestion, user: AbstractBaseUser
) -> ColumnClassSuggestion:
    suggestion = ColumnClassSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    _decide(suggestion, SuggestionStatus.REJECTED, user)
    return suggestion


# --- Quality expectations -------------------------------------------------------------------------


@transaction.atomic
def expectations_suggest(*, profile: VersionProfile) -> list[QualityExpectation]:
    """Suggest expectations from a profile (existing ones, whatever their status, are kept)."""
    if profile.status != ProfileStatus.DONE:
        raise ValidationError({"profile": "Expectations are suggested from a finished profile."})
    version = profile.version
    created: list[QualityExpectation] = []
    for item in quality.suggest(profile.columns, rows=profile.row_count or 0):
        expectation, was_created = QualityExpectation.objects.get_or_create(
            dataset_id=version.dataset_id,
            column=item["column"],
            kind=item["kind"],
            defaults={"params": item["params"], "suggested_from": version},
        )
        if was_created:
            created.append(expectation)
    return created


def _clean_params(kind: str, params: Any) -> dict[str, Any]:
    try:
        return quality.validate_params(kind, params)
    except ValueError as exc:
        raise ValidationError({"params": str(exc)}) from None


@transaction.atomic
def expectation_accept(
    *, expectation: QualityExpectation, user: AbstractBaseUser, params: dict[str, Any] | None = None
) -> QualityExpectation:
    """Accept an expectation, optionally with edited parameters; it is checked on every new version."""
    expectation = QualityExpectation.objects.select_for_update().get(pk=expectation.pk)
    expectation.params = _clean_params(expectation.kind, expectation.params if params is None else params)
    expectation.status = ExpectationStatus.ACCEPTED
    expectation.decided_by = user  # type: ignore[assignment]
    expectation.decided_at = timezone.now()
    expectation.save()
    return expectation


@transaction.atomic
def expectation_reject(*, expectation: QualityExpectation, user: AbstractBaseUser) -> QualityExpectation:
    expectation = QualityExpectation.objects.select_for_update().get(pk=expectation.pk)
    expectation.status = ExpectationStatus.REJECTED
    expectation.decided_by = user  # type: ignore[assignment]
    expectation.decided_at = timezone.now()
    expectation.save()
    QualityResult.objects.filter(expectation=expectation).delete()
    return expectation


@transaction.atomic
def quality_run(*, version: DatasetVersion) -> list[QualityResult]:
    """Check the dataset's accepted expectations against the version's profile (replaces the
    version's previous results)."""
    profile = VersionProfile.objects.filter(version=version, status=ProfileStatus.DONE).first()
    if profile is None:
        raise ValidationError({"version": "The version has no finished profile to check."})
    expectations = QualityExpectation.objects.filter(dataset_id=version.dataset_id, status=ExpectationStatus.ACCEPTED)
    now = timezone.now()
    QualityResult.objects.filter(version=version).exclude(expectation__in=expectations).delete()
    results: list[QualityResult] = []
    for expectation in expectations:
        stats = profile.column(expectation.column) if expectation.column else None
        passed, observed = quality.check(expectation.kind, expectation.params, stats, rows=profile.row_count or 0)
        result, _ = QualityResult.objects.update_or_create(
            version=version,
            expectation=expectation,
            defaults={"passed": passed, "observed": observed, "checked_at": now},
        )
        results.append(result)
    return results


# --- Drift ------------------------------------------------------------------------------------------


def drift_compute(*, version: DatasetVersion) -> DriftReport | None:
    """Compare ``version`` with the dataset's previous version that has a file, per column.
    None when there is no previous version to compare with."""
    previous = (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
        .exclude(file="")
        .order_by("-number")
        .first()
    )
    if previous is None or not version.file:
        return None
    current_source, previous_source = _source(version), _source(previous)
    before = {c["name"]: c["type"] for c in previous.schema or []}
    common = {c["name"] for c in version.schema or [] if before.get(c["name"]) == c["type"]}
    personal = _classified_personal(version.dataset)
    for profile in VersionProfile.objects.filter(version__in=[version, previous]):
        personal.update(profile.personal_columns or [])
    try:
        current = drift.sample_columns(current_source, names=common, expected_rows=version.row_count)
        reference = drift.sample_columns(previous_source, names=common, expected_rows=previous.row_count)
    except ProfilingError as exc:
        raise ProfilingFailed(str(exc)) from None
    columns = drift.compare(reference, current, personal=personal)
    with transaction.atomic():
        drift_report, _ = DriftReport.objects.update_or_create(
            version=version,
            defaults={
                "previous": previous,
                "columns": columns,
                "drifted_columns": [c["column"] for c in columns if c.get("drifted")],
                "computed_at": timezone.now(),
            },
        )
    return drift_report
