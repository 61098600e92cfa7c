"""From the text a person typed to an ``ExpandedQuery``: analysed terms, typo corrections and the
glossary concepts the text names (with their narrower concepts).

Done once per search, before the backend, so both backends expand the same way.

- Typo tolerance: a query word that is not in the index vocabulary is matched against it with the
  Damerau–Levenshtein distance, with Elasticsearch's "AUTO" budget: no edit up to 3 letters, one
  up to 7, two beyond.
- Glossary expansion: a concept is named when all content words of one of its labels or synonyms
  (French or English) appear in the query, compared word to word or stem to stem (after typo
  correction). "paiement client", "paiements clients" and "customer payments" all name
  *Customer payment*; its narrower concepts (*Card payment*...) come along.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extract

from catalog.models import GlossaryTerm
from catalog.search import analysis, reference
from catalog.search.documents import concept_texts
from catalog.search.types import ExpandedQuery

MAX_CORRECTIONS = 3


def edit_budget(word: str) -> int:
    if len(word) <= 3 or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


def corrections_for(words: list[str]) -> dict[str, tuple[str, ...]]:
    """Indexed words close to each query word that is not itself indexed."""
    vocabulary = reference.current().vocabulary
    found: dict[str, tuple[str, ...]] = {}
    for word in words:
        budget = edit_budget(word)
        if budget == 0 or word in vocabulary.members:
            continue
        matches = extract(
            word,
            vocabulary.words,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=budget,
            limit=MAX_CORRECTIONS,
        )
        if matches:
            found[word] = tuple(m[0] for m in sorted(matches, key=lambda m: (m[1], m[0])))
    return found


@lru_cache(maxsize=65536)
def _term_set(word: str) -> frozenset[str]:
    """The word and its stems (``analysis.word_terms``), cached: the glossary's words recur on
    every search."""
    return frozenset(analysis.word_terms(word))


@lru_cache(maxsize=4096)
def _name_words(text: str) -> tuple[str, ...]:
    """Content words of a concept's label or synonym, cached by text (always current: the texts
    themselves are read from the database on each search)."""
    return tuple(analysis.content_words(text))


def _same_word(a: str, b: str) -> bool:
    return a == b or not _term_set(a).isdisjoint(_term_set(b))


def _named(term: GlossaryTerm, query_terms: frozenset[str]) -> bool:
    """Whether all content words of one of the term's names are in the query, word to word or
    stem to stem: ``_same_word(n, c)`` for some query word or correction ``c`` is the same as
    ``n``'s terms meeting the union of the candidates' terms (a word is one of its own terms)."""
    for text in concept_texts(
        {
            "label_en": term.label_en,
            "label_fr": term.label_fr,
            "synonyms_en": term.synonyms_en,
            "synonyms_fr": term.synonyms_fr,
        }
    ):
        name_words = _name_words(text)
        if name_words and all(not _term_set(n).isdisjoint(query_terms) for n in name_words):
            return True
    return False


def _query_terms(query_words: list[list[str]]) -> frozenset[str]:
    return frozenset(t for alternatives in query_words for candidate in alternatives for t in _term_set(candidate))


def matching_concepts(query_words: list[list[str]]) -> list[GlossaryTerm]:
    """Concepts one of whose names is fully contained in the query.

    ``query_words`` holds, for each query word, the word and its typo corrections.
    """
    if not query_words:
        return []
    query_terms = _query_terms(query_words)
    return [term for term in GlossaryTerm.objects.all() if _named(term, query_terms)]


def _with_narrower_among(terms: list[GlossaryTerm], glossary: list[GlossaryTerm]) -> list[GlossaryTerm]:
    """``with_narrower`` over an already loaded glossary (no query)."""
    children: dict[int | None, list[GlossaryTerm]] = {}
    for term in glossary:
        children.setdefault(term.broader_id, []).append(term)
    found = {t.pk: t for t in terms}
    frontier = list(found)
    while frontier:
        below = [c for parent in frontier for c in children.get(parent, []) if c.pk not in found]
        found.update({c.pk: c for c in below})
        frontier = list(dict.fromkeys(c.pk for c in below))
    return list(found.values())


def with_narrower(terms: list[GlossaryTerm]) -> list[GlossaryTerm]:
    """The terms and every concept below them in the hierarchy."""
    if not terms:
        return []
    return _with_narrower_among(terms, list(GlossaryTerm.objects.all()))


def named_concepts(query_words: list[list[str]]) -> list[GlossaryTerm]:
    """``with_narrower(matching_concepts(query_words))`` without a query: the glossary is kept per
    process (``reference``) and its hierarchy walked in memory."""
    if not query_words:
        return []
    glossary = list(reference.current().glossary)
    query_terms = _query_terms(query_words)
    return _with_narrower_among([t for t in glossary if _named(t, query_terms)], glossary)


def expand(text: str) -> ExpandedQuery:
    words = analysis.content_words(text or "")
    corrections = corrections_for(words)
    terms: list[str] = []
    for word in words:
        for candidate in (word, *corrections.get(word, ())):
            for term in analysis.word_terms(candidate):
                if term not in terms:
                    terms.append(term)
    alternatives = [[w, *corrections.get(w, ())] for w in words]
    concepts = named_concepts(alternatives)
    concepts.sort(key=lambda t: t.slug)
    return ExpandedQuery(
        text=text or "",
        words=tuple(words),
        terms=tuple(terms),
        corrections=corrections,
        concept_ids=tuple(t.pk for t in concepts),
        concept_slugs=tuple(t.slug for t in concepts),
    )
