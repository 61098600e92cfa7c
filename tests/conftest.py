"""Fixtures shared by the whole suite: users by role, API clients, a temporary media root."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from catalog.roles import Role
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLES = list(Role)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test gets its own media root; passwords hash fast; static files need no collectstatic."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    def make(*roles: Role, **kwargs: object) -> object:
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def data_scientist(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.DATA_SCIENTIST, username="alice")


@pytest.fixture
def officer(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.GOVERNANCE_OFFICER, username="olivier")


@pytest.fixture
def project_lead(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.PROJECT_LEAD, username="paula")


@pytest.fixture
def custodian(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.DATA_CUSTODIAN, username="camille")


@pytest.fixture
def admin_user(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMIN, username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(db) -> Callable[[object | None], APIClient]:  # type: ignore[no-untyped-def]
    """An API client authenticated as ``user`` with a token (or anonymous for ``None``)."""
    from rest_framework.authtoken.models import Token

    def make(user: object | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
