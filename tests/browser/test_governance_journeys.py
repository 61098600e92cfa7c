"""PRODUCT.md §5, journeys 1 to 3, in a real browser (Debian's Chromium through Playwright) against a
live server, through the pages only; each person logs in in a browser of their own.

1. A data scientist searches "paiement client", keeps the datasets without special categories (the
   sensitivity facet), opens one, reads its columns and requests three of them for her project: the
   pre-checks are shown to her.
2. The officer opens the queue, reads the pre-checks, approves with a 60-day expiry; the requester sees
   the grant; the audit trail shows both events (and verifies the chain); the Art. 30 register lists
   the project.
3. The project lead tries to move the project to Industrialization: the gate lists what is missing; the
   team completes it through the project page and the right people sign; once moved, the Exploration
   grants are revoked (a task queued on commit, run in-process in tests) and the custodian finds the
   deletion task and closes it with evidence.

Screenshots of each step go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from catalog.models import ColumnType, Dataset, Domain, PersonalDataClass
from catalog.roles import Role
from governance import services
from governance.models import AccessRequest, DeletionTask, Grant, RequestStatus, RevocationCause
from projects.models import Project, ProjectRole, Stage
from tests.browser.conftest import SCREENSHOTS
from tests.factories import (
    ColumnFactory,
    DatasetFactory,
    GlossaryTermFactory,
    MembershipFactory,
    ModelVersionFactory,
    ProjectFactory,
    RegisteredModelFactory,
)

pytestmark = [
    pytest.mark.browser,
    # The live server starts before the tests point STATIC_ROOT at a directory that exists.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PURPOSE = "Detect fraudulent card payments to block them before settlement."
REQUESTED = ("customer_id", "amount", "paid_at")


@dataclass
class World:
    project: Project
    cards: Dataset
    salaries: Dataset
    users: dict[str, User]


@pytest.fixture
def world(
    data_scientist: User,
    officer: User,
    project_lead: User,
    custodian: User,
    make_user: Callable[..., User],
) -> World:
    """A project in Exploration (lead Paula, data scientist Alice, and the people who sign its next gate),
    "Card payments" (Camille's, an indirect identifier at most) tagged with the concept "Paiement client",
    and "Salary payments" (special-category data) tagged with the broader concept "Paiement"."""
    helene = make_user(Role.DATA_CUSTODIAN, username="helene", first_name="Hélène", last_name="Martin")
    owner = make_user(username="bob", first_name="Bob", last_name="Owner")
    engineer = make_user(username="dan", first_name="Dan", last_name="Engineer")
    operator = make_user(username="oscar", first_name="Oscar", last_name="Ops")
    payment = GlossaryTermFactory(slug="payment", label_en="Payment", label_fr="Paiement")
    customer_payment = GlossaryTermFactory(
        slug="customer-payment", label_en="Customer payment", label_fr="Paiement client", broader=payment
    )
    cards = DatasetFactory(
        name="Card payments",
        slug="card-payments",
        domain=Domain.PAYMENTS,
        description="Card transactions authorised by the card switch, one row per payment, daily batch.",
        owner=custodian,
        custodian=custodian,
        glossary_terms=[customer_payment],
        data_subject_categories=["customers"],
        personal_data_categories=["financial", "transactions"],
        collection_purpose="Executing card payments and detecting fraudulent card payments.",
        collection_legal_basis="contract",
        retention_days=365,
        security_measures="Encryption at rest; access logged.",
    )
    for position, (name, data_type, pd_class, pseudonymised, description) in enumerate(
        [
            ("customer_id", ColumnType.STRING, PersonalDataClass.INDIRECT, True, "Pseudonymised customer key"),
            ("amount", ColumnType.FLOAT, PersonalDataClass.NONE, False, "Amount in euros"),
            ("paid_at", ColumnType.DATETIME, PersonalDataClass.NONE, False, "When the payment was authorised"),
            ("merchant_category", ColumnType.STRING, PersonalDataClass.NONE, False, "MCC code"),
            ("terminal_id", ColumnType.STRING, PersonalDataClass.NONE, False, "Payment terminal"),
        ]
    ):
        ColumnFactory(
            dataset=cards,
            name=name,
            position=position,
            data_type=data_type,
            personal_data_class=pd_class,
            pseudonymised=pseudonymised,
            description=description,
        )
    salaries = DatasetFactory(
        name="Salary payments",
        slug="salary-payments",
        domain=Domain.HR,
        description="Monthly salary run, with sick-leave deductions.",
        owner=helene,
        custodian=helene,
        glossary_terms=[payment],
    )
    ColumnFactory(dataset=salaries, name="employee_name", personal_data_class=PersonalDataClass.DIRECT)
    ColumnFactory(dataset=salaries, name="sick_leave_reason", personal_data_class=PersonalDataClass.SPECIAL)

    project = ProjectFactory(
        name="Card fraud detection",
        slug="card-fraud-detection",
        purpose=PURPOSE,
        stage=Stage.EXPLORATION,
        lead=project_lead,
        business_owner=owner,
    )
    for user, role in (
        (data_scientist, ProjectRole.DATA_SCIENTIST),
        (owner, ProjectRole.BUSINESS_OWNER),
        (engineer, ProjectRole.DATA_ENGINEER),
        (operator, ProjectRole.OPERATIONS),
    ):
        MembershipFactory(project=project, user=user, role=role)
    users = {
        "alice": data_scientist,
        "olivier": officer,
        "paula": project_lead,
        "camille": custodian,
        "bob": owner,
        "dan": engineer,
        "oscar": operator,
    }
    return World(project=project, cards=cards, salaries=salaries, users=users)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"test_governance_{name}.png"), full_page=True)


def _saved(page: Page, message: str) -> None:
    expect(page.locator(".messages")).to_contain_text(message)


def _file_request(world: World) -> AccessRequest:
    """Journey 1's outcome, for the journeys that start after it."""
    return services.access_request_create(
        requester=world.users["alice"],
        project=world.project,
        dataset=world.cards,
        columns=list(REQUESTED),
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        requested_end=timezone.localdate() + timedelta(days=90),
    )


# --- Journey 1 -----------------------------------------------------------------------------------------------


def test_journey_1_search_filter_open_and_request_three_columns(
    browser_of: Callable[[User], Page], world: World
) -> None:
    alice = browser_of(world.users["alice"])
    alice.goto("/search/")
    box = alice.get_by_role("main").get_by_role("combobox", name="Search the catalog")
    box.fill("paiement client")
    alice.get_by_role("main").get_by_role("button", name="Search", exact=True).click()
    count = alice.locator("#result-count")
    expect(count).to_contain_text("2 datasets for “paiement client”")
    cards_hit = alice.locator(".search-hit", has_text="Card payments")
    expect(cards_hit.locator("[data-access]")).to_have_attribute("data-access", "requestable")
    expect(cards_hit.locator("[data-access]")).to_contain_text("Request needed")
    _shot(alice, "j1_1_results")

    # Only the datasets whose most sensitive column is an indirect identifier: no special categories.
    alice.get_by_role("region", name="Sensitivity").get_by_role("checkbox", name="Indirect identifier").click()
    expect(alice).to_have_url(re.compile(r"sensitivity=indirect"))
    expect(count).to_contain_text("1 dataset for “paiement client”")
    expect(alice.locator(".search-hit")).to_have_count(1)
    expect(alice.locator(".search-hit", has_text="Salary payments")).to_have_count(0)
    _shot(alice, "j1_2_filtered")

    # Open it and read its columns.
    alice.locator(".search-hit").get_by_role("link", name="Card payments").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Card payments")
    columns = alice.locator(".columns-table")
    expect(columns.locator("tbody tr")).to_have_count(5)
    expect(columns.locator("tr[data-column=customer_id]")).to_contain_text("Indirect identifier")
    panel = alice.get_by_role("region", name="Your access")
    expect(panel).to_contain_text("Contains personal data: request the columns your project needs.")
    panel.get_by_role("link", name="Request access for Card fraud detection").click()

    # The request: three columns, the project's purpose already there, the legal basis.
    expect(alice.get_by_role("heading", level=1)).to_have_text("Request access to Card payments")
    expect(alice.get_by_label("For the project")).to_have_value(str(world.project.pk))
    expect(alice.get_by_label("Purpose")).to_have_value(PURPOSE)
    art9 = alice.get_by_label("Art. 9(2) condition")
    expect(art9).to_be_hidden()  # no special-category column in this dataset
    for name in REQUESTED:
        alice.get_by_role("checkbox", name=name).check()
    alice.get_by_label("Legal basis (Art. 6)").select_option(label="Legitimate interests (Art. 6(1)(f))")
    _shot(alice, "j1_3_form")
    alice.get_by_role("button", name="File the request").click()

    filed = AccessRequest.objects.get()
    _saved(alice, f"Request #{filed.pk} filed: its pre-checks are below.")
    expect(alice.get_by_role("heading", level=1)).to_have_text(
        f"Request #{filed.pk}: Card payments for Card fraud detection"
    )
    prechecks = alice.locator(".precheck")
    expect(prechecks).to_have_count(7)
    expect(alice.locator(".precheck[data-rule=legal_basis]")).to_have_attribute("data-outcome", "pass")
    expect(alice.locator(".precheck[data-rule=legal_basis]")).to_contain_text("Art. 6(1)")
    expect(alice.locator(".precheck[data-outcome=blocking]")).to_have_count(0)
    expect(alice.locator(".request-status")).to_have_text("Pending review")
    _shot(alice, "j1_4_prechecks")
    assert filed.requester == world.users["alice"] and filed.project == world.project
    assert sorted(c.name for c in filed.columns.all()) == sorted(REQUESTED)
    assert filed.purpose == PURPOSE and filed.legal_basis == "legitimate_interests"

    # Her list, and the search hit, now say it is pending.
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    expect(alice.locator(f"tr[data-request='{filed.pk}']")).to_contain_text("Pending review")
    alice.goto("/search/?q=paiement+client")
    expect(alice.locator(".search-hit", has_text="Card payments").locator("[data-access]")).to_have_attribute(
        "data-access", "pending"
    )


# --- Journey 2 -----------------------------------------------------------------------------------------------


def test_journey_2_the_officer_approves_for_60_days_and_it_shows_everywhere(
    browser_of: Callable[[User], Page], world: World
) -> None:
    filed = _file_request(world)
    olivier = browser_of(world.users["olivier"])
    olivier.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(olivier.get_by_role("heading", level=1)).to_have_text("Review queue")
    row = olivier.locator(f"tr[data-request='{filed.pk}']")
    expect(row).to_contain_text("Card fraud detection")
    expect(row).to_contain_text("Exploration (POC)")
    expect(row.locator(".outcome--pass")).to_be_visible()
    _shot(olivier, "j2_1_queue")
    row.get_by_role("link", name=f"Review #{filed.pk}").click()

    # The pre-checks, the columns with their classes, the project's stage, AI Act tier and DPIA.
    expect(olivier.locator(".precheck")).to_have_count(7)
    expect(olivier.locator(".precheck[data-rule=purpose_compatibility]")).to_contain_text("Art. 6(4)")
    expect(olivier.locator(".project-context")).to_contain_text("Exploration (POC)")
    expect(olivier.locator(".project-context")).to_contain_text("AI Act tier")
    expect(olivier.locator("tr[data-column=customer_id]")).to_contain_text("Indirect identifier")

    expiry = timezone.localdate() + timedelta(days=60)
    form = olivier.locator("form.decision-form")
    form.get_by_label("Approve", exact=True).check()
    form.get_by_label("Reason", exact=True).fill(
        "Pseudonymised key, amounts and times: proportionate to fraud detection."
    )
    form.get_by_label("Access until").fill(expiry.isoformat())
    _shot(olivier, "j2_2_decision")
    form.get_by_role("button", name="Record the decision").click()
    _saved(olivier, f"Request #{filed.pk} decided — Approved: access until {expiry:%Y-%m-%d}.")
    expect(olivier.locator("#grant")).to_contain_text(f"Access until {expiry:%Y-%m-%d}")
    grant = Grant.objects.get(request=filed)
    assert grant.expires_on == expiry and grant.granted_stage == Stage.EXPLORATION

    # The requester sees the grant: her list, the dataset page, the project page.
    alice = browser_of(world.users["alice"])
    alice.goto("/requests/")
    expect(alice.locator(f"tr[data-request='{filed.pk}']")).to_contain_text("Approved")
    expect(alice.locator(".grants-table")).to_contain_text(f"{expiry:%Y-%m-%d}")
    alice.goto("/catalog/card-payments/")
    panel = alice.get_by_role("region", name="Your access")
    expect(panel).to_contain_text(f"Granted to Card fraud detection until {expiry:%Y-%m-%d}")
    expect(panel).to_contain_text("customer_id, amount, paid_at")
    _shot(alice, "j2_3_requester_sees_the_grant")
    alice.goto("/projects/card-fraud-detection/")
    expect(alice.locator(".project-grants [data-dataset=card-payments]")).to_contain_text(f"until {expiry:%Y-%m-%d}")

    # The audit trail shows both events, and the chain verifies.
    olivier.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(olivier.locator("#chain-status")).to_contain_text("Chain verified")
    filed_row = olivier.locator("tr[data-action='access_request.filed']")
    expect(filed_row).to_contain_text("alice")
    decided_row = olivier.locator("tr[data-action='access_request.decided']")
    expect(decided_row).to_contain_text("olivier")
    expect(olivier.locator("tr[data-action='grant.created']")).to_have_count(1)
    _shot(olivier, "j2_4_audit")
    # Filtered on the request: its own events only.
    decided_row.get_by_role("link", name=re.compile(rf"Request #{filed.pk}")).click()
    expect(olivier.locator("tr[data-action='grant.created']")).to_have_count(0)
    expect(olivier.locator("tr[data-action='access_request.filed']")).to_have_count(1)

    # The register of processing now lists the project.
    olivier.get_by_role("navigation", name="Main").get_by_role("link", name="Register").click()
    entry = olivier.locator("article.register-entry[data-project=card-fraud-detection]")
    expect(entry).to_contain_text("Card fraud detection")
    expect(entry).to_contain_text(PURPOSE)
    expect(entry).to_contain_text("Customers")
    expect(entry).to_contain_text(f"{world.users['alice'].get_full_name()} (Data scientist)")  # a recipient
    expect(entry).to_contain_text("customer_id, amount, paid_at")
    expect(olivier.get_by_role("link", name="Export CSV")).to_be_visible()
    _shot(olivier, "j2_5_register")


# --- Journey 3 -----------------------------------------------------------------------------------------------

INDUSTRIALIZATION_ANSWERS: list[tuple[str, str, str, object]] = [
    # (who answers, item key, evidence kind, answer)
    ("alice", "poc_result", "text", "Recall 0.86 for a target of 0.80; the rules engine finds 0.52 of the frauds."),
    ("dan", "target_environment", "text", "The bank's streaming platform (Kafka + Flink), run by the data team."),
    ("dan", "scalability_checked", "yes_no", True),
    ("dan", "lifecycle_versioning", "text", "Code in Git, data versions in Cadastre, model in MLflow; weekly."),
    ("paula", "exposure", "text", "Model-as-a-service API called by the authorisation switch."),
    ("paula", "deployment_strategy", "text", "Shadow for two weeks, then canary on 5% of the payments."),
    ("paula", "monitoring_plan", "link", "https://wiki.example.com/card-fraud/monitoring"),
    ("paula", "exploration_data_deletion", "yes_no", True),
]


def _answer(page: Page, key: str, kind: str, value: object) -> None:
    item = page.locator(f"#item-{key}")
    label = item.locator(".checklist__label").inner_text()
    if kind == "text":
        item.get_by_role("textbox", name=f"Answer: {label}").fill(str(value))
    elif kind == "link":
        item.get_by_role("textbox", name=f"Link: {label}").fill(str(value))
    else:
        item.get_by_role("radio", name="Yes" if value else "No", exact=True).check()
    item.get_by_role("button", name="Save answer").click()
    _saved(page, f"Answer to '{label}' saved.")
    expect(page.locator(f"#item-{key} .pill")).to_have_text("Done")


def _open_form(page: Page, title: str) -> Locator:
    details = page.locator("details.page-form", has=page.get_by_text(title, exact=True))
    details.locator("summary").click()
    return details.locator("form")


def test_journey_3_industrialization_revokes_the_exploration_grants(
    browser_of: Callable[[User], Page], world: World
) -> None:
    filed = _file_request(world)
    services.access_request_decide(
        request=filed,
        officer=world.users["olivier"],
        decision="approve",
        reason="Proportionate.",
        expires_on=timezone.localdate() + timedelta(days=60),
    )
    grant = Grant.objects.get(request=filed)
    slug = world.project.slug

    # The lead tries to move: the gate lists what is missing; the project stays in Exploration.
    paula = browser_of(world.users["paula"])
    paula.goto(f"/projects/{slug}/")
    expect(paula.locator(".project-grants [data-dataset=card-payments]")).to_be_visible()
    paula.get_by_role("button", name="Move to Industrialization").click()
    refusal = paula.locator("#refusal")
    expect(refusal).to_contain_text("The project was not moved to Industrialization")
    for missing in (
        "POC result against the targets and the current manual process: Not answered.",
        "A registered MLflow model version: No MLflow registered model linked.",
        "Exploration data deletion scheduled",
        "Business owner: not signed.",
        "Data engineer: not signed.",
        "Operations: not signed.",
    ):
        expect(refusal).to_contain_text(missing)
    expect(paula.locator("#current-stage")).to_have_text("Exploration (POC)")
    _shot(paula, "j3_1_gate_refused")

    # The team completes the checklist through the project page. The gate asks for a registered model
    # version: version 1 of card-fraud, as the MLflow sync copies it (the sync has its own journey).
    ModelVersionFactory(registered_model=RegisteredModelFactory(name="card-fraud"), version=1)
    form = _open_form(paula, "Link an MLflow model")
    form.get_by_label("Registered model name").fill("card-fraud")
    form.get_by_role("button", name="Link the model").click()
    _saved(paula, "MLflow model card-fraud linked.")
    for who, key, kind, value in INDUSTRIALIZATION_ANSWERS:
        member = browser_of(world.users[who])
        member.goto(f"/projects/{slug}/")
        _answer(member, key, kind, value)
    paula.goto(f"/projects/{slug}/")
    expect(paula.locator("#gate-industrialization .checklist__item.is-missing")).to_have_count(0)

    # The sign-offs, each by the person holding the role.
    for who, role in (
        ("bob", "Business owner"),
        ("paula", "Project lead"),
        ("dan", "Data engineer"),
        ("oscar", "Operations"),
    ):
        signer = browser_of(world.users[who])
        signer.goto(f"/projects/{slug}/")
        sign_form = signer.locator("form.sign-form", has=signer.get_by_role("button", name=f"Sign as {role}"))
        sign_form.get_by_label("Comment (optional)").fill(f"{role}: go.")
        sign_form.get_by_role("button", name=f"Sign as {role}").click()
        _saved(signer, f"as {role}")
        expect(signer.get_by_role("button", name=re.compile(r"^Sign as "))).to_have_count(0)

    paula.goto(f"/projects/{slug}/")
    expect(paula.locator("#gate-industrialization")).to_contain_text("Complete: ready to move")
    paula.get_by_label("Reason for the move").fill("Go decision of the business owner.")
    paula.get_by_role("button", name="Move to Industrialization").click()
    _saved(paula, "Card fraud detection moved to Industrialization.")
    expect(paula.locator("#current-stage")).to_have_text("Industrialization")

    # The Exploration grant is revoked (the task queued on commit ran); the project uses no data now.
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revocation_cause == RevocationCause.STAGE_CHANGE
    paula.goto(f"/projects/{slug}/")
    expect(paula.locator("#data-title")).to_contain_text("Datasets used 0")
    _shot(paula, "j3_2_moved")
    alice = browser_of(world.users["alice"])
    alice.goto("/catalog/card-payments/")
    panel = alice.get_by_role("region", name="Your access")
    expect(panel).not_to_contain_text("Granted")
    expect(panel.get_by_role("link", name="Request access for Card fraud detection")).to_be_visible()

    # The deletion task appears for the custodian, who closes it with evidence.
    task = DeletionTask.objects.get(grant=grant)
    camille = browser_of(world.users["camille"])
    camille.get_by_role("navigation", name="Main").get_by_role("link", name="Deletion tasks").click()
    card = camille.locator(f"#task-{task.pk}")
    expect(card).to_contain_text("Delete the Card payments data of Card fraud detection")
    expect(card).to_contain_text(f"Due {task.due_on:%Y-%m-%d}")
    expect(card).to_contain_text("the project left the stage it was granted for")
    _shot(camille, "j3_3_deletion_task")
    card.get_by_label("Evidence of deletion").fill(
        "Dropped the project's copy in the sandbox; backups expire in 7 days."
    )
    card.get_by_label("Evidence file").set_input_files(
        files=[{"name": "purge.log", "mimeType": "text/plain", "buffer": b"DROP TABLE sandbox.card_payments;\n"}]
    )
    card.get_by_role("button", name=f"Close task #{task.pk} with this evidence").click()
    _saved(camille, f"Deletion task #{task.pk} closed with its evidence.")
    expect(camille.locator(".closed-tasks")).to_contain_text("purge.log")
    task.refresh_from_db()
    assert task.closed_by == world.users["camille"] and task.evidence_text.startswith("Dropped")

    # The officer sees it all in the grants list and the audit trail.
    olivier = browser_of(world.users["olivier"])
    olivier.goto("/governance/grants/")
    expect(olivier.locator(".revoked-table")).to_contain_text("The project left the stage it was granted for")
    olivier.goto("/governance/audit/")
    for action in ("project.stage_changed", "grant.revoked", "deletion_task.created", "deletion_task.closed"):
        expect(olivier.locator(f"tr[data-action='{action}']").first).to_be_visible()
    expect(olivier.locator("#chain-status")).to_contain_text("Chain verified")
    _shot(olivier, "j3_4_audit")
    assert AccessRequest.objects.get(pk=filed.pk).status == RequestStatus.APPROVED


# --- The request form's behaviour -----------------------------------------------------------------------------


def test_the_request_form_asks_for_what_the_ticked_columns_need(
    browser_of: Callable[[User], Page], world: World
) -> None:
    """Ticking a special-category column shows the Art. 9(2) condition, a direct identifier the
    justification; choosing another project fills in its purpose; what is missing is said on submit."""
    other = ProjectFactory(name="HR absence study", slug="hr-absence", purpose="Understand sick-leave patterns.")
    MembershipFactory(project=other, user=world.users["alice"], role=ProjectRole.DATA_SCIENTIST)
    alice = browser_of(world.users["alice"])
    alice.goto("/catalog/salary-payments/request/")
    purpose = alice.get_by_label("Purpose")
    expect(purpose).to_have_value(PURPOSE)  # the first project, by name
    alice.get_by_label("For the project").select_option(label="HR absence study")
    expect(purpose).to_have_value("Understand sick-leave patterns.")
    art9 = alice.get_by_label("Art. 9(2) condition")
    justification = alice.get_by_label("Justification for direct identifiers")
    expect(art9).to_be_hidden()
    expect(justification).to_be_hidden()
    alice.get_by_role("checkbox", name="sick_leave_reason").check()
    expect(art9).to_be_visible()
    alice.get_by_role("checkbox", name="employee_name").check()
    expect(justification).to_be_visible()
    alice.get_by_label("Legal basis (Art. 6)").select_option(label="Legal obligation (Art. 6(1)(c))")
    alice.get_by_role("button", name="File the request").click()
    errors = alice.get_by_role("alert")
    expect(errors.first).to_contain_text("Not filed: correct the fields marked below.")
    expect(alice.locator("#field-art9_condition")).to_contain_text(
        "Special-category columns ticked (sick_leave_reason): choose the Art. 9(2) condition."
    )
    expect(alice.locator("#field-justification")).to_contain_text(
        "Direct identifiers ticked (employee_name): say why the project needs them."
    )
    expect(alice.get_by_role("checkbox", name="sick_leave_reason")).to_be_checked()  # nothing lost
    _shot(alice, "form_errors")
    assert not AccessRequest.objects.exists()
