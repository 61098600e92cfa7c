"""Accessibility basics in a real browser: axe-core finds no serious or critical WCAG 2.1 A/AA
violation on the main pages, opened by the people who use them; the project board's chart keeps
its data readable as a table and its disclosure reachable with the keyboard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.models import Project
from tests.browser.axe import assert_accessible
from tests.frontend.data import Catalog

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]


@pytest.fixture
def project(project_lead: User) -> Project:
    return project_services.project_create(
        name="Churn prediction",
        purpose="Predict which retail customers will close their current account within 3 months.",
        creator=project_lead,
    )


def test_login_page(page: Page) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    assert_accessible(page)


def test_offline_page(page: Page) -> None:
    page.goto("/offline/")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Home"),
        ("/search/?q=card", None),
        ("/catalog/", None),
        ("/catalog/card-payments/", "Card payments"),
        ("/glossary/", None),
    ],
    ids=["home", "search-results", "catalog", "dataset", "glossary"],
)
def test_catalog_pages_for_a_data_scientist(
    page: Page, login: Login, data_scientist: User, catalog: Catalog, path: str, heading: str | None
) -> None:
    login(data_scientist)
    page.goto(path)
    if heading:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    if path.startswith("/search/"):
        expect(page.get_by_role("link", name="Card payments").first).to_be_visible()
    assert_accessible(page)


def test_project_board_for_a_project_lead(page: Page, login: Login, project_lead: User, project: Project) -> None:
    login(project_lead)
    page.goto("/projects/")
    expect(
        page.locator("section[data-stage=qualification]").get_by_role("link", name="Churn prediction")
    ).to_be_visible()
    expect(page.locator("figure.chart canvas")).to_be_visible()  # Chart.js, served by the app, drew it
    assert_accessible(page)


def test_project_page_for_a_project_lead(page: Page, login: Login, project_lead: User, project: Project) -> None:
    login(project_lead)
    page.goto(f"/projects/{project.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Churn prediction")
    assert_accessible(page)


def test_health_page_for_an_admin(page: Page, login: Login, admin_user: User) -> None:
    login(admin_user)
    page.goto("/health/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_home_page_of_a_user_with_every_role(page: Page, login: Login, catalog: Catalog, make_user) -> None:  # type: ignore[no-untyped-def]
    from catalog.roles import Role

    everyone = make_user(*Role, username="eve", is_staff=True, is_superuser=True)
    login(everyone)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_role("heading", name="Platform health")).to_be_visible()
    assert_accessible(page)


def test_board_chart_has_a_text_alternative_and_its_data_table(
    page: Page, login: Login, project_lead: User, project: Project
) -> None:
    login(project_lead)
    page.goto("/projects/")
    figure = page.locator("figure.chart")
    canvas = figure.locator("canvas")
    expect(canvas).to_have_attribute("role", "img")
    expect(canvas).to_have_attribute(
        "aria-label",
        "Projects per stage. Qualification: 1; Exploration (POC): 0; Industrialization: 0; Production: 0; "
        "Retired: 0; Abandoned: 0.",
    )
    # The numbers stay available as a table, behind a disclosure reached and opened with the keyboard.
    table = figure.get_by_role("table")
    expect(table).to_be_hidden()
    disclosure = figure.locator("summary", has_text="Show the data")
    disclosure.focus()
    page.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name="Qualification 1")).to_be_visible()
    assert_accessible(page)


def test_the_check_fails_on_a_page_with_serious_violations(page: Page) -> None:
    """The helper is no rubber stamp: an unlabelled field and an image without text fail it."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    assert "image-alt" in str(failure.value)
    assert "label" in str(failure.value)
