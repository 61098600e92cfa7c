"""The back office: the stage cannot be changed there; history, sign-offs and answers are read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from projects import services
from projects.models import Membership, Project, ProjectRole, Stage, StageTransition
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import complete_gate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _form(project: Project, **changes: Any) -> dict[str, Any]:
    data = {
        "name": project.name,
        "purpose": project.purpose,
        "description": project.description,
        "business_owner": "",
        "processes_personal_data": "",
        "value_rating": "",
        "risk_rating": "",
        "feasibility_rating": "",
        **{f"{prefix}-{suffix}": value for prefix in _INLINES for suffix, value in _EMPTY_FORMSET.items()},
    }
    data.update(changes)
    return data


_INLINES = ["memberships", "transitions", "sign_offs", "gate_answers"]
_EMPTY_FORMSET = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


def test_the_admin_cannot_change_the_stage(admin_client_: Client, lead: Any, project: Project) -> None:
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="stage"' not in html and 'name="entered_stage_at"' not in html
    assert "Qualification" in html  # shown, read-only
    response = admin_client_.post(
        url, _form(project, description="Edited in the back office.", stage="production", entered_stage_at="2020-01-01")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project.refresh_from_db()
    assert project.description == "Edited in the back office."
    assert project.stage == Stage.QUALIFICATION
    assert StageTransition.objects.filter(project=project).count() == 1


def test_stage_is_read_only_and_no_action_moves_it(admin_user: Any) -> None:
    from django.contrib import admin

    model_admin = admin.site._registry[Project]
    assert "stage" in model_admin.readonly_fields and "entered_stage_at" in model_admin.readonly_fields
    assert not any("stage" in str(name) for name in (model_admin.actions or []))
    assert model_admin.has_delete_permission(None) is False


def test_the_admin_creates_a_project_through_the_service(admin_client_: Client, admin_user: Any) -> None:
    response = admin_client_.post(
        reverse("admin:projects_project_add"), _form(ProjectFactory.build(), name="From the admin", purpose="Why.")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(name="From the admin")
    assert project.slug == "from-the-admin" and project.stage == Stage.QUALIFICATION
    assert project.leads == [admin_user]
    assert project.transitions.count() == 1


@pytest.mark.parametrize(
    "model", ["stagetransition", "signoff", "gateanswer", "gatechecklisttemplate", "riskscreening"]
)
def test_history_and_decisions_are_read_only(admin_client_: Client, model: str, lead: Any, officer: Any) -> None:
    project = services.project_create(name="Read-only", purpose="History.", creator=lead)
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    services.gate_answer_set(
        project=project, stage=Stage.INDUSTRIALIZATION, key="exposure", value_text="API", answered_by=lead
    )
    instance = {
        "stagetransition": project.transitions.first(),
        "signoff": project.sign_offs.first(),
        "gateanswer": project.gate_answers.first(),
        "gatechecklisttemplate": project.gate_answers.get().item.template,
        "riskscreening": project.risk_screenings.first(),
    }[model]
    assert instance is not None
    assert admin_client_.get(reverse(f"admin:projects_{model}_changelist")).status_code == 200
    assert admin_client_.get(reverse(f"admin:projects_{model}_add")).status_code == 403
    change = reverse(f"admin:projects_{model}_change", args=[instance.pk])
    page = admin_client_.get(change)
    assert page.status_code == 200 and 'value="Save"' not in page.content.decode()
    assert admin_client_.post(change, {}).status_code == 403
    assert admin_client_.post(reverse(f"admin:projects_{model}_delete", args=[instance.pk])).status_code == 403


def test_memberships_are_ended_not_deleted_in_the_admin(admin_client_: Client, lead: Any, project: Project) -> None:
    member = Membership.objects.create(project=project, user=UserFactory(), role=ProjectRole.SECURITY)
    lead_membership = project.memberships.get(user=lead)
    response = admin_client_.post(
        reverse("admin:projects_membership_changelist"),
        {"action": "end_memberships", "_selected_action": [member.pk, lead_membership.pk]},
        follow=True,
    )
    assert response.status_code == 200
    member.refresh_from_db()
    lead_membership.refresh_from_db()
    assert member.ended_at is not None and lead_membership.ended_at is None
    assert "A project always has an active project lead" in response.content.decode()
    assert admin_client_.post(reverse("admin:projects_membership_delete", args=[member.pk])).status_code == 403


def test_every_project_model_has_an_admin() -> None:
    from django.apps import apps
    from django.contrib import admin

    missing = [m.__name__ for m in apps.get_app_config("projects").get_models() if m not in admin.site._registry]
    assert missing == []
