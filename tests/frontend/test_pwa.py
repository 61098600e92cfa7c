"""The installable web app, through Django's test client: manifest, icons, service worker, offline page."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from frontend.pwa_views import SHELL_STATIC_FILES, app_shell_urls
from tests.frontend.data import ClientAs

pytestmark = pytest.mark.django_db

MANIFEST = "frontend/manifest.webmanifest"


def _static_path(name: str) -> Path:
    found = finders.find(name)
    assert found, f"static file {name} is missing"
    return Path(found)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_manifest_has_what_browsers_need_to_install_the_app() -> None:
    manifest = json.loads(_static_path(MANIFEST).read_text())
    assert manifest["name"] == "Cadastre"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    for size in ("192x192", "512x512"):
        assert (size, "any") in purposes
        assert (size, "maskable") in purposes


def test_every_manifest_icon_exists_with_its_declared_size_and_type() -> None:
    manifest = json.loads(_static_path(MANIFEST).read_text())
    for icon in manifest["icons"]:
        path = _static_path(f"frontend/{icon['src']}")  # relative to the manifest's own URL
        if icon["type"] == "image/png":
            width, height = _png_size(path)
            assert f"{width}x{height}" == icon["sizes"], icon["src"]
        else:
            assert icon["type"] == "image/svg+xml" and path.read_text().startswith("<svg"), icon["src"]


def test_pages_link_the_manifest_and_register_the_service_worker(client_as: ClientAs, data_scientist: User) -> None:
    html = client_as(data_scientist).get(reverse("frontend:home")).content.decode()
    assert '<link rel="manifest" href="/static/frontend/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#14213d">' in html
    assert 'src="/static/frontend/pwa.js" data-service-worker="/sw.js" data-scope="/"' in html


def test_service_worker_is_served_at_the_root_as_javascript(client: Client) -> None:
    response = client.get("/sw.js")  # anonymous: the browser fetches it without a session too
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    version = re.search(r'const CACHE = CACHE_PREFIX \+ "([0-9a-f]{12})";', script)
    assert version, "the cache name carries a version"
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))
    assert shell == app_shell_urls()
    assert "/offline/" in shell
    assert 'const OFFLINE_URL = "/offline/";' in script


def test_service_worker_caches_only_files_that_exist(client: Client) -> None:
    for name in SHELL_STATIC_FILES:
        _static_path(name)
    assert client.get("/offline/").status_code == 200


def test_service_worker_version_changes_with_the_app_shell(client: Client, settings: object) -> None:
    before = re.search(r'CACHE_PREFIX \+ "(\w+)"', client.get("/sw.js").content.decode()).group(1)
    settings.STATIC_URL = "/assets/"  # type: ignore[attr-defined]
    script = client.get("/sw.js").content.decode()
    after = re.search(r'CACHE_PREFIX \+ "(\w+)"', script).group(1)
    assert after != before
    assert 'const STATIC_PREFIX = "/assets/";' in script


def test_service_worker_refuses_writes(client: Client) -> None:
    assert client.post("/sw.js").status_code == 405


def test_offline_page_shows_no_user_even_when_logged_in(client_as: ClientAs, data_scientist: User) -> None:
    response = client_as(data_scientist).get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are offline" in html
    assert "Log out" not in html
    assert data_scientist.username not in html
    assert "Data scientist" not in html


def test_offline_page_is_open_to_anonymous_visitors(client: Client) -> None:
    response = client.get("/offline/")
    assert response.status_code == 200
    assert "You are offline" in response.content.decode()
