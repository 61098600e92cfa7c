"""The projects API end to end: projects, transitions, gates, answers, sign-offs, team, roadmap,
risk screening, model links, gate templates."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.roles import Role
from projects import risk, services
from projects.models import Project, ProjectRole, SignOff, Stage
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.projects.helpers import complete_checklist, complete_gate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for: Any, lead: Any) -> APIClient:
    """The project lead's API client."""
    return client_for(lead)


def url(project: Project, tail: str = "") -> str:
    return f"/api/projects/{project.slug}/{tail}"


# --- Projects ----------------------------------------------------------------------------------------------


def test_create_a_project_and_become_its_lead(api: APIClient, lead: Any) -> None:
    owner = UserFactory(username="bob")
    response = api.post(
        "/api/projects/",
        {
            "name": "Credit scoring",
            "purpose": "Score loan applications.",
            "business_owner": "bob",
            "value_rating": 5,
            "stage": "production",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["stage"], body["access"], body["business_owner"]) == (
        "credit-scoring",
        "qualification",
        "full",
        "bob",
    )
    assert body["leads"] == [lead.username] and [m["role"] for m in body["team"]] == ["project_lead"]
    assert body["allowed_targets"] == ["exploration", "abandoned"] and body["next_stage"] == "exploration"
    assert Project.objects.get(slug="credit-scoring").business_owner == owner


def test_create_refuses_bad_input(api: APIClient, project: Project) -> None:
    response = api.post("/api/projects/", {"name": project.name, "purpose": "", "risk_rating": 9}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"purpose", "risk_rating"}
    duplicate = api.post("/api/projects/", {"name": project.name, "purpose": "x"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()


def test_the_stage_is_read_only_in_updates(api: APIClient, project: Project) -> None:
    response = api.patch(url(project), {"description": "Updated.", "stage": "production"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["description"], response.json()["stage"]) == ("Updated.", "qualification")
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION
    put = api.put(url(project), {"name": "Renamed", "purpose": "Same."}, format="json")
    assert put.status_code == 200 and put.json()["slug"] == project.slug


def test_list_filters_and_access(client_for: Any, lead: Any, project: Project, make_user: Any) -> None:
    stale = ProjectFactory(name="Stale POC", stage=Stage.EXPLORATION)
    Project.objects.filter(pk=stale.pk).update(is_stale=True)
    MembershipFactory(project=stale, user=UserFactory(username="stella"), role="project_lead")
    ProjectFactory(name="In production", stage=Stage.PRODUCTION)
    client = client_for(lead)

    def names(**params: Any) -> list[str]:
        response = client.get("/api/projects/", params)
        assert response.status_code == 200, response.content
        return [p["name"] for p in response.json()["results"]]

    assert names() == ["Card fraud scoring", "In production", "Stale POC"]
    assert names(stage=["exploration", "production"]) == ["In production", "Stale POC"]
    assert names(stale="true") == ["Stale POC"]
    assert names(lead="stella") == ["Stale POC"]
    assert names(member=lead.username) == ["Card fraud scoring"]
    assert names(mine="true") == ["Card fraud scoring"]
    assert names(mine="false") == ["In production", "Stale POC"]
    assert names(q="scoring") == ["Card fraud scoring"]
    assert names(ordering="-name") == ["Stale POC", "In production", "Card fraud scoring"]
    first = client.get("/api/projects/").json()["results"][0]
    assert first["access"] == "full" and first["leads"] == [lead.username]
    assert set(first) >= {"days_in_stage", "is_stale", "member_count", "milestone_count", "backlog_open"}
    outsider = client_for(make_user(Role.DATA_SCIENTIST))
    assert {p["access"] for p in outsider.get("/api/projects/").json()["results"]} == {"summary"}


def test_detail_is_full_for_members_and_a_summary_for_others(
    client_for: Any, project: Project, make_user: Any, officer: Any
) -> None:
    outsider = client_for(make_user(Role.DATA_SCIENTIST)).get(url(project))
    assert outsider.status_code == 200
    assert outsider.json() == {
        "url": f"http://testserver/api/projects/{project.slug}/",
        "slug": project.slug,
        "name": project.name,
        "access": "summary",
        "stage": "qualification",
        "purpose": project.purpose,
        "leads": [project.leads[0].username],
    }
    full = client_for(officer).get(url(project)).json()
    assert full["access"] == "full" and "team" in full and full["risk_screening"] is None


def test_unknown_projects_and_gates_are_404(api: APIClient, project: Project) -> None:
    assert api.get("/api/projects/nope/").status_code == 404
    assert api.get("/api/projects/nope/members/").status_code == 404
    assert api.get(url(project, "gates/qualification/")).status_code == 404
    assert api.get(url(project, "gates/launch/")).status_code == 404
    assert api.get(url(project, "gates/production/answers/nope/")).status_code == 404


def test_nothing_is_deleted_through_the_api(api: APIClient, project: Project) -> None:
    assert api.delete(url(project)).status_code == 405
    assert api.delete(url(project, f"members/{project.memberships.get().pk}/")).status_code == 405


# --- Transitions and gates --------------------------------------------------------------------------


def test_a_refused_transition_says_what_is_missing(api: APIClient, project: Project) -> None:
    response = api.post(url(project, "transition/"), {"target_stage": "exploration"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["non_field_errors"] == [
        "The Exploration (POC) gate is not complete: 6 checklist item(s) missing, 2 sign-off(s) missing."
    ]
    assert len(body["checklist"]) == 6 and body["sign_offs"] == [
        "Project lead: not signed.",
        "Governance officer: not signed.",
    ]
    skip = api.post(url(project, "transition/"), {"target_stage": "production"}, format="json")
    assert skip.status_code == 400 and skip.json()["target_stage"][0].startswith("Cannot move from Qualification")
    abandon = api.post(url(project, "transition/"), {"target_stage": "abandoned"}, format="json")
    assert abandon.json() == {"reason": ["Say why the project is abandoned."]}
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION


def test_a_complete_gate_moves_the_project(api: APIClient, lead: Any, project: Project, officer: Any) -> None:
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    response = api.post(url(project, "transition/"), {"target_stage": "exploration", "reason": "Go."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from_stage"], body["to_stage"], body["actor"], body["reason"], body["template_version"]) == (
        "qualification",
        "exploration",
        lead.username,
        "Go.",
        1,
    )
    assert body["snapshot"]["gate"] == "exploration"
    history = api.get(url(project, "history/")).json()
    assert [h["to_stage"] for h in history] == ["qualification", "exploration"]
    timeline = api.get(url(project, "timeline/")).json()
    assert [e["title"] for e in timeline["events"]] == ["Created in Qualification", "Qualification → Exploration (POC)"]
    assert timeline["stage_spans"][-1]["end"] is None


def test_gate_status(api: APIClient, project: Project) -> None:
    gates = api.get(url(project, "gates/")).json()
    assert [(g["stage"], g["position"]) for g in gates] == [
        ("exploration", "next"),
        ("industrialization", "upcoming"),
        ("production", "upcoming"),
        ("retired", "upcoming"),
    ]
    gate = api.get(url(project, "gates/exploration/")).json()
    requirements = gate["requirements"]
    assert requirements["complete"] is False and requirements["template_version"] == 1
    assert requirements["conditions"] == {"high_risk": False, "personal_data": False, "dpia_required": False}
    assert len(requirements["missing"]) == 8
    assert requirements["items"][0]["key"] == "purpose_and_business_owner"
    lead_status = requirements["sign_offs"][0]
    assert (lead_status["role"], lead_status["signed"], lead_status["eligible"]) == (
        "project_lead",
        False,
        [project.leads[0].username],
    )
    assert gate["decision"] is None and gate["signable_roles"] == []


# --- Answers and sign-offs --------------------------------------------------------------------------------


def test_answer_items_with_text_and_with_a_file(api: APIClient, project: Project, lead: Any) -> None:
    text = api.put(
        url(project, "gates/industrialization/answers/exposure/"),
        {"value_text": "Model-as-a-service API", "comment": "Decided with ops."},
        format="json",
    )
    assert text.status_code == 200, text.content
    assert (text.json()["satisfied"], text.json()["answer"]["value_text"], text.json()["answer"]["answered_by"]) == (
        True,
        "Model-as-a-service API",
        lead.username,
    )
    bad = api.put(url(project, "gates/industrialization/answers/scalability_checked/"), {}, format="json")
    assert bad.status_code == 400 and "value_bool" in bad.json()
    automatic = api.put(url(project, "gates/industrialization/answers/registered_model/"), {"value_bool": True})
    assert automatic.status_code == 400 and "key" in automatic.json()

    file_url = url(project, "gates/production/answers/security_review/")
    assert api.get(file_url + "file/").status_code == 404
    upload = api.put(file_url, {"evidence_file": SimpleUploadedFile("review.pdf", b"%PDF review")}, format="multipart")
    assert upload.status_code == 200, upload.content
    answer = upload.json()["answer"]
    assert answer["file_name"] == "review.pdf"
    assert answer["file_url"] == f"http://testserver{file_url}file/"
    download = api.get(file_url + "file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF review"
    assert 'attachment; filename="review.pdf"' in download["Content-Disposition"]
    assert api.get(file_url).json()["answer"]["file_name"] == "review.pdf"


def test_sign_list_and_withdraw(api: APIClient, client_for: Any, project: Project, lead: Any, officer: Any) -> None:
    complete_checklist(project, Stage.EXPLORATION)
    signs = url(project, "gates/exploration/sign-offs/")
    wrong = api.post(signs, {"role": "governance_officer"}, format="json")
    assert wrong.status_code == 400 and wrong.json() == {
        "role": ["You do not hold the role Governance officer on this project."]
    }
    signed = api.post(signs, {"role": "project_lead", "comment": "Go."}, format="json")
    assert signed.status_code == 201, signed.content
    assert (signed.json()["user"], signed.json()["valid"]) == (lead.username, True)
    officer_client = client_for(officer)
    assert officer_client.post(signs, {"role": "governance_officer"}, format="json").status_code == 201
    assert [s["role"] for s in api.get(signs).json()] == ["project_lead", "governance_officer"]
    gate = api.get(url(project, "gates/exploration/")).json()
    assert gate["requirements"]["complete"] is True
    officer_sign = SignOff.objects.get(role="governance_officer")
    assert api.post(f"{signs}{officer_sign.pk}/withdraw/", {}, format="json").status_code == 403
    withdrawn = officer_client.post(f"{signs}{officer_sign.pk}/withdraw/", {"reason": "Oops."}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["valid"] is False
    assert withdrawn.json()["invalidation_reason"] == f"Withdrawn by {officer.username}: Oops."
    later = api.post(url(project, "gates/production/sign-offs/"), {"role": "project_lead"}, format="json")
    assert later.status_code == 400 and "stage" in later.json()


# --- Team, KPIs, roadmap ------------------------------------------------------------------------------------


def test_team(api: APIClient, project: Project, lead: Any) -> None:
    UserFactory(username="dora")
    added = api.post(url(project, "members/"), {"user": "dora", "role": "data_scientist"}, format="json")
    assert added.status_code == 201, added.content
    assert (added.json()["user"], added.json()["active"], added.json()["added_by"]) == ("dora", True, lead.username)
    twice = api.post(url(project, "members/"), {"user": "dora", "role": "data_scientist"}, format="json")
    assert twice.status_code == 400
    unknown = api.post(url(project, "members/"), {"user": "ghost", "role": "security"}, format="json")
    assert unknown.status_code == 400 and "user" in unknown.json()
    ended = api.post(url(project, f"members/{added.json()['id']}/end/"), {"reason": "Left."}, format="json")
    assert ended.status_code == 200 and ended.json()["active"] is False and ended.json()["end_reason"] == "Left."
    lead_membership = project.memberships.get(user=lead)
    last = api.post(url(project, f"members/{lead_membership.pk}/end/"), {}, format="json")
    assert last.status_code == 400 and "active project lead" in last.json()["non_field_errors"][0]
    team = api.get(url(project, "members/")).json()
    assert [(m["user"], m["active"]) for m in team] == [("dora", False), (lead.username, True)]


def test_kpis_milestones_and_backlog(api: APIClient, project: Project) -> None:
    kpi = api.post(url(project, "kpis/"), {"kind": "ml", "name": "Recall", "target": 0.8}, format="json").json()
    assert (kpi["direction"], kpi["meets_target"], kpi["position"]) == ("higher", None, 0)
    patched = api.patch(url(project, f"kpis/{kpi['id']}/"), {"current_value": 0.9}, format="json").json()
    assert patched["meets_target"] is True
    assert api.post(url(project, f"kpis/{kpi['id']}/remove/")).status_code == 204
    assert api.get(url(project, "kpis/")).json() == []

    milestone = api.post(
        url(project, "milestones/"), {"title": "Demo", "target_date": "2026-05-01", "done": True}, format="json"
    )
    assert milestone.status_code == 201, milestone.content
    assert milestone.json()["actual_date"] == timezone.localdate().isoformat() and milestone.json()["done"]
    reopened = api.patch(url(project, f"milestones/{milestone.json()['id']}/"), {"done": False}, format="json")
    assert (reopened.json()["done"], reopened.json()["actual_date"]) == (False, None)

    for title, profile in [("Feature store", "data_engineer"), ("Baseline", "data_scientist")]:
        api.post(url(project, "backlog/"), {"title": title, "profile": profile}, format="json")
    assert [i["title"] for i in api.get(url(project, "backlog/"), {"profile": "data_scientist"}).json()] == ["Baseline"]
    item = api.get(url(project, "backlog/")).json()[0]
    assert api.patch(url(project, f"backlog/{item['id']}/"), {"status": "doing"}, format="json").json()["status"] == (
        "doing"
    )
    assert api.patch(url(project, f"backlog/{item['id']}/"), {"status": "later"}, format="json").status_code == 400
    assert api.post(url(project, f"backlog/{item['id']}/remove/")).status_code == 204
    assert len(api.get(url(project, "backlog/")).json()) == 1


# --- Risk screening and models ----------------------------------------------------------------------------


def test_risk_screening(api: APIClient, project: Project) -> None:
    questionnaire = api.get("/api/risk-questionnaire/").json()
    assert questionnaire["version"] == 1
    keys = [q["key"] for q in questionnaire["questions"]]
    assert keys == [q.key for q in risk.QUESTIONS]
    answers = {**dict.fromkeys(keys, False), "personal_data": True, "creditworthiness": True, "large_scale": True}
    response = api.post(url(project, "risk-screenings/"), {"answers": answers, "comment": "Workshop."}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ai_act_tier"], body["dpia_required"], body["screened_by"]) == (
        "high",
        True,
        project.leads[0].username,
    )
    incomplete = api.post(url(project, "risk-screenings/"), {"answers": {"personal_data": True}}, format="json")
    assert incomplete.status_code == 400 and "answers" in incomplete.json()
    detail = api.get(url(project)).json()
    assert detail["risk_screening"]["id"] == body["id"] and detail["uses_personal_data"] is True


def test_model_links(api: APIClient, project: Project) -> None:
    link = api.post(url(project, "models/"), {"registered_model_name": "fraud-scorer"}, format="json")
    assert link.status_code == 201 and link.json()["source"] == "manual"
    assert (
        api.post(url(project, "models/"), {"registered_model_name": "fraud-scorer"}, format="json").status_code == 400
    )
    unlinked = api.post(url(project, f"models/{link.json()['id']}/unlink/"))
    assert unlinked.status_code == 200 and unlinked.json()["unlinked_at"] is not None
    assert api.get(url(project, "models/")).json() == []
    assert len(api.get(url(project, "models/"), {"include_removed": "true"}).json()) == 1


# --- Gate templates ------------------------------------------------------------------------------------


def test_gate_templates_are_read_by_all_and_published_by_admins(client_for: Any, admin_user: Any) -> None:
    reader = client_for(UserFactory(roles=[Role.DATA_CUSTODIAN]))
    current = reader.get("/api/gate-templates/", {"current": "true"}).json()
    assert current["count"] == 4 and all(t["is_current"] for t in current["results"])
    retired = reader.get("/api/gate-templates/", {"gate": "retired"}).json()["results"][0]
    payload = {
        "gate": "retired",
        "notes": "Archive the model card too.",
        "items": [
            *retired["items"],
            {"key": "model_card_archived", "label": "Model card archived", "evidence_kind": "link"},
        ],
        "sign_off_roles": retired["sign_off_roles"],
    }
    published = client_for(admin_user).post("/api/gate-templates/", payload, format="json")
    assert published.status_code == 201, published.content
    body = published.json()
    assert (body["version"], body["is_current"], body["published_by"], len(body["items"])) == (2, True, "root", 5)
    assert reader.get(f"/api/gate-templates/{retired['id']}/").json()["is_current"] is False
    bad = client_for(admin_user).post("/api/gate-templates/", {**payload, "items": []}, format="json")
    assert bad.status_code == 400


def test_a_planned_member_is_listed_but_not_active(api: APIClient, project: Project) -> None:
    UserFactory(username="nina")
    start = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    response = api.post(url(project, "members/"), {"user": "nina", "role": "security", "started_at": start})
    assert response.status_code == 201 and response.json()["active"] is False
    assert not services.signoff_roles_of(project=project, user=project.memberships.get(role="security").user)
    assert ProjectRole.SECURITY not in project.access(project.memberships.get(role="security").user).sign_roles


def test_every_endpoint_renders_in_the_browsable_api(lead: Any, project: Project) -> None:
    complete_checklist(project, Stage.EXPLORATION)
    services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    services.milestone_create(project=project, title="Demo", target_date=datetime.date(2026, 1, 1))
    services.backlog_item_create(project=project, title="Alerting", profile="ops")
    link = services.model_link_add(project=project, registered_model_name="fraud-scorer", linked_by=lead)
    client = APIClient()
    client.force_login(lead)
    tails = [
        "",
        "history/",
        "timeline/",
        "gates/",
        "gates/exploration/",
        "gates/exploration/answers/kpis_with_targets/",
        "gates/industrialization/answers/exposure/",
        "gates/exploration/sign-offs/",
        "members/",
        f"members/{project.memberships.first().pk}/",  # type: ignore[union-attr]
        "kpis/",
        f"kpis/{project.kpis.first().pk}/",  # type: ignore[union-attr]
        "milestones/",
        "backlog/",
        "risk-screenings/",
        "models/",
        f"models/{link.pk}/",
    ]
    urls = ["/api/projects/", "/api/gate-templates/", "/api/risk-questionnaire/", *(url(project, t) for t in tails)]
    for address in urls:
        page = client.get(address, HTTP_ACCEPT="text/html")
        assert page.status_code == 200, (address, page.content[:500])
        assert client.options(address).status_code == 200, address
