"""The forms of the project page through Django's test client: team, KPIs, ratings and business
owner, risk screening, milestones, backlog, model links and the reason of a move. Each succeeds
(redirect, message, the service's write) and shows a refusal next to the form (PRODUCT.md §3)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import reverse

from projects import risk, services
from projects.models import Membership, Project, ProjectRole, Stage
from tests.frontend.data import ClientAs
from tests.projects.helpers import complete_gate

pytestmark = pytest.mark.django_db


def _text(response: HttpResponse) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def project(project_lead: User) -> Project:
    return services.project_create(
        name="Churn prediction",
        purpose="Predict which retail customers will close their accounts.",
        creator=project_lead,
    )


def _url(name: str, project: Project, *args: object) -> str:
    return reverse(f"frontend:{name}", args=[project.slug, *args])


def _followed_message(client, response: HttpResponse) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, _text(response)[:2000]
    return _text(client.get(response["Location"]))


# --- Who sees the forms ------------------------------------------------------------------------------


def test_the_lead_sees_every_form(client_as: ClientAs, project_lead: User, project: Project) -> None:
    text = _text(client_as(project_lead).get(_url("project-detail", project)))
    for title in (
        "Add a team member",
        "Add a KPI",
        "Edit ratings and business owner",
        "Record a risk screening",
        "Add a milestone",
        "Add a backlog item",
        "Link an MLflow model",
        "Reason for the move",
    ):
        assert title in text


def test_a_member_records_screenings_and_links_models_only(
    client_as: ClientAs, project_lead: User, data_scientist: User, project: Project
) -> None:
    services.membership_add(
        project=project, user=data_scientist, role=ProjectRole.DATA_SCIENTIST, added_by=project_lead
    )
    client = client_as(data_scientist)
    text = _text(client.get(_url("project-detail", project)))
    assert "Record a risk screening" in text and "Link an MLflow model" in text
    assert "Add a team member" not in text and "Add a KPI" not in text
    assert client.post(_url("project-kpi-add", project), {"name": "x"}).status_code == 403
    response = client.post(_url("project-model-link", project), {"registered_model_name": "churn-model"})
    assert response.status_code == 302
    assert project.model_links.get().registered_model_name == "churn-model"


def test_an_officer_sees_no_form_and_may_not_post(client_as: ClientAs, officer: User, project: Project) -> None:
    client = client_as(officer)
    text = _text(client.get(_url("project-detail", project)))
    assert "Add a KPI" not in text and "Record a risk screening" not in text
    assert client.post(_url("project-model-link", project), {"registered_model_name": "m"}).status_code == 403
    assert client.post(_url("project-member-add", project), {}).status_code == 403


# --- Team --------------------------------------------------------------------------------------------


def test_add_a_team_member(client_as: ClientAs, project_lead: User, data_scientist: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(
        _url("project-member-add", project), {"username": "alice", "role": "data_scientist", "started_on": ""}
    )
    assert "added to the team as Data scientist" in _followed_message(client, response)
    assert project.memberships.active().filter(user=data_scientist, role=ProjectRole.DATA_SCIENTIST).exists()


def test_add_a_team_member_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-member-add", project), {"username": "nobody", "role": "data_scientist"})
    assert response.status_code == 400
    assert "There is no user named nobody." in _text(response)
    # The service's refusal (the same role twice) is shown on the form too.
    response = client.post(_url("project-member-add", project), {"username": "paula", "role": "project_lead"})
    assert response.status_code == 400
    assert "paula already holds the role Project lead on this project." in _text(response)


def test_end_a_membership(client_as: ClientAs, project_lead: User, data_scientist: User, project: Project) -> None:
    membership = services.membership_add(
        project=project, user=data_scientist, role=ProjectRole.DATA_SCIENTIST, added_by=project_lead
    )
    client = client_as(project_lead)
    response = client.post(_url("project-member-end", project, membership.pk), {"reason": "Moved team."})
    assert "is no longer Data scientist" in _followed_message(client, response)
    membership.refresh_from_db()
    assert membership.ended_at is not None and membership.end_reason == "Moved team."


def test_ending_the_last_lead_is_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    lead = Membership.objects.get(project=project, role=ProjectRole.PROJECT_LEAD)
    response = client_as(project_lead).post(_url("project-member-end", project, lead.pk), {"reason": ""})
    assert response.status_code == 400
    assert "A project always has an active project lead" in _text(response)
    lead.refresh_from_db()
    assert lead.ended_at is None


# --- KPIs and details ----------------------------------------------------------------------------------


def test_add_a_kpi(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    data = {"kind": "ml", "name": "Recall", "target": "0.8", "unit": "", "direction": "higher"}
    response = client.post(_url("project-kpi-add", project), data)
    assert "KPI Recall added." in _followed_message(client, response)
    kpi = project.kpis.get()
    assert (kpi.kind, kpi.name, kpi.target) == ("ml", "Recall", 0.8)


def test_add_a_kpi_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    data = {"kind": "ml", "name": "", "target": "high", "direction": "higher"}
    response = client_as(project_lead).post(_url("project-kpi-add", project), data)
    assert response.status_code == 400
    text = _text(response)
    assert "This field is required." in text and "Enter a number." in text
    assert not project.kpis.exists()


def test_edit_ratings_and_business_owner(
    client_as: ClientAs,
    project_lead: User,
    make_user,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    owner = make_user(username="bob")
    client = client_as(project_lead)
    data = {"business_owner": owner.pk, "value_rating": "4", "risk_rating": "2", "feasibility_rating": "3"}
    response = client.post(_url("project-details", project), data)
    assert "Business owner and ratings saved." in _followed_message(client, response)
    project.refresh_from_db()
    assert (project.business_owner, project.value_rating, project.risk_rating, project.feasibility_rating) == (
        owner,
        4,
        2,
        3,
    )


def test_edit_ratings_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    response = client_as(project_lead).post(_url("project-details", project), {"value_rating": "9"})
    assert response.status_code == 400
    assert "Select a valid choice." in _text(response)


# --- Risk screening ----------------------------------------------------------------------------------


def _all(answer: str) -> dict[str, str]:
    return {q.key: answer for q in risk.QUESTIONS}


def test_record_a_risk_screening(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    page = _text(client.get(_url("project-detail", project)))
    assert risk.QUESTIONS[0].text in page
    response = client.post(_url("project-risk", project), {**_all("no"), "comment": "Nothing personal."})
    assert "Risk screening recorded: AI Act" in _followed_message(client, response)
    screening = project.risk_screenings.get()
    assert screening.answers == risk.all_no() and screening.comment == "Nothing personal."


def test_a_risk_screening_needs_every_answer(client_as: ClientAs, project_lead: User, project: Project) -> None:
    data = _all("no")
    del data[risk.QUESTIONS[0].key]
    response = client_as(project_lead).post(_url("project-risk", project), data)
    assert response.status_code == 400
    assert "Answer yes or no." in _text(response)
    assert not project.risk_screenings.exists()


# --- Roadmap, backlog, models --------------------------------------------------------------------------


def test_add_a_milestone_and_mark_it_done(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-milestone-add", project), {"title": "POC demo", "target_date": "2030-01-15"})
    assert "Milestone POC demo added." in _followed_message(client, response)
    milestone = project.milestones.get()
    response = client.post(_url("project-milestone-done", project, milestone.pk), {"actual_date": "2026-01-10"})
    assert "Milestone POC demo reached on 2026-01-10." in _followed_message(client, response)
    milestone.refresh_from_db()
    assert milestone.actual_date == date(2026, 1, 10)


def test_milestone_forms_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-milestone-add", project), {"title": "POC demo", "target_date": "soon"})
    assert response.status_code == 400
    assert "Enter a valid date." in _text(response)
    milestone = services.milestone_create(project=project, title="Demo", target_date=date(2030, 1, 1))
    response = client.post(_url("project-milestone-done", project, milestone.pk), {"actual_date": ""})
    assert response.status_code == 400
    assert "This field is required." in _text(response)


def test_add_a_backlog_item(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-backlog-add", project), {"title": "Feature store", "profile": "data_engineer"})
    assert "Backlog item Feature store added." in _followed_message(client, response)
    assert project.backlog_items.get().profile == "data_engineer"


def test_add_a_backlog_item_refused(client_as: ClientAs, project_lead: User, project: Project) -> None:
    response = client_as(project_lead).post(_url("project-backlog-add", project), {"title": "", "profile": "chef"})
    assert response.status_code == 400
    assert "Select a valid choice." in _text(response)


def test_link_a_model_refused_twice(client_as: ClientAs, project_lead: User, project: Project) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-model-link", project), {"registered_model_name": "churn-model"})
    assert "MLflow model churn-model linked." in _followed_message(client, response)
    response = client.post(_url("project-model-link", project), {"registered_model_name": "churn-model"})
    assert response.status_code == 400
    assert "The project is already linked to churn-model." in _text(response)


# --- The reason of a move ------------------------------------------------------------------------------


def test_the_reason_of_a_move_is_recorded(
    client_as: ClientAs, project_lead: User, officer: User, project: Project
) -> None:
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    client = client_as(project_lead)
    response = client.post(
        _url("project-transition", project), {"target_stage": "exploration", "reason": "Strong business case."}
    )
    assert response.status_code == 302
    assert project.transitions.order_by("at").last().reason == "Strong business case."


def test_no_form_on_a_closed_project(client_as: ClientAs, project_lead: User, project: Project) -> None:
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=project_lead, reason="No data.")
    text = _text(client_as(project_lead).get(_url("project-detail", project)))
    assert "Add a KPI" not in text and "Record a risk screening" not in text
