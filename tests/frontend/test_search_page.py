"""The search page (``/search/``) and the search boxes that lead to it, through Django's test client.

The index is filled by the sync that runs on commit; ``pytest-django``'s ``db`` tests never
commit, so the fixtures rebuild the index explicitly after creating data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from catalog.search.sync import rebuild
from tests.factories import DatasetFactory
from tests.frontend.data import Catalog, ClientAs, build_catalog

pytestmark = pytest.mark.django_db

SEARCH = reverse("frontend:search")
DEGRADED = "Search is running in reduced mode (Elasticsearch unavailable): results come from the database."


@pytest.fixture
def catalog(custodian: User, make_user: Callable[..., User]) -> Catalog:
    built = build_catalog(custodian=custodian, other_owner=make_user(username="owen"))
    rebuild()
    return built


@pytest.fixture
def client(client_as: ClientAs, data_scientist: User) -> Client:
    return client_as(data_scientist)


def _text(response: HttpResponse) -> str:
    """The response body as text with tags removed and whitespace collapsed (what a person reads)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())


def _hits(response: HttpResponse) -> list[str]:
    return re.findall(r'<li class="search-hit[^"]*" data-dataset="([^"]+)"', response.content.decode())


def _hit(response: HttpResponse, slug: str) -> str:
    match = re.search(rf'<li class="search-hit[^"]*" data-dataset="{slug}".*?</li>\s*(?=<li class="search-hit|</ol>)',
                      response.content.decode(), flags=re.S)  # fmt: skip
    assert match, f"no hit {slug!r}"
    return match.group(0)


def _facet(response: HttpResponse, key: str) -> str:
    match = re.search(rf'<section class="facet"[^>]*data-facet="{key}">.*?</section>', response.content.decode(), re.S)
    assert match, f"no facet {key!r}"
    return match.group(0)


def _option(facet_html: str, value: str) -> str:
    match = re.search(rf'<a class="facet__option[^"]*"[^>]*data-value="{re.escape(value)}">.*?</a>', facet_html, re.S)
    assert match, f"no facet value {value!r}"
    return match.group(0)


def _href(link_html: str) -> str:
    match = re.search(r'href="([^"]*)"', link_html)
    assert match
    return html.unescape(match.group(1))


# --- Access and search boxes -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client_as: ClientAs, catalog: Catalog) -> None:
    response = Client().get(SEARCH, {"q": "payment"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("url_name", ["frontend:home", "frontend:dataset-list", "frontend:glossary-list"])
def test_every_page_has_a_header_search_box(client: Client, catalog: Catalog, url_name: str) -> None:
    body = client.get(reverse(url_name)).content.decode()
    header = re.search(r"<header.*?</header>", body, re.S)
    assert header
    form = re.search(
        r'<form method="get" action="/search/" class="site-search" role="search".*?</form>', header[0], re.S
    )
    assert form, "a search form in the header"
    box = form.group(0)
    assert 'role="combobox"' in box and 'aria-expanded="false"' in box and 'aria-autocomplete="list"' in box
    assert 'aria-controls="header-q-listbox"' in box and 'id="header-q-listbox"' in box and 'role="listbox"' in box
    assert 'name="q"' in box and 'data-suggest-url="/api/search/suggest/"' in box
    assert '<script src="/static/frontend/search.js" defer></script>' in body


def test_the_home_page_search_box_goes_to_the_search_page(client: Client, catalog: Catalog) -> None:
    body = client.get(reverse("frontend:home")).content.decode()
    assert re.search(r'<form method="get" action="/search/" class="hero-search"', body)
    assert 'id="home-q"' in body


def test_the_catalog_page_links_to_the_search_page(client: Client, catalog: Catalog) -> None:
    body = client.get(reverse("frontend:dataset-list"), {"q": "card"}).content.decode()
    assert 'href="/search/?q=card"' in body


# --- Results -----------------------------------------------------------------------------------


def test_a_concept_query_finds_tagged_datasets_with_highlights(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "paiement client"})
    assert response.status_code == 200
    assert _hits(response) == ["card-payments"]
    text = _text(response)
    assert "1 dataset for “paiement client”" in text
    assert re.search(r"· \d+ ms", text)  # took_ms
    assert "Including datasets tagged with the glossary concepts Customer payment / Paiement client" in text
    assert 'href="/glossary/customer-payment/"' in response.content.decode()

    hit = _hit(response, "card-payments")
    assert '<a href="/catalog/card-payments/">Card payments</a>' in hit
    assert "<mark>Paiement</mark> <mark>client</mark>" in hit  # the concept label that matched
    assert "badge-status-published" in hit and ">Published<" in hit
    assert "badge-pd-indirect" in hit and ">Indirect<" in hit
    assert '<span class="badge badge-domain">Payments</span>' in hit
    assert ">payments</a>" in hit  # tag
    assert f"Owner: {catalog.card_payments.owner.get_full_name()}" in hit
    assert "4 columns" in hit
    # The search box keeps the query.
    assert 'id="search-q" type="search" name="q" value="paiement client"' in response.content.decode()


def test_matched_columns_are_shown_highlighted(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "diagnosis"})
    assert _hits(response) == ["health-claims"]
    hit = _hit(response, "health-claims")
    assert "Matched columns" in hit
    assert '<code class="search-hit__column"><mark>diagnosis</mark></code>' in hit
    assert ">Special category (Art. 9)<" in hit


