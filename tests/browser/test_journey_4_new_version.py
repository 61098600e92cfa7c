"""PRODUCT.md §5, journey 4, in a real browser (Debian's Chromium through Playwright) against a live server:
"A new daily batch version arrives: the worker profiles it (progress visible), runs the accepted quality
expectations, computes drift against the previous version, and flags the projects using it."

The custodian uploads a first version on the upload page; the quality expectations suggested from its
profile appear on the dataset page and she accepts two of them through the page's forms. A project holds
a live grant on the dataset (filed and approved through ``governance.services``). She uploads a second
version whose amounts drift and whose segments break the accepted categories: the version page shows the
tasks done, the failed check and the drift report with its plots (and passes axe); the dataset page and
the project page (seen by its lead) show the quality flag. In tests the tasks run in-process on commit
(no broker), as in the embedded default.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.models import ColumnType, Dataset, DatasetVersion, Domain, PersonalDataClass
from governance import services as governance
from governance.models import Grant
from projects.models import Project, ProjectRole, Stage
from tests.browser.axe import assert_accessible
from tests.browser.conftest import SCREENSHOTS
from tests.factories import ColumnFactory, DatasetFactory, MembershipFactory, ProjectFactory
from workers.models import TaskRun
from workers.selectors import task_runs_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

HEADER = ("customer_id", "segment", "amount", "opened_on")
SEGMENTS = ("retail", "sme", "corporate")
# Profiling (with its ydata-profiling report), quality and drift run inside the upload's request.
TASKS_TIMEOUT_MS = 120_000
PURPOSE = "Predict which customers will leave within three months."


def batch(seed: int, *, shift: float = 0.0, segments: tuple[str, ...] = SEGMENTS, rows: int = 300) -> bytes:
    """A daily batch as CSV: ``shift`` moves the amounts, ``segments`` are the values of ``segment``."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for i in range(rows):
        writer.writerow(
            [
                f"C{seed:02d}{i:06d}",
                rng.choice(segments),
                f"{rng.gauss(100 + shift, 15):.2f}",
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"test_journey_4_{name}.png"), full_page=True)


@pytest.fixture
def accounts(custodian: User, data_scientist: User, project_lead: User) -> Dataset:
    """Camille's "Customer accounts" (declared columns, none personal but the pseudonymised key)."""
    dataset = DatasetFactory(
        name="Customer accounts",
        slug="customer-accounts",
        domain=Domain.CUSTOMER,
        description="Customer accounts, one row per account, delivered by a daily batch.",
        owner=custodian,
        custodian=custodian,
        data_subject_categories=["customers"],
        personal_data_categories=["financial"],
        collection_purpose="Managing customer accounts and predicting which customers will leave.",
        collection_legal_basis="contract",
        retention_days=365,
        security_measures="Encryption at rest; access logged.",
    )
    for position, (name, data_type, pd_class) in enumerate(
        [
            ("customer_id", ColumnType.STRING, PersonalDataClass.INDIRECT),
            ("segment", ColumnType.STRING, PersonalDataClass.NONE),
            ("amount", ColumnType.FLOAT, PersonalDataClass.NONE),
            ("opened_on", ColumnType.DATE, PersonalDataClass.NONE),
        ]
    ):
        ColumnFactory(
            dataset=dataset,
            name=name,
            position=position,
            data_type=data_type,
            personal_data_class=pd_class,
            pseudonymised=pd_class == PersonalDataClass.INDIRECT,
        )
    return dataset


@pytest.fixture
def churn(accounts: Dataset, data_scientist: User, project_lead: User, officer: User) -> Project:
    """Paula's project, with a live grant on "segment" and "amount" of the dataset (filed by Alice,
    approved by Olivier, through the governance services)."""
    project = ProjectFactory(
        name="Churn prediction", slug="churn-prediction", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=project_lead
    )
    MembershipFactory(project=project, user=data_scientist, role=ProjectRole.DATA_SCIENTIST)
    filed = governance.access_request_create(
        requester=data_scientist,
        project=project,
        dataset=accounts,
        columns=["segment", "amount"],
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        requested_end=timezone.localdate() + timedelta(days=60),
    )
    governance.access_request_decide(
        request=filed,
        officer=officer,
        decision="approve",
        reason="Aggregated segments and amounts only.",
        expires_on=timezone.localdate() + timedelta(days=60),
    )
    assert Grant.objects.filter(project=project, dataset=accounts).count() == 1
    return project


