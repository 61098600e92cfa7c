"""Elasticsearch search backend (Elasticsearch 8.x through the official Python client).

Analysis. The text is analysed in Python, by ``catalog.search.analysis``, exactly as for the
database backend: each word is case- and accent-folded (``Résiliation`` -> ``resiliation``),
identifiers are split (``customer_id``, ``birthDate``), stop words dropped, and every word is
indexed with its French and English Snowball stems. The analysed terms go into the ``indexed.*``
fields of the Elasticsearch document (kept out of ``_source``), which Elasticsearch only tokenises
on spaces and lower-cases. This way both backends find the same datasets, and the index works on
any Elasticsearch 8 distribution: the integ-test-zip the tests run has no analysis-common module
(no ``asciifolding``, ``word_delimiter_graph``, ``elision``, ``stemmer``, edge n-grams, nor the
``french``/``english`` analyzers), so folding cannot be done by the node. Matched words are
highlighted in Python from the stored document (``database.highlights``), since the node could not
match ``resiliation`` against ``Résiliation`` in the original text either.

``_source`` is the search document itself, unchanged (``Hit.document`` is the same dict as with
the database backend); ``indexed`` holds the analysed texts, the folded name (exact-name match and
tie order), the completion inputs, the ranking boost and the deprecated tier.

Scoring, in the order results are sorted (the same intent as ``backends.database``):

1. an exact name match (the query, folded, equals the dataset name, folded) comes first: those
   documents are taken out of the main hits (``post_filter``) and returned first by a ``top_hits``
   aggregation of the same request, so the rule holds whatever the scores;
2. deprecated datasets come last, whatever their score (first sort key, ``indexed.tier``);
3. then by ``_score = (text + concept) · boost``, where

   - ``text`` sums, over the query words, how well each matches: BM25 summed over the fields
     (``most_fields``), weighted name ×10, tags and concept labels ×5, column names ×3, column
     descriptions ×2, description, owner, domain and source system ×1; for each word the best
     (``dis_max``) of its ways to match counts: the word itself (×1), its French/English stems
     (×0.5, so "paiements" finds "paiement", and a word counts once whether its stems differ from
     it or not), and, for a word the vocabulary does not know, its typo corrections
     (``ExpandedQuery.corrections``: indexed words within the edit budget, ×0.8) and
     Elasticsearch's own fuzzy match on name, tags, concept labels and column names
     (``fuzziness`` "AUTO:4,8", the budget of ``expansion.edit_budget``: no edit up to 3
     letters, one up to 7, two beyond; first letter fixed; ×0.5). Fuzzy terms are what a query
     costs most (half its time when every word is fuzzy), hence only for unknown words;
   - ``concept`` counts when the dataset carries a glossary concept the query names, or a
     narrower one (``ExpandedQuery.concept_slugs``): "paiement client" finds what is tagged
     *Customer payment* or *Card payment* even if its text never says so. It is ``CONCEPT_BOOST``
     times the idf of the rarest such concept the dataset carries (a ``term`` query on the
     ``concepts`` keyword), so that the specific concept of the query (*Customer payment*, on a
     few datasets) outweighs the generic one its words also name (*Customer*, on most): about
     5 × 3 = 15 for a rare concept, between a name match (10 × idf ≈ 20–70) and a description
     match (2–7), as the database backend's 0.6 of the best text score intends;
   - ``boost`` is ``sync.ranking_boost`` (published 1.0, draft 0.7, deprecated 0.3, times
     1 + 0.15·ln(1 + projects using it)), stored in ``indexed.ranking_boost`` and applied by a
     ``function_score`` (``field_value_factor``, multiplied);

   without query text every document scores its boost (published first, then the most used);
4. ties by folded name, then id.

Facet filters (OR within a facet, AND across facets) apply to the hits through the
``post_filter``; facets are ``terms`` aggregations over the matching documents, each under every
filter but its own (disjunctive facets, like the database backend).

Indices. The backend reads and writes through an alias (``settings.ELASTICSEARCH_INDEX``); each
concrete index is ``<alias>-<UTC timestamp>``. A rebuild creates a fresh index (no replica, no
refresh), fills it, then ``activate_index`` restores the settings, refreshes, swaps the alias
atomically and deletes the older indices, so searches keep answering throughout. On first use
without a rebuild the index and alias are created lazily (``<alias>-00000000000000000000``).

Failures. Short timeouts and a single retry: every transport-level failure (node down, refused
connection, timeout, 429, 5xx) raises ``SearchUnavailable`` so the service answers from the
database (``degraded``). User text only ever reaches ``match``/``multi_match``/``term`` queries,
never the query-string syntax.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from elasticsearch import (
    ApiError,
    BadRequestError,
    Elasticsearch,
    NotFoundError,
    TransportError,
    helpers,
)

from catalog.models import GlossaryTerm
from catalog.search import analysis
from catalog.search.backends import SearchUnavailable
from catalog.search.backends.database import highlights
from catalog.search.sync import ranking_boost
from catalog.search.types import FACETS, ExpandedQuery, FacetValue, Hit, SearchQuery, SearchResult, Suggestion

logger = logging.getLogger(__name__)
T = TypeVar("T")

FACET_LIMIT = 30
CONCEPT_BOOST = 5.0  # times the concept's idf (see concept_query); tuned on benchmarks/relevance_queries
FUZZINESS = "AUTO:4,8"  # as expansion.edit_budget: 0 edits up to 3 letters, 1 up to 7, 2 beyond
MAX_QUERY_WORDS = 24  # bounds the number of clauses a pasted paragraph would produce
MAX_CONCEPTS = 256  # glossary concepts (with their narrower ones) one query can name
MAX_WINDOW = 10_000  # index.max_result_window
ADMIN_TIMEOUT = 60  # bulk indexing, index creation, alias swaps, scans: not on the search path
INITIAL_SUFFIX = "0" * 20  # the lazily created index sorts before every rebuilt one
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S%f"  # 20 digits, like INITIAL_SUFFIX

# Facet key -> keyword field (values are the same as SearchFacet's in the database backend).
FACET_FIELDS: dict[str, str] = {
    "domain": "domain",
    "sensitivity": "sensitivity",
    "tag": "tag_slugs",
    "concept": "concepts",
    "owner": "owner",
    "format": "format",
    "status": "status",
}

# Analysed text fields (``indexed.<name>``) and their weight in the text score.
TEXT_FIELDS: dict[str, float] = {
    "name": 10.0,
    "tags": 5.0,
    "concepts": 5.0,
    "column_names": 3.0,
    "column_descriptions": 2.0,
    "description": 1.0,
    "owner": 1.0,
    "domain": 1.0,
    "source_system": 1.0,
}

# How a query word's other ways to match weigh against the word itself (see ``word_query``).
STEM_BOOST = 0.5
CORRECTION_BOOST = 0.8
FUZZY_BOOST = 0.5
# Fields also matched with fuzziness (the short, heavily weighted ones).
FUZZY_FIELDS = ("name", "tags", "concepts", "column_names")

SORT: list[Any] = [
    {"indexed.tier": {"order": "asc"}},
    {"_score": {"order": "desc"}},
    {"indexed.name_folded": {"order": "asc"}},
    {"id": {"order": "asc"}},
]

ANALYSIS: dict[str, Any] = {
    # The text arrives analysed (see the module docstring): split on spaces, lower-case (a no-op).
    "analyzer": {"cadastre_terms": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}},
    "normalizer": {"cadastre_lowercase": {"type": "custom", "filter": ["lowercase"]}},
}

_TEXT = {"type": "text", "analyzer": "cadastre_terms"}
_KEYWORD = {"type": "keyword"}
# Facet fields: their global ordinals (what a terms aggregation counts by) are built at refresh
# rather than by the first search after it.
_FACET_KEYWORD = {"type": "keyword", "eager_global_ordinals": True}

MAPPINGS: dict[str, Any] = {
    # Only what is mapped here is indexed; the rest of the document is kept in _source only.
    "dynamic": False,
    "_source": {"excludes": ["indexed"]},
    "properties": {
        "id": {"type": "long"},
        "slug": _KEYWORD,
        **{field: _FACET_KEYWORD for field in ("domain", "sensitivity", "tag_slugs", "concepts", "owner", "format")},
        "status": _FACET_KEYWORD,
        "source_hash": _KEYWORD,
        "sensitivity_rank": {"type": "integer"},
        "project_count": {"type": "integer"},
        "column_count": {"type": "integer"},
        "concept_ids": {"type": "long"},
        "updated_at": {"type": "date"},
        "indexed": {
            "properties": {
                **{field: _TEXT for field in TEXT_FIELDS},
                "name_folded": {"type": "keyword", "normalizer": "cadastre_lowercase"},
                "suggest": {
                    "type": "completion",
                    "analyzer": "cadastre_terms",
                    "preserve_separators": True,
                    "preserve_position_increments": True,
                    "max_input_length": 80,
                },
                "ranking_boost": {"type": "float"},
                "tier": {"type": "byte"},
            }
        },
    },
}


def index_settings(*, rebuilding: bool) -> dict[str, Any]:
    """Settings of a new concrete index; while rebuilding, no replica and no periodic refresh."""
    replicas: dict[str, Any] = (
        {"number_of_replicas": 0, "refresh_interval": "-1"} if rebuilding else {"auto_expand_replicas": "0-1"}
    )
    return {
        "number_of_shards": 1,
        **replicas,
        "max_result_window": MAX_WINDOW,
        "max_inner_result_window": MAX_WINDOW,
        "analysis": ANALYSIS,
    }


# --- Documents ---------------------------------------------------------------------------------


def _terms(*texts: str) -> str:
    """Analysed terms of texts, space-separated. Each text is analysed once
    (``analysis.analysed``): column names, tags and concept labels repeat across datasets, and a
    rebuild has just analysed the description for the database index."""
    return analysis.join_terms(texts)


def suggest_inputs(name: str, status: str) -> list[dict[str, Any]]:
    """Completion inputs: the folded name (ranked first), then the name from each later word on,
    so that "paie" suggests "Paiements clients" and "cli" too; published before draft before
    deprecated."""
    status_weight = {"published": 3, "draft": 2}.get(status, 1)
    words = analysis.words(name)
    if not words:
        return []
    inputs: list[dict[str, Any]] = [{"input": [" ".join(words)], "weight": 10 + status_weight}]
    tails = [" ".join(words[i:]) for i in range(1, min(len(words), 8))]
    if tails:
        inputs.append({"input": tails, "weight": status_weight})
    return inputs


def es_document(document: dict[str, Any]) -> dict[str, Any]:
    """The Elasticsearch source of a search document: the document plus its ``indexed`` fields."""
    indexed = {
        "name": _terms(document["name"], document["slug"]),
        "tags": _terms(*document["tags"]),
        "concepts": _terms(*document["concept_labels"]),
        "column_names": _terms(*document["column_names"]),
        "column_descriptions": _terms(*document["column_descriptions"]),
        "description": _terms(document["description"]),
        "owner": _terms(document["owner"], document["owner_name"]),
        "domain": _terms(document["domain_label"]),
        "source_system": _terms(document["source_system"]),
        "name_folded": analysis.fold(document["name"]),
        "suggest": suggest_inputs(document["name"], document["status"]),
        "ranking_boost": ranking_boost(document),
        "tier": 1 if document["status"] == "deprecated" else 0,
    }
    return {**document, "indexed": indexed}


# --- Queries -----------------------------------------------------------------------------------


def _fields(names: tuple[str, ...] | None = None) -> list[str]:
    return [f"indexed.{field}^{weight:g}" for field, weight in TEXT_FIELDS.items() if names is None or field in names]


def filter_clauses(filters: dict[str, tuple[str, ...]], *, but: str | None = None) -> list[dict[str, Any]]:
    """One ``terms`` filter per facet with values (OR within a facet, AND across facets), leaving
    out the facet ``but``."""
    clauses = []
    for facet, values in filters.items():
        if facet in FACETS and values and facet != but:
            clauses.append({"terms": {FACET_FIELDS.get(facet, FACETS[facet]): sorted({str(v) for v in values})}})
    return clauses


def _match(terms: list[str], fields: list[str], **options: Any) -> dict[str, Any]:
    return {
        "multi_match": {"query": " ".join(terms), "fields": fields, "type": "most_fields", "operator": "or", **options}
    }


def word_query(word: str, corrections: tuple[str, ...]) -> dict[str, Any]:
    """How well a document matches one query word: the best of its ways to match (``dis_max``),
    so that a word counts once whether its stems differ from it or not."""
    ways = [_match([word], _fields())]
    stems = list(analysis.stems(word))
    if stems:
        ways.append(_match(stems, _fields(), boost=STEM_BOOST))
    if corrections:
        # A word the vocabulary does not know: the indexed words within its edit budget (and their
        # stems), exactly, and Elasticsearch's own fuzzy match on the short, heavily weighted fields.
        corrected = list(dict.fromkeys(t for c in corrections for t in analysis.word_terms(c)))
        ways.append(_match(corrected, _fields(), boost=CORRECTION_BOOST))
        ways.append(
            _match(
                [word],
                _fields(FUZZY_FIELDS),
                fuzziness=FUZZINESS,
                prefix_length=1,
                max_expansions=10,
                boost=FUZZY_BOOST,
            )
        )
    return ways[0] if len(ways) == 1 else {"dis_max": {"queries": ways}}


def concept_query(slugs: tuple[str, ...]) -> dict[str, Any]:
    """Datasets carrying a concept the query names (or a narrower one), scored by the rarest such
    concept they carry: a ``term`` query on a keyword field scores its idf (no norms, one value),
    so *Card payment* (a few datasets) weighs more than *Customer* (most of them), which
    "customer payment" also names."""
    terms = [{"term": {"concepts": {"value": slug}}} for slug in slugs[:MAX_CONCEPTS]]
    return {"dis_max": {"queries": terms, "tie_breaker": 0.1, "boost": CONCEPT_BOOST}}


def text_query(expanded: ExpandedQuery) -> dict[str, Any] | None:
    """The matching and text-scoring part, or ``None`` without query text (match everything):
    the sum over the query words of ``word_query``, plus ``concept_query``."""
    if expanded.is_empty:
        return None
    words = list(dict.fromkeys(expanded.words))[:MAX_QUERY_WORDS]
    should = [word_query(w, expanded.corrections.get(w, ())) for w in words]
    if expanded.concept_slugs:
        should.append(concept_query(expanded.concept_slugs))
    if not should:
        return {"match_none": {}}
    return {"bool": {"should": should, "minimum_should_match": 1}}


def scored_query(expanded: ExpandedQuery) -> dict[str, Any]:
    """``(text + concept) · ranking_boost`` of the matching documents, before any facet filter
    (those are in the ``post_filter``, see ``ElasticsearchBackend.search``)."""
    matching = text_query(expanded)
    return {
        "function_score": {
            "query": matching if matching is not None else {"match_all": {}},
            "field_value_factor": {"field": "indexed.ranking_boost", "missing": 1.0},
            "boost_mode": "multiply",
        }
    }


def facet_aggregations(filters: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Disjunctive facets, as the database backend: each facet counts the matching documents
    under every filter but its own, so that its other values stay visible and selectable."""
    aggregations: dict[str, Any] = {}
    for key, field in FACETS.items():
        terms = {
            "terms": {
                "field": FACET_FIELDS.get(key, field),
                "size": FACET_LIMIT,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        others = filter_clauses(filters, but=key)
        aggregations[f"facet_{key}"] = (
            {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}} if others else terms
        )
    return aggregations


def _facets(aggregations: dict[str, Any], query: SearchQuery) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    for key in FACETS:
        aggregation = aggregations.get(f"facet_{key}", {})
        buckets = aggregation.get("values", aggregation).get("buckets", [])
        chosen = set(query.filters.get(key, ()))
        values = [
            FacetValue(value=str(b["key"]), label=str(b["key"]), count=int(b["doc_count"]), selected=b["key"] in chosen)
            for b in buckets
        ]
        values.sort(key=lambda v: (-v.count, v.value))
        facets[key] = values[:FACET_LIMIT]
    return facets


# --- Errors ------------------------------------------------------------------------------------


def _is_unavailable_status(status: int) -> bool:
    return status == 429 or status >= 500


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """Turn transport-level failures into ``SearchUnavailable``; let request errors through."""
    try:
        yield
    except TransportError as exc:  # connection refused or reset, timeout, TLS, serialisation
        raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
    except ApiError as exc:
        if _is_unavailable_status(exc.meta.status):
            raise SearchUnavailable(f"Elasticsearch cannot answer ({exc.meta.status}): {exc}") from exc
        raise
    except helpers.BulkIndexError as exc:
        if any(_is_unavailable_status(int(next(iter(e.values())).get("status", 500))) for e in exc.errors):
            raise SearchUnavailable(f"Elasticsearch rejected the bulk request: {exc}") from exc
        raise
    except helpers.ScanError as exc:
        raise SearchUnavailable(f"Elasticsearch scan failed: {exc}") from exc


def _index_missing(exc: ApiError) -> bool:
    return isinstance(exc, NotFoundError) and exc.error == "index_not_found_exception"


# --- Backend -----------------------------------------------------------------------------------


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url: str, index: str, *, timeout: float | None = None) -> None:
        self.url = url
        self.index = index  # the alias
        self.timeout = float(timeout if timeout is not None else getattr(settings, "ELASTICSEARCH_TIMEOUT", 5))
        # One retry at most, none after a timeout: when the node is down the service must fall back
        # to the database within the timeout, not after a series of retries.
        self.client = Elasticsearch(url, request_timeout=self.timeout, max_retries=1, retry_on_timeout=False)
        self._alias_ready = False

    def __repr__(self) -> str:
        return f"ElasticsearchBackend(url={self.url!r}, index={self.index!r})"

    @property
    def admin(self) -> Elasticsearch:
        """The client with the long timeout of maintenance calls (bulk, create, swap, scan)."""
        return self.client.options(request_timeout=max(self.timeout, ADMIN_TIMEOUT))

    # --- health --------------------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the node answers. Asks ``/_cluster/health``, not ``HEAD /`` (``client.ping``):
        the integ-test-zip distribution has no rest-root module, so ``/`` answers 405 there."""
        try:
            self.client.cluster.health()
        except Exception:
            return False
        return True

    # --- indices -------------------------------------------------------------------------------

    def _concrete_name(self, suffix: str) -> str:
        return f"{self.index}-{suffix}"

    def create_index(self) -> str:
        """A new, empty concrete index for a rebuild (not yet behind the alias): its name."""
        name = self._concrete_name(datetime.now(UTC).strftime(TIMESTAMP_FORMAT))
        with unavailable_on_failure():
            self.admin.indices.create(index=name, settings=index_settings(rebuilding=True), mappings=MAPPINGS)
        return name

    def activate_index(self, name: str) -> None:
        """Make ``name`` the index behind the alias (atomically) and delete the older ones."""
        prefix = f"{self.index}-"
        with unavailable_on_failure():
            es = self.admin
            es.indices.put_settings(
                index=name,
                settings={"index": {"refresh_interval": None, "auto_expand_replicas": "0-1"}},
            )
            es.indices.refresh(index=name)
            try:
                current = set(es.indices.get_alias(name=self.index).body)
            except NotFoundError:
                current = set()
            actions: list[dict[str, Any]] = [
                {"remove": {"index": old, "alias": self.index}} for old in sorted(current - {name})
            ]
            actions.append({"add": {"index": name, "alias": self.index, "is_write_index": True}})
            es.indices.update_aliases(actions=actions)
            self._alias_ready = True
            # Older indices of this alias: the ones it pointed to, and leftovers of earlier (failed)
            # rebuilds; a newer index (a rebuild still running elsewhere) is left alone.
            existing = es.indices.get_alias(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)
            suffix = name[len(prefix) :]
            older = [
                other
                for other in existing.body
                if other != name
                and other.startswith(prefix)
                and other[len(prefix) :].isdigit()
                and len(other[len(prefix) :]) == len(INITIAL_SUFFIX)
                and (other in current or other[len(prefix) :] < suffix)
            ]
            if older:
                es.indices.delete(index=",".join(sorted(older)), ignore_unavailable=True)

    def ensure_index(self) -> None:
        """Create the index and its alias on first use (no rebuild yet)."""
        if self._alias_ready:
            return
        with unavailable_on_failure():
            if not self.client.indices.exists_alias(name=self.index):
                name = self._concrete_name(INITIAL_SUFFIX)
                try:
                    self.admin.indices.create(
                        index=name,
                        settings=index_settings(rebuilding=False),
                        mappings=MAPPINGS,
                        aliases={self.index: {"is_write_index": True}},
                    )
                except BadRequestError as exc:
                    if exc.error != "resource_already_exists_exception":
                        raise
                    self.admin.indices.put_alias(index=name, name=self.index, is_write_index=True)
        self._alias_ready = True

    def refresh(self) -> None:
        """Make every indexed change visible to searches now (tests, benchmarks)."""
        with unavailable_on_failure():
            self.admin.indices.refresh(index=self.index)

    def _with_index(self, call: Callable[[], T]) -> T:
        """Run a request against the alias; create it once if it does not exist yet."""
        with unavailable_on_failure():
            try:
                return call()
            except ApiError as exc:
                if not _index_missing(exc):
                    raise
            self._alias_ready = False
            self.ensure_index()
            return call()

    # --- writing -------------------------------------------------------------------------------

    def index_documents(
        self, documents: list[dict[str, Any]], *, index: str | None = None, refresh: bool | None = None
    ) -> None:
        """Index (create or replace) documents, by dataset id.

        Without ``index``, into the alias, visible to searches when this returns (``wait_for``);
        with ``index`` (a rebuild), into that concrete index without refresh (``activate_index``
        refreshes it). ``refresh`` forces either way.
        """
        if not documents:
            return
        target = index or self.index
        wait = (index is None) if refresh is None else refresh
        actions = [
            {"_op_type": "index", "_index": target, "_id": str(d["id"]), "_source": es_document(d)} for d in documents
        ]

        def run() -> None:
            helpers.bulk(
                self.admin,
                actions,
                chunk_size=500,
                refresh="wait_for" if wait else False,
                require_alias=index is None,
            )

        if index is not None:
            with unavailable_on_failure():
                run()
            return
        self.ensure_index()
        with unavailable_on_failure():
            try:
                run()
            except helpers.BulkIndexError as exc:  # the alias vanished since we checked: create it again
                missing = all(
                    next(iter(e.values())).get("error", {}).get("type") == "index_not_found_exception"
                    for e in exc.errors
                )
                if not missing:
                    raise
                self._alias_ready = False
                self.ensure_index()
                run()

    def delete_documents(self, ids: list[int]) -> None:
        """Remove documents by dataset id; ids not indexed (or no index at all) are fine."""
        if not ids:
            return
        actions = [{"_op_type": "delete", "_index": self.index, "_id": str(i)} for i in ids]
        with unavailable_on_failure():
            helpers.bulk(self.admin, actions, chunk_size=1000, refresh="wait_for", ignore_status=(404,))

    # --- reading -------------------------------------------------------------------------------

    def document_hashes(self) -> dict[int, str]:
        """Every indexed document's id and ``source_hash`` (what reconcile compares)."""
        found: dict[int, str] = {}
        with unavailable_on_failure():
            try:
                for hit in helpers.scan(
                    self.admin,
                    index=self.index,
                    query={"query": {"match_all": {}}, "_source": ["source_hash"]},
                    size=5000,
                    scroll="2m",
                ):
                    found[int(hit["_id"])] = hit["_source"].get("source_hash", "")
            except ApiError as exc:
                if not _index_missing(exc):
                    raise
                return {}
        return found

    def search(self, query: SearchQuery, expanded: ExpandedQuery) -> SearchResult:
        """One ``msearch`` of two requests, run side by side by the node: the page of hits, and
        the counts (total and facets) in a ``size: 0`` request that the shard request cache keeps
        until the index next changes, so a repeated query (the common ones, browsing by facet)
        does not count every match again."""
        started = time.perf_counter()
        offset, page_size = max(0, query.offset), max(0, query.page_size)
        exact = analysis.fold(query.text.strip()) if not expanded.is_empty else ""
        filters = filter_clauses(query.filters)
        # The query matches and scores; the facet filters apply to the hits only (post_filter), so
        # that each facet aggregation can leave its own filter out.
        post_filter: dict[str, Any] = {"bool": {"filter": filters}}
        body: dict[str, Any] = {
            "query": scored_query(expanded),
            "post_filter": post_filter,
            "sort": SORT,
            "track_scores": True,
            "track_total_hits": False,  # counted by the other request
            "aggs": {},
            **self._window(offset, page_size),
        }
        matching = text_query(expanded)
        counts: dict[str, Any] = {
            "size": 0,
            "track_total_hits": False,
            # Matching only, no scoring: the counts do not depend on it.
            "query": {"bool": {"filter": [matching]}} if matching is not None else {"match_all": {}},
            "aggs": {"total": {"filter": {"bool": {"filter": filters}}}, **facet_aggregations(query.filters)},
        }
        if exact:
            # Exact name matches: out of the main hits, returned first by a top_hits of the same
            # request (and still counted by the facets and the total).
            exact_term = {"term": {"indexed.name_folded": exact}}
            post_filter["bool"]["must_not"] = [exact_term]
            body["aggs"]["exact"] = {"filter": {"bool": {"filter": [exact_term, *filters]}}}
            window = self._window(offset, page_size)
            if window["size"]:  # top_hits refuses size 0
                body["aggs"]["exact"]["aggs"] = {"hits": {"top_hits": {**window, "sort": SORT, "track_scores": True}}}
        if not body["aggs"]:
            del body["aggs"]
        response, counted = self._run_searches([body, counts])
        aggregations = response.get("aggregations", {})
        count_aggregations = counted.get("aggregations", {})
        exact_agg = aggregations.get("exact", {})
        exact_count = int(exact_agg.get("doc_count", 0))
        exact_hits = exact_agg.get("hits", {}).get("hits", {}).get("hits", []) if exact_count else []
        rest = response["hits"]["hits"]
        remaining = max(0, page_size - len(exact_hits))
        if exact_count and offset > 0:
            # The main hits must start after the exact ones: this page's window was off by their count.
            body_rest = {
                "query": body["query"],
                "post_filter": body["post_filter"],
                "sort": SORT,
                "track_scores": True,
                "track_total_hits": False,
                **self._window(max(0, offset - exact_count), remaining),
            }
            rest = self._run_search(body_rest)["hits"]["hits"] if remaining else []
        hits_raw = [*exact_hits, *rest[:remaining]]
        terms = set(expanded.terms)
        hits = [self._hit(raw, terms, expanded) for raw in hits_raw]
        return SearchResult(
            total=int(count_aggregations["total"]["doc_count"]),
            hits=hits,
            facets=_facets(count_aggregations, query),
            backend=self.name,
            took_ms=(time.perf_counter() - started) * 1000,
            expanded=expanded,
            page=query.page,
            page_size=query.page_size,
        )

    @staticmethod
    def _window(offset: int, size: int) -> dict[str, int]:
        """``from``/``size`` kept inside ``max_result_window`` (deeper pages come back empty)."""
        if offset >= MAX_WINDOW:
            return {"from": 0, "size": 0}
        return {"from": offset, "size": max(0, min(size, MAX_WINDOW - offset))}

    def _run_search(self, body: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            return dict(self.client.search(index=self.index, **body).body)

        try:
            return self._with_index(call)
        except BadRequestError as exc:
            # The query is built from analysed words only, so this is a bug, not bad input: log it
            # and let the service answer from the database rather than fail the request.
            logger.exception("Elasticsearch rejected a search request")
            raise SearchUnavailable(f"Elasticsearch rejected the search request: {exc}") from exc

    def _run_searches(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The responses of several searches sent in one ``msearch`` (the size-0 ones through the
        shard request cache). A search that fails in it is sent again on its own, so that its
        error is handled as any search's (missing alias created, node trouble -> unavailable)."""
        searches: list[dict[str, Any]] = []
        for body in bodies:
            searches += [{"request_cache": True} if body.get("size") == 0 else {}, body]

        def call() -> list[dict[str, Any]]:
            return list(self.client.msearch(index=self.index, searches=searches).body["responses"])

        responses = self._with_index(call)
        return [
            self._run_search(body) if "error" in response else dict(response)
            for body, response in zip(bodies, responses, strict=True)
        ]

    def _hit(self, raw: dict[str, Any], terms: set[str], expanded: ExpandedQuery) -> Hit:
        document = raw["_source"]
        return Hit(
            id=int(raw["_id"]),
            slug=document["slug"],
            name=document["name"],
            score=round(float(raw.get("_score") or 0.0), 6),
            document=document,
            highlights=highlights(document, terms, expanded),
        )

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        """Dataset names whose name, or a word of it, starts with ``prefix`` (accents and case
        ignored; whole-name matches first, published first), then glossary concepts."""
        folded = " ".join(analysis.words(prefix)) if prefix.strip() else ""
        if len(folded) < 2 or limit <= 0:
            return []
        body = {
            "_source": ["name", "slug"],
            "suggest": {
                "names": {
                    "prefix": folded,
                    "completion": {"field": "indexed.suggest", "size": limit * 3, "skip_duplicates": False},
                }
            },
        }
        response = self._with_index(lambda: dict(self.client.search(index=self.index, **body).body))
        options = response.get("suggest", {}).get("names", [{}])[0].get("options", [])
        options.sort(key=lambda o: (-float(o.get("_score", 0)), analysis.fold(o["_source"]["name"]), o["_id"]))
        seen: set[str] = set()
        out: list[Suggestion] = []
        for option in options:
            if option["_id"] in seen:
                continue
            seen.add(option["_id"])
            out.append(Suggestion(text=option["_source"]["name"], kind="dataset", slug=option["_source"]["slug"]))
            if len(out) >= limit:
                break
        out += concept_suggestions(analysis.fold(prefix.strip()))
        return out[: limit + 4]


def concept_suggestions(folded: str) -> list[Suggestion]:
    """Glossary concepts one of whose labels starts with ``folded`` (as the database backend)."""
    out: list[Suggestion] = []
    for term in GlossaryTerm.objects.order_by("label_en"):
        for label in (term.label_en, term.label_fr):
            if analysis.fold(label).startswith(folded):
                out.append(Suggestion(text=label, kind="concept", slug=term.slug))
                break
    return out
