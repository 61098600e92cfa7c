"""Serializers of the catalog API. They check the shape of the input and present the output;
the views hand the validated data to ``catalog.services``, which decide and write.

Related objects are written and shown by their natural keys: users by username, datasets,
tags and glossary terms by slug.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import (
    Column,
    ColumnClassSuggestion,
    ColumnType,
    Dataset,
    DatasetVersion,
    DataSubjectCategory,
    DriftReport,
    GlossaryTerm,
    PersonalDataCategory,
    PersonalDataClass,
    QualityExpectation,
    QualityResult,
    Tag,
    VersionOperation,
    VersionProfile,
)

User = get_user_model()


class ServiceWrittenSerializer(serializers.ModelSerializer):
    """A model serializer whose writes go through ``catalog.services`` (called by the view).

    Uniqueness is left to the services (``validators = []`` and no unique validators on fields),
    so that the API and every other caller get the same rules and messages.
    """

    def create(self, validated_data: dict[str, Any]) -> NoReturn:
        raise NotImplementedError("Catalog writes go through catalog.services; the view calls them.")

    def update(self, instance: Any, validated_data: dict[str, Any]) -> NoReturn:
        raise NotImplementedError("Catalog writes go through catalog.services; the view calls them.")


def _username_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), **kwargs)


def _slugs_field(model: type, **kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=model.objects.all(), many=True, required=False, **kwargs
    )


# --- Tags and glossary -------------------------------------------------------------------------


class TagSerializer(ServiceWrittenSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:tag-detail", lookup_field="slug")
    dataset_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tag
        fields = ["url", "slug", "name", "description", "dataset_count", "created_at", "updated_at"]
        read_only_fields = ["slug", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class GlossaryTermSerializer(ServiceWrittenSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:glossary-detail", lookup_field="slug")
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Derived from the English label when not given."
    )
    broader = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=GlossaryTerm.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the broader term.",
    )
    narrower = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    synonyms_en = serializers.ListField(child=serializers.CharField(max_length=150, allow_blank=True), required=False)
    synonyms_fr = serializers.ListField(child=serializers.CharField(max_length=150, allow_blank=True), required=False)
    dataset_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = GlossaryTerm
        fields = [
            "url",
            "slug",
            "label_en",
            "label_fr",
            "synonyms_en",
            "synonyms_fr",
            "definition",
            "broader",
            "narrower",
            "dataset_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"label_en": {"validators": []}, "label_fr": {"validators": []}}


# --- Columns -----------------------------------------------------------------------------------


class ColumnSerializer(ServiceWrittenSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:column-detail")
    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), help_text="Slug of the dataset."
    )
    glossary_terms = _slugs_field(GlossaryTerm, help_text="Slugs of glossary terms.")
    is_personal = serializers.BooleanField(read_only=True)

    class Meta:
        model = Column
        fields = [
            "id",
            "url",
            "dataset",
            "name",
            "position",
            "data_type",
            "description",
            "personal_data_class",
            "pseudonymised",
            "is_personal",
            "glossary_terms",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"position": {"required": False, "help_text": "Defaults to after the last column."}}
        validators: list[Any] = []


class ColumnUpdateSerializer(ColumnSerializer):
    """A column changes in place: its dataset is fixed."""

    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)


class DatasetColumnSerializer(ServiceWrittenSerializer):
    """A column inside a dataset: shown in the dataset's detail, accepted when creating one."""

    url = serializers.HyperlinkedIdentityField(view_name="api:column-detail")
    glossary_terms = _slugs_field(GlossaryTerm, help_text="Slugs of glossary terms.")
    is_personal = serializers.BooleanField(read_only=True)

    class Meta:
        model = Column
        fields = [
            "id",
            "url",
            "name",
            "position",
            "data_type",
            "description",
            "personal_data_class",
            "pseudonymised",
            "is_personal",
            "glossary_terms",
        ]
        extra_kwargs = {"position": {"required": False, "help_text": "Defaults to the order in the list."}}
        validators: list[Any] = []


