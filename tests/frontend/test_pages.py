"""The web interface's pages, through Django's test client: who may open them and what they show."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from catalog.models import PersonalDataClass
from frontend import views
from tests.factories import ColumnFactory, DatasetFactory, TagFactory
from tests.frontend.data import Catalog, ClientAs
from workers.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def _text(response: HttpResponse) -> str:
    """The response body as text with tags removed and whitespace collapsed (what a person reads)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _row(response: HttpResponse, attr: str, value: str) -> str:
    """The HTML of the table row marked ``data-<attr>="<value>"``."""
    match = re.search(rf'<tr[^>]*data-{attr}="{re.escape(value)}".*?</tr>', response.content.decode(), flags=re.S)
    assert match, f"no row with data-{attr}={value!r}"
    return match.group(0)


# --- Access ----------------------------------------------------------------------------------


def _page_urls(catalog: Catalog) -> list[str]:
    return [
        reverse("frontend:home"),
        reverse("frontend:dataset-list"),
        reverse("frontend:dataset-detail", args=["card-payments"]),
        reverse("frontend:version-detail", args=["card-payments", 1]),
        reverse("frontend:version-upload", args=["card-payments"]),
        reverse("frontend:glossary-list"),
        reverse("frontend:glossary-detail", args=["customer-payment"]),
        reverse("frontend:health"),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, catalog: Catalog) -> None:
    for url in _page_urls(catalog):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    text = _text(response)
    assert "Log in to Cadastre" in text
    assert 'name="username"' in response.content.decode()
    assert "Log out" not in text  # no header navigation for anonymous visitors


