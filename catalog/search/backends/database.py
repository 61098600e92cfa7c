"""Database search backend: PostgreSQL full-text search, or SQLite FTS5.

Both search the pre-analysed text columns of ``SearchDocument`` (folding and French/English
stemming done in Python, see ``analysis``), so they find the same datasets; only the text score
differs (``ts_rank_cd`` against ``bm25``), and it is normalised to [0, 1] within each result set.

Scoring, in the order results are sorted:

1. an exact name match (the query, folded, equals the dataset name, folded) comes first;
2. deprecated datasets come last, whatever their score;
3. then by ``(text + 0.6 · concept) · boost``, where ``text`` is the weighted full-text score
   (name ×10, tags and concepts ×5, columns ×3, description/owner/domain ×1) divided by the best
   one in the result set, ``concept`` is 1 when the dataset carries a glossary concept the query
   names (or a narrower one), and ``boost`` is ``SearchDocument.ranking_boost`` (published 1.0,
   draft 0.7, deprecated 0.3, times 1 + 0.15·ln(1 + projects using it));
4. ties by name.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from django.db import connection

from catalog.models import SearchDocument
from catalog.search import analysis
from catalog.search.types import FACETS, ExpandedQuery, FacetValue, Hit, SearchQuery, SearchResult, Suggestion

CONCEPT_WEIGHT = 0.6
FACET_LIMIT = 30


def _text_hits_sql(terms: tuple[str, ...]) -> tuple[str, list[Any]]:
    """SQL selecting (dataset_id, text_score) of documents matching any term."""
    if connection.vendor == "postgresql":
        tsquery = " | ".join(terms)
        return (
            "SELECT d.dataset_id, ts_rank_cd('{0.1, 0.3, 0.5, 1.0}', d.search_vector, q.query) AS text_score "
            "FROM catalog_searchdocument d, to_tsquery('simple', %s) AS q(query) "
            "WHERE d.search_vector @@ q.query",
            [tsquery],
        )
    match = " OR ".join(f'"{t}"' for t in terms)
    return (
        "SELECT rowid AS dataset_id, -bm25(catalog_searchdocument_fts, 10.0, 5.0, 3.0, 1.0) AS text_score "
        "FROM catalog_searchdocument_fts WHERE catalog_searchdocument_fts MATCH %s",
        [match],
    )


def _filter_clauses(ref: str, filters: dict[str, tuple[str, ...]]) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``ref`` (a dataset id column) for facet filters: OR within a facet,
    AND across facets."""
    clauses: list[str] = []
    params: list[Any] = []
    for facet, values in filters.items():
        if facet not in FACETS or not values:
            continue
        marks = ", ".join(["%s"] * len(values))
        clauses.append(
            f"{ref} IN (SELECT document_id FROM catalog_searchfacet WHERE facet = %s AND value IN ({marks}))"
        )
        params += [facet, *values]
    return clauses, params


