"""The search behaviour every backend must have: each test runs against the database backend and
against a real Elasticsearch node (``search_backend`` fixture)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from catalog import services
from catalog.models import Dataset, GlossaryTerm, PersonalDataClass
from catalog.roles import Role
from catalog.search import sync
from catalog.search.service import search, suggest
from catalog.search.types import SearchQuery, SearchResult
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class Catalog:
    datasets: dict[str, Dataset]
    customer_payment: GlossaryTerm
    card_payment: GlossaryTerm


def build_catalog() -> Catalog:
    camille = UserFactory(username="camille", first_name="Camille", last_name="Roux", roles=[Role.DATA_CUSTODIAN])
    helene = UserFactory(username="helene", first_name="Hélène", last_name="Dupré", roles=[Role.DATA_CUSTODIAN])
    customer = services.glossary_term_create(
        label_en="Customer", label_fr="Client", synonyms_fr=["clientèle"], definition="A person or company we serve."
    )
    customer_payment = services.glossary_term_create(
        label_en="Customer payment",
        label_fr="Paiement client",
        synonyms_en=["payment received"],
        synonyms_fr=["règlement client", "encaissement"],
    )
    card_payment = services.glossary_term_create(
        label_en="Card payment", label_fr="Paiement par carte", broader=customer_payment
    )
    churn = services.glossary_term_create(label_en="Churn", label_fr="Résiliation", synonyms_fr=["attrition"])
    gold = services.tag_create(name="Gold")
    specs = [
        dict(
            name="Card transactions",
            domain="payments",
            owner=camille,
            description="Authorised card operations at merchants, one row per authorisation.",
            glossary_terms=[card_payment],
            columns=[
                {"name": "pan", "personal_data_class": "direct", "description": "Card number"},
                {"name": "merchant_id"},
                {"name": "amount", "data_type": "float"},
                {"name": "authorised_at", "data_type": "datetime"},
            ],
            format="parquet",
        ),
        dict(
            name="Customer master",
            domain="customer",
            owner=camille,
            description="Golden record of every customer: identity and contact details.",
            glossary_terms=[customer],
            tags=[gold],
            columns=[
                {"name": "customer_id", "personal_data_class": "indirect"},
                {"name": "last_name", "personal_data_class": "direct"},
                {"name": "email", "personal_data_class": "direct"},
                {"name": "iban", "personal_data_class": "direct", "description": "Bank account number"},
            ],
        ),
        dict(
            name="Contract terminations",
            domain="customer",
            owner=camille,
            description="Résiliations de contrats, par motif et par canal.",
            columns=[{"name": "contract_id"}, {"name": "reason"}],
        ),
        dict(
            name="HR absences",
            domain="hr",
            owner=helene,
            description="Employee absences by day.",
            columns=[
                {"name": "employee_id", "personal_data_class": "indirect"},
                {"name": "sickLeaveReason", "personal_data_class": "special"},
            ],
        ),
        dict(
            name="Legacy payments extract",
            domain="payments",
            owner=camille,
            status="deprecated",
            description="Old extract of customer payments, replaced by the ledger.",
            columns=[{"name": "amount"}],
        ),
        dict(
            name="Payments draft feed",
            domain="payments",
            owner=camille,
            status="draft",
            description="Customer payments feed, still under construction.",
            columns=[{"name": "amount"}],
        ),
        dict(
            name="Customer payments ledger",
            domain="payments",
            owner=camille,
            status="published",
            description="Customer payments received, one row per payment.",
            columns=[{"name": "amount"}, {"name": "paid_at", "data_type": "date"}],
        ),
        dict(
            name="Marketing campaigns",
            domain="marketing",
            owner=camille,
            description="Responses to marketing campaigns.",
            glossary_terms=[churn],
            columns=[{"name": "campaign_code"}],
        ),
    ]
    datasets = {}
    for spec in specs:
        spec.setdefault("status", "published")
        datasets[spec["name"]] = services.dataset_create(**spec)
    sync.rebuild()
    return Catalog(datasets=datasets, customer_payment=customer_payment, card_payment=card_payment)


@pytest.fixture
def catalog(search_backend: str) -> Catalog:
    return build_catalog()


def run(text: str = "", **filters: str | tuple[str, ...]) -> SearchResult:
    normalised = {k: (v,) if isinstance(v, str) else v for k, v in filters.items()}
    result = search(query=SearchQuery(text=text, filters=normalised, page_size=20))
    assert not result.degraded
    return result


def names(result: SearchResult) -> list[str]:
    return [hit.name for hit in result.hits]


def test_result_comes_from_the_selected_backend(catalog: Catalog, search_backend: str) -> None:
    assert run("customer").backend == search_backend


def test_exact_name_match_comes_first(catalog: Catalog) -> None:
    assert names(run("Customer master"))[0] == "Customer master"
    assert names(run("customer payments ledger"))[0] == "Customer payments ledger"


@pytest.mark.parametrize("text", ["résiliation", "resiliation", "RÉSILIATIONS"])
def test_accents_and_case_are_folded(catalog: Catalog, text: str) -> None:
    assert "Contract terminations" in names(run(text))[:3]


def test_french_and_english_stemming(catalog: Catalog) -> None:
    assert "Contract terminations" in names(run("contrat résilié"))[:3]
    assert "Customer payments ledger" in names(run("payment"))[:3]
    assert "Customer master" in names(run("customers"))[:3]


@pytest.mark.parametrize(("text", "expected"), [("custmer mastr", "Customer master"), ("absenses", "HR absences")])
def test_typos_are_tolerated(catalog: Catalog, text: str, expected: str) -> None:
    assert expected in names(run(text))[:3]


def test_column_names_and_descriptions_are_searched(catalog: Catalog) -> None:
    assert names(run("iban"))[0] == "Customer master"
    assert names(run("bank account"))[0] == "Customer master"
    assert names(run("sick leave reason"))[0] == "HR absences"  # camelCase column split


def test_owner_and_domain_are_searched(catalog: Catalog) -> None:
    assert names(run("Hélène Dupré"))[0] == "HR absences"
    assert names(run("helene"))[0] == "HR absences"
    assert "Marketing campaigns" in names(run("marketing"))


@pytest.mark.parametrize("text", ["paiement client", "paiements clients", "règlement client", "customer payment"])
def test_glossary_expansion_finds_datasets_tagged_with_narrower_concepts(catalog: Catalog, text: str) -> None:
    """Card transactions never says "paiement" nor "client": it carries *Card payment*, a
    narrower concept of *Customer payment*."""
    result = run(text)
    assert "Card transactions" in names(result)[:5]
    assert catalog.customer_payment.slug in result.expanded.concept_slugs
    assert catalog.card_payment.slug in result.expanded.concept_slugs


def test_typo_in_a_concept_name_still_expands(catalog: Catalog) -> None:
    result = run("paimeent client")
    assert "paiement" in result.expanded.corrections["paimeent"]
    assert "Card transactions" in names(result)[:5]


def test_facets_count_the_results_and_combine_with_the_query(catalog: Catalog) -> None:
    result = run("payments")  # the four datasets of the Payments domain (the domain is searched too)
    domains = {f.value: f.count for f in result.facets["domain"]}
    assert domains["payments"] == 4 and result.total == sum(domains.values())
    statuses = {f.value: f.count for f in result.facets["status"]}
    assert statuses == {"published": 2, "draft": 1, "deprecated": 1}
    filtered = run("payments", status="published")
    assert names(filtered)[0] == "Customer payments ledger"
    assert set(names(filtered)) == {"Customer payments ledger", "Card transactions"}
    assert filtered.total == 2
    # A facet's own filter does not narrow its counts (the other values stay selectable)...
    assert {(f.value, f.count, f.selected) for f in filtered.facets["status"]} == {
        ("published", 2, True),
        ("draft", 1, False),
        ("deprecated", 1, False),
    }
    # ...while the other facets count what the filter leaves.
    assert {f.value: f.count for f in filtered.facets["domain"]} == {"payments": 2}


def test_facets_for_every_field(catalog: Catalog) -> None:
    result = run()
    assert result.total == len(catalog.datasets)
    assert set(result.facets) == {"domain", "sensitivity", "tag", "concept", "owner", "format", "status"}
    assert {f.value: f.count for f in result.facets["owner"]} == {"camille": 7, "helene": 1}
    assert {f.value: f.count for f in result.facets["format"]}["parquet"] == 1
    assert {f.value for f in result.facets["tag"]} == {"gold"}
    sensitivity = {f.value: f.count for f in result.facets["sensitivity"]}
    assert sensitivity[PersonalDataClass.SPECIAL] == 1 and sensitivity[PersonalDataClass.DIRECT] == 2
    assert {f.label for f in result.facets["domain"]} >= {"Payments", "HR"}


def test_filters_combine_or_within_a_facet_and_across_facets(catalog: Catalog) -> None:
    both = run(domain=("hr", "marketing"))
    assert sorted(names(both)) == ["HR absences", "Marketing campaigns"]
    assert names(run(domain=("hr", "marketing"), owner="camille")) == ["Marketing campaigns"]
    no_special = run("absences", sensitivity=("none", "indirect", "direct"))
    assert "HR absences" not in names(no_special)


def test_published_before_draft_and_deprecated_last(catalog: Catalog) -> None:
    found = names(run("customer payments"))
    assert found.index("Customer payments ledger") < found.index("Payments draft feed")
    assert found[-1] == "Legacy payments extract"
    browse = names(run())
    assert browse[-1] == "Legacy payments extract"


def test_highlights_mark_the_matched_words(catalog: Catalog) -> None:
    hit = run("golden")
    assert hit.hits[0].name == "Customer master"
    assert "<mark>Golden</mark>" in " ".join(hit.hits[0].highlights["description"])


def test_highlights_escape_html(catalog: Catalog) -> None:
    dataset = catalog.datasets["Marketing campaigns"]
    services.dataset_update(dataset=dataset, data={"description": "Campaign <b>bold</b> responses"})
    sync.sync_datasets([dataset.pk])
    snippet = " ".join(run("campaign").hits[0].highlights.get("description", []))
    assert "<mark>Campaign</mark>" in snippet and "<b>" not in snippet


def test_words_that_match_nothing_return_nothing(catalog: Catalog) -> None:
    result = run("xylophone")
    assert result.total == 0 and result.hits == []


def test_paging(catalog: Catalog) -> None:
    first = search(query=SearchQuery(text="", page=1, page_size=3))
    second = search(query=SearchQuery(text="", page=2, page_size=3))
    assert first.total == second.total == len(catalog.datasets)
    assert len(first.hits) == 3 and not set(names(first)) & set(names(second))


def test_suggestions_as_you_type(catalog: Catalog) -> None:
    suggestions, degraded = suggest(prefix="cust")
    texts = [s.text for s in suggestions]
    assert not degraded
    assert {"Customer master", "Customer payments ledger"} <= set(texts)
    concepts = [s.text for s in suggest(prefix="paiem")[0] if s.kind == "concept"]
    assert "Paiement client" in concepts and "Paiement par carte" in concepts
    assert "Contract terminations" in [s.text for s in suggest(prefix="contr")[0]]


def test_changes_reach_the_index(catalog: Catalog, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    dataset = catalog.datasets["Marketing campaigns"]
    with django_capture_on_commit_callbacks(execute=True):
        services.dataset_update(dataset=dataset, data={"name": "Campaign responses"})
    assert names(run("Campaign responses"))[0] == "Campaign responses"
    with django_capture_on_commit_callbacks(execute=True):
        Dataset.objects.filter(pk=catalog.datasets["HR absences"].pk).delete()
    assert "HR absences" not in names(run("absences"))
