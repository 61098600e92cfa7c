"""Search in a real browser (PRODUCT.md §5, journey 1): suggestions as you type, facets, opening a hit.

Live-server tests commit, so the search index is kept in step by the on-commit sync, in-process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from catalog.models import ColumnType, Dataset, DatasetStatus, Domain, PersonalDataClass
from tests.browser.conftest import EMPTIES_DATABASE, SCREENSHOTS
from tests.factories import PASSWORD, ColumnFactory, DatasetFactory, GlossaryTermFactory, TagFactory

pytestmark = [
    pytest.mark.browser,
    # The live server starts before the tests point STATIC_ROOT at a directory that exists.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]


@dataclass
class SearchCatalog:
    card_transactions: Dataset
    salary_payments: Dataset


@pytest.fixture
def search_catalog(custodian: User, make_user: Callable[..., User]) -> SearchCatalog:
    """ "Card transactions" is tagged with the concept Customer payment / Paiement client, but its
    own text never says "paiement"; "Salary payments" (HR, special-category data) carries the
    broader concept Payment / Paiement."""
    hr_owner = make_user(username="helene", first_name="Hélène", last_name="Martin")
    payment = GlossaryTermFactory(slug="payment", label_en="Payment", label_fr="Paiement")
    customer_payment = GlossaryTermFactory(
        slug="customer-payment",
        label_en="Customer payment",
        label_fr="Paiement client",
        synonyms_fr=["Règlement client"],
        broader=payment,
    )
    cards = TagFactory(name="cards", slug="cards")

    card_transactions = DatasetFactory(
        name="Card transactions",
        slug="card-transactions",
        domain=Domain.PAYMENTS,
        description="One row per **card transaction** authorised by the card switch, delivered daily.",
        owner=custodian,
        tags=[cards],
        glossary_terms=[customer_payment],
    )
    ColumnFactory(
        dataset=card_transactions,
        name="card_token",
        position=0,
        personal_data_class=PersonalDataClass.INDIRECT,
        pseudonymised=True,
    )
    ColumnFactory(dataset=card_transactions, name="amount_eur", position=1, data_type=ColumnType.FLOAT)
    ColumnFactory(dataset=card_transactions, name="authorised_at", position=2, data_type=ColumnType.DATETIME)

    salary_payments = DatasetFactory(
        name="Salary payments",
        slug="salary-payments",
        domain=Domain.HR,
        description="Monthly salary run, with sick-leave deductions.",
        owner=hr_owner,
        glossary_terms=[payment],
    )
    ColumnFactory(dataset=salary_payments, name="employee_name", personal_data_class=PersonalDataClass.DIRECT)
    ColumnFactory(dataset=salary_payments, name="sick_leave_reason", personal_data_class=PersonalDataClass.SPECIAL)

    branch = DatasetFactory(
        name="Branch opening hours", slug="branch-opening-hours", domain=Domain.OPERATIONS, owner=hr_owner
    )
    ColumnFactory(dataset=branch, name="branch_code")
    complaints = DatasetFactory(
        name="Customer complaints",
        slug="customer-complaints",
        domain=Domain.CUSTOMER,
        owner=custodian,
        status=DatasetStatus.DRAFT,
        description="Complaints received by the call centre.",
    )
    ColumnFactory(dataset=complaints, name="customer_email", personal_data_class=PersonalDataClass.DIRECT)
    return SearchCatalog(card_transactions=card_transactions, salary_payments=salary_payments)


def _hit_names(page: Page) -> list[str]:
    return page.locator(".search-hit__title a").all_inner_texts()


def _header_box(page: Page) -> Locator:
    return page.get_by_role("banner").get_by_role("combobox", name="Search datasets")


def test_search_journey_suggest_facet_open(
    page: Page, login: Login, data_scientist: User, search_catalog: SearchCatalog
) -> None:
    login(data_scientist)
    box = _header_box(page)
    expect(box).to_have_attribute("aria-expanded", "false")

    # Suggestions as you type: the French label of a glossary concept.
    box.press_sequentially("paiement cl", delay=40)
    listbox = page.get_by_role("banner").get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    suggestion = listbox.get_by_role("option", name="Paiement client")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text("Glossary concept")
    page.screenshot(path=str(SCREENSHOTS / "test_search_suggestions.png"))

    # Keyboard: Down highlights the suggestion (the focus stays in the box), Escape closes the list.
    box.press("ArrowDown")
    expect(suggestion).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", suggestion.get_attribute("id") or "")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))

    # Down reopens the list; Enter on the concept searches for it.
    box.press("ArrowDown")
    expect(suggestion).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Paiement\+client$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the catalog")
    count = page.locator("#result-count")
    expect(count).to_contain_text("2 datasets for “Paiement client”")
    # "Card transactions" never says "paiement": it is found through its glossary concept.
    assert sorted(_hit_names(page)) == ["Card transactions", "Salary payments"]
    expect(page.locator(".search-note--concepts")).to_contain_text("Customer payment / Paiement client")
    card_hit = page.locator(".search-hit", has_text="Card transactions")
    expect(card_hit.locator("mark").first).to_have_text("Paiement")
    expect(card_hit.locator(".badge-pd")).to_have_text("Indirect")
    expect(page.locator(".search-hit", has_text="Salary payments").locator(".badge-pd")).to_have_text(
        "Special category (Art. 9)"
    )
    expect(page.get_by_role("status")).to_have_count(0)  # no degraded banner
    page.screenshot(path=str(SCREENSHOTS / "test_search_results.png"), full_page=True)

    # Only datasets whose most sensitive data is an indirect identifier: no special categories.
    sensitivity = page.get_by_role("region", name="Sensitivity")
    indirect = sensitivity.get_by_role("checkbox", name="Indirect identifier")
    expect(indirect).to_have_attribute("aria-checked", "false")
    expect(sensitivity.get_by_role("checkbox", name="Special category (Art. 9)")).to_contain_text("1")
    indirect.click()
    expect(page).to_have_url(re.compile(r"/search/\?q=Paiement\+client&sensitivity=indirect$"))
    expect(count).to_contain_text("1 dataset for “Paiement client”")
    assert _hit_names(page) == ["Card transactions"]
    expect(
        page.get_by_role("region", name="Sensitivity").get_by_role("checkbox", name="Indirect identifier")
    ).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Sensitivity: Indirect identifier")
    expect(page.get_by_role("main").get_by_role("combobox", name="Search the catalog")).to_have_value("Paiement client")
    page.screenshot(path=str(SCREENSHOTS / "test_search_filtered.png"), full_page=True)

    # Open the hit.
    page.get_by_role("link", name="Card transactions").click()
    expect(page).to_have_url(re.compile(r"/catalog/card-transactions/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Card transactions")


def test_a_dataset_suggestion_opens_its_page(
    page: Page, login: Login, data_scientist: User, search_catalog: SearchCatalog
) -> None:
    login(data_scientist)
    page.goto("/search/")
    box = page.get_by_role("main").get_by_role("combobox", name="Search the catalog")
    box.press_sequentially("card tr", delay=40)
    option = page.get_by_role("main").get_by_role("option", name="Card transactions")
    expect(option).to_contain_text("Dataset")
    option.click()
    expect(page).to_have_url(re.compile(r"/catalog/card-transactions/$"))


def test_facets_work_from_the_keyboard(
    page: Page, login: Login, data_scientist: User, search_catalog: SearchCatalog
) -> None:
    login(data_scientist)
    page.goto("/search/?q=payments&domain=hr")
    assert _hit_names(page) == ["Salary payments"]
    hr = page.get_by_role("region", name="Domain").get_by_role("checkbox", name="HR")
    expect(hr).to_have_attribute("aria-checked", "true")
    hr.focus()
    page.keyboard.press("Space")  # as on a checkbox
    expect(page).to_have_url(re.compile(r"/search/\?q=payments$"))
    expect(page.get_by_role("region", name="Domain").get_by_role("checkbox", name="HR")).to_have_attribute(
        "aria-checked", "false"
    )


def test_search_works_without_javascript(
    browser: Browser,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    data_scientist: User,
    search_catalog: SearchCatalog,
) -> None:
    request.node.stash[EMPTIES_DATABASE] = True  # as the ``context`` fixture does: roles come back after
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(data_scientist.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        box = _header_box(page)
        box.fill("paiement client")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"/search/\?q=paiement\+client$"))
        assert "Card transactions" in _hit_names(page)
        page.get_by_role("region", name="Domain").get_by_role("checkbox", name="Payments").click()
        assert _hit_names(page) == ["Card transactions"]
    finally:
        context.close()


def test_search_page_on_a_phone(page: Page, login: Login, data_scientist: User, search_catalog: SearchCatalog) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(data_scientist)
    page.goto("/search/?q=paiement+client")
    expect(page.locator(".search-hit").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"


def test_degraded_banner_when_elasticsearch_is_down(
    page: Page, login: Login, data_scientist: User, search_catalog: SearchCatalog, settings: Settings
) -> None:
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there: the node is "down"
    login(data_scientist)
    box = _header_box(page)
    box.press_sequentially("card tr", delay=40)
    expect(page.get_by_role("banner").get_by_role("option", name="Card transactions")).to_be_visible()
    box.fill("paiement client")
    box.press("Enter")
    banner = page.get_by_role("status")
    expect(banner).to_contain_text(
        "Search is running in reduced mode (Elasticsearch unavailable): results come from the database."
    )
    expect(banner).to_be_in_viewport()
    assert "Card transactions" in _hit_names(page)
