"""The update and delete services of a project's rows (KPIs, milestones, backlog items), as the project
page calls them: refusals with field errors that change nothing, a closed record, and the sign-offs a
KPI change invalidates."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from projects import services
from projects.models import BacklogItem, Milestone, Project, ProjectKPI, ProjectRole, SignOff, Stage
from tests.projects.helpers import complete_checklist

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(project: Project) -> dict[str, Any]:
    return {
        "kpi": services.kpi_create(project=project, kind="ml", name="Recall", target=0.8),
        "milestone": services.milestone_create(
            project=project, title="POC demo", target_date=datetime.date(2030, 3, 1)
        ),
        "backlog": services.backlog_item_create(project=project, title="Feature store", profile="data_engineer"),
    }


def test_a_kpi_renamed_like_another_of_its_kind_is_refused_and_kept(project: Project, rows: dict[str, Any]) -> None:
    services.kpi_create(project=project, kind="ml", name="Precision", target=0.6)
    with pytest.raises(ValidationError) as refused:
        services.kpi_update(kpi=rows["kpi"], data={"name": "Precision", "target": 0.9})
    assert "already exists" in " ".join(refused.value.message_dict[NON_FIELD_ERRORS])
    kept = ProjectKPI.objects.get(pk=rows["kpi"].pk)
    assert (kept.name, kept.target) == ("Recall", 0.8)
    # The same name as a KPI of the other kind is fine.
    services.kpi_update(kpi=kept, data={"kind": "business", "name": "Precision"})
    assert ProjectKPI.objects.filter(project=project, name="Precision").count() == 2


def test_row_edits_refuse_blank_titles_and_unknown_choices(project: Project, rows: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.milestone_update(milestone=rows["milestone"], data={"title": "   "})
    assert "title" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.backlog_item_update(item=rows["backlog"], data={"title": " "})
    assert "title" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.kpi_update(kpi=rows["kpi"], data={"direction": "sideways"})
    assert refused.value.message_dict == {"direction": ["Unknown value 'sideways'."]}
    assert Milestone.objects.get(pk=rows["milestone"].pk).title == "POC demo"
    assert BacklogItem.objects.get(pk=rows["backlog"].pk).title == "Feature store"
    assert ProjectKPI.objects.get(pk=rows["kpi"].pk).direction == "higher"


def test_a_milestone_actual_date_is_set_and_cleared(rows: dict[str, Any]) -> None:
    milestone = services.milestone_update(milestone=rows["milestone"], data={"actual_date": datetime.date(2026, 2, 20)})
    assert milestone.done and not milestone.is_late()
    milestone = services.milestone_update(milestone=milestone, data={"actual_date": None})
    assert Milestone.objects.get(pk=milestone.pk).actual_date is None


def test_a_closed_record_refuses_row_edits_and_deletes(lead: Any, project: Project, rows: dict[str, Any]) -> None:
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=lead, reason="No budget.")
    for row in rows.values():
        row.project.refresh_from_db()
    calls = (
        lambda: services.kpi_update(kpi=rows["kpi"], data={"target": 0.9}),
        lambda: services.kpi_delete(kpi=rows["kpi"]),
        lambda: services.milestone_update(milestone=rows["milestone"], data={"done": True}),
        lambda: services.milestone_delete(milestone=rows["milestone"]),
        lambda: services.backlog_item_update(item=rows["backlog"], data={"status": "done"}),
        lambda: services.backlog_item_delete(item=rows["backlog"]),
    )
    for call in calls:
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.messages == ["The project is abandoned: its record is closed."]
    assert ProjectKPI.objects.get(pk=rows["kpi"].pk).target == 0.8
    assert Milestone.objects.get(pk=rows["milestone"].pk).actual_date is None
    assert BacklogItem.objects.get(pk=rows["backlog"].pk).status == "todo"


def test_changing_a_kpi_target_after_signing_invalidates_the_sign_off(lead: Any, project: Project) -> None:
    complete_checklist(project, Stage.EXPLORATION)
    services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=lead)
    ml = project.kpis.get(kind="ml")
    # Measuring the current value does not change what was certified.
    services.kpi_update(kpi=ml, data={"current_value": 0.7}, actor=lead)
    assert SignOff.objects.get(project=project).invalidated_at is None
    services.kpi_update(kpi=ml, data={"target": 0.9}, actor=lead)
    sign_off = SignOff.objects.get(project=project)
    assert sign_off.invalidated_at is not None
    assert f"KPI '{ml.name}' changed by {lead.username}" in sign_off.invalidation_reason
