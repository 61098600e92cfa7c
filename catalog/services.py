"""Writes of the catalog. Views, serializers, forms, admin actions and tasks call these.

Every function is keyword-only, validates its input (``django.core.exceptions.ValidationError``
with field errors) and runs in one transaction: a failure leaves the catalog as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from catalog.ingest import FileRejected, inspect_file, schema_diff, schema_fingerprint
from catalog.models import (
    Column,
    ColumnType,
    Dataset,
    DatasetVersion,
    DataSubjectCategory,
    GlossaryTerm,
    PersonalDataCategory,
    PersonalDataClass,
    Tag,
    VersionOperation,
)

DATASET_FIELDS = {
    "name",
    "description",
    "domain",
    "source_system",
    "location",
    "format",
    "owner",
    "steward",
    "custodian",
    "refresh_frequency",
    "status",
    "data_subject_categories",
    "personal_data_categories",
    "collection_purpose",
    "collection_legal_basis",
    "retention_days",
    "storage_location",
    "transfers_outside_eu",
    "transfer_safeguards",
    "security_measures",
}
COLUMN_FIELDS = {"name", "position", "data_type", "description", "personal_data_class", "pseudonymised"}
GLOSSARY_FIELDS = {"label_en", "label_fr", "synonyms_en", "synonyms_fr", "definition", "broader", "slug"}


def _unique_slug(model: type, base: str, *, exclude_pk: int | None = None) -> str:
    root = slugify(base)[:180] or "item"
    slug, n = root, 2
    qs = model.objects.all()  # type: ignore[attr-defined]
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    while qs.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _check_choices(field: str, values: Iterable[str], choices: Iterable[str]) -> None:
    allowed = set(choices)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValidationError({field: f"Unknown value(s): {', '.join(map(str, bad))}."})


def _apply(instance: Any, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    for name, value in data.items():
        setattr(instance, name, value)


def validated_save(instance: Any, *, exclude: Sequence[str] = ()) -> None:
    """Save ``instance`` after the model's own validation (``full_clean``); a unique-field race lost
    between the check and the save is a ``ValidationError`` too. Every app's services save with it."""
    instance.full_clean(exclude=list(exclude))
    try:
        instance.save()
    except IntegrityError as exc:  # a race on a unique field between full_clean and save
        raise ValidationError(f"Could not save: {exc}") from None


def _validate_gdpr_lists(dataset: Dataset) -> None:
    _check_choices("data_subject_categories", dataset.data_subject_categories, DataSubjectCategory.values)
    _check_choices("personal_data_categories", dataset.personal_data_categories, PersonalDataCategory.values)


# --- Tags and glossary -----------------------------------------------------------------------


@transaction.atomic
def tag_create(*, name: str, description: str = "") -> Tag:
    tag = Tag(name=name.strip(), description=description, slug=_unique_slug(Tag, name))
    validated_save(tag)
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, data: dict[str, Any]) -> Tag:
    _apply(tag, data, {"name", "description"})
    validated_save(tag)
    return tag


def _check_broader(term: GlossaryTerm) -> None:
    seen: set[int] = set()
    node = term.broader
    while node is not None:
        if node.pk == term.pk or node.pk in seen:
            raise ValidationError({"broader": "A term cannot be broader than itself, directly or through others."})
        seen.add(node.pk)
        node = node.broader


def _clean_synonyms(term: GlossaryTerm) -> None:
    for field in ("synonyms_en", "synonyms_fr"):
        values = getattr(term, field)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError({field: "Expected a list of strings."})
        cleaned: list[str] = []
        for value in values:
            value = value.strip()
            if value and value.casefold() not in {c.casefold() for c in cleaned}:
                cleaned.append(value)
        setattr(term, field, cleaned)


@transaction.atomic
def glossary_term_create(*, label_en: str, label_fr: str, **data: Any) -> GlossaryTerm:
    term = GlossaryTerm(label_en=label_en.strip(), label_fr=label_fr.strip())
    _apply(term, data, GLOSSARY_FIELDS)
    if not term.slug:
        term.slug = _unique_slug(GlossaryTerm, term.label_en)
    _clean_synonyms(term)
    validated_save(term)
    return term


