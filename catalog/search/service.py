"""The search service: expands the query once, asks the configured backend, falls back to the
database when Elasticsearch cannot answer (``degraded``), and labels the facets."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from catalog.models import DataFormat, DatasetStatus, Domain, PersonalDataClass
from catalog.search import reference
from catalog.search.backends import SearchUnavailable, get_database_backend, get_elasticsearch_backend
from catalog.search.expansion import expand
from catalog.search.types import SearchQuery, SearchResult, Suggestion

logger = logging.getLogger(__name__)


def search(*, query: SearchQuery, user: AbstractBaseUser | AnonymousUser | None = None) -> SearchResult:
    # One look at the glossary, tags and vocabulary for the whole search (``reference``).
    with reference.scope() as state:
        expanded = expand(query.text)
        backend = get_elasticsearch_backend()
        result: SearchResult | None = None
        degraded = False
        if backend is not None:
            try:
                result = backend.search(query, expanded)
            except SearchUnavailable as exc:
                logger.warning("Elasticsearch unavailable, answering from the database: %s", exc)
                degraded = True
        if result is None:
            result = get_database_backend().search(query, expanded)
            result.degraded = degraded
        label_facets(result)
        result.concepts = state.concepts_in_order(expanded.concept_slugs)
    return result


def suggest(*, prefix: str, limit: int = 8) -> tuple[list[Suggestion], bool]:
    """Suggestions as you type, and whether they come from the fallback (degraded)."""
    backend = get_elasticsearch_backend()
    if backend is not None:
        try:
            return backend.suggest(prefix, limit=limit), False
        except SearchUnavailable:
            return get_database_backend().suggest(prefix, limit=limit), True
    return get_database_backend().suggest(prefix, limit=limit), False


def label_facets(result: SearchResult) -> None:
    """Give each facet value a human label (choice labels, tag and concept names, owner names).
    Tag and concept names come from ``reference`` (kept per process), owner names from the users."""
    labels: dict[str, dict[str, Any]] = {
        "domain": dict(Domain.choices),
        "sensitivity": dict(PersonalDataClass.choices),
        "format": dict(DataFormat.choices),
        "status": dict(DatasetStatus.choices),
    }
    wanted = {key: [v.value for v in values] for key, values in result.facets.items()}
    state = reference.current()
    if wanted.get("tag"):
        labels["tag"] = {slug: state.tag_names[slug] for slug in wanted["tag"] if slug in state.tag_names}
    if wanted.get("concept"):
        labels["concept"] = {
            slug: label for slug in wanted["concept"] if (label := state.concept_label(slug)) is not None
        }
    if wanted.get("owner"):
        labels["owner"] = {
            u.get_username(): (u.get_full_name() or u.get_username())
            for u in get_user_model().objects.filter(username__in=wanted["owner"])
        }
    for key, values in result.facets.items():
        for value in values:
            value.label = str(labels.get(key, {}).get(value.value, value.value))
