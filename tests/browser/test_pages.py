"""What a person sees in a real browser, page by page (PRODUCT.md §5, journey 1 and deliveries)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from catalog.models import DatasetVersion
from tests.factories import PASSWORD
from tests.frontend.data import CSV_V2, Catalog

pytestmark = [
    pytest.mark.browser,
    # The live server starts before the tests point STATIC_ROOT at a directory that exists.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]


def _dataset_rows(page: Page) -> list[str]:
    return page.locator("table.dataset-table tbody tr th[scope=row] a").all_inner_texts()


# --- Login and logout ------------------------------------------------------------------------


def test_login_with_a_bad_password_shows_an_error(page: Page, data_scientist: User) -> None:
    page.goto("/catalog/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/catalog/"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_login_then_logout(page: Page, data_scientist: User) -> None:
    page.goto("/catalog/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/catalog/$"))  # back where she was going
    header = page.locator("header")
    expect(header).to_contain_text("Data scientist")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Catalog")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Health")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/catalog/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_skip_link_is_the_first_stop_and_visible_on_focus(page: Page, login: Login, data_scientist: User) -> None:
    login(data_scientist)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


# --- Catalog ---------------------------------------------------------------------------------


def test_catalog_filter_by_domain(page: Page, login: Login, data_scientist: User, catalog: Catalog) -> None:
    login(data_scientist)
    page.goto("/catalog/")
    expect(page.locator("#result-count")).to_contain_text("4 datasets in the catalog")
    assert sorted(_dataset_rows(page)) == [
        "Branch opening hours",
        "Card payments",
        "Fraud convictions",
        "Health claims",
    ]

    page.get_by_label("Domain").select_option(label="Payments")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_contain_text("1 of 4 datasets matches your filters")
    assert _dataset_rows(page) == ["Card payments"]
    row = page.locator("tr", has_text="Card payments")
    expect(row).to_contain_text("Payments")
    expect(row).to_contain_text("Published")
    expect(row.locator(".badge-pd")).to_have_text("Indirect")


def test_catalog_filter_without_special_categories(
    page: Page, login: Login, data_scientist: User, catalog: Catalog
) -> None:
    login(data_scientist)
    page.goto("/catalog/")
    expect(page.locator("tr", has_text="Health claims").locator(".badge-pd")).to_have_text("Special category (Art. 9)")
    expect(page.locator("tr", has_text="Fraud convictions").locator(".badge-pd")).to_have_text("Criminal (Art. 10)")

    page.get_by_label("Sensitivity").select_option(label="No special categories")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"max_sensitivity=direct"))
    assert sorted(_dataset_rows(page)) == ["Branch opening hours", "Card payments"]
    expect(page.get_by_label("Sensitivity")).to_have_value("direct")

    page.get_by_role("link", name="Clear filters").click()
    assert len(_dataset_rows(page)) == 4


def test_catalog_search_by_column_name(page: Page, login: Login, data_scientist: User, catalog: Catalog) -> None:
    login(data_scientist)
    main = page.get_by_role("main")
    main.get_by_role("combobox", name="Search the catalog").fill("diagnosis")
    main.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search/\?q=diagnosis$"))
    expect(page.locator(".search-hit__title a")).to_have_text(["Health claims"])


# --- Dataset, versions -----------------------------------------------------------------------


def test_dataset_page_shows_columns_profile_and_versions(
    page: Page, login: Login, data_scientist: User, catalog: Catalog
) -> None:
    login(data_scientist)
    page.goto("/catalog/")
    page.get_by_role("link", name="Card payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Card payments")
    expect(page.locator(".description strong")).to_have_text("one row per payment")

    gdpr = page.locator("section", has=page.get_by_role("heading", name="GDPR profile"))
    expect(gdpr).to_contain_text("Customers")
    expect(gdpr).to_contain_text("Financial and banking")
    expect(gdpr).to_contain_text("Contract (Art. 6(1)(b))")
    expect(gdpr).to_contain_text("Standard contractual clauses")

    columns = page.locator("table.columns-table")
    customer_id = columns.locator("tr[data-column=customer_id]")
    expect(customer_id.locator(".badge-pd")).to_have_text("Indirect identifier")
    expect(customer_id).to_contain_text("Yes")  # pseudonymised
    expect(columns.locator("tr[data-column=amount] .badge-pd")).to_have_text("Not personal")

    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(2)
    newest = timeline.first
    expect(newest.get_by_role("link")).to_have_text("Version 2")
    expect(newest.locator(".change--added")).to_contain_text("channel")
    expect(newest.locator(".change--retyped")).to_contain_text("customer_id: Integer → Text")
    expect(timeline.last).to_contain_text("Initial schema: 3 columns")
    # A data scientist does not deliver data.
    expect(page.get_by_role("link", name="Upload a version")).to_have_count(0)

    page.goto("/catalog/health-claims/")
    expect(page.locator("tr[data-column=diagnosis] .badge-pd")).to_have_text("Special category (Art. 9)")


def test_version_page(page: Page, login: Login, data_scientist: User, custodian: User, catalog: Catalog) -> None:
    login(data_scientist)
    page.goto("/catalog/card-payments/")
    page.get_by_role("link", name="Version 2").click()
    expect(page).to_have_url(re.compile(r"/catalog/card-payments/versions/2/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    delivery = page.locator("section", has=page.get_by_role("heading", name="Delivery"))
    expect(delivery).to_contain_text("payments-2024-01-04.csv")
    expect(delivery).to_contain_text(custodian.get_full_name())
    schema = page.locator("table.schema-table")
    expect(schema.locator("tbody tr")).to_have_count(4)
    expect(schema.locator("tr[data-column=channel]")).to_contain_text("Added")
    expect(schema.locator("tr[data-column=customer_id]")).to_contain_text("Type changed from Integer")
    schema_changes = page.get_by_role("region", name="Schema changes")
    schema_changes.get_by_role("link", name="version 1").click()
    expect(page.locator(".schema-diff")).to_contain_text("Initial schema: 3 columns")


def test_custodian_uploads_a_csv_and_sees_the_new_version(
    page: Page, login: Login, custodian: User, catalog: Catalog
) -> None:
    login(custodian)
    page.goto("/catalog/card-payments/")
    page.get_by_role("link", name="Upload a version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a version of Card payments")
    content = CSV_V2.replace(b"channel", b"channel,merchant_country").replace(b"web\n", b"web,FR\n")
    content = content.replace(b"shop\n", b"shop,DE\n")
    page.get_by_label("Data file").set_input_files(
        files=[{"name": "payments-2024-01-05.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_label("Overwrite").check()
    page.get_by_label("Note").fill("Adds the merchant country")
    page.get_by_role("button", name="Upload and register").click()

    expect(page).to_have_url(re.compile(r"/catalog/card-payments/versions/3/$"))
    expect(page.get_by_role("status")).to_contain_text("Version 3 of Card payments registered (2 rows).")
    expect(page.locator(".schema-diff .change--added")).to_contain_text("merchant_country")
    expect(page.locator("section", has=page.get_by_role("heading", name="Delivery"))).to_contain_text(
        "Adds the merchant country"
    )

    page.get_by_role("link", name="Card payments").first.click()
    newest = page.locator("ol.timeline > li").first
    expect(newest.get_by_role("link")).to_have_text("Version 3")
    expect(newest).to_contain_text("Overwrite")
    expect(page.locator("table.columns-table tr[data-column=merchant_country]")).to_contain_text("Not personal")


def test_uploading_an_empty_file_shows_the_error(page: Page, login: Login, custodian: User, catalog: Catalog) -> None:
    login(custodian)
    page.goto("/catalog/card-payments/versions/new/")
    page.get_by_label("Data file").set_input_files(files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b""}])
    page.get_by_role("button", name="Upload and register").click()
    expect(page.get_by_role("alert")).to_contain_text("The file was not registered")
    expect(page.locator("#id_file_error")).to_contain_text("The file is empty")
    expect(page.get_by_label("Data file")).to_have_attribute("aria-invalid", "true")
    assert DatasetVersion.objects.filter(dataset=catalog.card_payments).count() == 2


def test_data_scientist_cannot_open_the_upload_page(
    page: Page, login: Login, data_scientist: User, catalog: Catalog
) -> None:
    login(data_scientist)
    response = page.goto("/catalog/card-payments/versions/new/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")


# --- Glossary --------------------------------------------------------------------------------


def test_glossary_list_and_term_page(page: Page, login: Login, data_scientist: User, catalog: Catalog) -> None:
    login(data_scientist)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Glossary").click()
    row = page.locator("tr[data-term=customer-payment]")
    expect(row).to_contain_text("Paiement client")
    expect(row).to_contain_text("Règlement client")
    expect(row.locator("td.num")).to_have_text("1")
    row.get_by_role("link", name="Customer payment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Customer payment")
    expect(page.locator("main")).to_contain_text("A payment made by a customer")
    expect(page.locator("main")).to_contain_text("Paiement client")
    expect(page.locator("tr[data-dataset=card-payments]")).to_contain_text("Card payments")
    expect(page.locator("tr[data-column=customer_id]")).to_contain_text("Card payments")
    page.get_by_role("link", name="Payment", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment")
    expect(page.get_by_role("link", name="Customer payment")).to_be_visible()  # narrower term


# --- Health ----------------------------------------------------------------------------------


def test_health_page_as_admin(page: Page, login: Login, admin_user: User) -> None:
    login(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Health").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform health")
    database = page.locator(".health-item", has=page.get_by_role("heading", name="Database"))
    expect(database.locator(".status")).to_have_text("OK")
    expect(page.locator(".health-item", has_text="Task queue")).to_contain_text("In-process")
    expect(page.get_by_text("No worker has answered a heartbeat yet")).to_be_visible()

    page.get_by_role("button", name="Send a heartbeat task").click()
    expect(page.get_by_role("status")).to_contain_text("Heartbeat task run in-process")
    expect(page.locator("table.heartbeat-table tbody tr")).to_have_count(1)


def test_health_json(page: Page) -> None:
    response = page.request.get("/health.json")
    assert response.status == 200
    assert response.json() == {"database": "ok"}


def test_catalog_on_a_phone(page: Page, login: Login, data_scientist: User, catalog: Catalog) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(data_scientist)
    page.goto("/catalog/card-payments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Card payments")
    # The page itself does not scroll sideways; wide tables scroll inside their own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
