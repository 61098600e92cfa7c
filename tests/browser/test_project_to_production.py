"""Issue 4, done when: "A person can take a project from Qualification to Production in the browser,
each gate refusing until its checklist and sign-offs are complete, and the history shows every step."

One project, a high-risk credit scoring model that processes personal data (so every conditional
item of the Production gate applies, and the governance officer signs it), goes from its creation in
Qualification to Production through the pages only: for each gate the lead first tries to move and
reads the refusal listing what is missing; the team completes the checklist (automatic items through
the project page's forms: KPIs, ratings, risk screening, team, model link; answered items of every
evidence kind: text, link, file, yes/no); the registered model version comes from a real MLflow
tracking server (``tests.mlflow_server``): a link by name alone does not satisfy the gate, so a version
of the linked model is registered there and the lead presses "Sync MLflow now"; each person logs in in
a browser of their own and signs for their role; the lead moves the project with a reason. The history
then shows every step, with who, when and why. Screenshots of each refusal and of the end go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects import risk
from projects.models import Project, SignOff, Stage
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, SCREENSHOTS, _screenshot_name
from tests.factories import PASSWORD
from tests.mlflow_server import (
    MlflowServer,
    MlflowWriter,
    mlflow_server_fixture,  # noqa: F401  (the session fixture mlflow_server)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]
SYNC_TIMEOUT_MS = 60_000

# The risk screening: personal data, creditworthiness scoring (AI Act Annex III: high-risk) on a large
# scale (with the scoring, two DPIA criteria: a DPIA is required). Every other question: no.
YES_ANSWERS = {"personal_data", "creditworthiness", "large_scale"}

# (checklist item key, evidence kind, answer) of the gates answered by the team.
INDUSTRIALIZATION_ANSWERS: list[tuple[str, str, object]] = [
    ("poc_result", "text", "Recall 0.84 against a target of 0.80; the manual review finds 0.55 of the defaults."),
    ("target_environment", "text", "The bank's Kubernetes scoring platform, operated by the ML platform team."),
    ("scalability_checked", "yes_no", True),
    ("lifecycle_versioning", "text", "Code in Git, data versions in Cadastre, model in MLflow; retrained monthly."),
    ("exposure", "text", "Model-as-a-service API called by the loan origination system."),
    ("deployment_strategy", "text", "Shadow for a month, then canary on 10% of the applications."),
    ("monitoring_plan", "link", "https://wiki.example.com/credit-scoring/monitoring-plan"),
    ("exploration_data_deletion", "yes_no", True),
]
PRODUCTION_ANSWERS: list[tuple[str, str, object]] = [
    ("ci_cd_tests", "link", "https://ci.example.com/credit-scoring/pipelines"),
    ("monitoring_live", "link", "https://grafana.example.com/d/credit-scoring"),
    ("approved_model_version", "text", "credit-scoring version 3"),
    ("security_review", "file", "security-review.pdf"),
    ("dpia_done", "file", "dpia-credit-scoring.pdf"),
    ("ai_risk_management", "link", "https://wiki.example.com/credit-scoring/risk-management"),
    ("ai_technical_documentation", "link", "https://wiki.example.com/credit-scoring/technical-documentation"),
    ("ai_human_oversight", "text", "A credit officer reviews every refusal and may override the score."),
    ("ai_logging", "yes_no", True),
    ("fundamental_rights_assessment", "file", "fria-credit-scoring.pdf"),
]


# --- Browsers of their own, one per person, logged in once ----------------------------------------------


@pytest.fixture
def browser_of(browser: Browser, live_server: LiveServer, page: Page, login: Login) -> Iterator[Callable[[User], Page]]:
    """The page of ``user``, in a browser context of their own, logged in through the login form the
    first time. The first user gets the test's own ``page`` (its final screenshot is the fixture's)."""
    pages: dict[int, Page] = {}
    contexts: list[BrowserContext] = []

    def of(user: User) -> Page:
        if user.pk in pages:
            return pages[user.pk]
        if not pages:
            pages[user.pk] = login(user)
            return pages[user.pk]
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-GB")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        other = context.new_page()
        other.goto("/accounts/login/")
        other.get_by_label("Username").fill(user.username)
        other.get_by_label("Password").fill(PASSWORD)
        other.get_by_role("button", name="Log in").click()
        expect(other.get_by_role("button", name="Log out")).to_be_visible()
        pages[user.pk] = other
        return other

    yield of
    for context in contexts:
        context.close()


@pytest.fixture
def writer(mlflow_server: MlflowServer, settings: Any) -> MlflowWriter:
    """MLflow as the live server sees it (the settings are the process's, shared with its thread)."""
    settings.MLFLOW_TRACKING_URI = mlflow_server.url
    settings.MLFLOW_HTTP_RETRIES = 0
    return MlflowWriter(tracking_uri=mlflow_server.url)


# --- Steps -----------------------------------------------------------------------------------------------


def _saved(page: Page, message: str) -> None:
    expect(page.locator(".messages")).to_contain_text(message)


def _open_form(page: Page, title: str) -> Locator:
    """Open the collapsed form ``title`` of the project page; returns it."""
    details = page.locator("details.page-form", has=page.get_by_text(title, exact=True))
    details.locator("summary").click()
    return details.locator("form")


def _add_member(page: Page, username: str, role: str) -> None:
    form = _open_form(page, "Add a team member")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Role").select_option(label=role)
    form.get_by_role("button", name="Add to the team").click()
    _saved(page, f"added to the team as {role}")
    expect(page.locator(f"tr[data-member={username}]").filter(has_text=role)).to_have_count(1)


def _refused_move(page: Page, target: str, current: str, missing: list[str], shot: str) -> None:
    """The lead tries to move the project now: refused, with what is missing; the stage stays."""
    page.get_by_role("button", name=f"Move to {target}").click()
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text(f"The project was not moved to {target}")
    expect(refusal).to_contain_text(f"stays in {current}")
    for line in missing:
        expect(refusal).to_contain_text(line)
    expect(refusal).to_be_focused()
    expect(page.locator("#current-stage")).to_have_text(current)
    page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)


