"""Browser-test harness: Playwright's sync API driving Debian's Chromium against a live server.

* The browser is Debian's ``/usr/bin/chromium``, launched headless; no browser is ever
  downloaded (never run ``playwright install``). Without it the tests fail with a clear message.
* One browser per session; a fresh context (cookies, storage) and page per test.
* Each test's final page is saved to ``test-artifacts/screenshots/<test name>.png``, failures
  included, for a person to look at.
* ``live_server`` makes the tests transactional: the database is emptied after each one. The
  platform roles (groups made by a data migration) are put back afterwards, for the next tests.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer
from pytest_django.plugin import blocking_manager_key

from catalog.roles import ROLE_PERMISSIONS, Role, group_name
from tests.factories import PASSWORD
from tests.frontend.data import Catalog, build_catalog

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DEFAULT_TIMEOUT_MS = 15_000


# --- Browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium` (never `playwright install`).",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# Set on a test whose database is emptied at teardown (see ``pytest_runtest_teardown``).
EMPTIES_DATABASE = pytest.StashKey[bool]()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    request.node.stash[EMPTIES_DATABASE] = True  # live_server implies transactional_db
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


def _screenshot_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_") + ".png"


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    # Teardown runs whether the test passed or failed: the screenshot shows where it ended.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / _screenshot_name(request.node.name)), full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        request.node.warn(pytest.PytestWarning(f"Could not save a screenshot: {exc}"))


# --- Server-side settings and data -----------------------------------------------------------


@pytest.fixture
def catalog(custodian: User, make_user: Callable[..., User]) -> Catalog:
    return build_catalog(custodian=custodian, other_owner=make_user(username="owen"))


@pytest.fixture
def login(page: Page) -> Callable[[User], Page]:
    """Log ``user`` in through the login form (password ``tests.factories.PASSWORD``)."""

    def log_in(user: User) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    return log_in


def _ensure_role_groups() -> None:
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        if role == Role.ADMIN:
            group.permissions.set(Permission.objects.all())
            continue
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def _ensure_gate_templates() -> None:
    """The gates' checklist templates, seeded by projects' data migration 0002."""
    from django.apps import apps

    importlib.import_module("projects.migrations.0002_gate_templates").seed_templates(apps, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """After a live-server test has emptied the database, put back what data migrations seeded
    (the role groups and the gate checklist templates).

    Only when the test database was really set up and emptied (not when the browser is missing
    and the test failed before), and not after the session's last test, whose teardown has
    already destroyed the test database.
    """
    try:
        return (yield)
    finally:
        if nextitem is not None and item.stash.get(EMPTIES_DATABASE, False):
            with item.config.stash[blocking_manager_key].unblock():
                _ensure_role_groups()
                _ensure_gate_templates()


@pytest.fixture
def browser_of(browser: Browser, live_server: LiveServer, page: Page) -> Iterator[Callable[[User], Page]]:
    """The page of ``user``, in a browser context of their own, logged in through the login form the
    first time. The first user gets the test's own ``page`` (whose final screenshot the fixture saves)."""
    pages: dict[int, Page] = {}
    contexts: list[BrowserContext] = []

    def of(user: User) -> Page:
        if user.pk in pages:
            return pages[user.pk]
        if pages:
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-GB"
            )
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            contexts.append(context)
            user_page = context.new_page()
        else:
            user_page = page
        user_page.goto("/accounts/login/")
        user_page.get_by_label("Username").fill(user.username)
        user_page.get_by_label("Password").fill(PASSWORD)
        user_page.get_by_role("button", name="Log in").click()
        expect(user_page.get_by_role("button", name="Log out")).to_be_visible()
        pages[user.pk] = user_page
        return user_page

    yield of
    for context in contexts:
        context.close()
