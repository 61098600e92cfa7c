"""Text analysis and document building: thread safety of the stemmers, and the fast paths of
the reindex (memoised analysis, ASCII folding, plain-text descriptions) giving exactly the output
of the slow paths they bypass."""

from __future__ import annotations

import html
import random
import threading
import unicodedata
from itertools import product

import pytest
import snowballstemmer

from benchmarks.search_speed import PERIODS, QUALIFIERS, SCOPES, description
from catalog.markdown import render_markdown
from catalog.search import analysis, documents, sync
from fixtures.datasets import DATASETS
from fixtures.glossary import TERMS
from fixtures.tags import TAGS

THREADS = 8


def _vocabulary() -> list[str]:
    """Several thousand distinct words of both languages, as the catalog and queries carry them."""
    texts = [d.name for d in DATASETS] + [d.description for d in DATASETS]
    texts += [c.name for d in DATASETS for c in d.columns] + [c.description for d in DATASETS for c in d.columns]
    texts += [text for t in TERMS for text in (t.label_en, t.label_fr, *t.synonyms_en, *t.synonyms_fr)]
    texts += [t.name for t in TAGS]
    found = {w for text in texts for w in analysis.content_words(text)}
    # Inflections, so that the stemmers really work (plural, feminine, verb and adverb endings).
    endings = ("s", "es", "e", "ement", "ations", "ing", "ed", "ies", "ness", "ment", "euses")
    found |= {w + e for w, e in product(sorted(found)[:600], endings)}
    return sorted(found)


def _reference_stems(words: list[str]) -> dict[str, tuple[str, ...]]:
    """The stems computed the plain way: fresh stemmers, one thread, no cache."""
    stemmers = [snowballstemmer.stemmer("french"), snowballstemmer.stemmer("english")]
    out: dict[str, tuple[str, ...]] = {}
    for word in words:
        if len(word) <= 3 or word.isdigit():
            out[word] = ()
            continue
        found: list[str] = []
        for stemmer in stemmers:
            stem = stemmer.stemWord(word)
            if stem != word and stem not in found and len(stem) >= 2:
                found.append(stem)
        out[word] = tuple(found)
    return out