class DatabaseBackend:
    name = "database"

    def _candidates_sql(self, query: SearchQuery, expanded: ExpandedQuery) -> tuple[str, list[Any]]:
        """A CTE body selecting (dataset_id, text_score, concept_hit) of every matching document."""
        ctes, params, candidates, candidate_params = self._ctes(query, expanded)
        return "WITH " + ", ".join([*ctes, candidates]), [*params, *candidate_params]

    def _ctes(self, query: SearchQuery, expanded: ExpandedQuery) -> tuple[list[str], list[Any], str, list[Any]]:
        """The CTEs up to ``matched`` (documents matching the query) and their parameters, then the
        ``candidates`` CTE (matched documents under the facet filters, with their scores) and its own.

        The facet counts need ``matched`` only: leaving ``candidates`` out of their statement lets
        PostgreSQL inline ``text_hits`` there (referenced once), so it tests the match without
        computing ``ts_rank_cd`` for every matching document a second time."""
        params: list[Any] = []
        ctes: list[str] = []
        sources: list[str] = []
        if expanded.terms:
            sql, text_params = _text_hits_sql(expanded.terms)
            ctes.append(f"text_hits AS ({sql})")
            params += text_params
            sources.append("SELECT dataset_id FROM text_hits")
        if expanded.concept_slugs:
            marks = ", ".join(["%s"] * len(expanded.concept_slugs))
            ctes.append(
                "concept_hits AS (SELECT DISTINCT document_id AS dataset_id FROM catalog_searchfacet "
                f"WHERE facet = 'concept' AND value IN ({marks}))"
            )
            params += list(expanded.concept_slugs)
            sources.append("SELECT dataset_id FROM concept_hits")
        where: list[str] = []
        if expanded.words and not sources:
            where.append("1 = 0")  # words that match nothing
        elif sources:
            where.append("d.dataset_id IN (" + " UNION ".join(sources) + ")")
        # Documents matching the query, before any facet filter (what facet counts start from).
        ctes.append(
            "matched AS (SELECT d.dataset_id FROM catalog_searchdocument d"
            + (" WHERE " + " AND ".join(where) if where else "")
            + ")"
        )
        filter_sql, filter_params = _filter_clauses("d.dataset_id", query.filters)
        where += filter_sql
        # Without any query text every document scores its ranking boost (published first).
        text_score = "COALESCE(t.text_score, 0)" if expanded.terms else ("1" if expanded.is_empty else "0")
        concept_hit = "CASE WHEN c.dataset_id IS NULL THEN 0 ELSE 1 END" if expanded.concept_slugs else "0"
        joins = ""
        if expanded.terms:
            joins += " LEFT JOIN text_hits t ON t.dataset_id = d.dataset_id"
        if expanded.concept_slugs:
            joins += " LEFT JOIN concept_hits c ON c.dataset_id = d.dataset_id"
        candidates = (
            "candidates AS ("
            f"SELECT d.dataset_id, {text_score} AS text_score, {concept_hit} AS concept_hit, "
            "d.name_folded, d.status, d.ranking_boost "
            f"FROM catalog_searchdocument d{joins}" + (" WHERE " + " AND ".join(where) if where else "") + ")"
        )
        return ctes, params, candidates, filter_params

    def search(self, query: SearchQuery, expanded: ExpandedQuery) -> SearchResult:
        started = time.perf_counter()
        ctes, matched_params, candidates, candidate_params = self._ctes(query, expanded)
        with_sql, params = "WITH " + ", ".join([*ctes, candidates]), [*matched_params, *candidate_params]
        exact = analysis.fold(query.text.strip())
        ranked_sql = (
            f"{with_sql}, scored AS ("
            "SELECT dataset_id, name_folded, status, "
            "CASE WHEN name_folded = %s THEN 1 ELSE 0 END AS exact_name, "
            "(CASE WHEN MAX(text_score) OVER () > 0 THEN text_score / MAX(text_score) OVER () ELSE 0 END "
            f" + {CONCEPT_WEIGHT} * concept_hit) * ranking_boost AS score "
            "FROM candidates) "
            "SELECT dataset_id, score, (SELECT COUNT(*) FROM candidates) AS total FROM scored "
            "ORDER BY exact_name DESC, CASE WHEN status = 'deprecated' THEN 1 ELSE 0 END, score DESC, "
            "name_folded, dataset_id LIMIT %s OFFSET %s"
        )
        # Each facet counts the matching documents under every filter but its own, so that the
        # other values of a facet stay visible (and selectable: OR within a facet) once one is picked.
        per_facet: list[str] = []
        facet_params: list[Any] = []
        for facet in FACETS:
            others = {k: v for k, v in query.filters.items() if k != facet}
            clauses, clause_params = _filter_clauses("m.dataset_id", others)
            per_facet.append("(f.facet = %s" + "".join(f" AND {c}" for c in clauses) + ")")
            facet_params += [facet, *clause_params]
        facets_sql = (
            "WITH " + ", ".join(ctes) + " SELECT f.facet, f.value, COUNT(*) FROM catalog_searchfacet f "
            "JOIN matched m ON m.dataset_id = f.document_id WHERE " + " OR ".join(per_facet) + " "
            "GROUP BY f.facet, f.value"
        )
        with connection.cursor() as cursor:
            cursor.execute(ranked_sql, [*params, exact, query.page_size, query.offset])
            rows = cursor.fetchall()
            cursor.execute(facets_sql, [*matched_params, *facet_params])
            facet_rows = cursor.fetchall()
        total = rows[0][2] if rows else self._count(with_sql, params)
        documents = dict(
            SearchDocument.objects.filter(dataset_id__in=[r[0] for r in rows]).values_list("dataset_id", "document")
        )
        highlight_terms = set(expanded.terms)
        hits = [
            Hit(
                id=dataset_id,
                slug=documents[dataset_id]["slug"],
                name=documents[dataset_id]["name"],
                score=round(float(score or 0), 6),
                document=documents[dataset_id],
                highlights=highlights(documents[dataset_id], highlight_terms, expanded),
            )
            for dataset_id, score, _ in rows
            if dataset_id in documents
        ]
        return SearchResult(
            total=total,
            hits=hits,
            facets=_facets(facet_rows, query),
            backend=self.name,
            took_ms=(time.perf_counter() - started) * 1000,
            expanded=expanded,
            page=query.page,
            page_size=query.page_size,
        )

    def _count(self, with_sql: str, params: list[Any]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"{with_sql} SELECT COUNT(*) FROM candidates", params)
            return int(cursor.fetchone()[0])

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        return suggest_from_database(prefix, limit=limit)


