"""The Elasticsearch backend on its own, against a real node (``tests.services.elasticsearch_node``,
through the session's ``elasticsearch_server`` fixture): mapping and analysis, scoring rules,
facets, highlights, suggestions, bulk indexing, the alias swap of a rebuild, and the failure mode
when the node is down. Each test gets an alias (and indices) of its own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from catalog.models import Dataset, DatasetStatus, PersonalDataClass
from catalog.search import sync
from catalog.search.backends import SearchUnavailable
from catalog.search.backends.elasticsearch import ElasticsearchBackend
from catalog.search.documents import build_documents
from catalog.search.expansion import expand
from catalog.search.types import ExpandedQuery, SearchQuery, SearchResult
from tests.factories import ColumnFactory, DatasetFactory, GlossaryTermFactory, TagFactory, UserFactory
from tests.services import ElasticsearchNode

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def node(elasticsearch_server: ElasticsearchNode) -> ElasticsearchNode:
    """The session's node (started once: it is slow to start), up at the start of this module."""
    if not elasticsearch_server.is_up():
        elasticsearch_server.start()
    return elasticsearch_server


@pytest.fixture
def backend(node: ElasticsearchNode) -> Iterator[ElasticsearchBackend]:
    if not node.is_up():  # a previous test stopped it and failed before restarting it
        node.start()
    alias = f"test-esb-{uuid.uuid4().hex[:10]}"
    yield ElasticsearchBackend(url=node.url, index=alias)
    if node.is_up():
        Elasticsearch(node.url).indices.delete(index=f"{alias}*", ignore_unavailable=True)


@pytest.fixture
def owner():  # type: ignore[no-untyped-def]
    return UserFactory(username="camille", first_name="Camille", last_name="Roux")


def make(owner: Any, name: str, *, columns: list[dict[str, Any]] | None = None, **fields: Any) -> Dataset:
    fields.setdefault("description", "")
    fields.setdefault("source_system", "")
    fields.setdefault("domain", "finance")  # "Finance": a label no test searches
    dataset = DatasetFactory(name=name, owner=owner, **fields)
    for position, column in enumerate(columns or []):
        ColumnFactory(dataset=dataset, position=position, **column)
    return dataset


def documents(*datasets: Dataset) -> dict[int, dict[str, Any]]:
    return build_documents([d.pk for d in datasets])


def index(backend: ElasticsearchBackend, *datasets: Dataset) -> dict[int, dict[str, Any]]:
    """Index the datasets' documents as the sync does (database index and vocabulary too)."""
    docs = documents(*datasets)
    sync.store_documents(docs)
    backend.index_documents(list(docs.values()))
    return docs


def run(
    backend: ElasticsearchBackend, text: str = "", *, page: int = 1, page_size: int = 20, **filters: Any
) -> SearchResult:
    normalised = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in filters.items()}
    query = SearchQuery(text=text, filters=normalised, page=page, page_size=page_size)
    result = backend.search(query, expand(text))
    assert result.backend == "elasticsearch"
    return result


def names(result: SearchResult) -> list[str]:
    return [hit.name for hit in result.hits]


# --- Analysis --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["résiliation", "resiliation", "RÉSILIATIONS", "Resiliations"])
def test_accents_and_case_are_folded(backend: ElasticsearchBackend, owner: Any, text: str) -> None:
    index(
        backend,
        make(owner, "Contract terminations", description="Résiliations de contrats, par motif."),
        make(owner, "Branch openings", description="Ouvertures d'agences."),
    )
    assert names(run(backend, text)) == ["Contract terminations"]


def test_french_and_english_stemming(backend: ElasticsearchBackend, owner: Any) -> None:
    index(
        backend,
        make(owner, "Paiements reçus", description="Un paiement par ligne."),
        make(owner, "Customers", description="Every customer of the bank."),
        make(owner, "Weather", description="Rain and sun."),
    )
    assert names(run(backend, "paiement")) == ["Paiements reçus"]
    assert names(run(backend, "paiements")) == ["Paiements reçus"]
    assert names(run(backend, "customer")) == ["Customers"]
    assert names(run(backend, "customers")) == ["Customers"]