def _answer(page: Page, key: str, kind: str, value: object) -> None:
    """Answer the checklist item ``key`` of the next gate through its form."""
    item = page.locator(f"#item-{key}")
    label = item.locator(".checklist__label").inner_text()
    if kind == "text":
        item.get_by_role("textbox", name=f"Answer: {label}").fill(str(value))
    elif kind == "link":
        item.get_by_role("textbox", name=f"Link: {label}").fill(str(value))
    elif kind == "yes_no":
        item.get_by_role("radio", name="Yes" if value else "No", exact=True).check()
    elif kind == "file":
        item.get_by_label(f"Evidence file: {label}").set_input_files(
            files=[{"name": str(value), "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " + str(value).encode()}]
        )
    else:  # pragma: no cover
        raise AssertionError(kind)
    item.get_by_role("button", name="Save answer").click()
    answered = page.locator(f"#item-{key}")
    if value is False:
        expect(answered).to_contain_text("Answered no.")
        expect(answered.locator(".pill")).to_have_text("Missing")
    else:
        expect(answered.locator(".pill")).to_have_text("Done")
    _saved(page, f"Answer to '{label}' saved.")


def _sign(page: Page, slug: str, gate: str, role: str, comment: str) -> None:
    """Open the project and sign its next gate for ``role`` (the checklist is complete)."""
    page.goto(f"/projects/{slug}/")
    form = page.locator("form.sign-form", has=page.get_by_role("button", name=f"Sign as {role}"))
    form.get_by_label("Comment (optional)").fill(comment)
    form.get_by_role("button", name=f"Sign as {role}").click()
    _saved(page, f"as {role}")
    expect(page.locator(f"#gate-{gate} .signoff", has_text=role).locator(".pill")).to_have_text("Given")


def _move(page: Page, slug: str, gate: str, target: str, reason: str) -> None:
    page.goto(f"/projects/{slug}/")
    expect(page.locator(f"#gate-{gate}")).to_contain_text("Complete: ready to move")
    page.get_by_label("Reason for the move").fill(reason)
    page.get_by_role("button", name=f"Move to {target}").click()
    _saved(page, f"Retail credit scoring moved to {target}.")
    expect(page.locator("#current-stage")).to_have_text(target)
    expect(page.locator(f"#gate-{gate} .gate__head")).to_contain_text("Passed")


