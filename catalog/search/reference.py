"""What every search reads besides the index: the glossary (concept names and hierarchy, for
expansion and facet labels), the tag names (facet labels) and the index vocabulary (typo
correction). Kept per process and reloaded when it changes, so that a search costs one small
stamp query instead of reading the glossary, the tags and the vocabulary's size each time.

The stamp is, per table, the row count and a sum over its rows (the glossary's and the tags'
``updated_at``, which every save changes; the vocabulary's ids, since words are only ever added):
any insert, update or delete changes it, whatever the order in which transactions commit.

``scope()`` takes the stamp once for a whole search (expansion, facet labels, concepts), so a
search sees one consistent state and pays for one query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection

from catalog.models import GlossaryTerm, SearchVocabulary, Tag

# The glossary fields searches use (expansion, labels, the API's concepts).
GLOSSARY_FIELDS = ("id", "slug", "broader_id", "label_en", "label_fr", "synonyms_en", "synonyms_fr")


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    members: frozenset[str]


@dataclass(frozen=True)
class Reference:
    glossary: tuple[GlossaryTerm, ...]
    concepts: dict[str, GlossaryTerm]  # by slug
    tag_names: dict[str, str]  # slug -> name
    vocabulary: Vocabulary

    def concept_label(self, slug: str) -> str | None:
        term = self.concepts.get(slug)
        return None if term is None else f"{term.label_en} / {term.label_fr}"

    def concepts_in_order(self, slugs: tuple[str, ...] | list[str]) -> list[GlossaryTerm]:
        return [self.concepts[s] for s in slugs if s in self.concepts]


Stamp = tuple[tuple[object, ...], tuple[object, ...], tuple[object, ...]]


# Per table: rows and a sum that any change moves (see the module docstring).
_STAMP_SQL = (
    "SELECT (SELECT COUNT(*) FROM catalog_glossaryterm), (SELECT SUM({epoch}) FROM catalog_glossaryterm), "
    "(SELECT COUNT(*) FROM catalog_tag), (SELECT SUM({epoch}) FROM catalog_tag), "
    "(SELECT COUNT(*) FROM catalog_searchvocabulary), (SELECT SUM(id) FROM catalog_searchvocabulary)"
)
_EPOCH = {"postgresql": "EXTRACT(EPOCH FROM updated_at)", "sqlite": "julianday(updated_at)"}


def _stamp() -> Stamp:
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL.format(epoch=_EPOCH[connection.vendor]))
        row = cursor.fetchone()
    return (tuple(row[0:2]), tuple(row[2:4]), tuple(row[4:6]))


class ReferenceCache:
    """The current ``Reference`` of this process (shared by its threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._current: Reference | None = None

    def get(self) -> Reference:
        scoped = _scoped.get()
        if scoped is not None:
            return scoped
        stamp = _stamp()
        with self._lock:
            if self._current is None or self._stamp is None or stamp != self._stamp:
                self._current = self._load(stamp)
                self._stamp = stamp
            return self._current

    def _load(self, stamp: Stamp) -> Reference:
        old, old_stamp = self._current, self._stamp
        if old is not None and old_stamp is not None and old_stamp[0] == stamp[0]:
            glossary = old.glossary
        else:
            glossary = tuple(GlossaryTerm.objects.only(*GLOSSARY_FIELDS))
        if old is not None and old_stamp is not None and old_stamp[1] == stamp[1]:
            tag_names = old.tag_names
        else:
            tag_names = dict(Tag.objects.values_list("slug", "name"))
        if old is not None and old_stamp is not None and old_stamp[2] == stamp[2]:
            vocabulary = old.vocabulary
        else:
            words = list(SearchVocabulary.objects.values_list("word", flat=True))
            vocabulary = Vocabulary(words=words, members=frozenset(words))
        return Reference(
            glossary=glossary,
            concepts={t.slug: t for t in glossary},
            tag_names=tag_names,
            vocabulary=vocabulary,
        )

    def clear(self) -> None:
        with self._lock:
            self._stamp = self._current = None


reference_cache = ReferenceCache()
_scoped: ContextVar[Reference | None] = ContextVar("search_reference", default=None)


def current() -> Reference:
    """The glossary, tags and vocabulary as they are now (or as this search's scope took them)."""
    return reference_cache.get()


@contextmanager
def scope() -> Iterator[Reference]:
    """Within the block, ``current()`` returns the state taken on entering it (one stamp query)."""
    reference = current()
    token = _scoped.set(reference)
    try:
        yield reference
    finally:
        _scoped.reset(token)
