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

import threading
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extract

from catalog.models import GlossaryTerm, SearchVocabulary
from catalog.search import analysis
from catalog.search.documents import concept_texts
from catalog.search.types import ExpandedQuery

MAX_CORRECTIONS = 3


def edit_budget(word: str) -> int:
    if len(word) <= 3 or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


@dataclass
class _Vocabulary:
    words: list[str]
    members: frozenset[str]
    stamp: tuple[int, int]


class VocabularyCache:
    """The index vocabulary, loaded once per process and reloaded when it changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: _Vocabulary | None = None

    def get(self) -> _Vocabulary:
        rows = SearchVocabulary.objects.order_by("-id").values_list("id", flat=True)
        last = rows.first() or 0
        stamp = (last, SearchVocabulary.objects.count() if last else 0)
        with self._lock:
            if self._current is None or self._current.stamp != stamp:
                words = list(SearchVocabulary.objects.values_list("word", flat=True))
                self._current = _Vocabulary(words=words, members=frozenset(words), stamp=stamp)
            return self._current


vocabulary_cache = VocabularyCache()


def corrections_for(words: list[str]) -> dict[str, tuple[str, ...]]:
    """Indexed words close to each query word that is not itself indexed."""
    vocabulary = vocabulary_cache.get()
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


def _same_word(a: str, b: str) -> bool:
    return a == b or bool(set(analysis.word_terms(a)) & set(analysis.word_terms(b)))


def matching_concepts(query_words: list[list[str]]) -> list[GlossaryTerm]:
    """Concepts one of whose names is fully contained in the query.

    ``query_words`` holds, for each query word, the word and its typo corrections.
    """
    if not query_words:
        return []
    named: list[GlossaryTerm] = []
    for term in GlossaryTerm.objects.all():
        for text in concept_texts(
            {
                "label_en": term.label_en,
                "label_fr": term.label_fr,
                "synonyms_en": term.synonyms_en,
                "synonyms_fr": term.synonyms_fr,
            }
        ):
            name_words = analysis.content_words(text)
            if name_words and all(
                any(_same_word(n, candidate) for alternatives in query_words for candidate in alternatives)
                for n in name_words
            ):
                named.append(term)
                break
    return named


def with_narrower(terms: list[GlossaryTerm]) -> list[GlossaryTerm]:
    """The terms and every concept below them in the hierarchy."""
    found = {t.pk: t for t in terms}
    frontier = list(found)
    while frontier:
        children = list(GlossaryTerm.objects.filter(broader_id__in=frontier).exclude(pk__in=found))
        found.update({c.pk: c for c in children})
        frontier = [c.pk for c in children]
    return list(found.values())


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
    concepts = with_narrower(matching_concepts(alternatives))
    concepts.sort(key=lambda t: t.slug)
    return ExpandedQuery(
        text=text or "",
        words=tuple(words),
        terms=tuple(terms),
        corrections=corrections,
        concept_ids=tuple(t.pk for t in concepts),
        concept_slugs=tuple(t.slug for t in concepts),
    )