def _upload(page: Page, dataset: Dataset, content: bytes, filename: str, note: str) -> None:
    page.goto(f"/catalog/{dataset.slug}/")
    page.get_by_role("link", name="Upload a version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Upload a version of {dataset.name}")
    page.get_by_label("Data file").set_input_files(
        files=[{"name": filename, "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Upload and register").click()


def _accept(page: Page, row_key: str) -> None:
    row = page.locator(f"tr[data-expectation='{row_key}']")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text("Expectation accepted: it is checked on every new version.")
    expect(page.locator(f"tr[data-expectation='{row_key}']")).to_contain_text("Accepted by camille")


def test_journey_4_new_version_is_profiled_checked_compared_and_flags_the_project(
    browser_of: Callable[[User], Page],
    accounts: Dataset,
    churn: Project,
    custodian: User,
    project_lead: User,
) -> None:
    camille = browser_of(custodian)

    # The first version: profiled, and quality expectations suggested from its profile.
    _upload(camille, accounts, batch(1), "accounts-2026-11-20.csv", "Daily batch of 20 November")
    expect(camille).to_have_url(re.compile(r"/catalog/customer-accounts/versions/1/$"), timeout=TASKS_TIMEOUT_MS)
    expect(camille.get_by_role("status")).to_contain_text("Version 1 of Customer accounts registered (300 rows).")
    expect(camille.locator("li[data-task='catalog.profile_version']")).to_contain_text("done")
    expect(camille.get_by_role("region", name="Drift", exact=True)).to_contain_text("No drift report")

    camille.goto(f"/catalog/{accounts.slug}/")
    quality = camille.get_by_role("region", name=re.compile(r"^Quality"))
    expect(quality.locator("[data-quality-flag]")).to_have_count(0)
    expect(quality.locator("tr[data-expectation=':row_count']")).to_contain_text("between 150 and 600 rows")
    expect(quality.locator("tr[data-expectation='segment:categories']")).to_contain_text(
        "one of: corporate, retail, sme"
    )
    expect(quality.locator("tr[data-expectation='amount:range']")).to_contain_text("Suggested")
    _shot(camille, "1_suggested")
    _accept(camille, ":row_count")
    _accept(camille, "segment:categories")
    _shot(camille, "2_accepted")

    # The next daily batch: amounts shifted, and a segment nobody expected.
    _upload(
        camille,
        accounts,
        batch(2, shift=40.0, segments=(*SEGMENTS, "private")),
        "accounts-2026-11-21.csv",
        "Daily batch of 21 November",
    )
    expect(camille).to_have_url(re.compile(r"/catalog/customer-accounts/versions/2/$"), timeout=TASKS_TIMEOUT_MS)
    expect(camille.get_by_role("status")).to_contain_text("Version 2 of Customer accounts registered (300 rows).")

    # Progress: the three tasks ran to the end (profiling reported its progress up to 100 %).
    tasks = camille.get_by_role("region", name="Profiling, quality and drift")
    for task_name, label in (
        ("catalog.profile_version", "Profiling"),
        ("catalog.quality_run", "Quality checks"),
        ("catalog.drift_compute", "Drift"),
    ):
        expect(tasks.locator(f"li[data-task='{task_name}']")).to_have_text(re.compile(rf"^\s*{label}:\s*done\s*$"))
        expect(tasks.locator(f"li[data-task='{task_name}']")).to_have_class(re.compile(r"task-run--done"))
    second = DatasetVersion.objects.get(dataset=accounts, number=2)
    runs = {run.task_name: run for run in task_runs_for(second)}
    assert {name: run.state for name, run in runs.items()} == {
        "catalog.profile_version": TaskRun.State.DONE,
        "catalog.quality_run": TaskRun.State.DONE,
        "catalog.drift_compute": TaskRun.State.DONE,
    }
    assert runs["catalog.profile_version"].progress == 100

    # The accepted expectations were checked: the categories failed, the row count passed.
    checks = camille.get_by_role("region", name=re.compile(r"^Quality checks"))
    expect(checks.locator("tbody tr")).to_have_count(2)
    failed = checks.locator("tr[data-quality='segment:categories']")
    expect(failed).to_have_class(re.compile(r"row--failed"))
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("private")
    expect(checks.locator("tr[data-quality=':row_count']")).to_contain_text("Passed")

    # Drift against version 1, with a plot per compared column.
    drift = camille.get_by_role("region", name="Drift", exact=True)
    expect(drift.get_by_role("link", name="version 1")).to_be_visible()
    expect(drift).to_contain_text("Drift in")
    amount = drift.locator("tr[data-drift-column=amount]")
    expect(amount).to_contain_text("Kolmogorov–Smirnov")
    expect(amount.locator("td").nth(4)).to_have_text("Yes")
    expect(amount.locator("svg")).to_have_count(1)
    segment = drift.locator("tr[data-drift-column=segment]")
    expect(segment).to_contain_text("Chi-square")
    expect(segment.locator("td").nth(4)).to_have_text("Yes")
    _shot(camille, "3_version_2")
    assert_accessible(camille)

    # The dataset page flags the latest version.
    camille.goto(f"/catalog/{accounts.slug}/")
    flag = camille.locator("[data-quality-flag]")
    expect(flag).to_have_text("Latest version failed 1 check")
    expect(camille.locator("ul.quality-flags li")).to_have_count(1)
    expect(camille.get_by_role("region", name=re.compile(r"^Drift: version 2 vs 1"))).to_be_visible()
    _shot(camille, "4_dataset_flag")

    # The project using it is flagged, on the page its lead sees.
    paula = browser_of(project_lead)
    paula.goto(f"/projects/{churn.slug}/")
    used = paula.get_by_role("region", name=re.compile(r"^Datasets used"))
    row = used.locator(f"li[data-dataset='{accounts.slug}']")
    expect(row).to_contain_text("Customer accounts")
    expect(row.locator(".pill--bad")).to_have_text("Quality: 1 failed expectation")
    _shot(paula, "5_project_flag")
