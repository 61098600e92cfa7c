"""Text analysis for search: the same in Python (database backend) as in the Elasticsearch mapping.

A text becomes *terms*: each word is case- and accent-folded (``Résiliation`` -> ``resiliation``),
identifiers are split (``customer_id`` -> ``customer``, ``id``; ``birthDate`` -> ``birth``,
``date``), French and English stop words are dropped, and each word is indexed as itself and as its
French and English Snowball stems, so "paiements" finds "paiement" and "customers" finds
"customer" whatever the language of the text.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from snowballstemmer.basestemmer import BaseStemmer

_STEMMER_LANGUAGES = ("french", "english")
_local = threading.local()


def _stemmers() -> tuple[BaseStemmer, ...]:
    """This thread's French and English stemmers.

    A Snowball stemmer keeps the word being stemmed in the object itself (``stemWord`` sets it,
    stems it in place, then reads it back), so one stemmer shared by the threads of a gunicorn
    gthread worker mixes their words: ``IndexError`` or, silently, a wrong stem that
    ``stems``' cache then keeps. Each thread therefore gets stemmers of its own.
    """
    stemmers: tuple[BaseStemmer, ...] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = tuple(snowballstemmer.stemmer(language) for language in _STEMMER_LANGUAGES)
        _local.stemmers = stemmers
    return stemmers


_STOP_WORDS_TEXT = """
    a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur leurs lui ma
    mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te
    tes toi ton tu un une vos votre vous y d l n s t c j m qu est sont tout tous toute toutes concerne
    concernant an and are as at be by for from has have in is it its of on or that the their this to was were
    which with all about any
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Prélèvement SEPA`` -> ``prelevement sepa``."""
    if text.isascii():  # nothing to decompose or strip (NFKD leaves ASCII as is): the common case
        return text.lower()
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """Folded words of ``text``, identifiers split, stop words kept (used for phrases)."""
    if not text:
        return []
    spaced = _CAMEL_RE.sub(" ", text)
    return [w for w in _WORD_RE.findall(fold(spaced)) if w]


def content_words(text: str) -> list[str]:
    """Folded words without stop words (single letters and digits-only words kept if long)."""
    return [w for w in words(text) if w not in STOP_WORDS]


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, ...]:
    """The word's French and English stems, without the word itself and without duplicates."""
    if len(word) <= 3 or word.isdigit():
        return ()
    found: list[str] = []
    for stemmer in _stemmers():
        stem = stemmer.stemWord(word)
        if stem != word and stem not in found and len(stem) >= 2:
            found.append(stem)
    return tuple(found)


def word_terms(word: str) -> list[str]:
    return [word, *stems(word)]


def analyze(text: str) -> list[str]:
    """Terms of ``text`` for indexing: each content word and its stems, in order."""
    out: list[str] = []
    for word in content_words(text):
        out.extend(word_terms(word))
    return out


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text analysed once: its content words (``content_words``) and its terms (``analyze``),
    space-separated."""

    words: tuple[str, ...]
    terms: str


SHORT_TEXT = 120  # column names, tags, concept labels, owners, domains: they repeat across datasets


def _analysed(text: str) -> Analysed:
    found = content_words(text)
    return Analysed(words=tuple(found), terms=" ".join(t for word in found for t in word_terms(word)))


_analysed_short = lru_cache(maxsize=262_144)(_analysed)
# Long texts (descriptions) are unique, but a reindex analyses each one for the database columns,
# the vocabulary and Elasticsearch in turn, a batch apart at most: a small cache is enough.
_analysed_long = lru_cache(maxsize=4096)(_analysed)


def analysed(text: str) -> Analysed:
    """``Analysed`` of ``text``, memoised per text (the same text is analysed once)."""
    return _analysed_short(text) if len(text) <= SHORT_TEXT else _analysed_long(text)


def join_terms(texts: Iterable[str]) -> str:
    """Terms of several texts as one space-separated string (``analyze`` of each, in order)."""
    return " ".join(filter(None, (analysed(text).terms for text in texts if text)))


def analyze_many(texts: Iterable[str]) -> str:
    """Terms of several texts as one space-separated string (a full-text column's content)."""
    return join_terms(texts)


@lru_cache(maxsize=131_072)
def token_terms(token: str) -> frozenset[str]:
    """The terms a word of a text is matched by when highlighting (its parts, folded, and their
    stems), cached: column names, tags and concept labels repeat from one hit to the next."""
    return frozenset(t for part in words(token) for t in word_terms(part))


def highlight(text: str, terms: Iterable[str], *, max_chars: int = 240) -> str | None:
    """``text`` HTML-escaped with the words whose terms match ``terms`` in ``<mark>``.

    Returns ``None`` when nothing matches. Long texts are cut around the first match.
    """
    wanted = set(terms)
    if not text or not wanted:
        return None
    spans = [match.span() for match in _WORD_RE.finditer(text) if not token_terms(match.group(0)).isdisjoint(wanted)]
    if not spans:
        return None
    start, end = 0, len(text)
    if len(text) > max_chars:
        start = max(0, spans[0][0] - max_chars // 3)
        end = min(len(text), start + max_chars)
    out: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    out.append(html.escape(text[cursor:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