# --- The journey -------------------------------------------------------------------------------------------


def test_a_project_goes_from_qualification_to_production_through_the_pages(
    request: pytest.FixtureRequest,
    browser_of: Callable[[User], Page],
    project_lead: User,
    officer: User,
    data_scientist: User,
    make_user: Callable[..., User],
    writer: MlflowWriter,
) -> None:
    owner = make_user(username="bob", first_name="Bob", last_name="Owner")
    engineer = make_user(username="dan", first_name="Dan", last_name="Engineer")
    operator = make_user(username="oscar", first_name="Oscar", last_name="Ops")
    security = make_user(username="sam", first_name="Sam", last_name="Secure")
    shot = _screenshot_name(request.node.name)[: -len(".png")]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # === Qualification: the lead creates the project ===================================================
    lead = browser_of(project_lead)
    lead.goto("/projects/new/")
    lead.get_by_label("Name").fill("Retail credit scoring")
    lead.get_by_label("Purpose").fill("Score retail loan applicants' creditworthiness to decide on their loans.")
    lead.get_by_label("Business owner").select_option(label="Bob Owner")
    lead.get_by_label("The project processes personal data").check()
    lead.get_by_role("button", name="Create the project").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Retail credit scoring")
    expect(lead.locator("#current-stage")).to_have_text("Qualification")
    slug = Project.objects.get(name="Retail credit scoring").slug

    _refused_move(
        lead,
        "Exploration (POC)",
        "Qualification",
        [
            "Business KPI and ML metric with targets: No business KPI and no ML metric.",
            "Value, risk and feasibility rating: Not rated: value, risk, feasibility.",
            "AI Act screening: No risk screening recorded.",
            "DPIA screening: No risk screening recorded.",
            "Project lead, data scientist and business owner assigned: No data scientist, no business owner",
            "Project lead: not signed.",
            "Governance officer: not signed.",
        ],
        f"{shot}-1-exploration-refused.png",
    )

    # KPIs with targets.
    for kind, name, target, unit, direction in (
        ("Business KPI", "Default rate", "2.5", "%", "Lower is better"),
        ("ML metric", "Recall", "0.8", "", "Higher is better"),
    ):
        form = _open_form(lead, "Add a KPI")
        form.get_by_label("Kind").select_option(label=kind)
        form.get_by_label("Name").fill(name)
        form.get_by_label("Target").fill(target)
        form.get_by_label("Unit").fill(unit)
        form.get_by_label("Direction").select_option(label=direction)
        form.get_by_role("button", name="Add the KPI").click()
        _saved(lead, f"KPI {name} added.")

    # Ratings.
    form = _open_form(lead, "Edit ratings and business owner")
    form.get_by_label("Value (optional)").select_option("5")
    form.get_by_label("Risk (optional)").select_option("4")
    form.get_by_label("Feasibility (optional)").select_option("3")
    form.get_by_role("button", name="Save ratings and business owner").click()
    _saved(lead, "Business owner and ratings saved.")

    # The risk screening: high-risk under the AI Act, a DPIA required.
    form = _open_form(lead, "Record a risk screening")
    for question in risk.QUESTIONS:
        answer = "Yes" if question.key in YES_ANSWERS else "No"
        form.get_by_role("group", name=question.text).get_by_label(answer, exact=True).check()
    form.get_by_label("Screening comment").fill("Creditworthiness scoring: Annex III high-risk.")
    form.get_by_role("button", name="Record the risk screening").click()
    _saved(lead, "Risk screening recorded: AI Act High-risk (Annex III), a DPIA is required.")

    # The team: the core roles, and those who sign the later gates.
    for username, role in (
        ("alice", "Data scientist"),
        ("bob", "Business owner"),
        ("dan", "Data engineer"),
        ("oscar", "Operations"),
    ):
        _add_member(lead, username, role)

    # The roadmap and the backlog of the POC.
    form = _open_form(lead, "Add a milestone")
    form.get_by_label("Title").fill("POC results to the credit committee")
    form.get_by_label("Target date").fill("2026-10-15")
    form.get_by_role("button", name="Add the milestone").click()
    _saved(lead, "Milestone POC results to the credit committee added.")
    form = _open_form(lead, "Add a backlog item")
    form.get_by_label("Title").fill("Build the repayment history features")
    form.get_by_label("Profile").select_option(label="Data engineer")
    form.get_by_role("button", name="Add the backlog item").click()
    _saved(lead, "Backlog item Build the repayment history features added.")

    gate = lead.locator("#gate-exploration")
    expect(gate.locator(".checklist__item.is-missing")).to_have_count(0)
    _sign(lead, slug, "exploration", "Project lead", "Strong case; data available.")
    _sign(browser_of(officer), slug, "exploration", "Governance officer", "High-risk: DPIA before production.")
    _move(lead, slug, "exploration", "Exploration (POC)", "Credit committee approved the POC.")

    # === Exploration: the POC ===========================================================================
    _refused_move(
        lead,
        "Industrialization",
        "Exploration (POC)",
        [
            "POC result against the targets and the current manual process: Not answered.",
            "Scalability checked against production volumes: Not answered.",
            "Monitoring plan: Not answered.",
            "A registered MLflow model version: No MLflow registered model linked.",
            "Business owner: not signed.",
            "Data engineer: not signed.",
            "Operations: not signed.",
        ],
        f"{shot}-2-industrialization-refused.png",
    )

    # The POC's results on the roadmap: the ML metric measured, the milestone reached, the backlog done.
    row = lead.locator("tr[data-kpi]", has_text="Recall")
    row.locator("summary").click()
    row.get_by_label("Current value (optional)").fill("0.84")
    row.get_by_role("button", name="Save changes to KPI Recall").click()
    _saved(lead, "KPI Recall saved.")
    expect(lead.locator("tr[data-kpi]", has_text="Recall")).to_contain_text("On target")
    lead.get_by_role("button", name="Mark done (POC results to the credit committee)").click()
    _saved(lead, "Milestone POC results to the credit committee reached on")
    lead.get_by_label("Status of Build the repayment history features").select_option(label="Done")
    lead.get_by_role("button", name="Set status of Build the repayment history features").click()
    _saved(lead, "Backlog item Build the repayment history features is now Done.")

    # The MLflow registered model, through the model link form (the MLflow server lives for the whole
    # session: a name of its own). A link by name is not a registered model version: still missing.
    model = f"credit-scoring-{uuid.uuid4().hex[:8]}"
    form = _open_form(lead, "Link an MLflow model")
    form.get_by_label("Registered model name").fill(model)
    form.get_by_role("button", name="Link the model").click()
    _saved(lead, f"MLflow model {model} linked.")
    not_synced = f"{model} is linked but no version has been synced from MLflow yet: run a sync."
    expect(lead.locator("#item-registered_model .pill")).to_have_text("Missing")
    expect(lead.locator("#item-registered_model")).to_contain_text(not_synced)
    _refused_move(
        lead,
        "Industrialization",
        "Exploration (POC)",
        [f"A registered MLflow model version: {not_synced}"],
        f"{shot}-2b-industrialization-refused-model-not-synced.png",
    )
    model_lines = [
        line for line in lead.locator("#refusal li").all_inner_texts() if line.startswith("A registered MLflow")
    ]
    assert model_lines == [f"A registered MLflow model version: {not_synced}"]

    # The data scientist registers a version of it in MLflow; the lead syncs from the project page.
    writer.register(model)
    writer.add_version(model, writer.log_run(metrics={"recall": 0.84}))
    lead.goto(f"/projects/{slug}/")
    lead.get_by_role("button", name="Sync MLflow now").click()
    expect(lead.locator(".messages")).to_contain_text(
        "MLflow sync queued: the model timeline shows it once done.", timeout=SYNC_TIMEOUT_MS
    )
    lead.goto(f"/projects/{slug}/")
    expect(lead.locator("#item-registered_model .pill")).to_have_text("Done")
    expect(lead.locator("#item-registered_model")).to_contain_text(f"Linked: {model} (version 1 synced).")

    # The answers, each of its kind; "no" to a yes/no item does not satisfy it.
    _answer(lead, "scalability_checked", "yes_no", False)
    for key, kind, value in INDUSTRIALIZATION_ANSWERS:
        _answer(lead, key, kind, value)
    expect(lead.locator("#gate-industrialization .checklist__item.is-missing")).to_have_count(0)

    _sign(lead, slug, "industrialization", "Project lead", "Ready to industrialize.")
    _sign(browser_of(owner), slug, "industrialization", "Business owner", "Go: the POC beats the manual review.")
    _sign(browser_of(engineer), slug, "industrialization", "Data engineer", "Pipelines sized for production.")
    _sign(browser_of(operator), slug, "industrialization", "Operations", "We run it on the scoring platform.")
    _move(lead, slug, "industrialization", "Industrialization", "Go decision of the business owner.")

    # === Industrialization: towards production ==========================================================
    _add_member(lead, "sam", "Security")
    _refused_move(
        lead,
        "Production",
        "Industrialization",
        [
            "CI/CD and automated tests (code and data tests) in place: Not answered.",
            "Security review done: Not answered.",
            "DPIA done: Not answered.",
            "Human oversight (high-risk AI): Not answered.",
            "Logging of the system's events (high-risk AI): Not answered.",
            "Fundamental-rights impact assessment (high-risk AI): Not answered.",
            "Security: not signed.",
            "Operations: not signed.",
            "Governance officer: not signed.",
        ],
        f"{shot}-3-production-refused.png",
    )
    for key, kind, value in PRODUCTION_ANSWERS:
        _answer(lead, key, kind, value)
    expect(lead.locator("#gate-production .checklist__item.is-missing")).to_have_count(0)
    expect(lead.locator("#item-security_review")).to_contain_text("Answered.")

    # A member who holds no signing role of this gate has no button to sign it.
    data_scientist_page = browser_of(data_scientist)
    data_scientist_page.goto(f"/projects/{slug}/")
    expect(data_scientist_page.locator("#gate-production")).to_be_visible()
    expect(data_scientist_page.get_by_role("button", name=re.compile(r"^Sign as "))).to_have_count(0)

    _sign(browser_of(security), slug, "production", "Security", "Penetration test passed.")
    _sign(browser_of(operator), slug, "production", "Operations", "Alerts routed to the on-call team.")
    _sign(lead, slug, "production", "Project lead", "Model version 3 approved.")
    _sign(browser_of(officer), slug, "production", "Governance officer", "DPIA and FRIA on file.")
    _move(lead, slug, "production", "Production", "All production sign-offs given.")

    # === The history shows every step, with who, when and why ============================================
    project = Project.objects.get(slug=slug)
    assert project.stage == Stage.PRODUCTION
    lead_name = project_lead.get_full_name()
    history = lead.locator("#history")
    expect(history.locator("tbody tr")).to_have_count(4)
    for to_stage, step, why in (
        ("qualification", "Created in Qualification", "Project created."),
        ("exploration", "Qualification → Exploration (POC)", "Credit committee approved the POC."),
        ("industrialization", "Exploration (POC) → Industrialization", "Go decision of the business owner."),
        ("production", "Industrialization → Production", "All production sign-offs given."),
    ):
        row = history.locator(f"tr[data-to={to_stage}]")
        expect(row).to_contain_text(step)
        expect(row).to_contain_text(lead_name)
        expect(row).to_contain_text(why)
        expect(row.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))

    # Each passed gate keeps its checklist and sign-offs as decided.
    for gate_stage, signers in (
        ("exploration", ["Project lead by paula", "Governance officer by olivier"]),
        (
            "industrialization",
            ["Business owner by bob", "Project lead by paula", "Data engineer by dan", "Operations by oscar"],
        ),
        (
            "production",
            ["Security by sam", "Operations by oscar", "Project lead by paula", "Governance officer by olivier"],
        ),
    ):
        passed = lead.locator(f"#gate-{gate_stage}")
        expect(passed.locator(".gate__head")).to_contain_text(f"by {lead_name}")
        passed.locator("details.gate__decided summary").click()
        for signer in signers:
            expect(passed).to_contain_text(f"Signed as {signer}")
    expect(lead.locator("#gate-production")).to_contain_text("Security review done")
    assert SignOff.objects.filter(project=project, invalidated_at__isnull=True).count() == 10
