"""Query and result shapes shared by the search backends and their callers (API, pages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Facets offered on every search, in display order: facet key -> document field.
FACETS: dict[str, str] = {
    "domain": "domain",
    "sensitivity": "sensitivity",
    "tag": "tags",
    "concept": "concepts",
    "owner": "owner",
    "format": "format",
    "status": "status",
}


@dataclass(frozen=True)
class ExpandedQuery:
    """A query as analysed once by the service, before any backend sees it.

    ``terms`` are the analysed terms (folded words and their French and English stems);
    ``corrections`` maps a query word missing from the vocabulary to the indexed words within the
    typo tolerance; ``concept_ids`` are the glossary terms the text names, with their narrower
    terms, so that datasets tagged with them match even without the words.
    """

    text: str
    words: tuple[str, ...]
    terms: tuple[str, ...]
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    concept_ids: tuple[int, ...] = ()
    concept_slugs: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.concept_ids


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet key -> accepted values
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    id: int
    slug: str
    name: str
    score: float
    document: dict[str, Any]
    highlights: dict[str, list[str]] = field(default_factory=dict)  # field -> HTML snippets, <mark>
    access: dict[str, Any] | None = None  # filled for the current user by the governance app


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    backend: str
    degraded: bool = False
    took_ms: float = 0.0
    expanded: ExpandedQuery | None = None
    page: int = 1
    page_size: int = 20
    # The glossary terms the query names (``GlossaryTerm``, in ``expanded.concept_slugs`` order).
    concepts: list[Any] = field(default_factory=list)


@dataclass
class Suggestion:
    text: str
    kind: str  # "dataset" | "concept" | "column"
    slug: str = ""
