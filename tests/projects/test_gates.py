"""Gate templates as versioned data, answers to checklist items, and history that later template
versions never rewrite."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects import services
from projects.gates import INITIAL_TEMPLATES
from projects.models import GateAnswer, GateChecklistTemplate, ModelVersion, Project, ProjectRole, Stage
from projects.selectors import gate_template_as_data, gate_template_current, project_gates
from tests.factories import ModelVersionFactory, ProjectFactory, RegisteredModelFactory, UserFactory
from tests.projects.helpers import advance_to, complete_gate

pytestmark = pytest.mark.django_db


# --- The templates of PRODUCT.md §3 -----------------------------------------------------------------


def test_version_1_of_each_gate_is_seeded_from_the_product_table() -> None:
    seeded = {t.gate: t for t in GateChecklistTemplate.objects.filter(version=1)}
    assert set(seeded) == {"exploration", "industrialization", "production", "retired"}
    for gate, data in INITIAL_TEMPLATES.items():
        template = seeded[gate]
        assert [i.key for i in template.items.order_by("position")] == [i["key"] for i in data["items"]]
        assert template.published_by is None
    roles = {gate: sorted((r.role, r.condition) for r in t.sign_off_roles.all()) for gate, t in seeded.items()}
    assert roles == {
        "exploration": [("governance_officer", "always"), ("project_lead", "always")],
        "industrialization": [
            ("business_owner", "always"),
            ("data_engineer", "always"),
            ("operations", "always"),
            ("project_lead", "always"),
        ],
        "production": [
            ("governance_officer", "high_risk"),
            ("governance_officer", "personal_data"),
            ("operations", "always"),
            ("project_lead", "always"),
            ("security", "always"),
        ],
        "retired": [("governance_officer", "always"), ("project_lead", "always")],
    }


def test_the_checklist_items_cover_the_product_table() -> None:
    labels = {
        gate: " | ".join(i.label for i in gate_template_current(stage=gate).items.all()) for gate in INITIAL_TEMPLATES
    }
    for fragment in ["Purpose and business owner", "Business KPI and ML metric", "AI Act screening", "DPIA screening"]:
        assert fragment in labels["exploration"]
    for fragment in ["POC result", "Scalability", "Exposure", "Deployment strategy", "Monitoring plan", "MLflow"]:
        assert fragment in labels["industrialization"]
    for fragment in ["CI/CD", "Monitoring and alerts live", "Security review", "DPIA done", "Human oversight"]:
        assert fragment in labels["production"]
    for fragment in ["Production alias removed", "grants revoked", "Data deleted", "Register of processing"]:
        assert fragment in labels["retired"]
    kinds = {i.evidence_kind for t in GateChecklistTemplate.objects.all() for i in t.items.all()}
    assert kinds == {"automatic", "text", "link", "file", "yes_no"}


# --- Publishing ----------------------------------------------------------------------------------------


def _retired_data() -> dict[str, Any]:
    return gate_template_as_data(gate_template_current(stage=Stage.RETIRED))


def test_publishing_creates_the_next_version_and_keeps_the_old_one(admin_user: Any) -> None:
    data = _retired_data()
    data["items"][0]["label"] = "Production alias removed from MLflow"
    v2 = services.gate_template_publish(**data, published_by=admin_user, notes="Clearer.")
    v3 = services.gate_template_publish(**data, published_by=admin_user)
    assert (v2.version, v3.version, v2.notes) == (2, 3, "Clearer.")
    assert gate_template_current(stage=Stage.RETIRED) == v3
    v1 = GateChecklistTemplate.objects.get(gate=Stage.RETIRED, version=1)
    assert v1.items.get(key="production_alias_removed").label == "Production alias removed"
    assert v3.items.get(key="production_alias_removed").label == "Production alias removed from MLflow"
    assert set(GateChecklistTemplate.objects.current().values_list("gate", "version")) == {
        ("exploration", 1),
        ("industrialization", 1),
        ("production", 1),
        ("retired", 3),
    }


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda d: d.update(stage="qualification"), "stage", "There is no gate into Qualification."),
        (lambda d: d.update(items=[]), "items", "A checklist needs at least one item."),
        (lambda d: d["items"][0].update(key="Bad Key"), "items", "Item 1: the key must be lowercase"),
        (lambda d: d["items"][1].update(key=d["items"][0]["key"]), "items", "is used twice"),
        (lambda d: d["items"][0].update(label=" "), "items", "Item 1: a label is required."),
        (lambda d: d["items"][0].update(evidence_kind="video"), "items", "unknown evidence kind 'video'"),
        (lambda d: d["items"][0].update(evidence_kind="automatic"), "items", "automatic items, and only they"),
        (lambda d: d["items"][0].update(auto_check="ratings"), "items", "automatic items, and only they"),
        (lambda d: d["items"][0].update(condition="sometimes"), "items", "unknown condition 'sometimes'"),
        (lambda d: d.update(sign_off_roles=[]), "sign_off_roles", "A gate needs at least one sign-off role."),
        (lambda d: d["sign_off_roles"].append({"role": "ceo"}), "sign_off_roles", "unknown role 'ceo'"),
        (lambda d: d["sign_off_roles"].append(dict(d["sign_off_roles"][0])), "sign_off_roles", "listed twice"),
    ],
)
def test_an_invalid_template_is_refused(change: Any, field: str, message: str, admin_user: Any) -> None:
    data = _retired_data()
    change(data)
    with pytest.raises(ValidationError) as refused:
        services.gate_template_publish(**data, published_by=admin_user)
    assert any(message in m for m in refused.value.message_dict[field]), refused.value.message_dict
    assert GateChecklistTemplate.objects.filter(gate=Stage.RETIRED).count() == 1


def test_answers_carry_over_by_key_when_the_evidence_kind_is_unchanged(admin_user: Any) -> None:
    lead = UserFactory()
    project = ProjectFactory(stage=Stage.PRODUCTION, lead=lead)
    for key in ("production_alias_removed", "grants_revoked"):
        services.gate_answer_set(project=project, stage=Stage.RETIRED, key=key, value_bool=True, answered_by=lead)
    data = _retired_data()
    data["items"][1]["evidence_kind"] = "file"  # grants_revoked now needs a file
    services.gate_template_publish(**data, published_by=admin_user)
    items = {s.item.key: s for s in services.gate_requirements(project=project, target_stage=Stage.RETIRED).items}
    assert items["production_alias_removed"].satisfied and items["production_alias_removed"].carried_from_version == 1
    assert not items["grants_revoked"].satisfied and items["grants_revoked"].answer is None
    answer = services.gate_answer_set(
        project=project,
        stage=Stage.RETIRED,
        key="grants_revoked",
        evidence_file=ContentFile(b"revocations", name="revocations.csv"),
        answered_by=lead,
    )
    assert answer.item.template.version == 2
    assert GateAnswer.objects.filter(project=project, item__key="grants_revoked").count() == 2
    old = GateAnswer.objects.get(project=project, item__key="grants_revoked", item__template__version=1)
    assert old.value_bool is True, "the earlier answer keeps pointing to the version it was given for"


def test_history_is_not_rewritten_by_a_later_template_version(
    lead: Any, project: Project, officer: Any, admin_user: Any
) -> None:
    advance_to(project, Stage.INDUSTRIALIZATION, officer=officer)
    transition = project.transitions.get(to_stage=Stage.INDUSTRIALIZATION)
    before = transition.snapshot
    data = gate_template_as_data(gate_template_current(stage=Stage.INDUSTRIALIZATION))
    data["items"] = [{"key": "brand_new", "label": "A brand new item", "evidence_kind": "text"}]
    services.gate_template_publish(**data, published_by=admin_user)
    transition.refresh_from_db()
    assert transition.snapshot == before
    assert transition.template_version == 1
    assert "brand_new" not in {i["key"] for i in transition.snapshot["items"]}
    assert {i["key"] for i in transition.snapshot["items"]} >= {"poc_result", "monitoring_plan"}
    answers = {i["key"]: i["answer"] for i in transition.snapshot["items"] if i["answer"]}
    assert answers["poc_result"]["value_text"] == "Done and documented."
    assert answers["poc_result"]["answered_by"] == lead.username
    passed = next(g for g in project_gates(project=project) if g.stage == Stage.INDUSTRIALIZATION)
    assert passed.position == "passed" and passed.requirements is None
    assert passed.snapshot == before


# --- Answers ------------------------------------------------------------------------------------------


@pytest.fixture
def in_exploration(lead: Any) -> Project:
    return ProjectFactory(stage=Stage.EXPLORATION, lead=lead)


@pytest.mark.parametrize(
    "key, values, field, message",
    [
        ("poc_result", {}, "value_text", "'POC result against the targets and the current manual process' needs a "),
        ("poc_result", {"value_text": "   "}, "value_text", "needs a text answer"),
        ("poc_result", {"value_text": "ok", "value_bool": True}, "value_bool", "Not used by a text item."),
        ("monitoring_plan", {"value_url": "ftp://x.example.com/"}, "value_url", "Enter a valid http or https URL."),
        ("monitoring_plan", {"value_text": "see wiki"}, "value_url", "needs a link answer"),
        ("scalability_checked", {}, "value_bool", "needs a yes / no answer"),
        ("registered_model", {"value_bool": True}, "key", "is checked from the project's data"),
        ("no_such_item", {"value_text": "x"}, "key", "The current Industrialization checklist has no item"),
    ],
)
def test_an_answer_must_match_the_item(
    key: str, values: dict[str, Any], field: str, message: str, lead: Any, in_exploration: Project
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.gate_answer_set(
            project=in_exploration, stage=Stage.INDUSTRIALIZATION, key=key, answered_by=lead, **values
        )
    assert any(message in m for m in refused.value.message_dict[field]), refused.value.message_dict
    assert not GateAnswer.objects.exists()


def test_a_yes_no_item_is_satisfied_only_by_yes(lead: Any, in_exploration: Project) -> None:
    def status() -> Any:
        requirements = services.gate_requirements(project=in_exploration, target_stage=Stage.INDUSTRIALIZATION)
        return next(s for s in requirements.items if s.item.key == "scalability_checked")

    assert (status().satisfied, status().detail) == (False, "Not answered.")
    args = {"project": in_exploration, "stage": Stage.INDUSTRIALIZATION, "key": "scalability_checked"}
    services.gate_answer_set(**args, value_bool=False, answered_by=lead)
    assert (status().satisfied, status().detail) == (False, "Answered no.")
    services.gate_answer_set(**args, value_bool=True, comment="Load-tested at 3x.", answered_by=lead)
    assert (status().satisfied, status().answer.comment) == (True, "Load-tested at 3x.")
    assert GateAnswer.objects.count() == 1, "answering again replaces the answer"


def test_evidence_files_are_stored_and_checked(lead: Any, settings: Any) -> None:
    project = ProjectFactory(stage=Stage.INDUSTRIALIZATION, lead=lead, slug="fraud")
    args = {"project": project, "stage": Stage.PRODUCTION, "key": "security_review", "answered_by": lead}
    with pytest.raises(ValidationError) as empty:
        services.gate_answer_set(**args, evidence_file=ContentFile(b"", name="empty.pdf"))
    assert empty.value.message_dict == {"evidence_file": ["The file is empty."]}
    settings.UPLOAD_MAX_BYTES, settings.UPLOAD_MAX_MB = 10, 0
    with pytest.raises(ValidationError) as large:
        services.gate_answer_set(**args, evidence_file=ContentFile(b"x" * 11, name="big.pdf"))
    assert "larger than" in large.value.message_dict["evidence_file"][0]
    settings.UPLOAD_MAX_BYTES = 1000
    answer = services.gate_answer_set(**args, evidence_file=ContentFile(b"report", name="review.pdf"))
    assert answer.evidence_file.name == "projects/fraud/gates/production/security_review/review.pdf"
    assert answer.file_name == "review.pdf"
    assert answer.evidence_file.read() == b"report"


def test_answers_of_a_passed_gate_and_of_a_closed_project_are_refused(lead: Any) -> None:
    project = ProjectFactory(stage=Stage.INDUSTRIALIZATION, lead=lead)
    with pytest.raises(ValidationError) as passed:
        services.gate_answer_set(
            project=project, stage=Stage.INDUSTRIALIZATION, key="exposure", value_text="API", answered_by=lead
        )
    assert passed.value.message_dict == {
        "stage": ["The Industrialization gate was passed: its answers are part of the project's history."]
    }
    closed = ProjectFactory(stage=Stage.ABANDONED, lead=lead)
    with pytest.raises(ValidationError):
        services.gate_answer_set(
            project=closed,
            stage=Stage.PRODUCTION,
            key="ci_cd_tests",
            value_url="https://ci.example.com",
            answered_by=lead,
        )
    with pytest.raises(ValidationError) as no_gate:
        services.gate_answer_set(project=project, stage="qualification", key="x", value_text="x", answered_by=lead)
    assert no_gate.value.message_dict == {"stage": ["There is no gate into Qualification."]}


def test_gate_views_follow_the_project(lead: Any, project: Project, officer: Any) -> None:
    positions = [(g.stage, g.position) for g in project_gates(project=project, user=lead)]
    assert positions == [
        ("exploration", "next"),
        ("industrialization", "upcoming"),
        ("production", "upcoming"),
        ("retired", "upcoming"),
    ]
    complete_gate(project, Stage.EXPLORATION, officer=officer)
    services.project_transition(project=project, target_stage=Stage.EXPLORATION, actor=lead)
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="No value.")
    views = project_gates(project=project, user=lead)
    assert [(g.stage, g.position) for g in views] == [
        ("exploration", "passed"),
        ("industrialization", "closed"),
        ("production", "closed"),
        ("retired", "closed"),
    ]
    assert views[0].transition is not None and views[0].snapshot["gate"] == "exploration"
    assert views[1].requirements is None


def test_signable_roles_are_those_the_viewer_holds_and_can_sign_now(lead: Any, project: Project, officer: Any) -> None:
    assert next(g for g in project_gates(project=project, user=lead) if g.position == "next").signable_roles == []
    complete_gate(project, Stage.EXPLORATION, officer=officer)  # signs everything
    services.signoff_withdraw(
        sign_off=project.sign_offs.get(role=ProjectRole.PROJECT_LEAD), user=lead, reason="Re-read."
    )
    gate = next(g for g in project_gates(project=project, user=lead) if g.position == "next")
    assert gate.signable_roles == [ProjectRole.PROJECT_LEAD]
    officer_gate = next(g for g in project_gates(project=project, user=officer) if g.position == "next")
    assert officer_gate.signable_roles == []


# --- The registered model version of the Industrialization gate ---------------------------------------


def _model_check(project: Project) -> tuple[bool, str]:
    requirements = services.gate_requirements(project=project, target_stage=Stage.INDUSTRIALIZATION)
    status = next(s for s in requirements.items if s.item.key == "registered_model")
    return status.satisfied, status.detail


def test_the_model_item_needs_a_synced_version_of_a_linked_model(lead: Any, project: Project) -> None:
    assert _model_check(project) == (False, "No MLflow registered model linked.")
    services.model_link_add(project=project, registered_model_name="churn-model", linked_by=lead)
    waiting = "churn-model is linked but no version has been synced from MLflow yet: run a sync."
    assert _model_check(project) == (False, waiting)

    churn = RegisteredModelFactory(name="churn-model")
    ModelVersionFactory(registered_model=RegisteredModelFactory(name="other-model"), version=1)  # not linked
    assert _model_check(project) == (False, waiting)
    gone = ModelVersionFactory(registered_model=churn, version=1, deleted_at=timezone.now())
    assert _model_check(project) == (False, waiting)  # deleted from MLflow

    gone.deleted_at = None
    gone.save()
    assert _model_check(project) == (True, "Linked: churn-model (version 1 synced).")
    for number in (2, 3):
        ModelVersionFactory(registered_model=churn, version=number)
    assert _model_check(project) == (True, "Linked: churn-model (versions 1–3 synced, latest v3).")
    ModelVersionFactory(registered_model=churn, version=5)
    assert _model_check(project) == (True, "Linked: churn-model (4 versions synced, v1 to v5, latest v5).")

    services.model_link_add(project=project, registered_model_name="aaa-model", linked_by=lead)
    assert _model_check(project) == (
        True,
        "Linked: churn-model (4 versions synced, v1 to v5, latest v5). No synced version yet: aaa-model.",
    )

    churn.deleted_at = timezone.now()  # the registered model itself is gone from MLflow
    churn.save()
    assert _model_check(project) == (
        False,
        "aaa-model, churn-model are linked but no version has been synced from MLflow yet: run a sync.",
    )


def test_a_newer_version_keeps_the_sign_offs_and_losing_the_last_one_breaks_them(lead: Any, project: Project) -> None:
    advance_to(project, Stage.EXPLORATION)
    complete_gate(project, Stage.INDUSTRIALIZATION)
    first = ModelVersion.objects.get(registered_model__name=f"{project.slug}-model")
    ModelVersionFactory(registered_model=first.registered_model, version=2)
    assert services.gate_requirements(project=project, target_stage=Stage.INDUSTRIALIZATION).is_complete

    ModelVersion.objects.update(deleted_at=timezone.now())
    after = services.gate_requirements(project=project, target_stage=Stage.INDUSTRIALIZATION)
    assert not after.checklist_complete and not after.is_complete
    assert [s.item.key for s in after.missing_items] == ["registered_model"]
    assert all(s.sign_off is None and s.invalid for s in after.sign_offs if s.required)
    with pytest.raises(ValidationError):
        services.project_transition(project=project, target_stage=Stage.INDUSTRIALIZATION, actor=lead)


def test_the_model_check_reads_no_more_queries_with_more_models(lead: Any, project: Project) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _model_check(project)
        return len(queries)

    services.model_link_add(project=project, registered_model_name="m-0", linked_by=lead)
    before = count()
    for n in range(1, 4):
        services.model_link_add(project=project, registered_model_name=f"m-{n}", linked_by=lead)
        registered = RegisteredModelFactory(name=f"m-{n}")
        for version in (1, 2):
            ModelVersionFactory(registered_model=registered, version=version)
    assert count() == before