def test_login_with_bad_password_shows_an_error(client: Client, data_scientist: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in _text(response)


def test_login_then_logout(client: Client, data_scientist: User) -> None:
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("frontend:home")
    assert client.get(reverse("frontend:home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("frontend:home")).status_code == 302


def test_layout_shows_navigation_user_and_roles(client_as: ClientAs, data_scientist: User, admin_user: User) -> None:
    response = client_as(data_scientist).get(reverse("frontend:home"))
    html = response.content.decode()
    text = _text(response)
    assert '<main id="main"' in html and 'href="#main"' in html
    assert "Cadastre" in text and "Catalog" in text and "Glossary" in text and "API docs" in text
    assert "Data scientist" in text  # the user's role
    assert f'action="{reverse("logout")}"' in html and 'method="post"' in html
    assert reverse("frontend:health") not in html  # health is for admins
    assert reverse("admin:index") not in html

    html = client_as(admin_user).get(reverse("frontend:home")).content.decode()
    assert reverse("frontend:health") in html and reverse("admin:index") in html


def test_static_files_are_our_own(client_as: ClientAs, data_scientist: User) -> None:
    html = client_as(data_scientist).get(reverse("frontend:home")).content.decode()
    sources = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', html)
    assert sources and all(s.startswith("/static/frontend/") for s in sources)


def test_unknown_pages_answer_404_in_the_layout(client_as: ClientAs, data_scientist: User) -> None:
    response = client_as(data_scientist).get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in _text(response)


# --- Home and catalog list -------------------------------------------------------------------


def test_home_shows_figures_and_recent_datasets(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    response = client_as(data_scientist).get(reverse("frontend:home"))
    assert response.status_code == 200
    text = _text(response)
    assert "4 datasets" in text
    assert "Card payments" in text and "Fraud convictions" in text


def test_catalog_list_shows_each_dataset_with_badges(
    client_as: ClientAs, data_scientist: User, catalog: Catalog
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-list"))
    assert response.status_code == 200
    assert "4 datasets in the catalog" in _text(response)

    card = _row(response, "dataset", "card-payments")
    assert 'href="/catalog/card-payments/"' in card
    assert "Payments" in card and "Published" in card
    assert "badge-pd-indirect" in card and ">Indirect<" in card
    assert "payments" in card  # tag
    assert "camille" in card or catalog.card_payments.owner.get_full_name() in card
    assert ">4<" in card  # customer_id, amount, paid_at + channel added by v2

    assert ">Special category (Art. 9)<" in _row(response, "dataset", "health-claims")
    assert ">Criminal (Art. 10)<" in _row(response, "dataset", "fraud-convictions")
    branch = _row(response, "dataset", "branch-opening-hours")
    assert ">Not personal<" in branch and "Draft" in branch


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"domain": "payments"}, {"card-payments"}),
        ({"status": "draft"}, {"branch-opening-hours"}),
        ({"max_sensitivity": "direct"}, {"card-payments", "branch-opening-hours"}),  # no special categories
        ({"max_sensitivity": "none"}, {"branch-opening-hours"}),
        ({"max_sensitivity": "special"}, {"card-payments", "branch-opening-hours", "health-claims"}),
        ({"tag": "payments"}, {"card-payments"}),
        ({"q": "diagnosis"}, {"health-claims"}),  # a column name
        ({"q": "ONE ROW PER"}, {"card-payments"}),  # the description, case-insensitive
        ({"q": "opening"}, {"branch-opening-hours"}),  # the name
        ({"q": "offence", "domain": "customer"}, set()),
        ({"domain": "not-a-domain"}, {"card-payments", "health-claims", "branch-opening-hours", "fraud-convictions"}),
    ],
)
def test_catalog_filters(
    client_as: ClientAs, data_scientist: User, catalog: Catalog, params: dict[str, str], expected: set[str]
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-list"), params)
    assert response.status_code == 200
    shown = set(re.findall(r'<tr[^>]*data-dataset="([^"]+)"', response.content.decode()))
    assert shown == expected
    if not expected:
        assert "No dataset matches these filters" in _text(response)


def test_catalog_filter_keeps_its_values_and_counts(
    client_as: ClientAs, data_scientist: User, catalog: Catalog
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-list"), {"max_sensitivity": "direct"})
    html = response.content.decode()
    assert re.search(r'<option value="direct" selected>No special categories</option>', html)
    assert "2 of 4 datasets match your filters" in _text(response)
    assert "Clear filters" in _text(response)


def test_catalog_search_does_not_duplicate_datasets(client_as: ClientAs, data_scientist: User) -> None:
    dataset = DatasetFactory(name="Ledger", slug="ledger")
    for name in ("amount_eur", "amount_usd", "amount_gbp"):
        ColumnFactory(dataset=dataset, name=name)
    response = client_as(data_scientist).get(reverse("frontend:dataset-list"), {"q": "amount"})
    assert re.findall(r'data-dataset="([^"]+)"', response.content.decode()) == ["ledger"]
    assert ">3<" in _row(response, "dataset", "ledger")


def test_catalog_is_paginated_by_25(client_as: ClientAs, data_scientist: User) -> None:
    for n in range(30):
        DatasetFactory(name=f"Dataset {n:02d}", slug=f"dataset-{n:02d}")
    client = client_as(data_scientist)
    first = client.get(reverse("frontend:dataset-list"))
    assert len(re.findall(r"<tr[^>]*data-dataset=", first.content.decode())) == 25
    assert "Page 1 of 2" in _text(first)
    second = client.get(reverse("frontend:dataset-list"), {"page": 2, "status": "published"})
    assert len(re.findall(r"<tr[^>]*data-dataset=", second.content.decode())) == 5
    assert "?page=1&amp;status=published" in second.content.decode()  # filters kept across pages


def _list_queries(client: Client, n: int) -> int:
    tag = TagFactory(name="bulk")
    for _ in range(n):
        dataset = DatasetFactory(tags=[tag])
        ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.DIRECT)
        ColumnFactory(dataset=dataset)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("frontend:dataset-list"))
    assert response.status_code == 200
    return len(queries)


def test_catalog_list_runs_a_constant_number_of_queries(client_as: ClientAs, data_scientist: User) -> None:
    client = client_as(data_scientist)
    few = _list_queries(client, 5)
    many = _list_queries(client, 35)  # 40 datasets in all, 25 on the page
    assert few == many, f"{few} queries for 5 datasets, {many} for 40"
    assert many <= 12


# --- Dataset page ----------------------------------------------------------------------------


def test_dataset_page_shows_description_people_and_gdpr_profile(
    client_as: ClientAs, data_scientist: User, catalog: Catalog
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["card-payments"]))
    assert response.status_code == 200
    html = response.content.decode()
    text = _text(response)
    assert "<strong>one row per payment</strong>" in html  # rendered Markdown
    assert "Card switch" in text and "Daily batch" in text and "CSV" in text
    assert 'href="/glossary/customer-payment/"' in html
    assert "payments" in text
    # GDPR profile, with the labels of the declared choices
    assert "Customers" in text
    assert "Financial and banking" in text and "Transactions" in text
    assert "Contract (Art. 6(1)(b))" in text
    assert "Executing card payments" in text
    assert "365 days (about 12 months)" in text
    assert "Paris data centre" in text
    assert "Standard contractual clauses" in text
    assert "Encryption at rest" in text
    assert "Indirect identifier" in text


