"""The project pages through Django's test client: board, project page (member and non-member),
creation, and a refused transition (PRODUCT.md §3, §5 journey 3)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from catalog.roles import Role
from projects import services
from projects.models import Project, ProjectRole, Stage
from tests.factories import ProjectFactory, UserFactory
from tests.frontend.data import ClientAs
from tests.projects.helpers import complete_checklist, complete_gate

pytestmark = pytest.mark.django_db


def _text(response: HttpResponse) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _project(lead: User, name: str = "Churn prediction", **kwargs: object) -> Project:
    return services.project_create(
        name=name, purpose="Predict which retail customers will close their accounts.", creator=lead, **kwargs
    )


def _column(response: HttpResponse, stage: str) -> str:
    match = re.search(rf'<section[^>]*data-stage="{stage}".*?</section>', response.content.decode(), flags=re.S)
    assert match, f"no column {stage}"
    return match.group(0)


# --- Board -------------------------------------------------------------------------------------------


def test_board_shows_every_stage_and_flags_stale_pocs(client_as: ClientAs, project_lead: User) -> None:
    fresh = _project(project_lead, "Fresh idea")
    # Placed in Exploration without its gate (the factory): this test is about the board.
    ProjectFactory(
        name="Endless POC",
        stage=Stage.EXPLORATION,
        entered_stage_at=timezone.now() - timedelta(days=120),
        lead=project_lead,
    )
    services.project_stale_refresh()

    response = client_as(project_lead).get(reverse("frontend:project-board"))

    assert response.status_code == 200
    text = _text(response)
    for label in ("Qualification", "Exploration (POC)", "Industrialization", "Production", "Retired", "Abandoned"):
        assert label in text
    exploration = _column(response, "exploration")
    assert "Endless POC" in exploration and "Stale POC" in exploration and "120 days" in exploration
    qualification = _column(response, "qualification")
    assert fresh.name in qualification and "Stale POC" not in qualification
    assert "1 stale POC" in text
    assert 'aria-current="page">Projects<' in response.content.decode()
    assert "New project" in text


def test_board_hides_creation_from_users_who_may_not_create(client_as: ClientAs, custodian: User) -> None:
    response = client_as(custodian).get(reverse("frontend:project-board"))
    assert response.status_code == 200
    assert "New project" not in _text(response)
    assert client_as(custodian).get(reverse("frontend:project-create")).status_code == 403


def test_board_needs_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("frontend:project-board"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Project page ------------------------------------------------------------------------------------


def test_member_sees_gates_team_and_what_is_missing(client_as: ClientAs, project_lead: User) -> None:
    project = _project(project_lead)
    response = client_as(project_lead).get(reverse("frontend:project-detail", args=[project.slug]))
    assert response.status_code == 200
    text = _text(response)
    assert "Gate to Exploration (POC)" in text
    assert "Business KPI and ML metric with targets" in text and "Missing" in text
    assert "Move to Exploration (POC)" in text
    assert "Abandon" in text
    assert "datasets come with access grants" in text
    assert "Created in Qualification" in text  # history
    assert "Project lead" in text and "Sign as" not in text  # checklist incomplete: no sign-off yet


def test_non_member_sees_the_summary_only(client_as: ClientAs, project_lead: User, data_scientist: User) -> None:
    project = _project(project_lead)
    response = client_as(data_scientist).get(reverse("frontend:project-detail", args=[project.slug]))
    assert response.status_code == 200
    text = _text(response)
    assert project.purpose in text and "you see its summary" in text
    assert "Stage gates" not in text and "Team" not in text and "Move to" not in text


def test_officer_reads_every_project_and_signs_the_governance_role(
    client_as: ClientAs, project_lead: User, officer: User
) -> None:
    project = _project(project_lead)
    complete_checklist(project, Stage.EXPLORATION)
    client = client_as(officer)
    page = client.get(reverse("frontend:project-detail", args=[project.slug]))
    assert "Sign as Governance officer" in _text(page) and "Move to" not in _text(page)
    response = client.post(
        reverse("frontend:project-signoff", args=[project.slug]),
        {"role": ProjectRole.GOVERNANCE_OFFICER, "stage": Stage.EXPLORATION, "comment": "DPIA screening read."},
    )
    assert response.status_code == 302
    assert project.sign_offs.filter(role=ProjectRole.GOVERNANCE_OFFICER, user=officer).exists()
    # A role the officer does not hold is refused, on the page.
    refused = client.post(
        reverse("frontend:project-signoff", args=[project.slug]),
        {"role": ProjectRole.PROJECT_LEAD, "stage": Stage.EXPLORATION},
    )
    assert refused.status_code == 400
    assert "You do not hold the role Project lead" in _text(refused)


def test_unknown_project_is_404(client_as: ClientAs, project_lead: User) -> None:
    assert client_as(project_lead).get(reverse("frontend:project-detail", args=["nope"])).status_code == 404


# --- Creation ----------------------------------------------------------------------------------------


def test_create_form_shows_validation_errors(client_as: ClientAs, project_lead: User) -> None:
    client = client_as(project_lead)
    assert client.get(reverse("frontend:project-create")).status_code == 200
    response = client.post(reverse("frontend:project-create"), {"name": "", "purpose": "", "value_rating": "9"})
    assert response.status_code == 400
    text = _text(response)
    assert "The project was not created" in text
    assert "This field is required." in text
    assert "Select a valid choice" in text
    assert not Project.objects.exists()


def test_create_makes_the_creator_lead(client_as: ClientAs, data_scientist: User) -> None:
    owner = UserFactory(first_name="Bea", last_name="Owner")
    response = client_as(data_scientist).post(
        reverse("frontend:project-create"),
        {
            "name": "ATM cash forecasting",
            "purpose": "Forecast ATM withdrawals to plan cash deliveries.",
            "business_owner": owner.pk,
            "value_rating": "4",
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "frontend:project-detail", args=[project.slug]
    )
    assert project.leads == [data_scientist] and project.business_owner == owner and project.value_rating == 4
    assert project.stage == Stage.QUALIFICATION


# --- Transitions and answers -------------------------------------------------------------------------


def test_refused_transition_says_what_is_missing_and_keeps_the_stage(client_as: ClientAs, project_lead: User) -> None:
    project = _project(project_lead)
    response = client_as(project_lead).post(
        reverse("frontend:project-transition", args=[project.slug]), {"target_stage": Stage.EXPLORATION}
    )
    assert response.status_code == 400
    text = _text(response)
    assert "The project was not moved to Exploration (POC)" in text
    assert "stays in Qualification" in text
    assert "Checklist missing:" in text and "Business KPI and ML metric with targets" in text
    assert "Sign-offs missing:" in text and "Governance officer: not signed." in text
    project.refresh_from_db()
    assert project.stage == Stage.QUALIFICATION and project.transitions.count() == 1


def test_only_the_lead_moves_the_project(client_as: ClientAs, project_lead: User, officer: User) -> None:
    project = _project(project_lead)
    response = client_as(officer).post(
        reverse("frontend:project-transition", args=[project.slug]), {"target_stage": Stage.EXPLORATION}
    )
    assert response.status_code == 403


def test_abandon_needs_a_reason(client_as: ClientAs, project_lead: User) -> None:
    project = _project(project_lead)
    url = reverse("frontend:project-transition", args=[project.slug])
    client = client_as(project_lead)
    refused = client.post(url, {"target_stage": Stage.ABANDONED, "reason": " "})
    assert refused.status_code == 400 and "Say why the project is abandoned." in _text(refused)
    done = client.post(url, {"target_stage": Stage.ABANDONED, "reason": "No business sponsor."})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.stage == Stage.ABANDONED
    page = client.get(reverse("frontend:project-detail", args=[project.slug]))
    assert "No business sponsor." in _text(page) and "Move to" not in _text(page)


def test_answer_form_records_an_industrialization_item(client_as: ClientAs, project_lead: User) -> None:
    project = _project(project_lead)
    complete_gate(project, Stage.EXPLORATION, officer=UserFactory(roles=[Role.GOVERNANCE_OFFICER]))
    services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=project_lead)
    client = client_as(project_lead)
    page = client.get(reverse("frontend:project-detail", args=[project.slug]))
    assert "Save answer" in _text(page)
    url = reverse("frontend:project-answer", args=[project.slug])
    bad = client.post(url, {"stage": Stage.INDUSTRIALIZATION, "key": "monitoring_plan", "value_url": "not a url"})
    assert bad.status_code == 400 and "Enter a valid http or https URL." in _text(bad)
    ok = client.post(url, {"stage": Stage.INDUSTRIALIZATION, "key": "scalability_checked", "value_bool": "yes"})
    assert ok.status_code == 302
    assert project.gate_answers.get(item__key="scalability_checked").value_bool is True
