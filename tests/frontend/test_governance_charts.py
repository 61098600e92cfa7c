"""The officer's "requests per week" chart on the review queue, through Django's test client: access
requests filed per ISO week over the last 12 weeks, split by outcome, as a data table (the chart's
accessible fallback) that charts.js draws."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import RequestStatus
from governance.selectors import requests_per_week
from tests.factories import AccessRequestFactory, DatasetFactory, ProjectFactory
from tests.frontend.data import ClientAs

pytestmark = pytest.mark.django_db


def _at(day: datetime, days_back: int) -> datetime:
    return day - timedelta(days=days_back)


def _week_label(moment: datetime) -> str:
    year, week, _ = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _rows(html: str) -> dict[str, tuple[int, int, int]]:
    figure = re.search(r'<figure class="chart[^"]*" id="requests-per-week".*?</figure>', html, flags=re.S)
    assert figure, "the queue has the requests-per-week chart"
    found = re.findall(
        r'<th scope="row">([^<]+)</th><td data-value="(\d+)">\d+</td><td data-value="(\d+)">\d+</td>'
        r'<td data-value="(\d+)">\d+</td>',
        figure.group(0),
    )
    return {label: (int(a), int(r), int(o)) for label, a, r, o in found}


@pytest.fixture
def filed(officer: User) -> datetime:
    """Known requests: this week 2 approved, 1 refused, 1 pending; three weeks ago 1 approved and 1
    waiting for changes; 13 weeks ago (outside the chart) 5 approved. Returns "now" (midday today)."""
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    monday_noon = now - timedelta(days=now.weekday())
    project = ProjectFactory()
    dataset = DatasetFactory()

    def file(status: str, at: datetime) -> None:
        AccessRequestFactory(project=project, dataset=dataset, status=status, submitted_at=at)

    for status in (RequestStatus.APPROVED, RequestStatus.APPROVED, RequestStatus.REFUSED, RequestStatus.PENDING):
        file(status, monday_noon)
    file(RequestStatus.APPROVED, _at(monday_noon, 3 * 7 - 2))
    file(RequestStatus.CHANGES_REQUESTED, _at(monday_noon, 3 * 7 - 4))
    for _ in range(5):
        file(RequestStatus.APPROVED, _at(monday_noon, 13 * 7))
    return now


def test_the_queue_charts_requests_per_week_by_outcome(filed: datetime, officer: User, client_as: ClientAs) -> None:
    response = client_as(officer).get(reverse("frontend:governance-queue"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = _rows(html)

    assert len(rows) == 12
    this_week = _week_label(filed)
    three_weeks_ago = _week_label(filed - timedelta(weeks=3))
    assert list(rows)[-1] == this_week  # oldest first, the current week last
    assert rows[this_week] == (2, 1, 1)
    assert rows[three_weeks_ago] == (1, 0, 1)
    assert sum(sum(counts) for counts in rows.values()) == 6  # the 5 requests of 13 weeks ago are left out
    assert all(counts == (0, 0, 0) for label, counts in rows.items() if label not in (this_week, three_weeks_ago))

    config = json.loads(re.search(r"id=\"requests-per-week\" data-chart='([^']+)'", html).group(1))
    assert config["type"] == "bar" and config["stacked"] is True
    assert '<th scope="col">Approved</th><th scope="col">Refused</th><th scope="col">Pending or other</th>' in html
    assert '<script src="/static/frontend/charts.js" defer></script>' in html


def test_requests_per_week_is_one_query(filed: datetime) -> None:
    with CaptureQueriesContext(connection) as queries:
        weeks = requests_per_week(today=filed.date())
    assert len(queries) == 1
    assert [w["label"] for w in weeks][-1] == _week_label(filed)
    assert weeks[0]["monday"] == filed.date() - timedelta(days=filed.weekday(), weeks=11)


def test_the_chart_is_empty_without_requests_and_only_for_officers(
    officer: User, data_scientist: User, client_as: ClientAs
) -> None:
    rows = _rows(client_as(officer).get(reverse("frontend:governance-queue")).content.decode())
    assert len(rows) == 12 and set(rows.values()) == {(0, 0, 0)}
    assert client_as(data_scientist).get(reverse("frontend:governance-queue")).status_code == 403
