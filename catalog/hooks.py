"""Hooks through which apps built on the catalog add to it, keeping the dependency direction
(catalog never imports them): they register functions here from their ``AppConfig.ready()``.

- ``register_access_resolver(fn)``: ``fn(*, user, dataset_ids) -> {dataset_id: access dict}`` fills
  ``Hit.access`` of search results for the current user (the governance app registers it). Default:
  no access information (``access`` stays ``None``).
- ``register_project_counter(fn)``: ``fn(dataset_ids) -> {dataset_id: n}``, how many projects use each
  dataset (search documents and ranking, dataset pages). Default: ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

AccessResolver = Callable[..., dict[int, dict[str, Any]]]
ProjectCounter = Callable[[Iterable[int]], dict[int, int]]

_access_resolver: AccessResolver | None = None
_project_counter: ProjectCounter | None = None


def register_access_resolver(fn: AccessResolver | None) -> None:
    global _access_resolver
    _access_resolver = fn


def register_project_counter(fn: ProjectCounter | None) -> None:
    global _project_counter
    _project_counter = fn


def resolve_access(*, user: Any, dataset_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What ``user`` may do with each dataset (``{}`` when no app registered a resolver)."""
    if _access_resolver is None or user is None:
        return {}
    return _access_resolver(user=user, dataset_ids=list(dataset_ids))


def fill_access(hits: Iterable[Any], user: Any) -> None:
    """Set ``access`` on search hits for ``user`` (one resolver call for all of them)."""
    hits = list(hits)
    if not hits:
        return
    access = resolve_access(user=user, dataset_ids=[hit.id for hit in hits])
    for hit in hits:
        hit.access = access.get(hit.id)


def project_counts(dataset_ids: Iterable[int]) -> dict[int, int]:
    """How many projects use each dataset (``{}`` when no app registered a counter)."""
    if _project_counter is None:
        return {}
    return _project_counter(list(dataset_ids))
