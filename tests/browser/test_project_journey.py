"""A project goes from creation to Exploration in a real browser, through the project page's forms
only (issue 4, PRODUCT.md §3): the lead creates it, adds its KPIs, ratings and business owner,
records the risk screening and the core team, the lead and the governance officer sign, and the
lead moves it with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect

from projects import risk
from projects.models import Project, Stage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def _open_form(page: Page, title: str) -> Locator:
    """Open the collapsed form ``title`` of the project page; returns it."""
    details = page.locator("details.page-form", has=page.get_by_text(title, exact=True))
    details.locator("summary").click()
    return details.locator("form")


def _saved(page: Page, message: str) -> None:
    expect(page.locator(".messages")).to_contain_text(message)


def test_lead_takes_a_project_to_exploration_through_the_page_forms(
    page: Page,
    login: Login,
    project_lead: User,
    officer: User,
    data_scientist: User,
    make_user: Callable[..., User],
) -> None:
    make_user(username="bob", first_name="Bob", last_name="Owner")

    # The lead creates the project.
    login(project_lead)
    page.goto("/projects/new/")
    page.get_by_label("Name").fill("Churn prediction")
    page.get_by_label("Purpose").fill("Predict which retail customers will close their account within 3 months.")
    page.get_by_role("button", name="Create the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Churn prediction")
    gate = page.locator("#gate-exploration")
    expect(gate.locator("[data-item=kpis_with_targets]")).to_contain_text("Missing")

    # KPIs: a business KPI and an ML metric; a KPI without a name is refused next to the form first.
    form = _open_form(page, "Add a KPI")
    form.get_by_label("Kind").select_option(label="Business KPI")
    form.get_by_label("Target").fill("5")
    form.get_by_role("button", name="Add the KPI").click()
    form = page.locator("details.page-form[open] form")
    expect(form.get_by_role("alert")).to_contain_text("Not saved")
    expect(form).to_contain_text("This field is required.")
    form.get_by_label("Name").fill("Retention uplift")
    form.get_by_label("Unit").fill("%")
    form.get_by_role("button", name="Add the KPI").click()
    _saved(page, "KPI Retention uplift added.")
    form = _open_form(page, "Add a KPI")
    form.get_by_label("Kind").select_option(label="ML metric")
    form.get_by_label("Name").fill("Recall")
    form.get_by_label("Target").fill("0.8")
    form.get_by_role("button", name="Add the KPI").click()
    _saved(page, "KPI Recall added.")
    expect(gate.locator("[data-item=kpis_with_targets]")).to_contain_text("Done")

    # Ratings and business owner.
    form = _open_form(page, "Edit ratings and business owner")
    form.get_by_label("Business owner").select_option(label="Bob Owner")
    form.get_by_label("Value (optional)").select_option("4")
    form.get_by_label("Risk (optional)").select_option("2")
    form.get_by_label("Feasibility (optional)").select_option("3")
    form.get_by_role("button", name="Save ratings and business owner").click()
    _saved(page, "Business owner and ratings saved.")
    expect(page.locator("dl.facts").first).to_contain_text("Value 4/5 · Risk 2/5 · Feasibility 3/5")

    # The risk screening: every question answered no.
    form = _open_form(page, "Record a risk screening")
    for question in risk.QUESTIONS:
        form.get_by_role("group", name=question.text).get_by_label("No", exact=True).check()
    form.get_by_role("button", name="Record the risk screening").click()
    _saved(page, "Risk screening recorded")
    expect(page.locator("#gate-exploration [data-item=ai_act_screening]")).to_contain_text("Done")

    # The core team: a data scientist and the business owner join the lead.
    for username, role in (("alice", "Data scientist"), ("bob", "Business owner")):
        form = _open_form(page, "Add a team member")
        form.get_by_label("Username").fill(username)
        form.get_by_label("Role").select_option(label=role)
        form.get_by_role("button", name="Add to the team").click()
        _saved(page, f"added to the team as {role}")
    expect(page.locator("tr[data-member=alice]")).to_contain_text("Data scientist")
    expect(gate.locator("[data-item=core_team_assigned]")).to_contain_text("Done")

    # A milestone and a backlog item for the POC.
    form = _open_form(page, "Add a milestone")
    form.get_by_label("Title").fill("POC demo")
    form.get_by_label("Target date").fill("2030-03-01")
    form.get_by_role("button", name="Add the milestone").click()
    _saved(page, "Milestone POC demo added.")
    form = _open_form(page, "Add a backlog item")
    form.get_by_label("Title").fill("Build the churn features")
    form.get_by_label("Profile").select_option(label="Data engineer")
    form.get_by_role("button", name="Add the backlog item").click()
    _saved(page, "Backlog item Build the churn features added.")

    # The checklist is complete: the lead signs.
    expect(gate.locator(".checklist__item.is-missing")).to_have_count(0)
    page.get_by_role("button", name="Sign as Project lead").click()
    _saved(page, "Signed the Exploration (POC) gate as Project lead")
    _log_out(page)

    # The governance officer signs.
    login(officer)
    project = Project.objects.get(name="Churn prediction")
    page.goto(f"/projects/{project.slug}/")
    page.get_by_role("button", name="Sign as Governance officer").click()
    expect(gate.locator("[data-role=governance_officer]")).to_contain_text("Given")
    _log_out(page)

    # The lead moves the project, with a reason; the history shows it.
    login(project_lead)
    page.goto(f"/projects/{project.slug}/")
    expect(gate).to_contain_text("Complete: ready to move")
    page.get_by_label("Reason for the move").fill("Business case approved.")
    page.get_by_role("button", name="Move to Exploration (POC)").click()
    _saved(page, "Churn prediction moved to Exploration (POC)")
    expect(page.locator("#current-stage")).to_have_text("Exploration (POC)")
    step = page.locator("#history tr[data-to=exploration]")
    expect(step).to_contain_text("Qualification → Exploration (POC)")
    expect(step).to_contain_text("Business case approved.")
    assert Project.objects.get(pk=project.pk).stage == Stage.EXPLORATION