@transaction.atomic
def glossary_term_update(*, term: GlossaryTerm, data: dict[str, Any]) -> GlossaryTerm:
    _apply(term, data, GLOSSARY_FIELDS)
    _clean_synonyms(term)
    _check_broader(term)
    validated_save(term)
    return term


# --- Datasets and columns --------------------------------------------------------------------


@transaction.atomic
def dataset_create(
    *,
    name: str,
    domain: str,
    owner: AbstractBaseUser,
    tags: Iterable[Tag] = (),
    glossary_terms: Iterable[GlossaryTerm] = (),
    columns: Iterable[dict[str, Any]] = (),
    **data: Any,
) -> Dataset:
    """Create a dataset, optionally with its columns (dicts of ``COLUMN_FIELDS``)."""
    dataset = Dataset(name=name.strip(), domain=domain, owner=owner)
    _apply(dataset, data, DATASET_FIELDS - {"name", "domain", "owner"})
    dataset.slug = _unique_slug(Dataset, dataset.name)
    _validate_gdpr_lists(dataset)
    validated_save(dataset)
    dataset.tags.set(list(tags))
    dataset.glossary_terms.set(list(glossary_terms))
    for position, column in enumerate(columns):
        column_create(dataset=dataset, **{"position": position, **column})
    return dataset


@transaction.atomic
def dataset_update(
    *,
    dataset: Dataset,
    data: dict[str, Any],
    tags: Iterable[Tag] | None = None,
    glossary_terms: Iterable[GlossaryTerm] | None = None,
) -> Dataset:
    _apply(dataset, data, DATASET_FIELDS)
    _validate_gdpr_lists(dataset)
    validated_save(dataset)
    if tags is not None:
        dataset.tags.set(list(tags))
    if glossary_terms is not None:
        dataset.glossary_terms.set(list(glossary_terms))
    return dataset


@transaction.atomic
def column_create(*, dataset: Dataset, name: str, glossary_terms: Iterable[GlossaryTerm] = (), **data: Any) -> Column:
    column = Column(dataset=dataset, name=name.strip())
    _apply(column, data, COLUMN_FIELDS - {"name"})
    if "position" not in data:
        highest = dataset.columns.aggregate(m=Max("position"))["m"]
        column.position = 0 if highest is None else highest + 1
    validated_save(column)
    column.glossary_terms.set(list(glossary_terms))
    return column


@transaction.atomic
def column_update(
    *, column: Column, data: dict[str, Any], glossary_terms: Iterable[GlossaryTerm] | None = None
) -> Column:
    _apply(column, data, COLUMN_FIELDS)
    validated_save(column)
    if glossary_terms is not None:
        column.glossary_terms.set(list(glossary_terms))
    return column


@transaction.atomic
def column_classify(*, column: Column, personal_data_class: str, pseudonymised: bool | None = None) -> Column:
    """Set a column's personal-data class (what the dataset's sensitivity is derived from)."""
    if personal_data_class not in PersonalDataClass.values:
        raise ValidationError({"personal_data_class": f"Unknown class {personal_data_class!r}."})
    data: dict[str, Any] = {"personal_data_class": personal_data_class}
    if pseudonymised is not None:
        data["pseudonymised"] = pseudonymised
    return column_update(column=column, data=data)


# --- Versions --------------------------------------------------------------------------------


def _sync_columns(dataset: Dataset, schema: list[dict[str, str]]) -> None:
    """Add the schema's new columns to the dataset and update the type of known ones.

    New columns arrive as "not personal" until classified; columns missing from the file stay
    documented (the version's schema diff records their removal).
    """
    existing = {c.name: c for c in dataset.columns.all()}
    next_position = max((c.position for c in existing.values()), default=-1) + 1
    for item in schema:
        column = existing.get(item["name"])
        if column is None:
            Column.objects.create(dataset=dataset, name=item["name"], data_type=item["type"], position=next_position)
            next_position += 1
        elif column.data_type != item["type"] and item["type"] in ColumnType.values:
            column.data_type = item["type"]
            column.save(update_fields=["data_type", "updated_at"])


