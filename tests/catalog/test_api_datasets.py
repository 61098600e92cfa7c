"""Datasets through the API: what is shown, creating with columns, updating, field errors, filters,
ordering and pagination."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from catalog.api.views import CatalogPagination
from catalog.models import Column, DataFormat, Dataset, DatasetStatus, Domain, PersonalDataClass
from tests.factories import (
    ColumnFactory,
    DatasetFactory,
    DatasetVersionFactory,
    GlossaryTermFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client_for, data_scientist) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(data_scientist)


@pytest.fixture
def writer(client_for, custodian) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(custodian)


def _slugs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --- What a dataset shows ----------------------------------------------------------------------


def test_list_shows_derived_and_declared_fields(reader: APIClient) -> None:
    owner, steward = UserFactory(username="owen"), UserFactory(username="stella")
    dataset = DatasetFactory(
        name="Customer payments",
        slug="customer-payments",
        description="**Daily** payments <script>alert(1)</script>",
        owner=owner,
        steward=steward,
        tags=[TagFactory(name="payments", slug="payments")],
        glossary_terms=[GlossaryTermFactory(slug="customer-payment")],
        data_subject_categories=["customers"],
        personal_data_categories=["financial", "transactions"],
        collection_legal_basis="contract",
        transfers_outside_eu=True,
        transfer_safeguards="Standard contractual clauses",
    )
    ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.INDIRECT)
    ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.DIRECT)
    DatasetVersionFactory(dataset=dataset, number=1)
    DatasetVersionFactory(dataset=dataset, number=2)

    [item] = reader.get("/api/datasets/").json()["results"]

    assert item["url"] == "http://testserver/api/datasets/customer-payments/"
    assert item["sensitivity"] == "direct"
    assert item["contains_personal_data"] is True
    assert item["description_html"].startswith("<p><strong>Daily</strong> payments")
    assert "<script" not in item["description_html"]
    assert (item["owner"], item["steward"], item["custodian"]) == ("owen", "stella", None)
    assert item["tags"] == ["payments"]
    assert item["glossary_terms"] == ["customer-payment"]
    assert (item["column_count"], item["version_count"]) == (2, 2)
    assert item["data_subject_categories"] == ["customers"]
    assert item["personal_data_categories"] == ["financial", "transactions"]
    assert item["collection_legal_basis"] == "contract"
    assert item["collection_purpose"] == "Account management"
    assert item["retention_days"] == 365
    assert item["transfers_outside_eu"] is True
    assert item["transfer_safeguards"] == "Standard contractual clauses"
    assert {"storage_location", "security_measures", "status", "domain", "format", "location"} <= set(item)
    assert "columns" not in item  # only in the detail


def test_dataset_without_personal_columns_is_not_sensitive(reader: APIClient) -> None:
    dataset = DatasetFactory()
    ColumnFactory(dataset=dataset)
    item = reader.get(f"/api/datasets/{dataset.slug}/").json()
    assert (item["sensitivity"], item["contains_personal_data"]) == ("none", False)


def test_detail_includes_the_columns_in_order(reader: APIClient) -> None:
    dataset = DatasetFactory(slug="accounts")
    term = GlossaryTermFactory(slug="iban")
    ColumnFactory(dataset=dataset, name="balance", position=2, data_type="float")
    iban = ColumnFactory(dataset=dataset, name="iban", position=1, personal_data_class="direct", pseudonymised=True)
    iban.glossary_terms.set([term])
    ColumnFactory(dataset=dataset, name="id", position=0, data_type="integer")

    body = reader.get("/api/datasets/accounts/").json()

    assert [c["name"] for c in body["columns"]] == ["id", "iban", "balance"]
    iban = body["columns"][1]
    assert iban["personal_data_class"] == "direct"
    assert iban["pseudonymised"] is True and iban["is_personal"] is True
    assert iban["glossary_terms"] == ["iban"]
    assert iban["url"] == f"http://testserver/api/columns/{iban['id']}/"
    assert body["sensitivity"] == "direct" and body["column_count"] == 3


# --- Creating and updating ---------------------------------------------------------------------


def test_create_a_dataset_with_columns(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    tag = TagFactory(name="cards", slug="cards")
    term = GlossaryTermFactory(slug="card-payment")
    pan = GlossaryTermFactory(slug="pan")
    payload = {
        "name": "Card transactions",
        "domain": "payments",
        "description": "One row per **card** transaction.",
        "format": "parquet",
        "location": "s3://lake/cards/",
        "tags": ["cards"],
        "glossary_terms": ["card-payment"],
        "data_subject_categories": ["customers"],
        "personal_data_categories": ["financial"],
        "collection_purpose": "Payment processing",
        "collection_legal_basis": "contract",
        "retention_days": 3650,
        "columns": [
            {"name": "transaction_id", "data_type": "integer"},
            {"name": "card_number", "personal_data_class": "direct", "pseudonymised": True, "glossary_terms": ["pan"]},
            {"name": "amount", "data_type": "float", "description": "In euros."},
        ],
    }

    response = writer.post("/api/datasets/", payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "card-transactions"
    assert body["owner"] == "camille"  # the user creating it
    assert body["sensitivity"] == "direct" and body["contains_personal_data"] is True
    assert body["column_count"] == 3 and body["version_count"] == 0
    assert [c["name"] for c in body["columns"]] == ["transaction_id", "card_number", "amount"]
    assert body["description_html"] == "<p>One row per <strong>card</strong> transaction.</p>"
    dataset = Dataset.objects.get(slug="card-transactions")
    assert dataset.owner == custodian and dataset.format == DataFormat.PARQUET
    assert list(dataset.tags.all()) == [tag] and list(dataset.glossary_terms.all()) == [term]
    assert dataset.collection_legal_basis == "contract" and dataset.retention_days == 3650
    columns = list(dataset.columns.order_by("position"))
    assert [(c.name, c.position, c.data_type) for c in columns] == [
        ("transaction_id", 0, "integer"),
        ("card_number", 1, "string"),
        ("amount", 2, "float"),
    ]
    assert columns[1].pseudonymised and list(columns[1].glossary_terms.all()) == [pan]


def test_create_for_another_owner(writer: APIClient) -> None:
    UserFactory(username="olga")
    response = writer.post(
        "/api/datasets/", {"name": "HR contracts", "domain": "hr", "owner": "olga", "steward": "camille"}, format="json"
    )
    assert response.status_code == 201, response.content
    dataset = Dataset.objects.get(name="HR contracts")
    assert (dataset.owner.username, dataset.steward.username) == ("olga", "camille")


def test_update_replaces_fields_tags_and_terms(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    old_tag, new_tag = TagFactory(name="old", slug="old"), TagFactory(name="new", slug="new")
    dataset = DatasetFactory(owner=custodian, slug="loans", tags=[old_tag], status=DatasetStatus.DRAFT)

    response = writer.patch(
        "/api/datasets/loans/",
        {"status": "published", "description": "Updated", "tags": ["new"], "security_measures": "Encrypted at rest"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["description"], body["tags"]) == ("published", "Updated", ["new"])
    dataset.refresh_from_db()
    assert dataset.status == "published" and dataset.security_measures == "Encrypted at rest"
    assert list(dataset.tags.all()) == [new_tag]


def test_patch_without_tags_keeps_them(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, tags=[TagFactory(slug="kept", name="kept")])
    response = writer.patch(f"/api/datasets/{dataset.slug}/", {"source_system": "SAP"}, format="json")
    assert response.status_code == 200
    assert response.json()["tags"] == ["kept"]
    assert list(dataset.tags.values_list("slug", flat=True)) == ["kept"]


def test_put_replaces_the_dataset(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, slug="risk", domain=Domain.CUSTOMER)
    response = writer.put(
        "/api/datasets/risk/", {"name": "Risk scores", "domain": "risk", "status": "deprecated"}, format="json"
    )
    assert response.status_code == 200, response.content
    dataset.refresh_from_db()
    assert (dataset.name, dataset.domain, dataset.status) == ("Risk scores", "risk", "deprecated")
    assert dataset.slug == "risk"  # the slug is stable


# --- Field errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "X", "domain": "astrology"}, "domain"),
        ({"domain": "risk"}, "name"),
        ({"name": "X", "domain": "risk", "owner": "nobody"}, "owner"),
        ({"name": "X", "domain": "risk", "tags": ["no-such-tag"]}, "tags"),
        ({"name": "X", "domain": "risk", "data_subject_categories": ["aliens"]}, "data_subject_categories"),
        ({"name": "X", "domain": "risk", "collection_legal_basis": "because"}, "collection_legal_basis"),
        ({"name": "X", "domain": "risk", "retention_days": -1}, "retention_days"),
    ],
)
def test_create_with_bad_input_is_a_400_on_the_field(writer: APIClient, payload: dict[str, Any], field: str) -> None:
    response = writer.post("/api/datasets/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert errors[field]  # a list of messages, or for list fields {index: [messages]}
    assert not Dataset.objects.exists()


def test_duplicate_name_is_refused_by_the_service(writer: APIClient) -> None:
    DatasetFactory(name="Payments")
    response = writer.post("/api/datasets/", {"name": "Payments", "domain": "payments"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["Dataset with this Name already exists."]}
    assert Dataset.objects.count() == 1


def test_unknown_personal_data_class_of_a_column_is_a_400(writer: APIClient) -> None:
    payload = {
        "name": "X",
        "domain": "risk",
        "columns": [{"name": "a"}, {"name": "b", "personal_data_class": "secret"}],
    }
    response = writer.post("/api/datasets/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"columns": {"1": {"personal_data_class": ['"secret" is not a valid choice.']}}}
    assert not Dataset.objects.exists() and not Column.objects.exists()


def test_duplicate_column_names_roll_the_whole_creation_back(writer: APIClient) -> None:
    payload = {"name": "X", "domain": "risk", "columns": [{"name": "a"}, {"name": "a"}]}
    response = writer.post("/api/datasets/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Column with this Dataset and Name already exists."]}
    assert not Dataset.objects.exists() and not Column.objects.exists()


def test_update_to_an_existing_name_is_a_400(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    DatasetFactory(name="Taken")
    mine = DatasetFactory(owner=custodian, name="Mine")
    response = writer.patch(f"/api/datasets/{mine.slug}/", {"name": "Taken"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    mine.refresh_from_db()
    assert mine.name == "Mine"


def test_columns_cannot_be_replaced_through_the_dataset(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian)
    ColumnFactory(dataset=dataset, name="kept")
    response = writer.patch(f"/api/datasets/{dataset.slug}/", {"columns": [{"name": "new"}]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["columns"]
    assert list(dataset.columns.values_list("name", flat=True)) == ["kept"]


def test_derived_fields_are_read_only(writer: APIClient, custodian) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory(owner=custodian, slug="plain")
    response = writer.patch(
        "/api/datasets/plain/", {"sensitivity": "criminal", "column_count": 99, "slug": "other"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["sensitivity"], body["column_count"], body["slug"]) == ("none", 0, "plain")
    assert Dataset.objects.get(pk=dataset.pk).slug == "plain"


# --- Filters -----------------------------------------------------------------------------------


@pytest.fixture
def catalog() -> dict[str, Dataset]:
    alice, bob = UserFactory(username="alice-owner"), UserFactory(username="bob-owner")
    cards, hr = TagFactory(name="cards", slug="cards"), TagFactory(name="people", slug="people")
    payment = GlossaryTermFactory(slug="payment")
    datasets = {
        "payments": DatasetFactory(
            name="Card payments",
            slug="payments",
            domain=Domain.PAYMENTS,
            owner=alice,
            tags=[cards],
            glossary_terms=[payment],
            format=DataFormat.PARQUET,
            description="Every card payment.",
        ),
        "staff": DatasetFactory(
            name="Staff health",
            slug="staff",
            domain=Domain.HR,
            owner=bob,
            tags=[hr],
            status=DatasetStatus.DRAFT,
            description="Sick leave of employees.",
        ),
        "rates": DatasetFactory(
            name="Exchange rates",
            slug="rates",
            domain=Domain.FINANCE,
            owner=bob,
            status=DatasetStatus.DEPRECATED,
            format=DataFormat.TABLE,
            description="Daily FX rates.",
        ),
        "fraud": DatasetFactory(name="Fraud cases", slug="fraud", domain=Domain.RISK, owner=alice, tags=[cards]),
    }
    ColumnFactory(dataset=datasets["payments"], personal_data_class=PersonalDataClass.DIRECT)
    ColumnFactory(dataset=datasets["payments"], personal_data_class=PersonalDataClass.INDIRECT)
    ColumnFactory(dataset=datasets["staff"], personal_data_class=PersonalDataClass.SPECIAL)
    ColumnFactory(dataset=datasets["staff"], personal_data_class=PersonalDataClass.NONE)
    ColumnFactory(dataset=datasets["rates"], personal_data_class=PersonalDataClass.NONE)
    ColumnFactory(dataset=datasets["fraud"], personal_data_class=PersonalDataClass.CRIMINAL)
    return datasets


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"domain": "payments"}, ["payments"]),
        ({"domain": "hr"}, ["staff"]),
        ({"status": "draft"}, ["staff"]),
        ({"status": "published"}, ["payments", "fraud"]),
        ({"data_format": "table"}, ["rates"]),
        ({"data_format": "parquet"}, ["payments"]),
        ({"owner": "alice-owner"}, ["payments", "fraud"]),
        ({"tag": "cards"}, ["payments", "fraud"]),
        ({"glossary_term": "payment"}, ["payments"]),
        ({"sensitivity": "direct"}, ["payments"]),
        ({"sensitivity": "none"}, ["rates"]),
        ({"sensitivity": "criminal"}, ["fraud"]),
        ({"max_sensitivity": "none"}, ["rates"]),
        ({"max_sensitivity": "direct"}, ["payments", "rates"]),
        ({"max_sensitivity": "special"}, ["payments", "staff", "rates"]),
        ({"contains_personal_data": "true"}, ["payments", "staff", "fraud"]),
        ({"contains_personal_data": "false"}, ["rates"]),
        ({"q": "card"}, ["payments"]),
        ({"q": "EMPLOYEES"}, ["staff"]),
        ({"tag": "cards", "max_sensitivity": "direct"}, ["payments"]),
        ({"domain": "payments", "status": "draft"}, []),
    ],
)
def test_dataset_filters(
    reader: APIClient, catalog: dict[str, Dataset], params: dict[str, str], expected: list[str]
) -> None:
    assert sorted(_slugs(reader.get("/api/datasets/", params))) == sorted(expected)


def test_filtered_counts_are_not_multiplied_by_joins(reader: APIClient, catalog: dict[str, Dataset]) -> None:
    [item] = reader.get("/api/datasets/", {"tag": "cards", "sensitivity": "direct"}).json()["results"]
    assert (item["slug"], item["column_count"], item["tags"]) == ("payments", 2, ["cards"])


def test_unknown_filter_value_is_a_400(reader: APIClient) -> None:
    response = reader.get("/api/datasets/", {"max_sensitivity": "extreme"})
    assert response.status_code == 400
    assert list(response.json()) == ["max_sensitivity"]


def test_ordering(reader: APIClient, catalog: dict[str, Dataset]) -> None:
    assert _slugs(reader.get("/api/datasets/")) == ["payments", "rates", "fraud", "staff"]  # by name
    assert _slugs(reader.get("/api/datasets/", {"ordering": "-name"})) == ["staff", "fraud", "rates", "payments"]
    by_sensitivity = _slugs(reader.get("/api/datasets/", {"ordering": "-sensitivity_rank"}))
    assert by_sensitivity == ["fraud", "staff", "payments", "rates"]


# --- Pagination --------------------------------------------------------------------------------


def test_pagination_with_page_size(reader: APIClient) -> None:
    for n in range(7):
        DatasetFactory(name=f"Dataset {n:02d}")
    first = reader.get("/api/datasets/", {"page_size": 3}).json()
    assert first["count"] == 7
    assert [d["name"] for d in first["results"]] == ["Dataset 00", "Dataset 01", "Dataset 02"]
    assert first["previous"] is None and "page=2" in first["next"] and "page_size=3" in first["next"]
    last = reader.get("/api/datasets/", {"page_size": 3, "page": 3}).json()
    assert [d["name"] for d in last["results"]] == ["Dataset 06"]
    assert last["next"] is None
    assert reader.get("/api/datasets/", {"page_size": 3, "page": 4}).status_code == 404


def test_page_size_is_capped_at_500() -> None:
    paginator = CatalogPagination()
    factory = APIRequestFactory()
    assert paginator.get_page_size(Request(factory.get("/", {"page_size": 100_000}))) == 500
    assert paginator.get_page_size(Request(factory.get("/", {"page_size": 120}))) == 120
    assert paginator.get_page_size(Request(factory.get("/"))) == 50