def test_dataset_page_lists_columns_with_classes(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["card-payments"]))
    customer_id = _row(response, "column", "customer_id")
    assert "badge-pd-indirect" in customer_id and "Indirect identifier" in customer_id
    assert "Pseudonymised customer key" in customer_id
    assert "flag--yes" in customer_id
    assert "Customer payment" in customer_id
    assert "Not personal" in _row(response, "column", "amount")
    assert "Text" in _row(response, "column", "channel")  # added from the v2 schema

    health = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["health-claims"]))
    assert "Special category (Art. 9)" in _row(health, "column", "diagnosis")
    assert "Direct identifier" in _row(health, "column", "insured_name")


def test_dataset_page_shows_versions_newest_first_with_schema_diff(
    client_as: ClientAs, data_scientist: User, catalog: Catalog
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["card-payments"]))
    html = response.content.decode()
    assert html.index('data-version="2"') < html.index('data-version="1"')
    v2 = html[html.index('data-version="2"') : html.index('data-version="1"')]
    v2_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", v2))
    assert "Added channel" in v2_text
    assert "Type changed customer_id : Integer → Text" in v2_text
    assert "camille" in v2_text or "Delivered by" in v2_text
    assert "2 rows" in v2_text
    assert 'href="/catalog/card-payments/versions/2/"' in v2
    v1 = html[html.index('data-version="1"') :]
    assert "Initial schema: 3 columns" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", v1))


def test_dataset_page_says_schema_unchanged(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    from tests.frontend.data import CSV_V2, register_version

    register_version(catalog.card_payments, CSV_V2)
    response = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["card-payments"]))
    assert "Schema unchanged" in _text(response)


def test_dataset_page_404(client_as: ClientAs, data_scientist: User) -> None:
    assert client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["nope"])).status_code == 404


def test_description_scripts_are_not_rendered(client_as: ClientAs, data_scientist: User) -> None:
    DatasetFactory(
        slug="evil",
        name="<script>alert('name')</script>",
        description="Hello <script>alert('xss')</script> <img src=x onerror=alert(1)> [x](javascript:alert(2))",
    )
    response = client_as(data_scientist).get(reverse("frontend:dataset-detail", args=["evil"]))
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "onerror" not in html and "javascript:alert" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html  # the name is escaped, not run


def test_upload_button_only_for_editors(
    client_as: ClientAs, data_scientist: User, custodian: User, admin_user: User, catalog: Catalog
) -> None:
    url = reverse("frontend:dataset-detail", args=["card-payments"])
    upload = reverse("frontend:version-upload", args=["card-payments"])
    assert upload in client_as(custodian).get(url).content.decode()
    assert upload in client_as(admin_user).get(url).content.decode()
    assert upload not in client_as(data_scientist).get(url).content.decode()
    # A custodian sees the button only on the datasets they deliver.
    other = reverse("frontend:dataset-detail", args=["health-claims"])
    assert "Upload a version" not in _text(client_as(custodian).get(other))


# --- Version page ----------------------------------------------------------------------------


def test_version_page_shows_metadata_schema_and_diff(
    client_as: ClientAs, data_scientist: User, catalog: Catalog
) -> None:
    response = client_as(data_scientist).get(reverse("frontend:version-detail", args=["card-payments", 2]))
    assert response.status_code == 200
    text = _text(response)
    version = catalog.card_payments.versions.get(number=2)
    assert "Card payments · version 2" in text
    assert "payments-2024-01-04.csv" in text
    assert version.schema_fingerprint in text
    assert "Append" in text and "utf-8" in text and "Comma (,)" in text
    assert 'href="/catalog/card-payments/versions/1/"' in response.content.decode()  # compared with v1
    assert "Added" in _row(response, "column", "channel")
    customer_id = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _row(response, "column", "customer_id")))
    assert "Type changed from Integer" in customer_id
    assert "Added" not in _row(response, "column", "amount")


