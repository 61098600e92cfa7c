"""Columns through the API: filters, creating, classifying and field errors."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.models import Column, ColumnType, Dataset, PersonalDataClass
from tests.factories import ColumnFactory, DatasetFactory, GlossaryTermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client_for, data_scientist) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(data_scientist)


@pytest.fixture
def writer(client_for, custodian) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(custodian)


@pytest.fixture
def mine(custodian) -> Dataset:  # type: ignore[no-untyped-def]
    return DatasetFactory(owner=custodian, name="Customers", slug="customers")


def _names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def columns(mine: Dataset) -> dict[str, Column]:
    other = DatasetFactory(name="Branches", slug="branches")
    return {
        "email": ColumnFactory(dataset=mine, name="email", personal_data_class=PersonalDataClass.DIRECT),
        "birth": ColumnFactory(
            dataset=mine, name="birth_date", data_type=ColumnType.DATE, personal_data_class=PersonalDataClass.INDIRECT
        ),
        "hashed": ColumnFactory(
            dataset=mine, name="customer_hash", personal_data_class=PersonalDataClass.INDIRECT, pseudonymised=True
        ),
        "city": ColumnFactory(dataset=other, name="city"),
        "staff": ColumnFactory(dataset=other, name="staff_count", data_type=ColumnType.INTEGER),
    }


def test_column_fields(reader: APIClient, columns: dict[str, Column]) -> None:
    column = columns["hashed"]
    column.glossary_terms.set([GlossaryTermFactory(slug="customer")])
    body = reader.get(f"/api/columns/{column.pk}/").json()
    assert body == {
        "id": column.pk,
        "url": f"http://testserver/api/columns/{column.pk}/",
        "dataset": "customers",
        "name": "customer_hash",
        "position": column.position,
        "data_type": "string",
        "description": "",
        "personal_data_class": "indirect",
        "pseudonymised": True,
        "is_personal": True,
        "glossary_terms": ["customer"],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"dataset": "customers"}, ["email", "birth_date", "customer_hash"]),
        ({"dataset": "branches"}, ["city", "staff_count"]),
        ({"personal_data_class": "indirect"}, ["birth_date", "customer_hash"]),
        ({"personal_data_class": "none"}, ["city", "staff_count"]),
        ({"data_type": "date"}, ["birth_date"]),
        ({"data_type": "integer"}, ["staff_count"]),
        ({"pseudonymised": "true"}, ["customer_hash"]),
        ({"pseudonymised": "false", "dataset": "customers"}, ["email", "birth_date"]),
    ],
)
def test_column_filters(
    reader: APIClient, columns: dict[str, Column], params: dict[str, str], expected: list[str]
) -> None:
    assert sorted(_names(reader.get("/api/columns/", params))) == sorted(expected)


def test_dataset_filter_accepts_the_id(reader: APIClient, columns: dict[str, Column], mine: Dataset) -> None:
    assert sorted(_names(reader.get("/api/columns/", {"dataset": mine.pk}))) == [
        "birth_date",
        "customer_hash",
        "email",
    ]
    assert _names(reader.get("/api/columns/", {"dataset": "no-such-dataset"})) == []


def test_columns_are_listed_by_dataset_then_position(reader: APIClient, columns: dict[str, Column]) -> None:
    assert _names(reader.get("/api/columns/")) == ["city", "staff_count", "email", "birth_date", "customer_hash"]
    assert _names(reader.get("/api/columns/", {"ordering": "name", "dataset": "branches"})) == ["city", "staff_count"]


def test_create_a_column_appends_it(writer: APIClient, columns: dict[str, Column], mine: Dataset) -> None:
    GlossaryTermFactory(slug="phone")
    response = writer.post(
        "/api/columns/",
        {
            "dataset": "customers",
            "name": "phone",
            "personal_data_class": "direct",
            "description": "Mobile number",
            "glossary_terms": ["phone"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    column = Column.objects.get(dataset=mine, name="phone")
    assert response.json()["id"] == column.pk
    assert column.position == max(c.position for c in columns.values() if c.dataset_id == mine.pk) + 1
    assert column.personal_data_class == "direct" and column.description == "Mobile number"
    assert list(column.glossary_terms.values_list("slug", flat=True)) == ["phone"]


def test_classifying_a_column_changes_the_dataset_sensitivity(
    writer: APIClient, reader: APIClient, columns: dict[str, Column]
) -> None:
    assert reader.get("/api/datasets/customers/").json()["sensitivity"] == "direct"
    response = writer.patch(
        f"/api/columns/{columns['birth'].pk}/", {"personal_data_class": "special", "pseudonymised": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["personal_data_class"] == "special"
    assert reader.get("/api/datasets/customers/").json()["sensitivity"] == "special"
    assert [d["slug"] for d in reader.get("/api/datasets/", {"sensitivity": "special"}).json()["results"]] == [
        "customers"
    ]


def test_update_glossary_terms_of_a_column(writer: APIClient, columns: dict[str, Column]) -> None:
    GlossaryTermFactory(slug="email-address")
    column = columns["email"]
    response = writer.patch(f"/api/columns/{column.pk}/", {"glossary_terms": ["email-address"]}, format="json")
    assert response.status_code == 200
    assert list(column.glossary_terms.values_list("slug", flat=True)) == ["email-address"]
    # A change that does not mention the terms keeps them.
    writer.patch(f"/api/columns/{column.pk}/", {"description": "Contact"}, format="json")
    assert list(column.glossary_terms.values_list("slug", flat=True)) == ["email-address"]


def test_a_column_stays_in_its_dataset(writer: APIClient, columns: dict[str, Column]) -> None:
    DatasetFactory(slug="elsewhere")
    column = columns["email"]
    response = writer.put(
        f"/api/columns/{column.pk}/", {"dataset": "elsewhere", "name": "email_address"}, format="json"
    )
    assert response.status_code == 200, response.content
    column.refresh_from_db()
    assert (column.dataset.slug, column.name) == ("customers", "email_address")


def test_unknown_personal_data_class_is_a_400(writer: APIClient, columns: dict[str, Column]) -> None:
    response = writer.patch(
        f"/api/columns/{columns['email'].pk}/", {"personal_data_class": "top-secret"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"personal_data_class": ['"top-secret" is not a valid choice.']}
    assert Column.objects.get(pk=columns["email"].pk).personal_data_class == "direct"


def test_duplicate_column_name_is_a_400(writer: APIClient, columns: dict[str, Column]) -> None:
    before = Column.objects.count()
    response = writer.post("/api/columns/", {"dataset": "customers", "name": "email"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Column with this Dataset and Name already exists."]}
    assert Column.objects.count() == before
    rename = writer.patch(f"/api/columns/{columns['birth'].pk}/", {"name": "email"}, format="json")
    assert rename.status_code == 400
    assert Column.objects.get(pk=columns["birth"].pk).name == "birth_date"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x"}, "dataset"),
        ({"dataset": "no-such-dataset", "name": "x"}, "dataset"),
        ({"dataset": "customers"}, "name"),
        ({"dataset": "customers", "name": "x", "data_type": "uuid"}, "data_type"),
        ({"dataset": "customers", "name": "x", "glossary_terms": ["nope"]}, "glossary_terms"),
        ({"dataset": "customers", "name": "x", "position": -2}, "position"),
    ],
)
def test_create_with_bad_input_is_a_400_on_the_field(
    writer: APIClient, mine: Dataset, payload: dict[str, object], field: str
) -> None:
    response = writer.post("/api/columns/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Column.objects.exists()
