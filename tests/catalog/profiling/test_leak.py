"""Personal-data columns never leak: planted values are searched for in everything stored."""

from __future__ import annotations

import json
import random

from catalog.models import (
    ColumnClassSuggestion,
    DriftReport,
    PersonalDataClass,
    QualityExpectation,
    QualityResult,
    VersionProfile,
)
from catalog.services import column_create
from tests.catalog.profiling.conftest import csv_bytes
from tests.factories import DatasetFactory

# Values planted in personal columns; none may appear anywhere stored.
PLANTED_EMAIL = "zorglub.planted@leak-test.example"
PLANTED_SALARY = "987654.32"
PLANTED_NOTE = "Planted-Secret-Diagnosis"
PLANTED_NIR = "185077512345608"


def _content(seed: int) -> bytes:
    rng = random.Random(seed)
    rows = []
    for i in range(400):
        rows.append(
            [
                i,
                PLANTED_EMAIL if i % 3 == 0 else f"user{seed}_{i}@example.org",
                PLANTED_SALARY if i == 7 else f"{rng.uniform(20000, 90000):.2f}",
                PLANTED_NOTE if i % 2 == 0 else "routine check",
                PLANTED_NIR if i % 4 == 0 else "269027511111109",
                rng.choice(["north", "south"]),
            ]
        )
    return csv_bytes(["row_id", "contact", "salary", "health_note", "nir", "region"], rows)


def test_planted_values_of_personal_columns_are_nowhere_in_what_is_stored(upload, custodian) -> None:
    dataset = DatasetFactory(owner=custodian, custodian=custodian)
    # salary and health_note are classified personal; contact (emails) and nir are only detected.
    column_create(dataset=dataset, name="salary", data_type="float", personal_data_class=PersonalDataClass.INDIRECT)
    column_create(dataset=dataset, name="health_note", personal_data_class=PersonalDataClass.SPECIAL)
    first = upload(dataset, _content(1), user=custodian)
    second = upload(dataset, _content(2), user=custodian)

    profile = VersionProfile.objects.get(version=second)
    assert set(profile.personal_columns) == {"contact", "salary", "health_note", "nir"}
    html = profile.report.read().decode("utf-8")
    assert "region" in html and "north" in html  # the report is real and shows non-personal values

    stored = [html]
    for item in VersionProfile.objects.filter(version__in=[first, second]):
        stored.append(json.dumps(item.columns))
        item.report.open("rb")
        stored.append(item.report.read().decode("utf-8"))
    stored += [json.dumps(r.columns) for r in DriftReport.objects.all()]
    stored += [json.dumps(e.params) for e in QualityExpectation.objects.all()]
    stored += [json.dumps(r.observed) for r in QualityResult.objects.all()]
    stored += [json.dumps(s.evidence) for s in ColumnClassSuggestion.objects.all()]
    everything = "\n".join(stored)
    for planted in (PLANTED_EMAIL, PLANTED_SALARY, "987654", PLANTED_NOTE, PLANTED_NIR, "leak-test"):
        assert planted not in everything, planted
    # Aggregates of the personal columns are there.
    contact = profile.column("contact")
    assert contact["count"] == 400 and contact["distinct"] == 1 + 400 - 134
    assert DriftReport.objects.get(version=second).columns  # drift ran, with numbers only for them
