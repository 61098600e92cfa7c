"""A project goes through its first gate in a real browser (PRODUCT.md §3, §5 journey 3): the gate
lists what is missing, a move is refused with the reasons, the checklist is completed, the project
lead and the governance officer sign, the lead moves the project, and the history shows the step."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from projects import services
from projects.models import Project, Stage
from tests.projects.helpers import complete_checklist

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_project_passes_the_exploration_gate_with_its_sign_offs(
    page: Page, login: Login, project_lead: User, officer: User
) -> None:
    project = services.project_create(
        name="Churn prediction",
        purpose="Predict which retail customers will close their current account within 3 months.",
        creator=project_lead,
    )

    # The lead finds the project on the board and opens it.
    login(project_lead)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    column = page.locator("section[data-stage=qualification]")
    column.get_by_role("link", name="Churn prediction").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Churn prediction")

    # The gate to Exploration lists what is missing.
    gate = page.locator("#gate-exploration")
    expect(gate.get_by_role("heading", name="Gate to Exploration (POC)")).to_be_visible()
    kpis = gate.locator("[data-item=kpis_with_targets]")
    expect(kpis).to_contain_text("Missing")
    expect(kpis).to_contain_text("At least one business KPI and one ML metric")
    expect(gate.locator("[data-role=governance_officer]")).to_contain_text("Missing")

    # A move now is refused, with the missing items, and the stage stays.
    page.get_by_role("button", name="Move to Exploration (POC)").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("The project was not moved to Exploration (POC)")
    expect(refusal).to_contain_text("stays in Qualification")
    expect(refusal).to_contain_text("Business KPI and ML metric with targets")
    expect(refusal).to_contain_text("Governance officer: not signed.")
    expect(page.locator("#current-stage")).to_have_text("Qualification")

    # The team completes the checklist (every item of this gate is checked from the project's data).
    complete_checklist(Project.objects.get(pk=project.pk), Stage.EXPLORATION)
    page.goto(f"/projects/{project.slug}/")
    expect(gate.locator("[data-item=kpis_with_targets]")).to_contain_text("Done")

    # The lead signs for her role.
    page.get_by_role("button", name="Sign as Project lead").click()
    expect(page.locator(".messages")).to_contain_text("Signed the Exploration (POC) gate as Project lead")
    expect(gate.locator("[data-role=project_lead]")).to_contain_text("Given")
    expect(page.get_by_role("button", name="Sign as Governance officer")).to_have_count(0)
    _log_out(page)

    # The governance officer signs for hers.
    login(officer)
    page.goto(f"/projects/{project.slug}/")
    expect(page.get_by_role("button", name="Move to Exploration (POC)")).to_have_count(0)
    page.get_by_label("Comment (optional)").fill("AI Act: minimal risk. No DPIA needed.")
    page.get_by_role("button", name="Sign as Governance officer").click()
    expect(gate.locator("[data-role=governance_officer]")).to_contain_text("Given")
    _log_out(page)

    # The lead moves the project; the history shows the step.
    login(project_lead)
    page.goto(f"/projects/{project.slug}/")
    expect(gate).to_contain_text("Complete: ready to move")
    page.get_by_role("button", name="Move to Exploration (POC)").click()
    expect(page.locator(".messages")).to_contain_text("Churn prediction moved to Exploration (POC)")
    expect(page.locator("#current-stage")).to_have_text("Exploration (POC)")
    history = page.locator("#history")
    expect(history.locator("tr[data-to=exploration]")).to_contain_text("Qualification → Exploration (POC)")
    expect(history.locator("tr[data-to=exploration]")).to_contain_text(project_lead.get_full_name())
    expect(page.locator("#gate-exploration")).to_contain_text("Passed")
    expect(page.locator("#gate-industrialization")).to_contain_text("Next gate")
    assert Project.objects.get(pk=project.pk).stage == Stage.EXPLORATION
