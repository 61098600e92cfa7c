"""The Art. 30 register, generated from projects × grants × personal-data categories; CSV is injection-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from governance import selectors, services
from tests.governance.conftest import LEAD, MEMBER, OFFICER, World, approve, file_request

pytestmark = pytest.mark.django_db


def test_no_grant_no_entry(world: World) -> None:
    assert selectors.register_entries() == []


def test_an_entry_per_project_with_live_grants(world: World) -> None:
    grant = approve(world, file_request(world)).grant
    [entry] = selectors.register_entries()
    assert entry.project == "Retail churn" and entry.purposes == [world.project.purpose]
    assert entry.legal_bases == ["Legitimate interests (Art. 6(1)(f))"]
    assert entry.data_subject_categories == ["Customers"]
    assert entry.personal_data_categories == ["Identity", "Financial and banking", "Health (Art. 9)"]
    assert entry.special_categories is False  # no special-category column granted
    assert any(r.startswith(world.user(MEMBER).get_full_name()) for r in entry.recipients)
    assert entry.erasure_deadlines == [f"Customer accounts: access ends {grant.expires_on}, retention 365 days"]
    assert entry.security_measures == ["Encrypted at rest; access logged."]
    assert entry.datasets[0].columns == ["customer_ref", "age_band", "balance"]
    services.grant_revoke(grant=grant, actor=world.user(OFFICER), reason="Over.")
    assert selectors.register_entries() == []


def test_csv_cells_cannot_run_as_formulas() -> None:
    for dangerous in ("=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert selectors.csv_safe(dangerous) == "'" + dangerous
    assert selectors.csv_safe("Retail churn") == "Retail churn"
    assert selectors.csv_safe(None) == ""


def test_register_csv_escapes_a_formula_in_the_purpose(world: World) -> None:
    from projects import services as project_services

    project_services.project_update(
        project=world.project, data={"purpose": '=HYPERLINK("http://evil","x")'}, actor=world.user(LEAD)
    )
    approve(world, file_request(world, purpose='=HYPERLINK("http://evil","x")'))
    rows = list(csv.reader(io.StringIO(selectors.register_csv(selectors.register_entries()))))
    assert rows[0][0] == "project" and len(rows) == 2
    purposes = rows[1][rows[0].index("purposes")]
    assert purposes.startswith("'=HYPERLINK")


def test_register_api(world: World, client_for: Callable[[Any], APIClient]) -> None:
    approve(world, file_request(world))
    officer = client_for(world.user(OFFICER))
    body = officer.get("/api/governance/register/").json()
    assert [e["project_slug"] for e in body] == ["retail-churn"]
    response = officer.get("/api/governance/register.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[1].startswith("Retail churn,")
    for role in (MEMBER, LEAD):
        assert client_for(world.user(role)).get("/api/governance/register/").status_code == 403
        assert client_for(world.user(role)).get("/api/governance/register.csv").status_code == 403