# --- Datasets ----------------------------------------------------------------------------------

DATASET_FIELDS = [
    "url",
    "slug",
    "name",
    "description",
    "description_html",
    "domain",
    "source_system",
    "location",
    "format",
    "owner",
    "steward",
    "custodian",
    "refresh_frequency",
    "status",
    "tags",
    "glossary_terms",
    "sensitivity",
    "contains_personal_data",
    "column_count",
    "version_count",
    # GDPR profile (declared; sensitivity and contains_personal_data above are derived)
    "data_subject_categories",
    "personal_data_categories",
    "collection_purpose",
    "collection_legal_basis",
    "retention_days",
    "storage_location",
    "transfers_outside_eu",
    "transfer_safeguards",
    "security_measures",
    "created_at",
    "updated_at",
]


class DatasetSerializer(ServiceWrittenSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:dataset-detail", lookup_field="slug")
    description_html = serializers.CharField(read_only=True, help_text="The Markdown description, sanitised.")
    owner = _username_field(required=False, help_text="Username; defaults to the user creating the dataset.")
    steward = _username_field(required=False, allow_null=True, help_text="Username.")
    custodian = _username_field(required=False, allow_null=True, help_text="Username.")
    tags = _slugs_field(Tag, help_text="Slugs of tags.")
    glossary_terms = _slugs_field(GlossaryTerm, help_text="Slugs of glossary terms.")
    sensitivity = serializers.ChoiceField(
        choices=PersonalDataClass.choices,
        read_only=True,
        help_text="Highest personal-data class of the columns.",
    )
    contains_personal_data = serializers.BooleanField(read_only=True)
    column_count = serializers.IntegerField(read_only=True)
    version_count = serializers.IntegerField(read_only=True)
    data_subject_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataSubjectCategory.choices), required=False
    )
    personal_data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PersonalDataCategory.choices), required=False
    )

    class Meta:
        model = Dataset
        fields = DATASET_FIELDS
        read_only_fields = ["slug", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class DatasetDetailSerializer(DatasetSerializer):
    """A dataset with its columns. Columns may be given when creating the dataset; afterwards
    they are changed through the columns endpoint."""

    columns = DatasetColumnSerializer(many=True, required=False)

    class Meta(DatasetSerializer.Meta):
        fields = [*DATASET_FIELDS, "columns"]

    def validate_columns(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.instance is not None:
            raise serializers.ValidationError("Columns are changed through the columns endpoint.")
        return value


# --- Versions ----------------------------------------------------------------------------------


class SchemaColumnSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=ColumnType.choices)


SCHEMA_DIFF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "initial": {"type": "boolean", "description": "First version: every column is added."},
        "added": {"type": "array", "items": {"type": "string"}},
        "removed": {"type": "array", "items": {"type": "string"}},
        "type_changed": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "from": {"type": "string"},
                    "to": {"type": "string"},
                },
            },
        },
        "reordered": {"type": "boolean"},
    },
}


@extend_schema_field(SCHEMA_DIFF_SCHEMA)
class SchemaDiffField(serializers.JSONField):
    pass


class DatasetVersionSerializer(serializers.ModelSerializer):
    """A delivered version. The stored file is named but never linked: downloads check access."""

    url = serializers.HyperlinkedIdentityField(view_name="api:version-detail")
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    delivered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    schema = SchemaColumnSerializer(many=True, read_only=True)
    schema_diff = SchemaDiffField(read_only=True)
    schema_changed = serializers.BooleanField(read_only=True)
    file_name = serializers.SerializerMethodField(help_text="Name of the delivered file, if any.")

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "url",
            "dataset",
            "number",
            "received_at",
            "delivered_by",
            "operation",
            "row_count",
            "schema",
            "schema_fingerprint",
            "schema_diff",
            "schema_changed",
            "file_name",
            "file_format",
            "file_size",
            "encoding",
            "delimiter",
            "uri",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_file_name(self, version: DatasetVersion) -> str:
        return version.file.name.rsplit("/", 1)[-1] if version.file else ""