def test_typos_are_tolerated_by_fuzziness_and_by_the_vocabulary(backend: ElasticsearchBackend, owner: Any) -> None:
    docs = documents(make(owner, "Paiements clients"), make(owner, "Customer master"), make(owner, "Weather"))
    # A word the vocabulary does not know is matched with Elasticsearch's own fuzziness (here the
    # corrections lead nowhere, so fuzziness alone finds it)...
    backend.index_documents(list(docs.values()))
    misspelt = ExpandedQuery(
        text="paimeent", words=("paimeent",), terms=("paimeent", "zzzz"), corrections={"paimeent": ("zzzz",)}
    )
    found = backend.search(SearchQuery(text="paimeent"), misspelt)
    assert [h.name for h in found.hits] == ["Paiements clients"]
    # ...a word it knows is not (no fuzzy clause, nothing found)...
    known = ExpandedQuery(text="paimeent", words=("paimeent",), terms=("paimeent",))
    assert backend.search(SearchQuery(text="paimeent"), known).total == 0
    # ...and with the real vocabulary, the corrections match too.
    sync.store_documents(docs)
    result = run(backend, "paimeent")
    assert (
        "paiement" in result.expanded.corrections["paimeent"] or "paiements" in result.expanded.corrections["paimeent"]
    )
    assert names(result) == ["Paiements clients"]
    assert names(run(backend, "custmer mastr")) == ["Customer master"]
    assert names(run(backend, "xylophone")) == []
    # Short words get no edit (the "AUTO:4,8" budget): "bat" is not "cat".
    assert run(backend, "wea").total == 0


def test_identifiers_are_split(backend: ElasticsearchBackend, owner: Any) -> None:
    index(
        backend,
        make(owner, "Accounts", columns=[{"name": "customer_id"}, {"name": "birthDate"}]),
        make(owner, "HR absences", columns=[{"name": "sickLeaveReason"}]),
    )
    assert names(run(backend, "customer")) == ["Accounts"]
    assert names(run(backend, "birth date")) == ["Accounts"]
    assert names(run(backend, "sick leave")) == ["HR absences"]
    hit = run(backend, "customer").hits[0]
    assert hit.highlights["column_names"] == ["<mark>customer</mark>_id"]


def test_every_text_field_is_searched(backend: ElasticsearchBackend, owner: Any) -> None:
    helene = UserFactory(username="helene", first_name="Hélène", last_name="Dupré")
    gold = TagFactory(name="Gold")
    index(
        backend,
        make(owner, "Alpha", tags=[gold]),
        make(owner, "Beta", columns=[{"name": "iban", "description": "Bank account number"}]),
        make(helene, "Gamma"),
        make(owner, "Delta", domain="marketing"),
        make(owner, "Epsilon", source_system="Salesforce"),
        make(owner, "Zeta", description="Golden record"),
    )
    assert names(run(backend, "gold")) == ["Alpha"]
    assert names(run(backend, "iban")) == ["Beta"]
    assert names(run(backend, "bank account")) == ["Beta"]
    assert names(run(backend, "helene dupre")) == ["Gamma"]
    assert names(run(backend, "marketing")) == ["Delta"]
    assert names(run(backend, "salesforce")) == ["Epsilon"]
    assert names(run(backend, "golden")) == ["Zeta"]


# --- Glossary expansion ------------------------------------------------------------------------------


def test_glossary_expansion_through_concepts_and_narrower_terms(backend: ElasticsearchBackend, owner: Any) -> None:
    customer_payment = GlossaryTermFactory(
        label_en="Customer payment", label_fr="Paiement client", synonyms_fr=["encaissement"]
    )
    card_payment = GlossaryTermFactory(label_en="Card payment", label_fr="Paiement par carte", broader=customer_payment)
    unrelated = GlossaryTermFactory(label_en="Weather", label_fr="Météo")
    tagged_broad = make(owner, "Ledger", description="One row per entry.")
    tagged_broad.glossary_terms.set([customer_payment])
    tagged_narrow = make(owner, "Card transactions", description="Authorised operations at merchants.")
    tagged_narrow.glossary_terms.set([card_payment])
    other = make(owner, "Forecasts", description="Rain and sun.")
    other.glossary_terms.set([unrelated])
    # The concept labels are searched as text too: expansion must work from the ids alone, so
    # index documents without their labels.
    docs = documents(tagged_broad, tagged_narrow, other)
    for doc in docs.values():
        doc["concept_labels"] = []
    sync.store_documents(docs)
    backend.index_documents(list(docs.values()))
    for text in ("paiement client", "paiements clients", "customer payment", "encaissement"):
        result = run(backend, text)
        assert set(result.expanded.concept_ids) == {customer_payment.pk, card_payment.pk}
        assert set(names(result)) == {"Ledger", "Card transactions"}, text
    narrow = run(backend, "card payment")
    assert names(narrow) == ["Card transactions"]


