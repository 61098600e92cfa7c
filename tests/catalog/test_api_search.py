"""The search API: ``GET /api/search/`` and ``GET /api/search/suggest/``.

The index is filled by the sync that runs on commit; ``pytest-django``'s ``db`` tests never
commit, so the fixtures rebuild the index explicitly after creating the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from pytest_django import Settings
from rest_framework.test import APIClient

from catalog.search.sync import rebuild
from catalog.search.types import FACETS
from tests.factories import ColumnFactory, DatasetFactory, UserFactory
from tests.frontend.data import Catalog, build_catalog

pytestmark = pytest.mark.django_db

SEARCH = "/api/search/"
SUGGEST = "/api/search/suggest/"
ROLE_FIXTURES = ["data_scientist", "officer", "project_lead", "custodian", "admin_user"]
HIT_FIELDS = {
    "id",
    "slug",
    "name",
    "url",
    "api_url",
    "score",
    "description",
    "domain",
    "domain_label",
    "status",
    "status_label",
    "format",
    "sensitivity",
    "sensitivity_label",
    "tags",
    "tag_slugs",
    "concepts",
    "owner",
    "owner_name",
    "column_count",
    "updated_at",
    "highlights",
    "access",
}
ALL = {"card-payments", "health-claims", "branch-opening-hours", "fraud-convictions"}


@pytest.fixture
def catalog(custodian: User, make_user: Callable[..., User]) -> Catalog:
    built = build_catalog(custodian=custodian, other_owner=make_user(username="owen"))
    rebuild()
    return built


@pytest.fixture
def api(client_for: Callable[[object | None], APIClient], data_scientist: User) -> APIClient:
    return client_for(data_scientist)


def _slugs(body: dict[str, Any]) -> set[str]:
    return {hit["slug"] for hit in body["results"]}


def _facet(body: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {value["value"]: value for value in body["facets"][key]}


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SEARCH + "?q=payment", SUGGEST + "?q=pay"])
def test_anonymous_gets_401(client_for: Callable[[object | None], APIClient], catalog: Catalog, url: str) -> None:
    response = client_for(None).get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_every_role_may_search(
    request: pytest.FixtureRequest, client_for: Callable[[object | None], APIClient], catalog: Catalog, role: str
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.get(SEARCH, {"q": "payment"}).status_code == 200
    assert client.get(SUGGEST, {"q": "pay"}).status_code == 200


def test_a_user_without_a_role_may_search_too(
    client_for: Callable[[object | None], APIClient], catalog: Catalog
) -> None:
    assert client_for(UserFactory(username="norole")).get(SEARCH).status_code == 200


def test_session_authentication(data_scientist: User, catalog: Catalog) -> None:
    client = APIClient()
    client.force_login(data_scientist)
    assert client.get(SEARCH, {"q": "card"}).status_code == 200


# --- Results and facets ------------------------------------------------------------------------


def test_result_shape(api: APIClient, catalog: Catalog) -> None:
    response = api.get(SEARCH, {"q": "paiement client"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "count",
        "page",
        "page_size",
        "backend",
        "degraded",
        "took_ms",
        "corrections",
        "concepts",
        "results",
        "facets",
    }
    assert body["count"] == 1 and body["page"] == 1 and body["page_size"] == 20
    assert body["backend"] == "database" and body["degraded"] is False
    assert isinstance(body["took_ms"], float) and body["took_ms"] >= 0
    assert body["corrections"] == {}

    # The query names the concept "Customer payment" (in French): the dataset tagged with it matches
    # although its text never says "paiement".
    concepts = {c["slug"]: c for c in body["concepts"]}
    assert concepts["customer-payment"] == {
        "slug": "customer-payment",
        "label_en": "Customer payment",
        "label_fr": "Paiement client",
        "url": "http://testserver/glossary/customer-payment/",
    }

    [hit] = body["results"]
    assert set(hit) == HIT_FIELDS
    assert hit["slug"] == "card-payments" and hit["name"] == "Card payments"
    assert hit["url"] == "http://testserver/catalog/card-payments/"
    assert hit["api_url"] == "http://testserver/api/datasets/card-payments/"
    assert hit["domain"] == "payments" and hit["domain_label"] == "Payments"
    assert hit["status"] == "published"
    assert hit["sensitivity"] == "indirect" and hit["sensitivity_label"] == "Indirect identifier"
    assert hit["tags"] == ["payments"] and hit["owner"] == "camille"
    assert hit["column_count"] == 4
    assert hit["description"].startswith("Card transactions")
    assert hit["score"] > 0
    assert "customer-payment" in hit["concepts"]
    assert any("<mark>Paiement</mark>" in s for s in hit["highlights"]["concept_labels"])
    # Filled by governance (catalog.hooks): personal data, no grant nor request of the user's projects.
    assert hit["access"]["status"] == "requestable" and hit["access"]["url"].endswith("#request-access")


def test_facets_shape_and_counts(api: APIClient, catalog: Catalog) -> None:
    body = api.get(SEARCH).json()
    assert body["count"] == 4 and _slugs(body) == ALL
    assert set(body["facets"]) == set(FACETS)
    for values in body["facets"].values():
        for value in values:
            assert set(value) == {"value", "label", "count", "selected"}
            assert value["selected"] is False
    assert _facet(body, "domain")["payments"] == {
        "value": "payments",
        "label": "Payments",
        "count": 1,
        "selected": False,
    }
    assert _facet(body, "domain")["customer"]["count"] == 1
    sensitivity = _facet(body, "sensitivity")
    assert sensitivity["special"]["label"] == "Special category (Art. 9)"
    assert {v: sensitivity[v]["count"] for v in sensitivity} == {"indirect": 1, "special": 1, "none": 1, "criminal": 1}
    assert _facet(body, "status")["draft"]["count"] == 1
    assert _facet(body, "tag")["payments"]["label"] == "payments"
    assert _facet(body, "concept")["customer-payment"]["label"] == "Customer payment / Paiement client"
    assert _facet(body, "owner")["owen"]["count"] == 3


def test_a_facet_filter_combines_with_the_query(api: APIClient, catalog: Catalog) -> None:
    ColumnFactory(dataset=catalog.branch_hours, name="diagnosis_code")
    rebuild()
    both = api.get(SEARCH, {"q": "diagnosis"}).json()
    assert _slugs(both) == {"health-claims", "branch-opening-hours"}
    assert _facet(both, "domain")["customer"]["count"] == 1

    body = api.get(SEARCH, {"q": "diagnosis", "domain": "customer"}).json()
    assert body["count"] == 1 and _slugs(body) == {"health-claims"}
    assert _facet(body, "domain")["customer"]["selected"] is True
    assert api.get(SEARCH, {"q": "diagnosis", "domain": "payments"}).json()["count"] == 0


def test_facets_combine_with_each_other(api: APIClient, catalog: Catalog) -> None:
    # Several values of one facet: any of them; different facets: all of them.
    body = api.get(SEARCH + "?sensitivity=special&sensitivity=criminal").json()
    assert _slugs(body) == {"health-claims", "fraud-convictions"}
    assert {v["value"] for v in body["facets"]["sensitivity"] if v["selected"]} == {"special", "criminal"}
    body = api.get(SEARCH + "?sensitivity=special&sensitivity=criminal&domain=risk").json()
    assert _slugs(body) == {"fraud-convictions"}
    body = api.get(SEARCH + "?owner=owen&status=published").json()
    assert _slugs(body) == {"health-claims", "fraud-convictions"}


def test_format_is_a_facet_not_a_renderer(api: APIClient, catalog: Catalog) -> None:
    response = api.get(SEARCH, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["count"] == 4
    assert api.get(SEARCH, {"format": "parquet"}).json()["count"] == 0


def test_unknown_facet_values_match_nothing(api: APIClient, catalog: Catalog) -> None:
    response = api.get(SEARCH, {"domain": "no-such-domain"})
    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["results"] == []


def test_unknown_parameters_are_ignored(api: APIClient, catalog: Catalog) -> None:
    assert api.get(SEARCH, {"colour": "blue"}).json()["count"] == 4


def test_typos_are_reported_as_corrections(api: APIClient, catalog: Catalog) -> None:
    body = api.get(SEARCH, {"q": "paiment"}).json()
    assert "paiement" in body["corrections"]["paiment"]
    assert "card-payments" in _slugs(body)


def test_highlights_are_escaped_html(api: APIClient, custodian: User) -> None:
    DatasetFactory(
        name="Payroll export",
        slug="payroll-export",
        owner=custodian,
        description="Payroll lines. `<script>alert('pwned')</script>`",
    )
    rebuild()
    [hit] = api.get(SEARCH, {"q": "payroll"}).json()["results"]
    assert hit["highlights"]["name"] == ["<mark>Payroll</mark> export"]
    [snippet] = hit["highlights"]["description"]
    assert "<mark>Payroll</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet


# --- Paging ------------------------------------------------------------------------------------


def test_paging(api: APIClient, custodian: User) -> None:
    for n in range(5):
        DatasetFactory(name=f"Ledger {n}", slug=f"ledger-{n}", owner=custodian)
    rebuild()
    pages = [api.get(SEARCH, {"q": "ledger", "page_size": 2, "page": p}).json() for p in (1, 2, 3, 4)]
    assert [p["count"] for p in pages] == [5, 5, 5, 5]
    assert [len(p["results"]) for p in pages] == [2, 2, 1, 0]
    assert [p["page"] for p in pages] == [1, 2, 3, 4] and pages[0]["page_size"] == 2
    seen = [hit["slug"] for p in pages for hit in p["results"]]
    assert sorted(seen) == [f"ledger-{n}" for n in range(5)]  # no repeat, none missing


# --- Validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"q": "x" * 201}, "q"),
        ({"tag": "x" * 201}, "tag"),
    ],
)
def test_bad_parameters_are_400_with_field_errors(
    api: APIClient, catalog: Catalog, params: dict[str, str], field: str
) -> None:
    response = api.get(SEARCH, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_limits_are_accepted(api: APIClient, catalog: Catalog) -> None:
    assert api.get(SEARCH, {"page_size": "100", "q": "x" * 200}).status_code == 200
    assert len(api.get(SEARCH, {"page_size": "1"}).json()["results"]) == 1


# --- Suggestions -------------------------------------------------------------------------------


def test_suggest_concepts_and_datasets(api: APIClient, catalog: Catalog) -> None:
    body = api.get(SUGGEST, {"q": "pai"}).json()
    assert body["degraded"] is False
    suggestions = {s["text"]: s for s in body["suggestions"]}
    assert suggestions["Paiement client"] == {
        "text": "Paiement client",
        "kind": "concept",
        "slug": "customer-payment",
        "url": "http://testserver/search/?q=Paiement+client",
    }
    [card] = api.get(SUGGEST, {"q": "card"}).json()["suggestions"]
    assert card == {
        "text": "Card payments",
        "kind": "dataset",
        "slug": "card-payments",
        "url": "http://testserver/catalog/card-payments/",
    }


def test_suggest_ignores_case_and_accents(api: APIClient, catalog: Catalog) -> None:
    texts = [s["text"] for s in api.get(SUGGEST, {"q": "PAÏEMENT CL"}).json()["suggestions"]]
    assert "Paiement client" in texts


def test_suggest_needs_two_characters(api: APIClient, catalog: Catalog) -> None:
    assert api.get(SUGGEST, {"q": "p"}).json() == {"suggestions": [], "degraded": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": "x" * 201}, "q"), ({"q": "pay", "limit": "0"}, "limit"), ({"q": "pay", "limit": "21"}, "limit")],
)
def test_suggest_validation(api: APIClient, catalog: Catalog, params: dict[str, str], field: str) -> None:
    response = api.get(SUGGEST, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- Elasticsearch down ------------------------------------------------------------------------


def test_elasticsearch_down_answers_from_the_database(api: APIClient, catalog: Catalog, settings: Settings) -> None:
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there: the node is "down"
    response = api.get(SEARCH, {"q": "paiement client", "sensitivity": "indirect"})
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is True and body["backend"] == "database"
    assert _slugs(body) == {"card-payments"}
    suggest = api.get(SUGGEST, {"q": "card"})
    assert suggest.status_code == 200 and suggest.json()["degraded"] is True
    assert [s["slug"] for s in suggest.json()["suggestions"]] == ["card-payments"]


# --- OpenAPI -----------------------------------------------------------------------------------


def test_search_is_documented_in_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    search = schema["paths"]["/api/search/"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert {"q", "page", "page_size", *FACETS} <= set(params)
    assert params["domain"]["schema"]["type"] == "array"  # repeat the parameter for several values
    assert params["page_size"]["schema"]["maximum"] == 100
    assert {"200", "400", "401"} <= set(search["responses"])
    components = schema["components"]["schemas"]
    hit = components["SearchHit"]["properties"]
    assert hit["access"].get("nullable") is True
    assert {"url", "api_url", "highlights", "score"} <= set(hit)
    response = components["SearchResponse"]["properties"]
    assert {"count", "degraded", "backend", "corrections", "concepts", "results", "facets"} <= set(response)
    assert "/api/search/suggest/" in schema["paths"]