class _VersionInputSerializer(serializers.Serializer):
    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), help_text="Slug of the dataset."
    )
    operation = serializers.ChoiceField(choices=VersionOperation.choices, default=VersionOperation.APPEND)
    received_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class VersionUploadSerializer(_VersionInputSerializer):
    """A delivered CSV or Parquet file (multipart). Format, encoding, delimiter, schema and row
    count are read from the file."""

    # Empty files are refused by the service, with the same message as every other upload path.
    file = serializers.FileField(allow_empty_file=True)


class VersionFromUriSerializer(_VersionInputSerializer):
    """A version delivered elsewhere (a table, an s3:// object), described by its schema."""

    uri = serializers.CharField(max_length=500)
    schema = SchemaColumnSerializer(many=True, help_text="Columns in order.")
    row_count = serializers.IntegerField(min_value=0, allow_null=True, required=False, default=None)


# --- Authentication ----------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text='Send it as "Authorization: Token <token>".')


# --- Profiling, quality, drift and class suggestions ---------------------------------------------


class VersionProfileSerializer(serializers.ModelSerializer):
    """Per-column statistics of a version. Personal columns carry aggregates only."""

    dataset = serializers.SlugRelatedField(source="version.dataset", slug_field="slug", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = VersionProfile
        fields = [
            "id",
            "version",
            "dataset",
            "version_number",
            "status",
            "error",
            "row_count",
            "sample_size",
            "personal_columns",
            "columns",
            "timings",
            "started_at",
            "finished_at",
            "report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_report_url(self, obj: VersionProfile) -> str | None:
        if not obj.report:
            return None
        from django.urls import reverse

        path = reverse("frontend:version-profile-report", args=[obj.version.dataset.slug, obj.version.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class QualityExpectationSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    suggested_from = serializers.IntegerField(source="suggested_from.number", read_only=True, allow_null=True)

    class Meta:
        model = QualityExpectation
        fields = [
            "id",
            "dataset",
            "column",
            "kind",
            "params",
            "status",
            "suggested_from",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f != "params"]


class ExpectationDecisionSerializer(serializers.Serializer):
    """Accept (optionally with edited parameters)."""

    params = serializers.JSONField(required=False, help_text="Edited parameters; the suggested ones when absent.")


class QualityResultSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(source="version.dataset", slug_field="slug", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    column = serializers.CharField(source="expectation.column", read_only=True)
    kind = serializers.CharField(source="expectation.kind", read_only=True)
    params = serializers.JSONField(source="expectation.params", read_only=True)

    class Meta:
        model = QualityResult
        fields = [
            "id",
            "version",
            "dataset",
            "version_number",
            "expectation",
            "column",
            "kind",
            "params",
            "passed",
            "observed",
            "checked_at",
        ]
        read_only_fields = fields


class DriftReportSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(source="version.dataset", slug_field="slug", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    previous_number = serializers.IntegerField(source="previous.number", read_only=True)

    class Meta:
        model = DriftReport
        fields = [
            "id",
            "version",
            "dataset",
            "version_number",
            "previous",
            "previous_number",
            "drifted_columns",
            "columns",
            "computed_at",
        ]
        read_only_fields = fields


class ColumnClassSuggestionSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(source="column.dataset", slug_field="slug", read_only=True)
    column_name = serializers.CharField(source="column.name", read_only=True)
    current_class = serializers.CharField(source="column.personal_data_class", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ColumnClassSuggestion
        fields = [
            "id",
            "dataset",
            "column",
            "column_name",
            "current_class",
            "kind",
            "suggested_class",
            "confidence",
            "evidence",
            "status",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class SuggestionConfirmSerializer(serializers.Serializer):
    personal_data_class = serializers.ChoiceField(
        choices=PersonalDataClass.choices, required=False, help_text="Another class than the suggested one."
    )