def _hammer(function, inputs: list[str]) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Each of ``THREADS`` threads applies ``function`` to every input (each in its own order),
    all starting together; their results, and any exception raised."""
    barrier = threading.Barrier(THREADS)
    results: list[dict[str, object]] = [{} for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        order = list(inputs)
        random.Random(n).shuffle(order)
        barrier.wait()
        try:
            for item in order:
                results[n][item] = function(item)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_stemming_from_8_threads_gives_the_single_threaded_stems() -> None:
    words = _vocabulary()
    assert len(words) > 5000
    expected = _reference_stems(words)
    # Without the cache: every call runs the stemmers, all threads at once.
    for result in _hammer(analysis.stems.__wrapped__, words):
        assert result == expected
    # Through the cache, emptied first (a wrong stem would be kept there for good).
    analysis.stems.cache_clear()
    for result in _hammer(analysis.stems, words):
        assert result == expected
    assert {w: analysis.stems(w) for w in words} == expected


def test_analysing_texts_from_8_threads_gives_the_single_threaded_terms() -> None:
    texts = [d.description for d in DATASETS] + [c.description for d in DATASETS for c in d.columns]
    expected = {text: analysis.analyze(text) for text in texts}
    analysis.stems.cache_clear()
    for result in _hammer(analysis.analyze, texts):
        assert result == expected


def test_each_thread_has_stemmers_of_its_own() -> None:
    mine = analysis._stemmers()
    assert analysis._stemmers() is mine
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(analysis._stemmers()))
    thread.start()
    thread.join()
    assert other[0] is not mine
    assert [type(s) for s in other[0]] == [type(s) for s in mine]  # type: ignore[attr-defined]


def _slow_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(analysis._LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def test_ascii_folding_fast_path_is_the_full_folding() -> None:
    texts = ["", "Customer_ID", "birthDate", "SEPA Direct Debit", "IBAN / BIC (FR76)", "".join(map(chr, range(128)))]
    texts += (
        [d.name for d in DATASETS] + [d.description for d in DATASETS] + [c.name for d in DATASETS for c in d.columns]
    )
    assert any(not t.isascii() for t in texts)
    for text in [*texts, "Prélèvement", "Œuvre", "Straße", "ﬁchier", "İ"]:
        assert analysis.fold(text) == _slow_fold(text)


def test_memoised_analysis_is_the_plain_analysis() -> None:
    long_text = " ".join(d.description for d in DATASETS[:3])
    texts = ["", "customer_id", "Paiements clients", "Le client et la banque", long_text, "x"]
    for text in texts:
        assert analysis.analysed(text).terms == " ".join(analysis.analyze(text))
        assert analysis.analysed(text).words == tuple(analysis.content_words(text))
    assert analysis.join_terms(texts) == " ".join(t for text in texts for t in analysis.analyze(text))
    assert analysis.analysed("customer_id") is analysis.analysed("customer_id")


def _rendered_plain_text(markdown_text: str) -> str:
    """``documents.plain_text`` the slow way, always rendering the Markdown."""
    html_text = documents._BLOCK_TAG_RE.sub(" ", render_markdown(markdown_text))
    return " ".join(html.unescape(documents._TAG_RE.sub("", html_text)).split())


def _generated_descriptions(count: int) -> list[str]:
    """Descriptions as the speed benchmark generates them (benchmarks/search_speed.py)."""
    rng = random.Random(11)
    topics = [t.label_en.lower() for t in TERMS] + [t.label_fr.lower() for t in TERMS]
    out = []
    for _ in range(count):
        lang = rng.randint(0, 1)
        out.append(description(rng, lang, rng.choice(topics), rng.choice(QUALIFIERS[lang]), rng.choice(SCOPES[lang])))
    return out


def test_plain_descriptions_skip_rendering_with_the_same_text() -> None:
    demo = [d.description for d in DATASETS] + [c.description for d in DATASETS for c in d.columns]
    generated = _generated_descriptions(2000)
    plain = [t for t in demo + generated if documents.is_plain(t)]
    # The generated ones have no Markdown; the demo has both kinds.
    assert all(documents.is_plain(t) for t in generated)
    assert 0 < sum(documents.is_plain(d.description) for d in DATASETS) < len(DATASETS)
    assert PERIODS  # the generator's vocabulary is the one imported
    for text in demo + generated:
        assert documents.plain_text(text) == _rendered_plain_text(text)
    assert len(plain) > 2000


@pytest.mark.parametrize("seed", range(4))
def test_texts_taken_as_plain_render_to_themselves(seed: int) -> None:
    """Random texts over an alphabet of every Markdown-significant character and line start:
    whenever ``is_plain`` lets one skip rendering, rendering would have given the same text."""
    rng = random.Random(seed)
    pieces = list("abcéàçœXYZ .,;:!?()'\"/%€$@0123456789-+=>*_`#[]<>&|~\\\t\r\n\u00a0")
    pieces += ["\n\n", "  \n", "1. ", "2) ", "- ", "+ ", "> ", "    ", "---", "===", "http://x.io ", "a@b.fr "]
    pieces += ["&amp;", "&#39;", "**", "__", "```", "~~~", "| a | b |", "<b>", "[x](y)", "\r\n", "\x02", "word "]
    plain = 0
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        if documents.is_plain(text):
            plain += 1
            assert documents.plain_text(text) == _rendered_plain_text(text), repr(text)
    assert plain > 300


def test_rendered_descriptions_still_lose_their_markup() -> None:
    text = "**Encours** des _prêts_ :\n\n- client\n- `contrat`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert not documents.is_plain(text)
    assert documents.plain_text(text) == "Encours des prêts : client contrat a b 1 2"


def test_vocabulary_words_come_from_the_memoised_analysis() -> None:
    document = {
        "name": "Paiements clients 2024",
        "tags": ["PII"],
        "concept_labels": ["Customer payment", "Paiement client"],
        "column_names": ["customer_id", "amountEur", "id"],
        "column_descriptions": ["Montant du paiement en euros"],
        "description": "Un paiement par ligne, issu du système de cartes.",
        "owner": "camille",
        "owner_name": "Camille Roux",
        "domain_label": "Payments",
        "source_system": "",
    }
    texts = [v for k, v in document.items() if isinstance(v, str)] + [
        t for v in document.values() if isinstance(v, list) for t in v
    ]
    expected = {w for t in texts for w in analysis.content_words(t) if 2 < len(w) <= 100 and not w.isdigit()}
    assert sync._vocabulary_words(document) == expected
    assert "2024" not in expected and "paiements" in expected
