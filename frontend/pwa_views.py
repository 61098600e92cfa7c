"""The installable web app: the service worker (served at ``/sw.js`` so that its scope is the whole
site) and the page it shows when the network is down. The manifest and the icons are static files
(``frontend/static/frontend/manifest.webmanifest``), linked from every page by ``base.html``.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

# The app shell: what the offline page needs, plus the scripts and icons every page loads.
SHELL_STATIC_FILES = (
    "frontend/cadastre.css",
    "frontend/cadastre.js",
    "frontend/search.js",
    "frontend/pwa.js",
    "frontend/charts.js",
    "frontend/favicon.svg",
    "frontend/icon-192.png",
    "frontend/manifest.webmanifest",
)
SERVICE_WORKER_TEMPLATE = "frontend/sw.js"


def app_shell_urls() -> list[str]:
    """The URLs the service worker caches when it installs (hashed names in production)."""
    return [static(name) for name in SHELL_STATIC_FILES] + [reverse("frontend:offline")]


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script. Its cache name changes with the app shell's URLs (they carry a
    content hash in production) and with the worker's own code, so a deployment replaces the cache."""
    shell = app_shell_urls()
    source = get_template(SERVICE_WORKER_TEMPLATE).template.source
    version = hashlib.sha256("\n".join([source, *shell]).encode()).hexdigest()[:12]
    context = {
        "version": version,
        "shell_json": json.dumps(shell),
        "offline_url_json": json.dumps(reverse("frontend:offline")),
        "static_prefix_json": json.dumps(static("")),
    }
    response = render(request, SERVICE_WORKER_TEMPLATE, context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("frontend:home")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when a page cannot be reached. The worker caches it once for
    every user of the browser, so it is rendered as for an anonymous visitor: no name, no data."""
    request.user = AnonymousUser()
    return render(request, "frontend/offline.html")
