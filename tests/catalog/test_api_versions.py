"""Dataset versions through the API: uploading CSV and Parquet files, declaring a version by URI,
schema diffs, refused files (nothing written) and filters."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Column, Dataset, DatasetVersion
from tests.factories import ColumnFactory, DatasetFactory, DatasetVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

LATIN1_CSV = (
    "nom;âge;ville;inscrit_le;solde\n"
    "Hélène;34;Besançon;2024-01-15;12,50\n"
    "Jérôme;51;Orléans;2023-11-02;-3,10\n"
    "Zoé;28;Nîmes;2022-06-30;0\n"
).encode("latin-1")


@pytest.fixture
def writer(client_for, custodian) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(custodian)


@pytest.fixture
def dataset(custodian) -> Dataset:  # type: ignore[no-untyped-def]
    return DatasetFactory(owner=custodian, name="Customers", slug="customers")


def _upload(client: APIClient, content: bytes, name: str = "customers.csv", **fields: Any) -> Any:
    data = {"dataset": "customers", "file": SimpleUploadedFile(name, content), **fields}
    return client.post("/api/versions/", data, format="multipart")


def _parquet_bytes() -> bytes:
    table = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "name": pa.array(["Ana", "Bo", None], pa.string()),
            "balance": pa.array([1.5, None, -2.25], pa.float64()),
            "active": pa.array([True, False, True]),
            "opened_on": pa.array([date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)], pa.date32()),
            "updated_at": pa.array([datetime(2024, 5, 1, 12, 30)] * 3, pa.timestamp("us")),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _stored_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Uploads -----------------------------------------------------------------------------------


def test_upload_a_semicolon_latin1_csv(writer: APIClient, dataset: Dataset, custodian, settings) -> None:  # type: ignore[no-untyped-def]
    response = _upload(writer, LATIN1_CSV, operation="overwrite", note="First delivery")

    assert response.status_code == 201, response.content
    body = response.json()
    # Latin-1 text without C1 control characters also decodes as cp1252 (its superset), tried first.
    assert body["encoding"] == "cp1252"
    assert body["delimiter"] == ";"
    assert body["row_count"] == 3
    assert body["schema"] == [
        {"name": "nom", "type": "string"},
        {"name": "âge", "type": "integer"},
        {"name": "ville", "type": "string"},
        {"name": "inscrit_le", "type": "date"},
        {"name": "solde", "type": "float"},
    ]
    assert (body["file_format"], body["file_size"], body["file_name"]) == ("csv", len(LATIN1_CSV), "customers.csv")
    assert (body["number"], body["operation"], body["note"]) == (1, "overwrite", "First delivery")
    assert body["delivered_by"] == "camille" and body["dataset"] == "customers"
    assert body["schema_diff"]["initial"] is True
    assert len(body["schema_fingerprint"]) == 64
    # The stored file is kept but never linked from the API (downloads check access).
    assert "file" not in body
    assert not any(isinstance(v, str) and ("/media/" in v or "datasets/customers" in v) for v in body.values())
    version = DatasetVersion.objects.get(pk=body["id"])
    assert version.file.name == "datasets/customers/v1/customers.csv"
    assert [p.read_bytes() for p in _stored_files(settings)] == [LATIN1_CSV]
    # The columns of the file are now documented on the dataset.
    assert list(dataset.columns.order_by("position").values_list("name", "data_type")) == [
        ("nom", "string"),
        ("âge", "integer"),
        ("ville", "string"),
        ("inscrit_le", "date"),
        ("solde", "float"),
    ]


def test_upload_spooled_to_a_temporary_file(writer: APIClient, dataset: Dataset, settings) -> None:  # type: ignore[no-untyped-def]
    """Large uploads arrive as files on disk rather than in memory; both are read the same way."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16
    response = _upload(writer, LATIN1_CSV)
    assert response.status_code == 201, response.content
    assert (response.json()["row_count"], response.json()["delimiter"]) == (3, ";")
    assert [p.read_bytes() for p in _stored_files(settings)] == [LATIN1_CSV]