def test_a_name_match_is_highlighted_in_the_title(client: Client, catalog: Catalog) -> None:
    hit = _hit(client.get(SEARCH, {"q": "fraud"}), "fraud-convictions")
    assert '<a href="/catalog/fraud-convictions/"><mark>Fraud</mark> convictions</a>' in hit


def test_without_a_query_every_dataset_is_listed(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH)
    assert sorted(_hits(response)) == ["branch-opening-hours", "card-payments", "fraud-convictions", "health-claims"]
    assert "4 datasets" in _text(response)


def test_descriptions_are_escaped_in_snippets(client: Client, custodian: User) -> None:
    DatasetFactory(
        name="Payroll <b>export</b>",
        slug="payroll-export",
        owner=custodian,
        description="Payroll lines. `<script>alert('pwned')</script>` <img src=x onerror=alert(1)>",
    )
    rebuild()
    response = client.get(SEARCH, {"q": "payroll"})
    body = response.content.decode()
    hit = _hit(response, "payroll-export")
    assert "<mark>Payroll</mark>" in hit  # highlights are rendered as HTML...
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in hit  # ...with the text escaped
    assert "&lt;b&gt;export&lt;/b&gt;" in hit
    assert "<script>alert" not in body and "<b>export" not in body and "onerror=alert" not in body.replace("&", "")
    # Without a highlight the plain description is escaped too.
    other = client.get(SEARCH, {"owner": "camille", "q": ""})
    assert "<script>alert" not in other.content.decode()
    assert "&lt;script&gt;" in _hit(other, "payroll-export")


def test_typos_show_what_was_searched_and_did_you_mean(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "paiment", "domain": "payments"})
    assert "card-payments" in _hits(response)
    text = _text(response)
    assert "Searched also for paiement" in text and "(for “paiment”)" in text
    assert re.search(r"Did you mean paiement ?\?", text)
    assert 'href="/search/?q=paiement&amp;domain=payments"' in response.content.decode()


def test_nothing_found_suggests_what_to_do(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "zzyzx", "domain": "payments"})
    assert response.status_code == 200 and _hits(response) == []
    text = _text(response)
    assert "No dataset matches “zzyzx” with these filters." in text
    assert "Search without the filters" in text and "glossary" in text
    assert 'href="/search/?q=zzyzx"' in response.content.decode()


# --- Facets ------------------------------------------------------------------------------------


