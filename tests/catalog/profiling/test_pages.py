"""Dataset and version pages: profile, report link and view, expectations and suggestions forms,
task progress; who may see and decide."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import ColumnClassSuggestion, QualityExpectation, QualityResult
from tests.catalog.profiling.test_pipeline import batch
from tests.factories import DatasetFactory, UserFactory
from workers.models import TaskRun

pytestmark = pytest.mark.django_db


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def profiled(upload, custodian):  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, custodian=custodian, slug="loans", name="Loans")
    upload(dataset, batch(1), user=custodian)
    second = upload(dataset, batch(2, shift=40.0), user=custodian)
    return dataset, second


def test_pages_show_profile_expectations_suggestions_and_drift(profiled, data_scientist, custodian) -> None:
    dataset, version = profiled
    page = login(data_scientist).get(dataset.get_absolute_url()).content.decode()
    assert 'data-profile-column="amount"' in page and "<svg" in page
    assert 'data-expectation=":row_count"' in page
    assert 'data-suggestion="email"' in page
    assert 'data-drift-column="amount"' in page
    assert "expectation-decide" not in page and 'name="decision"' not in page  # a reader cannot decide
    owner_page = login(custodian).get(dataset.get_absolute_url()).content.decode()
    assert owner_page.count('name="decision" value="accept"') >= 3 and 'value="confirm"' in owner_page

    version_page = login(data_scientist).get(version.get_absolute_url()).content.decode()
    assert 'data-task="catalog.profile_version"' in version_page and "done" in version_page
    assert reverse("frontend:version-profile-report", args=[dataset.slug, version.number]) in version_page
    assert 'data-drift-column="segment"' in version_page


def test_report_is_served_only_to_readers(profiled, data_scientist) -> None:
    dataset, version = profiled
    url = reverse("frontend:version-profile-report", args=[dataset.slug, version.number])
    assert Client().get(url).status_code == 302  # to the login page
    assert login(UserFactory()).get(url).status_code == 403  # no role: may not read the catalog
    response = login(data_scientist).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    body = b"".join(response.streaming_content).decode()
    assert "segment" in body and "client1_" not in body and "client2_" not in body


def test_expectation_form_accepts_edits_and_refuses_bad_json(profiled, custodian, data_scientist) -> None:
    dataset, _ = profiled
    expectation = QualityExpectation.objects.get(dataset=dataset, kind="row_count")
    url = reverse("frontend:expectation-decide", args=[dataset.slug, expectation.pk])
    assert login(data_scientist).post(url, {"decision": "accept"}).status_code == 403
    response = login(custodian).post(url, {"decision": "accept", "params": "{not json"}, follow=True)
    assert "Not saved" in response.content.decode()
    expectation.refresh_from_db()
    assert expectation.status == "suggested"
    login(custodian).post(url, {"decision": "accept", "params": '{"min": 1, "max": 2}'})
    expectation.refresh_from_db()
    assert expectation.status == "accepted" and expectation.params == {"min": 1, "max": 2}


def test_quality_flag_on_the_dataset_page(profiled, data_scientist) -> None:
    dataset, version = profiled
    expectation = QualityExpectation.objects.get(dataset=dataset, kind="row_count")
    QualityResult.objects.create(
        version=version, expectation=expectation, passed=False, observed={"rows": 300}, checked_at=timezone.now()
    )
    from catalog.selectors import datasets_quality_flags

    assert datasets_quality_flags(dataset_ids=[dataset.pk]) == {dataset.pk: ["rows: Row count band"]}
    page = login(data_scientist).get(dataset.get_absolute_url()).content.decode()
    assert "data-quality-flag" in page and "rows: Row count band" in page


def test_suggestion_form_confirms_for_officer_only(profiled, officer, data_scientist) -> None:
    dataset, _ = profiled
    suggestion = ColumnClassSuggestion.objects.get(column__dataset=dataset, column__name="email")
    url = reverse("frontend:class-suggestion-decide", args=[dataset.slug, suggestion.pk])
    assert login(data_scientist).post(url, {"decision": "confirm"}).status_code == 403
    assert login(officer).post(url, {"decision": "confirm", "personal_data_class": "direct"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == "confirmed" and suggestion.column.personal_data_class == "direct"


def test_version_page_shows_running_and_failed_tasks(profiled, data_scientist) -> None:
    _, version = profiled
    run = TaskRun.objects.filter(task_name="catalog.profile_version").order_by("-id").first()
    TaskRun.objects.filter(pk=run.pk).update(
        state=TaskRun.State.RUNNING, progress=40, message="Statistics: 120 of 300 rows read."
    )
    page = login(data_scientist).get(version.get_absolute_url()).content.decode()
    assert "running 40 %" in page and 'http-equiv="refresh"' in page
    TaskRun.objects.filter(pk=run.pk).update(state=TaskRun.State.FAILED, error="The file could not be read: bad row")
    page = login(data_scientist).get(version.get_absolute_url()).content.decode()
    assert "failed: The file could not be read: bad row" in page