def _next_version_number(dataset: Dataset) -> tuple[int, DatasetVersion | None]:
    # Lock the dataset row so two deliveries cannot take the same number.
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    previous = dataset.versions.order_by("-number").first()
    return (previous.number + 1 if previous else 1), previous


def dataset_version_register_from_file(
    *,
    dataset: Dataset,
    file: IO[bytes],
    filename: str,
    size: int,
    operation: str = VersionOperation.APPEND,
    delivered_by: AbstractBaseUser | None = None,
    received_at: datetime | None = None,
    note: str = "",
) -> DatasetVersion:
    """Register a delivered CSV or Parquet file as the dataset's next version.

    The file is inspected (format, encoding, delimiter, schema, row count) before anything is
    written. A refused file raises ``ValidationError({"file": ...})``; so does any later failure,
    after which the stored file is removed and the database rolled back.
    """
    if operation not in VersionOperation.values:
        raise ValidationError({"operation": f"Unknown operation {operation!r}: use append or overwrite."})
    try:
        inspection = inspect_file(file, filename=filename, size=size, max_bytes=settings.UPLOAD_MAX_BYTES)
    except FileRejected as exc:
        raise ValidationError({"file": [ValidationError(exc.message, code=exc.code)]}) from None

    stored_name: str | None = None
    version: DatasetVersion | None = None
    try:
        with transaction.atomic():
            number, previous = _next_version_number(dataset)
            version = DatasetVersion(
                dataset=dataset,
                number=number,
                received_at=received_at or timezone.now(),
                delivered_by=delivered_by,
                operation=operation,
                row_count=inspection.row_count,
                schema=inspection.schema,
                schema_fingerprint=schema_fingerprint(inspection.schema),
                schema_diff=schema_diff(previous.schema if previous else None, inspection.schema),
                file_format=inspection.format,
                file_size=inspection.size,
                encoding=inspection.encoding,
                delimiter=inspection.delimiter,
                note=note,
            )
            file.seek(0)
            version.file.save(filename.rsplit("/", 1)[-1], File(file), save=False)
            stored_name = version.file.name
            validated_save(version, exclude=["file"])
            _sync_columns(dataset, inspection.schema)
            Dataset.objects.filter(pk=dataset.pk).update(updated_at=timezone.now())
            # Profiling, quality and drift run in a worker once this transaction commits.
            from catalog.tasks import version_profiling_enqueue

            version_profiling_enqueue(version=version, requested_by=delivered_by)
    except Exception:
        if stored_name and version is not None:
            version.file.storage.delete(stored_name)
        raise
    return version


@transaction.atomic
def dataset_version_register_from_uri(
    *,
    dataset: Dataset,
    uri: str,
    schema: list[dict[str, str]],
    row_count: int | None,
    operation: str = VersionOperation.APPEND,
    delivered_by: AbstractBaseUser | None = None,
    received_at: datetime | None = None,
    note: str = "",
) -> DatasetVersion:
    """Register a version delivered elsewhere (a table, an s3:// object) from its declared schema."""
    if operation not in VersionOperation.values:
        raise ValidationError({"operation": f"Unknown operation {operation!r}: use append or overwrite."})
    if not schema:
        raise ValidationError({"schema": "A version needs at least one column."})
    names = [c.get("name", "").strip() for c in schema]
    if any(not n for n in names) or len({n.casefold() for n in names}) != len(names):
        raise ValidationError({"schema": "Column names must be present and unique."})
    bad_types = [c.get("type") for c in schema if c.get("type") not in ColumnType.values]
    if bad_types:
        raise ValidationError({"schema": f"Unknown column type(s): {', '.join(map(str, bad_types))}."})
    clean = [{"name": n, "type": c["type"]} for n, c in zip(names, schema, strict=True)]
    number, previous = _next_version_number(dataset)
    version = DatasetVersion(
        dataset=dataset,
        number=number,
        received_at=received_at or timezone.now(),
        delivered_by=delivered_by,
        operation=operation,
        row_count=row_count,
        schema=clean,
        schema_fingerprint=schema_fingerprint(clean),
        schema_diff=schema_diff(previous.schema if previous else None, clean),
        uri=uri,
        note=note,
    )
    validated_save(version, exclude=["file"])
    _sync_columns(dataset, clean)
    return version
