"""API of profiles, expectations, quality results, drift reports and class suggestions:
anonymous (401), wrong role (403), right role (200), and the decisions' effects."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import (
    Column,
    ColumnClassSuggestion,
    DriftReport,
    ProfileStatus,
    QualityExpectation,
    QualityResult,
    VersionProfile,
)
from catalog.roles import Role
from tests.factories import ColumnFactory, DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(custodian):  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, custodian=custodian)
    version = DatasetVersionFactory(dataset=dataset, number=2)
    previous = DatasetVersionFactory(dataset=dataset, number=1)
    column = ColumnFactory(dataset=dataset, name="contact")
    profile = VersionProfile.objects.create(
        version=version,
        status=ProfileStatus.DONE,
        row_count=10,
        columns=[{"name": "contact", "personal": True, "count": 10, "non_null": 10, "distinct": 10}],
        personal_columns=["contact"],
    )
    expectation = QualityExpectation.objects.create(
        dataset=dataset, column="", kind="row_count", params={"min": 5, "max": 20}
    )
    result = QualityResult.objects.create(
        version=version, expectation=expectation, passed=True, observed={"rows": 10}, checked_at=timezone.now()
    )
    drift = DriftReport.objects.create(version=version, previous=previous, columns=[], computed_at=timezone.now())
    suggestion = ColumnClassSuggestion.objects.create(
        column=column, version=version, kind="email", suggested_class="direct", confidence=0.9, evidence={}
    )
    return {
        "dataset": dataset,
        "profile": profile,
        "expectation": expectation,
        "result": result,
        "drift": drift,
        "suggestion": suggestion,
        "column": column,
    }


LISTS = [
    "/api/profiles/",
    "/api/quality-expectations/",
    "/api/quality-results/",
    "/api/drift-reports/",
    "/api/class-suggestions/",
]


@pytest.mark.parametrize("url", LISTS)
def test_reads_need_authentication(world, client_for, data_scientist, url) -> None:
    assert client_for(None).get(url).status_code == 401
    response = client_for(data_scientist).get(url, {"dataset": world["dataset"].slug})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_profile_detail_links_the_report(world, client_for, data_scientist) -> None:
    body = client_for(data_scientist).get(f"/api/profiles/{world['profile'].pk}/").json()
    assert body["personal_columns"] == ["contact"] and body["dataset"] == world["dataset"].slug
    assert body["report_url"] is None  # no report file stored in this fixture


def test_expectation_decisions_by_role(world, client_for, data_scientist, officer, custodian) -> None:
    url = f"/api/quality-expectations/{world['expectation'].pk}/accept/"
    assert client_for(None).post(url, {}, format="json").status_code == 401
    assert client_for(data_scientist).post(url, {}, format="json").status_code == 403
    assert client_for(officer).post(url, {}, format="json").status_code == 403
    response = client_for(custodian).post(url, {"params": {"min": 1, "max": 50}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted" and response.json()["params"] == {"min": 1, "max": 50}
    assert response.json()["decided_by"] == custodian.username

    bad = client_for(custodian).post(url, {"params": {"min": 50, "max": 1}}, format="json")
    assert bad.status_code == 400 and "params" in bad.json()
    world["expectation"].refresh_from_db()
    assert world["expectation"].params == {"min": 1, "max": 50}  # nothing lost on bad input

    edited = client_for(custodian).patch(
        f"/api/quality-expectations/{world['expectation'].pk}/", {"params": {"min": 2, "max": 40}}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["params"] == {"min": 2, "max": 40}
    rejected = client_for(custodian).post(f"/api/quality-expectations/{world['expectation'].pk}/reject/")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_suggestion_confirm_applies_the_class_through_the_column_service(
    world, client_for, data_scientist, officer
) -> None:
    url = f"/api/class-suggestions/{world['suggestion'].pk}/confirm/"
    assert client_for(None).post(url).status_code == 401
    assert client_for(data_scientist).post(url).status_code == 403
    response = client_for(officer).post(url, {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "confirmed" and response.json()["current_class"] == "direct"
    assert Column.objects.get(pk=world["column"].pk).personal_data_class == "direct"
    again = client_for(officer).post(url, {}, format="json")
    assert again.status_code == 400  # already decided


def test_suggestion_reject_by_custodian_leaves_the_column(world, client_for, custodian, make_user) -> None:
    other_custodian = make_user(Role.DATA_CUSTODIAN, username="bruno")
    url = f"/api/class-suggestions/{world['suggestion'].pk}/reject/"
    assert client_for(other_custodian).post(url).status_code == 403  # not this dataset's custodian
    response = client_for(custodian).post(url)
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert Column.objects.get(pk=world["column"].pk).personal_data_class == "none"


def test_confirm_with_another_class_and_bad_class(world, client_for, custodian) -> None:
    url = f"/api/class-suggestions/{world['suggestion'].pk}/confirm/"
    assert client_for(custodian).post(url, {"personal_data_class": "secret"}, format="json").status_code == 400
    response = client_for(custodian).post(url, {"personal_data_class": "indirect"}, format="json")
    assert response.status_code == 200 and response.json()["current_class"] == "indirect"


def test_results_and_drift_are_read_only(world, client_for, custodian) -> None:
    assert client_for(custodian).post("/api/quality-results/", {}, format="json").status_code == 405
    assert client_for(custodian).delete(f"/api/drift-reports/{world['drift'].pk}/").status_code == 405


def test_schema_has_the_endpoints_without_warnings(tmp_path) -> None:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/profiles/",
        "/api/quality-expectations/{id}/accept/",
        "/api/class-suggestions/{id}/confirm/",
        "/api/drift-reports/",
    ):
        assert f"{path}:" in text
