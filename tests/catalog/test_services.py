"""Catalog services: version registration (good files and every refused case) and validation."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Column, Dataset, DatasetVersion, PersonalDataClass
from tests.factories import ColumnFactory, DatasetFactory, GlossaryTermFactory, UserFactory

pytestmark = pytest.mark.django_db


def register(dataset: Dataset, data: bytes, name: str = "batch.csv", **kwargs):  # type: ignore[no-untyped-def]
    return services.dataset_version_register_from_file(
        dataset=dataset, file=io.BytesIO(data), filename=name, size=len(data), **kwargs
    )


def catalog_state(media_root: Path) -> tuple[object, ...]:
    files = sorted(str(p) for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []
    return (
        list(DatasetVersion.objects.values_list("pk", "number")),
        list(Column.objects.values_list("pk", "name", "data_type")),
        list(Dataset.objects.values_list("pk", "updated_at")),
        files,
    )


def test_first_and_second_version_with_schema_diff(settings) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory()
    delivered_by = UserFactory()
    v1 = register(dataset, b"id;amount\n1;2.5\n2;3\n", delivered_by=delivered_by)
    assert (v1.number, v1.row_count, v1.delimiter, v1.file_format) == (1, 2, ";", "csv")
    assert v1.schema_diff["initial"] is True
    assert Path(settings.MEDIA_ROOT, v1.file.name).read_bytes() == b"id;amount\n1;2.5\n2;3\n"
    assert list(dataset.columns.values_list("name", "data_type")) == [("id", "integer"), ("amount", "float")]

    v2 = register(dataset, b"id;amount;channel\n1;2;web\n", operation="overwrite")
    assert v2.number == 2 and v2.operation == "overwrite"
    assert v2.schema_diff["added"] == ["channel"]
    assert v2.schema_diff["type_changed"] == [{"name": "amount", "from": "float", "to": "integer"}]
    assert v2.schema_fingerprint != v1.schema_fingerprint
    assert dataset.columns.get(name="amount").data_type == "integer"


def test_existing_column_classification_is_kept_on_new_version() -> None:
    dataset = DatasetFactory()
    ColumnFactory(dataset=dataset, name="email", personal_data_class=PersonalDataClass.DIRECT)
    register(dataset, b"email,score\na@b.fr,1\n")
    assert dataset.columns.get(name="email").personal_data_class == PersonalDataClass.DIRECT
    assert dataset.columns.get(name="score").personal_data_class == PersonalDataClass.NONE


def test_parquet_version() -> None:
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3, 4], "label": ["a", "b", "c", "d"]}), sink)
    version = register(DatasetFactory(), sink.getvalue(), name="batch.parquet")
    assert version.file_format == "parquet" and version.row_count == 4


BAD_FILES = {
    "empty": b"",
    "binary": bytes(range(256)) * 10,
    "ragged": b"a,b,c\n1,2,3\n4,5\n",
    "duplicate_columns": b"id,name,id\n1,x,2\n",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_refused_file_leaves_the_catalog_as_it_was(case: str, settings) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory()
    register(dataset, b"id,name\n1,x\n")
    before = catalog_state(Path(settings.MEDIA_ROOT))
    with pytest.raises(ValidationError) as excinfo:
        register(dataset, BAD_FILES[case])
    assert excinfo.value.error_dict["file"][0].code == case
    assert catalog_state(Path(settings.MEDIA_ROOT)) == before


def test_file_over_the_size_limit_leaves_the_catalog_as_it_was(settings) -> None:  # type: ignore[no-untyped-def]
    dataset = DatasetFactory()
    settings.UPLOAD_MAX_BYTES = 10
    before = catalog_state(Path(settings.MEDIA_ROOT))
    with pytest.raises(ValidationError) as excinfo:
        register(dataset, b"id,name\n1,xxxxxxxxxxxx\n")
    assert "over the" in excinfo.value.error_dict["file"][0].message
    assert catalog_state(Path(settings.MEDIA_ROOT)) == before


def test_failure_after_the_file_is_stored_removes_it(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A database failure after the file was written rolls back and deletes the stored file."""
    dataset = DatasetFactory()
    before = catalog_state(Path(settings.MEDIA_ROOT))

    def broken_sync(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_sync_columns", broken_sync)
    with pytest.raises(RuntimeError):
        register(dataset, b"id\n1\n")
    assert catalog_state(Path(settings.MEDIA_ROOT)) == before


def test_unknown_operation_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        register(DatasetFactory(), b"id\n1\n", operation="merge")
    assert "operation" in excinfo.value.error_dict


def test_register_from_uri_validates_schema() -> None:
    dataset = DatasetFactory()
    with pytest.raises(ValidationError):
        services.dataset_version_register_from_uri(
            dataset=dataset, uri="s3://x", schema=[{"name": "a", "type": "nope"}], row_count=1
        )
    with pytest.raises(ValidationError):
        services.dataset_version_register_from_uri(
            dataset=dataset,
            uri="s3://x",
            schema=[{"name": "a", "type": "string"}, {"name": "A", "type": "string"}],
            row_count=1,
        )
    version = services.dataset_version_register_from_uri(
        dataset=dataset, uri="s3://x", schema=[{"name": "a", "type": "string"}], row_count=1
    )
    assert version.number == 1 and DatasetVersion.objects.count() == 1


def test_dataset_create_with_columns_and_validation() -> None:
    owner = UserFactory()
    dataset = services.dataset_create(
        name="Card payments",
        domain="payments",
        owner=owner,
        columns=[{"name": "pan", "personal_data_class": "direct"}, {"name": "amount", "data_type": "float"}],
        personal_data_categories=["financial"],
    )
    assert dataset.slug == "card-payments"
    assert dataset.sensitivity == PersonalDataClass.DIRECT
    with pytest.raises(ValidationError) as excinfo:
        services.dataset_create(name="Card payments", domain="payments", owner=owner)
    assert "name" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        services.dataset_create(name="X", domain="astrology", owner=owner)
    assert "domain" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        services.dataset_create(name="Y", domain="hr", owner=owner, personal_data_categories=["shoe size"])
    assert "personal_data_categories" in excinfo.value.error_dict
    assert Dataset.objects.count() == 1


def test_glossary_hierarchy_refuses_cycles() -> None:
    parent = GlossaryTermFactory()
    child = services.glossary_term_create(label_en="Card payment", label_fr="Paiement par carte", broader=parent)
    with pytest.raises(ValidationError):
        services.glossary_term_update(term=parent, data={"broader": child})
    parent.refresh_from_db()
    assert parent.broader is None


def test_glossary_synonyms_are_cleaned() -> None:
    term = services.glossary_term_create(
        label_en="Churn", label_fr="Résiliation", synonyms_fr=[" attrition ", "Attrition", "départ client", ""]
    )
    assert term.synonyms_fr == ["attrition", "départ client"]
