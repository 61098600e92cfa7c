"""The project board's chart, through Django's test client: a data table first, with Chart.js
(vendored by scripts/assets.sh) and charts.js loaded only where a chart is; a missing vendor file
leaves the table and breaks nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from frontend.templatetags import charts_ui
from projects import services as project_services
from tests.frontend.data import ClientAs

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_html(client_as: ClientAs, project_lead: User) -> Callable[[], str]:
    project_services.project_create(
        name="Churn prediction", purpose="Predict churn within 3 months.", creator=project_lead
    )

    def get() -> str:
        response = client_as(project_lead).get(reverse("frontend:project-board"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def _chart_rows(html: str) -> dict[str, str]:
    figure = re.search(r'<figure class="chart[^"]*" data-chart=.*?</figure>', html, flags=re.S)
    assert figure, "the board has a chart"
    rows = re.findall(r'<th scope="row">([^<]+)</th><td data-value="(\d+)">', figure.group(0))
    return dict(rows)


def test_board_chart_is_a_table_of_projects_per_stage(board_html: Callable[[], str]) -> None:
    html = board_html()
    rows = _chart_rows(html)
    assert rows["Qualification"] == "1"
    assert set(rows.values()) == {"0", "1"}
    config = json.loads(re.search(r"data-chart='([^']+)'", html).group(1))
    assert config["type"] == "bar"
    assert '<script src="/static/frontend/vendor/chart.umd.min.js" defer></script>' in html
    assert '<script src="/static/frontend/charts.js" defer></script>' in html
    assert html.index("chart.umd.min.js") < html.index("frontend/charts.js")  # the library first


def test_a_missing_vendor_file_leaves_the_table_and_the_page(
    board_html: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts_ui, "CHART_LIBRARY", "frontend/vendor/not-copied.js")
    html = board_html()
    assert "not-copied.js" not in html
    assert '<script src="/static/frontend/charts.js" defer></script>' in html
    assert _chart_rows(html)["Qualification"] == "1"


def test_pages_without_charts_load_no_chart_script(client_as: ClientAs, data_scientist: User) -> None:
    html = client_as(data_scientist).get(reverse("frontend:glossary-list")).content.decode()
    assert "chart.umd.min.js" not in html and "charts.js" not in html
