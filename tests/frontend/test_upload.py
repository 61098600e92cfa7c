"""Delivering a version through the upload page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from catalog.models import Dataset, DatasetVersion, VersionOperation
from tests.factories import DatasetFactory
from tests.frontend.data import CSV_RAGGED, CSV_V1, CSV_V2, ClientAs

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(custodian: User) -> Dataset:
    return DatasetFactory(name="Loans", slug="loans", owner=custodian, custodian=custodian)


def _upload_url(slug: str = "loans") -> str:
    return reverse("frontend:version-upload", args=[slug])


def _post(
    client: Client, content: bytes, *, name: str = "loans.csv", operation: str = "append", note: str = ""
) -> HttpResponse:
    return client.post(
        _upload_url(),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "operation": operation, "note": note},
    )


def _stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_editor_sees_the_form(client_as: ClientAs, custodian: User, dataset: Dataset) -> None:
    response = client_as(custodian).get(_upload_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'name="operation"' in html and 'name="note"' in html
    assert "Upload a version of Loans" in html


def test_good_csv_creates_v1_then_v2_with_a_schema_diff(
    client_as: ClientAs, custodian: User, dataset: Dataset, settings: Settings
) -> None:
    client = client_as(custodian)
    response = _post(client, CSV_V1, note="January batch")
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:version-detail", args=["loans", 1])
    v1 = DatasetVersion.objects.get(dataset=dataset, number=1)
    assert v1.row_count == 3 and v1.delivered_by == custodian and v1.note == "January batch"
    assert [c["name"] for c in v1.schema] == ["customer_id", "amount", "paid_at"]

    page = client.get(response["Location"])
    assert "Version 1 of Loans registered (3 rows)." in page.content.decode()

    response = _post(client, CSV_V2, name="loans-2.csv", operation=VersionOperation.OVERWRITE)
    assert response["Location"] == reverse("frontend:version-detail", args=["loans", 2])
    v2 = DatasetVersion.objects.get(dataset=dataset, number=2)
    assert v2.operation == VersionOperation.OVERWRITE
    assert v2.schema_diff["added"] == ["channel"]
    assert v2.schema_diff["type_changed"] == [{"name": "customer_id", "from": "integer", "to": "string"}]

    detail = client.get(reverse("frontend:dataset-detail", args=["loans"]))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", detail.content.decode()))
    assert "Version 2" in text and "Added channel" in text and "Overwrite" in text
    assert sorted(p.name for p in _stored_files(settings)) == ["loans-2.csv", "loans.csv"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (CSV_RAGGED, "Line 3 has 3 fields where the header has 2"),
        (b"\x00\x01\x02\x03binary\x00\x00", "The file is binary"),
        (b"id,id\n1,2\n", "Duplicate column names: id"),
    ],
    ids=["empty", "ragged", "binary", "duplicate-columns"],
)
def test_bad_files_show_the_error_and_save_nothing(
    client_as: ClientAs, custodian: User, dataset: Dataset, settings: Settings, content: bytes, message: str
) -> None:
    response = _post(client_as(custodian), content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not registered" in html
    error = re.search(r'<div class="field__error" id="id_file_error">(.*?)</div>', html, flags=re.S)
    assert error and message in error.group(1)
    assert not DatasetVersion.objects.exists()
    assert dataset.columns.count() == 0
    assert _stored_files(settings) == []


def test_missing_file_is_a_form_error(client_as: ClientAs, custodian: User, dataset: Dataset) -> None:
    response = client_as(custodian).post(_upload_url(), {"operation": "append"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not DatasetVersion.objects.exists()


def test_large_upload_spooled_to_disk_works(
    client_as: ClientAs, custodian: User, dataset: Dataset, settings: Settings
) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # force a TemporaryUploadedFile
    response = _post(client_as(custodian), CSV_V1)
    assert response.status_code == 302
    assert DatasetVersion.objects.get(dataset=dataset).row_count == 3


def test_non_editors_get_403(
    client_as: ClientAs, data_scientist: User, make_user: Callable[..., User], dataset: Dataset
) -> None:
    from catalog.roles import Role

    other_custodian = make_user(Role.DATA_CUSTODIAN, username="cedric")
    for user in (data_scientist, other_custodian):
        client = client_as(user)
        assert client.get(_upload_url()).status_code == 403
        assert _post(client, CSV_V1).status_code == 403
    assert not DatasetVersion.objects.exists()


def test_admin_may_upload(client_as: ClientAs, admin_user: User, dataset: Dataset) -> None:
    response = _post(client_as(admin_user), CSV_V1)
    assert response.status_code == 302
    assert DatasetVersion.objects.get().delivered_by == admin_user


def test_unknown_dataset_404(client_as: ClientAs, custodian: User) -> None:
    assert client_as(custodian).get(_upload_url("nope")).status_code == 404
