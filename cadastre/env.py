"""Strict parsing of environment variables.

Every reader raises ``ImproperlyConfigured`` naming the variable when its value cannot be
parsed, so a typo stops start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}


class StrictEnv:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, source: Mapping[str, str] | None = None) -> None:
        self.source = os.environ if source is None else source

    def raw(self, name: str) -> str | None:
        value = self.source.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def _fail(self, name: str, value: str, expected: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: expected {expected}.")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        return default if value is None else value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in TRUE_VALUES:
            return True
        if lowered in FALSE_VALUES:
            return False
        raise self._fail(name, value, "one of " + ", ".join(sorted(TRUE_VALUES | FALSE_VALUES)))

    def choice(self, name: str, default: str, *, choices: set[str]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if value not in choices:
            raise self._fail(name, value, "one of " + ", ".join(sorted(choices)))
        return value

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            parsed = int(value)
        except ValueError:
            raise self._fail(name, value, "an integer") from None
        if minimum is not None and parsed < minimum:
            raise self._fail(name, value, f"an integer >= {minimum}")
        return parsed

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return default
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise self._fail(name, value, "a comma-separated list without empty items")
        return items

    def url(self, name: str, *, schemes: set[str], default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        parts = urlsplit(value)
        scheme = parts.scheme.split("+")[0]
        if scheme not in schemes:
            raise self._fail(name, value, "a URL with scheme " + " or ".join(sorted(schemes)))
        if scheme in {"http", "https", "redis", "rediss", "amqp", "postgres", "postgresql"} and not parts.hostname:
            raise self._fail(name, value, "a URL with a host name")
        if scheme in {"http", "https", "redis", "rediss", "amqp", "postgres", "postgresql"}:
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                raise self._fail(name, value, "a URL with a numeric port") from None
        return value

    def database(self, name: str, default: str) -> dict[str, Any]:
        value = self.url(name, schemes={"sqlite", "postgres", "postgresql", "pgsql"}, default=default)
        assert value is not None
        try:
            config = environ.Env.db_url_config(value)
        except Exception as exc:  # environ raises several types on malformed URLs
            raise self._fail(name, value, f"a database URL ({exc})") from None
        if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
            raise self._fail(name, value, "a database URL that names the database")
        return config
