"""The task path: a real upload queues profiling (TaskRun), which profiles, suggests classes and
expectations, then quality and drift run on the next version."""

from __future__ import annotations

import random

import pytest

from catalog.models import (
    ColumnClassSuggestion,
    DriftReport,
    ExpectationStatus,
    ProfileStatus,
    QualityExpectation,
    QualityResult,
    VersionProfile,
)
from catalog.profiling import services as profiling
from tests.catalog.profiling.conftest import csv_bytes
from tests.factories import DatasetFactory
from workers.models import TaskRun
from workers.selectors import task_runs_for

pytestmark = pytest.mark.django_db(transaction=False)

HEADER = ["customer_id", "segment", "amount", "opened_on", "email"]


def batch(
    seed: int, rows: int = 300, shift: float = 0.0, segments: tuple[str, ...] = ("retail", "sme", "corporate")
) -> bytes:
    rng = random.Random(seed)
    return csv_bytes(
        HEADER,
        [
            [
                f"C{seed:02d}{i:06d}",
                rng.choice(segments),
                f"{rng.gauss(100 + shift, 15):.2f}",
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                f"client{seed}_{i}@example.org",
            ]
            for i in range(rows)
        ],
    )


def test_upload_profiles_the_version_through_a_task_run(upload, custodian) -> None:
    dataset = DatasetFactory(owner=custodian, custodian=custodian)
    version = upload(dataset, batch(1), user=custodian)

    runs = {run.task_name: run for run in task_runs_for(version)}
    assert set(runs) == {"catalog.profile_version", "catalog.quality_run", "catalog.drift_compute"}
    assert all(run.state == TaskRun.State.DONE for run in runs.values()), [
        (r.task_name, r.error) for r in runs.values()
    ]
    assert runs["catalog.profile_version"].progress == 100

    profile = VersionProfile.objects.get(version=version)
    assert profile.status == ProfileStatus.DONE
    assert profile.row_count == 300
    assert profile.report.name.endswith(".html")
    assert profile.personal_columns == ["email"]
    amount = profile.column("amount")
    assert amount["count"] == 300 and amount["missing"] == 0 and "histogram" in amount

    suggestion = ColumnClassSuggestion.objects.get(column__dataset=dataset)
    assert (suggestion.column.name, suggestion.kind, suggestion.suggested_class) == ("email", "email", "direct")
    assert suggestion.column.personal_data_class == "none"  # never applied silently

    kinds = set(QualityExpectation.objects.filter(dataset=dataset).values_list("column", "kind"))
    assert ("", "row_count") in kinds and ("segment", "categories") in kinds and ("amount", "range") in kinds
    assert ("email", "range") not in kinds and ("email", "categories") not in kinds
    assert not DriftReport.objects.exists()  # first version: nothing to compare with


def test_next_version_runs_accepted_expectations_and_drift(upload, custodian) -> None:
    dataset = DatasetFactory(owner=custodian, custodian=custodian)
    upload(dataset, batch(1), user=custodian)
    categories = QualityExpectation.objects.get(dataset=dataset, column="segment", kind="categories")
    profiling.expectation_accept(expectation=categories, user=custodian)
    row_count = QualityExpectation.objects.get(dataset=dataset, kind="row_count")
    profiling.expectation_accept(expectation=row_count, user=custodian, params={"min": 100, "max": 1000})

    second = upload(dataset, batch(2, shift=40.0, segments=("retail", "sme", "corporate", "private")), user=custodian)

    results = {r.expectation.kind: r for r in QualityResult.objects.filter(version=second)}
    assert set(results) == {"categories", "row_count"}
    assert results["row_count"].passed is True
    assert results["categories"].passed is False
    assert results["categories"].observed["unexpected"] == ["private"]
    assert QualityExpectation.objects.filter(dataset=dataset, status=ExpectationStatus.SUGGESTED).exists()

    report = DriftReport.objects.get(version=second)
    by_column = {c["column"]: c for c in report.columns}
    assert by_column["amount"]["drifted"] is True and by_column["amount"]["test"] == "ks"
    assert by_column["segment"]["drifted"] is True and by_column["segment"]["test"] == "chi2"
    assert by_column["opened_on"]["drifted"] is False
    assert "plot" in by_column["amount"] and "<svg" in by_column["amount"]["plot"]
    assert "plot" not in by_column["email"]  # personal: numbers only


def test_bad_file_fails_with_a_clear_reason(upload, custodian, settings) -> None:
    dataset = DatasetFactory(owner=custodian, custodian=custodian)
    version = upload(dataset, batch(1, rows=20), user=custodian)
    # The stored file is damaged after registration (a truncated copy on the shared volume).
    with open(version.file.path, "w", encoding="utf-8") as handle:
        handle.write("other,header\n1,2\n")
    run = TaskRun.objects.filter(task_name="catalog.profile_version").get()
    TaskRun.objects.filter(pk=run.pk).update(state=TaskRun.State.QUEUED)
    from catalog.tasks import profile_version

    profile_version.apply(kwargs={"task_run_id": run.pk, "version_id": version.pk})
    run.refresh_from_db()
    profile = VersionProfile.objects.get(version=version)
    assert run.state == TaskRun.State.FAILED
    assert "header no longer matches" in run.error
    assert profile.status == ProfileStatus.FAILED and "header no longer matches" in profile.error
