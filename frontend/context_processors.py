"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from catalog.roles import user_roles


def cadastre(request: HttpRequest) -> dict[str, Any]:
    roles = user_roles(request.user) if hasattr(request, "user") else set()
    return {
        "user_roles": sorted(role.label for role in roles),
        "search_backend": settings.SEARCH_BACKEND,
    }