def test_facets_are_rendered_with_counts(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": ""})
    for key, title in [
        ("domain", "Domain"),
        ("sensitivity", "Sensitivity"),
        ("tag", "Tag"),
        ("concept", "Glossary concept"),
        ("owner", "Owner"),
        ("format", "Format"),
        ("status", "Status"),
    ]:
        assert f">{title}</h3>" in _facet(response, key)
    owner = _option(_facet(response, "owner"), "owen")
    assert 'role="checkbox"' in owner and 'aria-checked="false"' in owner
    assert '<span class="facet__count" aria-hidden="true">3</span>' in owner
    assert "(3 datasets)" in owner
    special = _option(_facet(response, "sensitivity"), "special")
    assert ">Special category (Art. 9)<" in special and "(1 dataset)" in special
    # Sensitivity reads from the least to the most sensitive.
    values = re.findall(r'data-value="(\w+)"', _facet(response, "sensitivity"))
    assert values == ["none", "indirect", "special", "criminal"]


def test_a_facet_link_adds_the_filter_and_keeps_the_query(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "customer"})
    assert set(_hits(response)) >= {"card-payments", "health-claims"}
    link = _href(_option(_facet(response, "domain"), "payments"))
    assert link == "/search/?q=customer&domain=payments"

    filtered = client.get(link)
    assert _hits(filtered) == ["card-payments"]
    selected = _option(_facet(filtered, "domain"), "payments")
    assert 'aria-checked="true"' in selected and "is-selected" in selected
    assert _href(selected) == "/search/?q=customer"  # unchecking removes it
    # Other facets' links keep both the query and the filter (they combine).
    status_link = _href(_option(_facet(filtered, "status"), "published"))
    assert status_link == "/search/?q=customer&domain=payments&status=published"
    assert "Domain: Payments" in _text(filtered)  # the active filter, removable
    # The search form keeps the filters when the query changes.
    assert '<input type="hidden" name="domain" value="payments">' in filtered.content.decode()


def test_values_of_one_facet_combine(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH + "?sensitivity=special&sensitivity=criminal")
    assert sorted(_hits(response)) == ["fraud-convictions", "health-claims"]
    facet = _facet(response, "sensitivity")
    assert 'aria-checked="true"' in _option(facet, "special") and 'aria-checked="true"' in _option(facet, "criminal")
    assert _href(_option(facet, "special")) == "/search/?sensitivity=criminal"
    assert "Clear all filters" in _text(response)


def test_a_selected_value_without_results_can_still_be_removed(client: Client, catalog: Catalog) -> None:
    response = client.get(SEARCH, {"q": "fraud", "domain": "payments"})
    assert _hits(response) == []
    option = _option(_facet(response, "domain"), "payments")
    assert 'aria-checked="true"' in option and _href(option) == "/search/?q=fraud"


# --- Paging ------------------------------------------------------------------------------------


def test_results_are_paginated_by_20_and_keep_the_search(client: Client, custodian: User) -> None:
    for n in range(25):
        DatasetFactory(name=f"Ledger {n:02d}", slug=f"ledger-{n:02d}", owner=custodian)
    rebuild()
    first = client.get(SEARCH, {"q": "ledger", "status": "published"})
    assert len(_hits(first)) == 20
    assert "25 datasets for “ledger”, showing 1–20" in _text(first) and "Page 1 of 2" in _text(first)
    assert 'href="?q=ledger&amp;status=published&amp;page=2"' in first.content.decode()
    second = client.get(SEARCH, {"q": "ledger", "status": "published", "page": "2"})
    assert len(_hits(second)) == 5 and "showing 21–25" in _text(second)
    assert not set(_hits(first)) & set(_hits(second))
    # Past the last page: the last page; a page that is not a number: the first.
    past = client.get(SEARCH, {"q": "ledger", "page": "9"})
    assert past.status_code == 302 and past["Location"] == "/search/?q=ledger&page=2"
    assert len(_hits(client.get(SEARCH, {"q": "ledger", "page": "x"}))) == 20


# --- Elasticsearch down ------------------------------------------------------------------------


def test_no_banner_when_search_is_healthy(client: Client, catalog: Catalog) -> None:
    assert DEGRADED not in _text(client.get(SEARCH, {"q": "card"}))


def test_degraded_banner_when_elasticsearch_is_down(client: Client, catalog: Catalog, settings: Settings) -> None:
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there: the node is "down"
    response = client.get(SEARCH, {"q": "paiement client"})
    assert response.status_code == 200
    assert DEGRADED in _text(response)
    assert re.search(r'<div class="alert alert--warning search-degraded" role="status">', response.content.decode())
    assert _hits(response) == ["card-payments"]  # the database answered