def test_upload_a_parquet_file(writer: APIClient, dataset: Dataset) -> None:
    content = _parquet_bytes()
    received = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    response = _upload(writer, content, name="customers.parquet", received_at=received.isoformat())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file_format"] == "parquet"
    assert body["row_count"] == 3
    assert body["schema"] == [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string"},
        {"name": "balance", "type": "float"},
        {"name": "active", "type": "boolean"},
        {"name": "opened_on", "type": "date"},
        {"name": "updated_at", "type": "datetime"},
    ]
    assert (body["encoding"], body["delimiter"]) == ("", "")
    assert body["operation"] == "append"  # the default
    assert DatasetVersion.objects.get(pk=body["id"]).received_at == received


def test_second_version_gets_a_schema_diff(writer: APIClient, dataset: Dataset) -> None:
    first = _upload(writer, b"id,name,amount\n1,Ana,1.5\n2,Bo,2\n", name="v1.csv")
    assert first.status_code == 201, first.content
    second = _upload(writer, b"amount,id,email\nn/a,1,ana@example.com\nten,2,bo@example.com\n", name="v2.csv")

    assert second.status_code == 201, second.content
    body = second.json()
    assert body["number"] == 2
    assert body["schema_diff"] == {
        "initial": False,
        "added": ["email"],
        "removed": ["name"],
        "type_changed": [{"name": "amount", "from": "float", "to": "string"}],
        "reordered": True,
    }
    assert body["schema_changed"] is True
    assert body["schema_fingerprint"] != first.json()["schema_fingerprint"]
    columns = dict(dataset.columns.values_list("name", "data_type"))
    assert columns == {"id": "integer", "name": "string", "amount": "string", "email": "string"}
    listed = writer.get("/api/versions/", {"dataset": "customers"}).json()["results"]
    assert [v["number"] for v in listed] == [2, 1]
    assert writer.get("/api/datasets/customers/").json()["version_count"] == 2


def test_same_schema_again_is_no_change(writer: APIClient, dataset: Dataset) -> None:
    content = b"id;label\n1;a\n"
    first = _upload(writer, content).json()
    second = _upload(writer, content + b"2;b\n").json()
    assert second["schema_fingerprint"] == first["schema_fingerprint"]
    assert second["schema_changed"] is False
    assert second["row_count"] == 2


BAD_FILES = [
    pytest.param(b"", "data.csv", "empty", id="empty"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2, "photo.csv", "binary", id="binary"),
    pytest.param(b"id,name\n1,Ana\n2,Bo,extra\n", "ragged.csv", "Line 3 has 3 fields", id="ragged"),
    pytest.param(b"id,Name,name\n1,a,b\n", "dup.csv", "Duplicate column names", id="duplicate-columns"),
    pytest.param(b"PAR1 this is not really parquet PAR1", "broken.parquet", "cannot be read", id="bad-parquet"),
    pytest.param(b"id\n" + b"1\n" * 600, "big.csv", "over the", id="too-large"),
]


@pytest.mark.parametrize("content, name, message", BAD_FILES)
def test_a_refused_file_is_a_400_and_nothing_is_written(
    writer: APIClient,
    dataset: Dataset,
    settings,
    content: bytes,
    name: str,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    ColumnFactory(dataset=dataset, name="existing")
    DatasetVersionFactory(dataset=dataset, number=1)
    versions, columns = DatasetVersion.objects.count(), Column.objects.count()

    response = _upload(writer, content, name=name)

    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == ["file"]
    assert len(errors["file"]) == 1 and message in errors["file"][0]
    assert (DatasetVersion.objects.count(), Column.objects.count()) == (versions, columns)
    assert _stored_files(settings) == []


def test_upload_without_a_file_is_a_400(writer: APIClient, dataset: Dataset) -> None:
    response = writer.post("/api/versions/", {"dataset": "customers", "operation": "append"}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
    assert not DatasetVersion.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"operation": "upsert"}, "operation"),
        ({"dataset": "no-such-dataset"}, "dataset"),
        ({"received_at": "yesterday"}, "received_at"),
    ],
)
def test_upload_with_bad_fields_is_a_400(
    writer: APIClient,
    dataset: Dataset,
    settings,
    fields: dict[str, str],
    field: str,  # type: ignore[no-untyped-def]
) -> None:
    response = _upload(writer, b"id\n1\n", **fields)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not DatasetVersion.objects.exists() and _stored_files(settings) == []


def test_upload_to_a_dataset_of_someone_else_is_refused(client_for, custodian, settings) -> None:  # type: ignore[no-untyped-def]
    DatasetFactory(owner=UserFactory(username="someone"), slug="customers")
    response = _upload(client_for(custodian), b"id\n1\n")
    assert response.status_code == 403
    assert not DatasetVersion.objects.exists() and not Column.objects.exists()
    assert _stored_files(settings) == []


