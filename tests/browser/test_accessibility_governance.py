"""Accessibility of the governance, profiling and drift pages in a real browser: axe-core finds no
serious or critical WCAG 2.1 A/AA violation on each page, opened by the person who uses it with data
built through the services, and the page's main form can be submitted with the keyboard (its submit
button is reached with the Tab key)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from catalog.models import Dataset, DatasetVersion
from governance import services
from governance.models import Decision, DeletionTask, Grant
from projects.models import Project
from tests.browser import test_governance_journeys as governance_journeys
from tests.browser import test_journey_4_new_version as journey_4
from tests.browser import test_journey_5_mlflow as journey_5
from tests.browser.axe import assert_accessible
from tests.browser.test_governance_journeys import PURPOSE, REQUESTED, World
from tests.mlflow_server import MlflowWriter, mlflow_server_fixture  # noqa: F401  (the session fixture mlflow_server)

# The journeys' fixtures, shared: their data built through the services.
world = governance_journeys.world
accounts = journey_4.accounts
writer = journey_5.writer
cards = journey_5.cards
fraud = journey_5.fraud

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MAX_TABS = 80


def assert_reachable_by_keyboard(page: Page, button: Locator, *, start: Locator) -> None:
    """Focus ``start`` (a field of the same form) and press Tab until ``button`` has the focus."""
    expect(button).to_be_visible()
    expect(button).to_be_enabled()
    start.focus()
    for _ in range(MAX_TABS):
        if button.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{button} was not reached with {MAX_TABS} presses of Tab from {start}.", pytrace=False)


def _file(world: World) -> object:
    return services.access_request_create(
        requester=world.users["alice"],
        project=world.project,
        dataset=world.cards,
        columns=list(REQUESTED),
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        requested_end=timezone.localdate() + timedelta(days=90),
    )


def _approve(world: World, request: object) -> Grant:
    services.access_request_decide(
        request=request,
        officer=world.users["olivier"],
        decision="approve",
        reason="Pseudonymised key, amounts and times: proportionate.",
        expires_on=timezone.localdate() + timedelta(days=60),
    )
    return Grant.objects.get(request=request)


def test_the_access_request_form(browser_of: Callable[[User], Page], world: World) -> None:
    alice = browser_of(world.users["alice"])
    alice.goto(f"/catalog/{world.cards.slug}/")
    panel = alice.get_by_role("region", name="Your access")
    panel.get_by_role("link", name="Request access for Card fraud detection").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Request access to Card payments")
    assert_accessible(alice)
    alice.get_by_role("checkbox", name="customer_id").check()
    assert_reachable_by_keyboard(
        alice, alice.get_by_role("button", name="File the request"), start=alice.get_by_label("Purpose")
    )
    # With the errors shown after a submission missing its legal basis.
    alice.get_by_role("button", name="File the request").click()
    expect(alice.get_by_role("alert").first).to_contain_text("Not filed")
    assert_accessible(alice)


def test_a_request_page_for_its_requester_and_for_the_officer(browser_of: Callable[[User], Page], world: World) -> None:
    filed = _file(world)
    alice = browser_of(world.users["alice"])
    alice.goto(f"/requests/{filed.pk}/")
    expect(alice.locator(".precheck")).to_have_count(7)
    assert_accessible(alice)

    olivier = browser_of(world.users["olivier"])
    olivier.goto(f"/requests/{filed.pk}/")
    form = olivier.locator("form.decision-form")
    expect(form).to_be_visible()
    assert_accessible(olivier)
    form.get_by_label("Approve", exact=True).check()
    assert_reachable_by_keyboard(
        olivier, form.get_by_role("button", name="Record the decision"), start=form.get_by_label("Reason", exact=True)
    )


def test_a_decided_request_and_the_edit_form_of_a_request_sent_back(
    browser_of: Callable[[User], Page], world: World
) -> None:
    approved = _file(world)
    _approve(world, approved)
    olivier = browser_of(world.users["olivier"])
    olivier.goto(f"/requests/{approved.pk}/")
    expect(olivier.locator("#grant")).to_contain_text("Access until")
    assert_accessible(olivier)

    sent_back = services.access_request_create(
        requester=world.users["alice"],
        project=world.project,
        dataset=world.salaries,
        columns=["employee_name"],
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        justification="The name is needed to join the absence records.",
        requested_end=timezone.localdate() + timedelta(days=30),
    )
    services.access_request_decide(
        request=sent_back,
        officer=world.users["olivier"],
        decision=Decision.ASK_CHANGES,
        reason="Use the pseudonymised key instead of the name.",
    )
    alice = browser_of(world.users["alice"])
    alice.goto(f"/requests/{sent_back.pk}/")
    alice.get_by_role("link", name="Change and resubmit").click()
    expect(alice.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(alice)
    submit = alice.get_by_role("button", name="Resubmit the request")
    assert_reachable_by_keyboard(alice, submit, start=alice.get_by_label("Purpose"))


def test_my_requests_with_a_grant(browser_of: Callable[[User], Page], world: World) -> None:
    _approve(world, _file(world))
    alice = browser_of(world.users["alice"])
    alice.goto("/requests/")
    expect(alice.locator(".grants-table")).to_be_visible()
    assert_accessible(alice)


def test_the_officer_queue_with_its_chart(browser_of: Callable[[User], Page], world: World) -> None:
    filed = _file(world)
    olivier = browser_of(world.users["olivier"])
    olivier.goto("/governance/queue/")
    expect(olivier.locator(f"tr[data-request='{filed.pk}']")).to_be_visible()
    expect(olivier.locator("#requests-per-week canvas")).to_be_visible()
    assert_accessible(olivier)
    # The chart's data, disclosed with the keyboard, is a table readable by screen readers.
    disclosure = olivier.locator("#requests-per-week summary")
    disclosure.focus()
    expect(disclosure).to_be_focused()
    olivier.keyboard.press("Enter")
    expect(olivier.locator("#requests-per-week table")).to_be_visible()
    expect(olivier.locator("#requests-per-week tr[data-week]").last.locator("td").nth(2)).to_have_text("1")
    assert_accessible(olivier)


def test_the_grants_page_with_its_revoke_form(browser_of: Callable[[User], Page], world: World) -> None:
    grant = _approve(world, _file(world))
    olivier = browser_of(world.users["olivier"])
    olivier.goto("/governance/grants/")
    summary = olivier.locator("summary", has_text="Revoke…")
    expect(summary).to_be_visible()
    assert_accessible(olivier)
    summary.focus()
    olivier.keyboard.press("Enter")  # the disclosure opens with the keyboard
    button = olivier.get_by_role("button", name=f"Revoke grant #{grant.pk}")
    assert_reachable_by_keyboard(olivier, button, start=summary)
    assert_accessible(olivier)


def test_the_deletion_tasks_of_the_custodian(browser_of: Callable[[User], Page], world: World) -> None:
    grant = _approve(world, _file(world))
    services.grant_revoke(grant=grant, actor=world.users["olivier"], reason="The project no longer needs it.")
    task = DeletionTask.objects.get(grant=grant)
    camille = browser_of(world.users["camille"])
    camille.goto("/governance/deletions/")
    card = camille.locator(f"#task-{task.pk}")
    expect(card).to_be_visible()
    assert_accessible(camille)
    assert_reachable_by_keyboard(
        camille,
        card.get_by_role("button", name=f"Close task #{task.pk} with this evidence"),
        start=card.get_by_label("Evidence of deletion"),
    )
    services.deletion_task_close(
        task=task, custodian=world.users["camille"], evidence_text="Dropped the sandbox copy on the due date."
    )
    camille.reload()
    expect(camille.locator(".closed-tasks")).to_contain_text("Dropped the sandbox copy")
    assert_accessible(camille)


def test_the_register_and_the_audit_trail(browser_of: Callable[[User], Page], world: World) -> None:
    _approve(world, _file(world))
    olivier = browser_of(world.users["olivier"])
    olivier.goto("/governance/register/")
    expect(olivier.locator("article.register-entry[data-project=card-fraud-detection]")).to_be_visible()
    assert_accessible(olivier)

    olivier.goto("/governance/audit/")
    expect(olivier.locator("#chain-status")).to_contain_text("Chain verified")
    assert_accessible(olivier)
    filters = olivier.get_by_role("form", name="Filter the audit trail")
    assert_reachable_by_keyboard(
        olivier, filters.get_by_role("button", name="Filter"), start=filters.locator("input, select").first
    )


def test_the_version_pages_with_profile_quality_and_drift(
    browser_of: Callable[[User], Page],
    accounts: Dataset,
    custodian: User,
) -> None:
    camille = browser_of(custodian)
    camille.goto(f"/catalog/{accounts.slug}/versions/new/")
    assert_accessible(camille)
    assert_reachable_by_keyboard(
        camille, camille.get_by_role("button", name="Upload and register"), start=camille.get_by_label("Data file")
    )
    journey_4._upload(camille, accounts, journey_4.batch(1), "accounts-1.csv", "First batch")
    expect(camille).to_have_url(re.compile(r"/versions/1/$"), timeout=journey_4.TASKS_TIMEOUT_MS)
    expect(camille.locator("li[data-task='catalog.profile_version']")).to_contain_text("done")
    assert_accessible(camille)  # the profile, no drift yet

    camille.goto(f"/catalog/{accounts.slug}/")
    camille.locator("tr[data-expectation='segment:categories']").get_by_role("button", name="Accept").click()
    expect(camille.locator("tr[data-expectation='segment:categories']")).to_contain_text("Accepted by")
    assert_accessible(camille)  # the dataset page with its profile and suggested expectations

    journey_4._upload(
        camille,
        accounts,
        journey_4.batch(2, shift=40.0, segments=(*journey_4.SEGMENTS, "private")),
        "accounts-2.csv",
        "Second",
    )
    expect(camille).to_have_url(re.compile(r"/versions/2/$"), timeout=journey_4.TASKS_TIMEOUT_MS)
    drift = camille.get_by_role("region", name="Drift", exact=True)
    expect(drift.locator("tr[data-drift-column=amount] svg")).to_have_count(1)
    expect(camille.locator("tr[data-quality='segment:categories']")).to_contain_text("Failed")
    assert_accessible(camille)


def test_a_project_page_with_its_model_timeline(
    browser_of: Callable[[User], Page],
    writer: MlflowWriter,
    fraud: Project,
    cards: tuple[Dataset, DatasetVersion],
    project_lead: User,
) -> None:
    dataset, _ = cards
    name = f"a11y-model-{uuid.uuid4().hex[:8]}"
    writer.register(name, tags={django_settings.MLFLOW_PROJECT_TAG: fraud.slug})
    first = writer.add_version(
        name, writer.log_run(metrics={"auc": 0.91, "log_loss": 0.28}, inputs=[(dataset.slug, journey_5.TRAINING_URI)])
    )
    writer.add_version(name, writer.log_run(metrics={"auc": 0.94, "log_loss": 0.22}))
    writer.client.set_registered_model_alias(name, "champion", first)

    paula = browser_of(project_lead)
    paula.goto(f"/projects/{fraud.slug}/")
    sync = paula.get_by_role("button", name="Sync MLflow now")
    sync.focus()
    expect(sync).to_be_focused()
    journey_5._sync(paula)
    timeline = paula.get_by_role("region", name="Model timeline")
    expect(timeline.get_by_role("heading", name=name)).to_be_visible()
    expect(timeline.get_by_test_id("metrics-plot")).to_be_visible()
    expect(timeline.get_by_test_id("model-alerts").locator("li")).to_have_count(1)
    assert_accessible(paula)
