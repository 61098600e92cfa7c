"""The installable web app in a real browser: the service worker installs, caches the app shell,
and when the network is down a page opens as the offline page (styled from the cache)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from frontend.pwa_views import app_shell_urls

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Login = Callable[[User], Page]
NAVY = "rgb(20, 33, 61)"  # the header, from the cached stylesheet


def _wait_until_controlled(page: Page) -> None:
    """Wait for the worker to be active and to control the page.

    A document's controller is fixed when its navigation starts: when the worker activates (and
    claims its clients) while the login redirect is still in flight, the page it lands on stays
    uncontrolled, as in any browser; the next navigation is controlled. So: wait until the worker is
    active, then reload once if this page was not claimed."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.getRegistration()"
        ".then((r) => !!(r && r.active && r.active.state === 'activated'))",
        polling=100,
    )
    if page.evaluate("() => navigator.serviceWorker.controller === null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_service_worker_caches_the_app_shell(page: Page, login: Login, data_scientist: User) -> None:
    login(data_scientist)
    _wait_until_controlled(page)
    keys = page.evaluate("() => caches.keys()")
    assert len(keys) == 1 and re.fullmatch(r"cadastre-shell-[0-9a-f]{12}", keys[0])
    cached = page.evaluate(
        "async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)", keys[0]
    )
    assert set(app_shell_urls()) <= set(cached)


def test_offline_navigation_shows_the_offline_page_then_recovers(
    page: Page, context: BrowserContext, login: Login, data_scientist: User
) -> None:
    login(data_scientist)
    _wait_until_controlled(page)

    context.set_offline(True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    expect(page).to_have_url(re.compile(r"/catalog/$"))  # the address the person asked for stays
    expect(page.locator("header.site-header")).to_have_css("background-color", NAVY)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)  # the cached page names nobody

    context.set_offline(False)
    page.get_by_role("link", name="Try again").click()  # reloads the page that failed
    expect(page).to_have_url(re.compile(r"/catalog/$"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("You are offline")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_pages_are_not_kept_in_the_cache(page: Page, login: Login, data_scientist: User) -> None:
    """Pages show access-controlled data: only the shell is cached, whatever was browsed."""
    login(data_scientist)
    _wait_until_controlled(page)
    page.goto("/catalog/")
    page.goto("/glossary/")
    paths = page.evaluate(
        """async () => {
            const paths = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) {
                    paths.push(new URL(request.url).pathname);
                }
            }
            return paths;
        }"""
    )
    assert "/catalog/" not in paths and "/glossary/" not in paths and "/" not in paths
    assert all(path.startswith("/static/") or path == "/offline/" for path in paths), paths