# --- Versions delivered elsewhere --------------------------------------------------------------


def test_register_a_version_by_uri(writer: APIClient, dataset: Dataset, settings) -> None:  # type: ignore[no-untyped-def]
    payload = {
        "dataset": "customers",
        "uri": "postgresql://dwh/customers?snapshot=2026-01-02",
        "schema": [{"name": "id", "type": "integer"}, {"name": "email", "type": "string"}],
        "row_count": 120_000,
        "operation": "overwrite",
    }
    response = writer.post("/api/versions/", payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uri"] == payload["uri"]
    assert body["schema"] == payload["schema"]
    assert (body["row_count"], body["operation"], body["number"]) == (120_000, "overwrite", 1)
    assert (body["file_name"], body["file_format"], body["file_size"]) == ("", "", None)
    assert sorted(dataset.columns.values_list("name", flat=True)) == ["email", "id"]
    assert _stored_files(settings) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"schema": []}, {"schema": ["A version needs at least one column."]}),
        (
            {"schema": [{"name": "id", "type": "integer"}, {"name": "ID", "type": "string"}]},
            {"schema": ["Column names must be present and unique."]},
        ),
        ({"schema": [{"name": "id", "type": "uuid"}]}, {"schema": {"0": {"type": ['"uuid" is not a valid choice.']}}}),
        ({"row_count": -1}, {"row_count": ["Ensure this value is greater than or equal to 0."]}),
        ({"uri": ""}, {"uri": ["This field may not be blank."]}),
    ],
)
def test_register_by_uri_with_bad_input_is_a_400(
    writer: APIClient, dataset: Dataset, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    payload = {"dataset": "customers", "uri": "s3://lake/x/", "schema": [{"name": "id", "type": "integer"}], **changes}
    response = writer.post("/api/versions/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == expected
    assert not DatasetVersion.objects.exists() and not Column.objects.exists()


# --- Reading -----------------------------------------------------------------------------------


@pytest.fixture
def history(dataset: Dataset) -> dict[str, DatasetVersion]:
    other = DatasetFactory(slug="rates")
    now = timezone.now()
    return {
        "c1": DatasetVersionFactory(dataset=dataset, number=1, received_at=now - timedelta(days=10)),
        "c2": DatasetVersionFactory(
            dataset=dataset, number=2, received_at=now - timedelta(days=5), operation="overwrite"
        ),
        "c3": DatasetVersionFactory(dataset=dataset, number=3, received_at=now - timedelta(days=1)),
        "r1": DatasetVersionFactory(dataset=other, number=1, received_at=now - timedelta(days=3)),
    }


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {v["id"] for v in response.json()["results"]}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"dataset": "customers"}, {"c1", "c2", "c3"}),
        ({"dataset": "rates"}, {"r1"}),
        ({"operation": "overwrite"}, {"c2"}),
        ({"operation": "append", "dataset": "customers"}, {"c1", "c3"}),
        ({"received_after": -6}, {"c2", "c3", "r1"}),
        ({"received_before": -4}, {"c1", "c2"}),
        ({"received_after": -6, "received_before": -2}, {"c2", "r1"}),
    ],
)
def test_version_filters(
    client_for,
    data_scientist,
    history: dict[str, DatasetVersion],
    params: dict[str, Any],
    expected: set[str],  # type: ignore[no-untyped-def]
) -> None:
    now = timezone.now()
    query = {k: (now + timedelta(days=v)).isoformat() if k.startswith("received") else v for k, v in params.items()}
    assert _ids(client_for(data_scientist).get("/api/versions/", query)) == {history[k].pk for k in expected}


def test_version_filter_by_dataset_id(client_for, data_scientist, history: dict[str, DatasetVersion]) -> None:  # type: ignore[no-untyped-def]
    rates = history["r1"].dataset
    assert _ids(client_for(data_scientist).get("/api/versions/", {"dataset": rates.pk})) == {history["r1"].pk}


def test_versions_ordering(client_for, data_scientist, history: dict[str, DatasetVersion]) -> None:  # type: ignore[no-untyped-def]
    response = client_for(data_scientist).get("/api/versions/", {"ordering": "-received_at"})
    assert [v["id"] for v in response.json()["results"]] == [history[k].pk for k in ["c3", "r1", "c2", "c1"]]