def test_the_rarer_concept_a_query_names_weighs_more(backend: ElasticsearchBackend, owner: Any) -> None:
    """ "customer payment" names *Customer* (on most datasets) and *Customer payment* (on one): the
    dataset carrying the specific concept comes first."""
    customer = GlossaryTermFactory(label_en="Customer", label_fr="Client")
    customer_payment = GlossaryTermFactory(label_en="Customer payment", label_fr="Paiement client")
    generic = [make(owner, name) for name in ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")]
    for dataset in generic:
        dataset.glossary_terms.set([customer])
    specific = make(owner, "Omega")
    specific.glossary_terms.set([customer_payment])
    docs = documents(*generic, specific)
    for doc in docs.values():
        doc["concept_labels"] = []
    sync.store_documents(docs)
    backend.index_documents(list(docs.values()))
    result = run(backend, "customer payment")
    assert set(result.expanded.concept_ids) == {customer.pk, customer_payment.pk}
    assert names(result)[0] == "Omega" and result.total == 6


# --- Facets and filters ------------------------------------------------------------------------------


def test_facets_count_the_filtered_results(backend: ElasticsearchBackend, owner: Any) -> None:
    helene = UserFactory(username="helene", first_name="Hélène", last_name="Dupré")
    gold = TagFactory(name="Gold")
    index(
        backend,
        make(owner, "Payments ledger", domain="payments", tags=[gold], format="parquet"),
        make(owner, "Payments draft", domain="payments", status=DatasetStatus.DRAFT),
        make(helene, "Payments archive", domain="payments", status=DatasetStatus.DEPRECATED),
        make(
            owner, "Customer payments", domain="customer", columns=[{"name": "email", "personal_data_class": "direct"}]
        ),
        make(owner, "Weather", domain="operations"),
    )
    result = run(backend, "payments")
    assert result.total == 4
    assert set(result.facets) == {"domain", "sensitivity", "tag", "concept", "owner", "format", "status"}
    assert [(f.value, f.count) for f in result.facets["domain"]] == [("payments", 3), ("customer", 1)]
    assert [(f.value, f.count) for f in result.facets["status"]] == [("published", 2), ("deprecated", 1), ("draft", 1)]
    assert [(f.value, f.count) for f in result.facets["owner"]] == [("camille", 3), ("helene", 1)]
    assert [(f.value, f.count) for f in result.facets["tag"]] == [("gold", 1)]
    assert {f.value: f.count for f in result.facets["sensitivity"]} == {
        PersonalDataClass.NONE: 3,
        PersonalDataClass.DIRECT: 1,
    }
    assert result.facets["concept"] == []
    assert not any(f.selected for values in result.facets.values() for f in values)

    # A facet's own filter leaves its counts alone (disjunctive facets); the other facets count
    # what the filter leaves.
    published = run(backend, "payments", status="published")
    assert sorted(names(published)) == ["Customer payments", "Payments ledger"] and published.total == 2
    assert [(f.value, f.count, f.selected) for f in published.facets["status"]] == [
        ("published", 2, True),
        ("deprecated", 1, False),
        ("draft", 1, False),
    ]
    assert [(f.value, f.count) for f in published.facets["domain"]] == [("customer", 1), ("payments", 1)]
    assert [(f.value, f.count) for f in published.facets["owner"]] == [("camille", 2)]

    # Filters: OR within a facet, AND across facets.
    filtered = run(backend, "payments", status=("published", "draft"), owner="camille")
    assert sorted(names(filtered)) == ["Customer payments", "Payments draft", "Payments ledger"]
    assert filtered.total == 3
    assert [(f.value, f.count, f.selected) for f in filtered.facets["status"]] == [
        ("published", 2, True),
        ("draft", 1, True),
    ]
    assert [(f.value, f.selected) for f in filtered.facets["owner"]] == [("camille", True)]
    assert names(run(backend, "payments", domain="payments", tag="gold")) == ["Payments ledger"]
    assert names(run(backend, "payments", format="parquet")) == ["Payments ledger"]
    assert run(backend, "payments", domain="hr").total == 0
    assert run(backend, domain="operations").total == 1
    assert run(backend, "payments", unknown_facet="x").total == 4  # unknown facets are ignored


def test_facet_values_are_capped_at_thirty(backend: ElasticsearchBackend, owner: Any) -> None:
    datasets = [make(owner, f"Set {i}", tags=[TagFactory(name=f"t{i:02d}")]) for i in range(35)]
    index(backend, *datasets)
    tags = run(backend).facets["tag"]
    assert len(tags) == 30 and [t.value for t in tags] == [f"t{i:02d}" for i in range(30)]


# --- Ranking ----------------------------------------------------------------------------------------


def test_exact_name_match_comes_first(backend: ElasticsearchBackend, owner: Any) -> None:
    index(
        backend,
        make(owner, "Payments", description="Daily file."),
        make(
            owner,
            "Payments of payments",
            description="Payments, payments and payments.",
            tags=[TagFactory(name="payments")],
        ),
        make(owner, "Card payments", description="Payments by card, payments by card."),
    )
    result = run(backend, "PAYMENTS")
    assert names(result)[0] == "Payments"
    assert result.total == 3
    # The exact match is first even where its text scores less; paging stays consistent.
    one_by_one = [names(run(backend, "payments", page=p, page_size=1))[0] for p in (1, 2, 3)]
    assert one_by_one == names(result)
    assert names(run(backend, "payments", page=2, page_size=2)) == names(result)[2:]
    assert run(backend, "payments", page=4, page_size=1).hits == []


def test_deprecated_last_even_when_it_scores_best(backend: ElasticsearchBackend, owner: Any) -> None:
    index(
        backend,
        make(owner, "Churn scores churn", description="Churn churn churn.", status=DatasetStatus.DEPRECATED),
        make(owner, "Marketing", description="About churn."),
        make(owner, "Draft churn", status=DatasetStatus.DRAFT, description="Churn."),
    )
    found = names(run(backend, "churn"))
    assert found[-1] == "Churn scores churn"
    assert names(run(backend))[-1] == "Churn scores churn"


def test_exact_name_match_first_even_when_deprecated(backend: ElasticsearchBackend, owner: Any) -> None:
    """As the database backend: exact name first, then the deprecated-last rule."""
    index(
        backend,
        make(owner, "Churn", status=DatasetStatus.DEPRECATED),
        make(owner, "Churn model inputs"),
    )
    assert names(run(backend, "churn")) == ["Churn", "Churn model inputs"]


def test_published_before_draft_at_equal_text(backend: ElasticsearchBackend, owner: Any) -> None:
    index(
        backend,
        make(owner, "Loans A", description="Consumer loans.", status=DatasetStatus.DRAFT),
        make(owner, "Loans B", description="Consumer loans.", status=DatasetStatus.PUBLISHED),
    )
    result = run(backend, "consumer")
    assert names(result) == ["Loans B", "Loans A"]
    assert result.hits[0].score == pytest.approx(result.hits[1].score / 0.7, rel=1e-3)
    assert names(run(backend)) == ["Loans B", "Loans A"]


def test_datasets_used_by_more_projects_rank_higher(backend: ElasticsearchBackend, owner: Any) -> None:
    docs = documents(
        make(owner, "Rates A", description="Interest rates."),
        make(owner, "Rates B", description="Interest rates."),
        make(owner, "Rates C", description="Interest rates."),
    )
    by_name = {d["name"]: d for d in docs.values()}
    by_name["Rates B"]["project_count"] = 12
    by_name["Rates C"]["project_count"] = 3
    backend.index_documents(list(docs.values()))
    result = run(backend, "interest")
    assert names(result) == ["Rates B", "Rates C", "Rates A"]
    # The usage factor of the database backend: 1 + 0.15·ln(1 + projects).
    assert result.hits[0].score / result.hits[2].score == pytest.approx(1 + 0.15 * 2.564949, rel=1e-3)


def test_ties_are_ordered_by_name_then_id(backend: ElasticsearchBackend, owner: Any) -> None:
    index(backend, *[make(owner, name, description="Same text.") for name in ("Cherry", "apple", "Banana")])
    assert names(run(backend, "same text")) == ["apple", "Banana", "Cherry"]


# --- Highlights -------------------------------------------------------------------------------------


def test_highlights_mark_matches_and_escape_html(backend: ElasticsearchBackend, owner: Any) -> None:
    docs = documents(
        make(owner, "Campaign responses", columns=[{"name": "campaign_code", "description": "Code of the campaign"}])
    )
    doc = next(iter(docs.values()))
    doc["description"] = "Campaign <b>bold</b> & responses <script>x</script>"
    backend.index_documents([doc])
    hit = run(backend, "campaigns").hits[0]
    assert hit.highlights["name"] == ["<mark>Campaign</mark> responses"]
    description = hit.highlights["description"][0]
    assert description.startswith("<mark>Campaign</mark> &lt;b&gt;bold&lt;/b&gt; &amp; responses")
    assert "<b>" not in description and "<script>" not in description
    assert hit.highlights["column_names"] == ["<mark>campaign</mark>_code"]
    assert hit.highlights["column_descriptions"] == ["Code of the <mark>campaign</mark>"]
    # The hit carries the stored document unchanged (no indexing-only fields).
    assert hit.document == doc
    assert run(backend).hits[0].highlights == {}


# --- Suggestions ------------------------------------------------------------------------------------


def test_suggestions_as_you_type(backend: ElasticsearchBackend, owner: Any) -> None:
    GlossaryTermFactory(label_en="Customer payment", label_fr="Paiement client")
    GlossaryTermFactory(label_en="Churn", label_fr="Résiliation")
    index(
        backend,
        make(owner, "Résiliations de contrats"),
        make(owner, "Customer master"),
        make(owner, "Customer payments ledger"),
        make(owner, "Old customer list", status=DatasetStatus.DEPRECATED),
        make(owner, "Weather"),
    )
    for prefix in ("resil", "Résil", "RESIL"):
        suggestions = backend.suggest(prefix)
        assert [(s.text, s.kind) for s in suggestions] == [
            ("Résiliations de contrats", "dataset"),
            ("Résiliation", "concept"),
        ]
    cust = backend.suggest("cust")
    # Names starting with the prefix first, then names with a later word starting with it.
    assert [s.text for s in cust if s.kind == "dataset"] == [
        "Customer master",
        "Customer payments ledger",
        "Old customer list",
    ]
    assert [s.text for s in cust if s.kind == "concept"] == ["Customer payment"]
    assert cust[0].slug == Dataset.objects.get(name="Customer master").slug
    assert [s.text for s in backend.suggest("customer pay")] == ["Customer payments ledger", "Customer payment"]
    assert [s.text for s in backend.suggest("cust", limit=1) if s.kind == "dataset"] == ["Customer master"]
    assert backend.suggest("c") == []
    assert backend.suggest("zzz") == []


# --- Writing, reading back, rebuilding --------------------------------------------------------------


def test_document_hashes_and_delete_documents(backend: ElasticsearchBackend, owner: Any) -> None:
    assert backend.document_hashes() == {}  # no index yet
    docs = index(backend, make(owner, "One"), make(owner, "Two"), make(owner, "Three"))
    assert backend.document_hashes() == {i: d["source_hash"] for i, d in docs.items()}
    first, *rest = sorted(docs)
    backend.delete_documents([first, 999_999_999])  # a missing id is fine
    assert set(backend.document_hashes()) == set(rest)
    assert sorted(h.id for h in run(backend).hits) == rest
    backend.delete_documents([])
    # Re-indexing replaces by id.
    doc = docs[rest[0]]
    changed = {**doc, "name": "Renamed", "source_hash": "x" * 40}
    backend.index_documents([changed])
    assert backend.document_hashes()[rest[0]] == "x" * 40
    assert run(backend).total == 2


def test_index_and_alias_are_created_lazily(backend: ElasticsearchBackend, owner: Any) -> None:
    es = backend.client
    assert not es.indices.exists_alias(name=backend.index)
    result = run(backend, "anything")
    assert result.total == 0 and result.hits == [] and all(v == [] for v in result.facets.values())
    assert es.indices.exists_alias(name=backend.index)
    assert backend.suggest("an") == []
    other = ElasticsearchBackend(url=backend.url, index=f"{backend.index}-lazy")
    try:
        index(other, make(owner, "Lazy"))
        assert names(run(other, "lazy")) == ["Lazy"]
        (concrete,) = es.indices.get_alias(name=other.index).body
        mapping = es.indices.get_mapping(index=concrete).body[concrete]["mappings"]
        assert mapping["dynamic"] == "false" and "indexed" in mapping["properties"]
    finally:
        es.indices.delete(index=f"{other.index}*", ignore_unavailable=True)


def test_rebuild_swaps_the_alias_while_searches_keep_answering(backend: ElasticsearchBackend, owner: Any) -> None:
    es = backend.client
    old = make(owner, "Old dataset")
    index(backend, old)
    (first_index,) = es.indices.get_alias(name=backend.index).body
    new = make(owner, "New dataset")

    name = backend.create_index()
    assert name.startswith(f"{backend.index}-") and name != first_index
    settings = es.indices.get_settings(index=name).body[name]["settings"]["index"]
    assert settings["refresh_interval"] == "-1" and settings["number_of_replicas"] == "0"
    backend.index_documents(list(documents(old, new).values()), index=name)
    # Not active yet: searches answer from the current index.
    assert names(run(backend)) == ["Old dataset"]

    backend.activate_index(name)
    assert sorted(names(run(backend))) == ["New dataset", "Old dataset"]
    assert list(es.indices.get_alias(name=backend.index).body) == [name]
    assert not es.indices.exists(index=first_index)  # the older index is gone
    settings = es.indices.get_settings(index=name).body[name]["settings"]["index"]
    assert "refresh_interval" not in settings and settings["auto_expand_replicas"] == "0-1"
    # The incremental path writes to the new index, visible at once.
    backend.index_documents(list(documents(make(owner, "Later dataset")).values()))
    assert run(backend).total == 3

    # A second rebuild, searched all along.
    second = backend.create_index()
    backend.index_documents(list(documents(new).values()), index=second)
    assert run(backend).total == 3
    backend.activate_index(second)
    assert names(run(backend)) == ["New dataset"]
    assert list(es.indices.get_alias(name=backend.index).body) == [second]
    assert not es.indices.exists(index=name)


def test_rebuild_through_the_sync_module(backend: ElasticsearchBackend, owner: Any, settings: Any) -> None:
    settings.ELASTICSEARCH_URL = backend.url
    settings.ELASTICSEARCH_INDEX = backend.index
    make(owner, "Sync one")
    make(owner, "Sync two")
    report = sync.rebuild()
    assert report.indexed == 2 and report.elasticsearch.startswith(f"rebuilt into {backend.index}-")
    assert sorted(names(run(backend))) == ["Sync one", "Sync two"]
    assert sync.reconcile(repair=False).repaired == 0


# --- Robustness -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '((( "foo AND" OR *:* ~~~ /regex/ [a TO b] {x} ^2 \\',
        "<script>alert(1)</script>",
        "le la les de des",  # stop words only
        "🙂 ∑ 中文 العربية",
        "x" * 500,
        " ".join(f"word{i}" for i in range(200)),
    ],
)
def test_any_input_is_a_valid_query(backend: ElasticsearchBackend, owner: Any, text: str) -> None:
    index(backend, make(owner, "Customer master"))
    result = run(backend, text)
    assert result.total >= 0


def test_pages_beyond_the_result_window_are_empty(backend: ElasticsearchBackend, owner: Any) -> None:
    index(backend, make(owner, "Alpha"))
    result = run(backend, page=1000, page_size=20)
    assert result.total == 1 and result.hits == []
    assert run(backend, "alpha", page=100_000, page_size=100).hits == []


def test_node_down_raises_search_unavailable_quickly(
    backend: ElasticsearchBackend, owner: Any, node: ElasticsearchNode
) -> None:
    docs = index(backend, make(owner, "Survivor"))
    assert backend.ping()
    node.stop()
    try:
        assert not backend.ping()
        for call in (
            lambda: run(backend, "survivor"),
            lambda: run(backend),
            lambda: backend.suggest("surv"),
            lambda: backend.index_documents(list(docs.values())),
            lambda: backend.delete_documents(list(docs)),
            lambda: backend.document_hashes(),
            lambda: backend.create_index(),
        ):
            started = time.monotonic()
            with pytest.raises(SearchUnavailable):
                call()
            assert time.monotonic() - started < 10
    finally:
        node.start()
    # Back up: the same backend object answers again, with the data kept.
    assert backend.ping()
    assert names(run(backend, "survivor")) == ["Survivor"]
