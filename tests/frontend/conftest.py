"""Fixtures of the page tests (Django test client)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.frontend.data import Catalog, ClientAs, build_catalog


@pytest.fixture
def catalog(custodian: User, make_user: Callable[..., User]) -> Catalog:
    return build_catalog(custodian=custodian, other_owner=make_user(username="owen"))


@pytest.fixture
def client_as(db: None) -> ClientAs:
    """A Django test client logged in as ``user``."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