def test_first_version_page(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    response = client_as(data_scientist).get(reverse("frontend:version-detail", args=["card-payments", 1]))
    assert response.status_code == 200
    assert "Initial schema: 3 columns" in _text(response)


def test_version_page_404(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    client = client_as(data_scientist)
    assert client.get(reverse("frontend:version-detail", args=["card-payments", 9])).status_code == 404
    assert client.get(reverse("frontend:version-detail", args=["nope", 1])).status_code == 404


# --- Glossary --------------------------------------------------------------------------------


def test_glossary_list(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    response = client_as(data_scientist).get(reverse("frontend:glossary-list"))
    assert response.status_code == 200
    row = _row(response, "term", "customer-payment")
    assert "Customer payment" in row and "Paiement client" in row
    assert "Client payment" in row and "Règlement client" in row
    assert 'href="/glossary/payment/"' in row  # broader
    assert re.search(r'class="num">\s*1\s*<', row)  # one dataset


def test_glossary_term_page(client_as: ClientAs, data_scientist: User, catalog: Catalog) -> None:
    response = client_as(data_scientist).get(reverse("frontend:glossary-detail", args=["customer-payment"]))
    assert response.status_code == 200
    text = _text(response)
    assert "Customer payment" in text and "Paiement client" in text
    assert "A payment made by a customer" in text
    assert "Règlement client" in text
    assert 'href="/glossary/payment/"' in response.content.decode()
    assert "Card payments" in _row(response, "dataset", "card-payments")
    assert "Card payments" in _row(response, "column", "customer_id")

    broader = client_as(data_scientist).get(reverse("frontend:glossary-detail", args=["payment"]))
    assert 'href="/glossary/customer-payment/"' in broader.content.decode()  # narrower
    assert "No dataset is tagged with this term" in _text(broader)


def test_glossary_term_404(client_as: ClientAs, data_scientist: User) -> None:
    assert client_as(data_scientist).get(reverse("frontend:glossary-detail", args=["nope"])).status_code == 404


# --- Health ----------------------------------------------------------------------------------


def test_health_page_is_for_admins_and_staff(
    client_as: ClientAs, make_user: Callable[..., User], data_scientist: User, officer: User, admin_user: User
) -> None:
    url = reverse("frontend:health")
    assert client_as(data_scientist).get(url).status_code == 403
    assert client_as(officer).get(url).status_code == 403
    assert client_as(admin_user).get(url).status_code == 200
    assert client_as(make_user(username="ops", is_staff=True)).get(url).status_code == 200


def test_health_page_in_embedded_mode(client_as: ClientAs, admin_user: User, settings: Settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SEARCH_BACKEND = "database"
    response = client_as(admin_user).get(reverse("frontend:health"))
    text = _text(response)
    assert "Database OK" in text
    assert "Database" in text and "In-process" in text
    assert "No worker has answered a heartbeat yet" in text


def test_health_page_masks_the_broker_password(client_as: ClientAs, admin_user: User, settings: Settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://:s3cret-pass@redis.internal:6379/0"
    settings.SEARCH_BACKEND = "elasticsearch"
    response = client_as(admin_user).get(reverse("frontend:health"))
    text = _text(response)
    assert "s3cret-pass" not in response.content.decode()
    assert "redis://:****@redis.internal:6379/0" in text
    assert "Elasticsearch" in text


def test_health_page_queues_a_heartbeat(
    client_as: ClientAs, admin_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    client = client_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("frontend:health"))
    assert response.status_code == 302 and response["Location"] == reverse("frontend:health")
    assert len(callbacks) == 1
    beat = WorkerHeartbeat.objects.get()
    page = client.get(reverse("frontend:health"))
    assert beat.hostname in _text(page)
    assert "Heartbeat task run in-process" in _text(page)


def test_health_page_post_is_for_admins(client_as: ClientAs, data_scientist: User) -> None:
    assert client_as(data_scientist).post(reverse("frontend:health")).status_code == 403
    assert not WorkerHeartbeat.objects.exists()


def test_health_json_needs_no_login(client: Client) -> None:
    response = client.get("/health.json")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/health.json").status_code == 200  # load balancers often use HEAD


def test_health_json_answers_503_when_the_database_is_down(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        vendor = "sqlite"

        def cursor(self) -> None:
            raise OperationalError("unable to open database file")

    monkeypatch.setattr(views, "connection", Down())
    response = client.get("/health.json")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable"}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:secret@host:6379/0", "redis://:****@host:6379/0"),
        ("amqp://user:secret@rabbit:5672//", "amqp://user:****@rabbit:5672//"),
        ("redis://host:6379/0", "redis://host:6379/0"),
        ("rediss://user:p%40ss@[::1]:6380/1", "rediss://user:****@[::1]:6380/1"),
    ],
)
def test_mask_url_password(url: str, shown: str) -> None:
    assert views.mask_url_password(url) == shown