def _facets(rows: list[tuple[str, str, int]], query: SearchQuery) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {key: [] for key in FACETS}
    for facet, value, count in rows:
        if facet in facets:
            selected = value in query.filters.get(facet, ())
            facets[facet].append(FacetValue(value=value, label=value, count=int(count), selected=selected))
    for values in facets.values():
        values.sort(key=lambda v: (-v.count, v.value))
        del values[FACET_LIMIT:]
    return facets


@lru_cache(maxsize=131_072)
def _short_text_terms(text: str) -> frozenset[str]:
    """Every term a short text (column name, tag, concept label) can be highlighted by, cached:
    they repeat from one hit to the next."""
    return frozenset().union(*(analysis.token_terms(word) for word in analysis._WORD_RE.findall(text)))


def _highlight(text: str, terms: frozenset[str]) -> str | None:
    """``analysis.highlight(text, terms)``, after a cheap test that most texts of a hit fail (no
    word of theirs matches): only the texts with a match are marked up."""
    if not text or not terms:
        return None
    if len(text) <= analysis.SHORT_TEXT:
        if _short_text_terms(text).isdisjoint(terms):
            return None
    elif all(analysis.token_terms(word).isdisjoint(terms) for word in analysis._WORD_RE.findall(text)):
        return None
    return analysis.highlight(text, terms)


def highlights(document: dict[str, Any], terms: set[str], expanded: ExpandedQuery) -> dict[str, list[str]]:
    """Matched words in ``<mark>``, per field, computed from the stored document."""
    found: dict[str, list[str]] = {}
    if not terms:
        return found
    wanted = frozenset(terms)
    for field in ("name", "description"):
        snippet = _highlight(document.get(field, ""), wanted)
        if snippet:
            found[field] = [snippet]
    for field in ("column_names", "column_descriptions", "tags", "concept_labels"):
        snippets = [s for s in (_highlight(v, wanted) for v in document.get(field, [])) if s]
        if snippets:
            found[field] = snippets[:5]
    return found


def suggest_from_database(prefix: str, *, limit: int = 8) -> list[Suggestion]:
    """Dataset names and glossary concepts starting with ``prefix`` (accents and case ignored);
    then names with a word starting with it."""
    from catalog.models import GlossaryTerm

    folded = analysis.fold(prefix.strip())
    if len(folded) < 2:
        return []
    out: list[Suggestion] = []
    names = SearchDocument.objects.filter(name_folded__startswith=folded).order_by("name_folded")[:limit]
    out += [Suggestion(text=d.document["name"], kind="dataset", slug=d.document["slug"]) for d in names]
    if len(out) < limit:
        more = (
            SearchDocument.objects.filter(name_folded__contains=f" {folded}")
            .exclude(dataset_id__in=[d.dataset_id for d in names])
            .order_by("name_folded")[: limit - len(out)]
        )
        out += [Suggestion(text=d.document["name"], kind="dataset", slug=d.document["slug"]) for d in more]
    for term in GlossaryTerm.objects.order_by("label_en"):
        for label in (term.label_en, term.label_fr):
            if analysis.fold(label).startswith(folded):
                out.append(Suggestion(text=label, kind="concept", slug=term.slug))
                break
    return out[: limit + 4]
