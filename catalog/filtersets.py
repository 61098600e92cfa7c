"""django-filter FilterSets of the catalog lists (API, and the pages that want the same filters).

``q`` is a plain case-insensitive substring match; ranked full-text search is the search app's.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from catalog.models import (
    Column,
    ColumnType,
    DataFormat,
    Dataset,
    DatasetQuerySet,
    DatasetStatus,
    DatasetVersion,
    Domain,
    GlossaryTerm,
    PersonalDataClass,
    Tag,
    VersionOperation,
)


def _dataset_slug_or_id(queryset: QuerySet, value: str) -> QuerySet:
    """Rows of the dataset given by slug or by id (``dataset`` field of columns and versions)."""
    match = Q(dataset__slug=value)
    if value.isdigit():
        match |= Q(dataset_id=int(value))
    return queryset.filter(match)


class DatasetFilterSet(filters.FilterSet):
    domain = filters.ChoiceFilter(choices=Domain.choices)
    status = filters.ChoiceFilter(choices=DatasetStatus.choices)
    # Not "format": DRF reads ?format= to choose the renderer (URL_FORMAT_OVERRIDE).
    data_format = filters.ChoiceFilter(field_name="format", choices=DataFormat.choices)
    owner = filters.CharFilter(field_name="owner__username", help_text="Username of the owner.")
    tag = filters.CharFilter(field_name="tags__slug", help_text="Slug of a tag.")
    glossary_term = filters.CharFilter(field_name="glossary_terms__slug", help_text="Slug of a glossary term.")
    sensitivity = filters.ChoiceFilter(
        choices=PersonalDataClass.choices,
        method="filter_sensitivity",
        help_text="Exact sensitivity: the highest personal-data class of the columns.",
    )
    max_sensitivity = filters.ChoiceFilter(
        choices=PersonalDataClass.choices,
        method="filter_max_sensitivity",
        help_text="No column more sensitive than this class.",
    )
    contains_personal_data = filters.BooleanFilter(method="filter_contains_personal_data")
    q = filters.CharFilter(method="filter_q", help_text="Substring of the name or description.")

    class Meta:
        model = Dataset
        fields: list[str] = []

    def filter_sensitivity(self, queryset: DatasetQuerySet, name: str, value: str) -> DatasetQuerySet:
        return queryset.filter(sensitivity_rank=PersonalDataClass.rank(value))

    def filter_max_sensitivity(self, queryset: DatasetQuerySet, name: str, value: str) -> DatasetQuerySet:
        return queryset.with_sensitivity_at_most(value)

    def filter_contains_personal_data(self, queryset: DatasetQuerySet, name: str, value: bool) -> DatasetQuerySet:
        return queryset.filter(sensitivity_rank__gt=0) if value else queryset.filter(sensitivity_rank=0)

    def filter_q(self, queryset: DatasetQuerySet, name: str, value: str) -> DatasetQuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class ColumnFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(method="filter_dataset", help_text="Slug or id of the dataset.")
    personal_data_class = filters.ChoiceFilter(choices=PersonalDataClass.choices)
    data_type = filters.ChoiceFilter(choices=ColumnType.choices)
    pseudonymised = filters.BooleanFilter()

    class Meta:
        model = Column
        fields: list[str] = []

    def filter_dataset(self, queryset: QuerySet[Column], name: str, value: str) -> QuerySet[Column]:
        return _dataset_slug_or_id(queryset, value)


class DatasetVersionFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(method="filter_dataset", help_text="Slug or id of the dataset.")
    operation = filters.ChoiceFilter(choices=VersionOperation.choices)
    received_after = filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", help_text="Received at or after (ISO 8601)."
    )
    received_before = filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lte", help_text="Received at or before (ISO 8601)."
    )

    class Meta:
        model = DatasetVersion
        fields: list[str] = []

    def filter_dataset(self, queryset: QuerySet[DatasetVersion], name: str, value: str) -> QuerySet[DatasetVersion]:
        return _dataset_slug_or_id(queryset, value)


class GlossaryTermFilterSet(filters.FilterSet):
    broader = filters.CharFilter(field_name="broader__slug", help_text="Slug of the broader term.")
    q = filters.CharFilter(method="filter_q", help_text="Substring of the English or French label.")

    class Meta:
        model = GlossaryTerm
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[GlossaryTerm], name: str, value: str) -> QuerySet[GlossaryTerm]:
        return queryset.filter(Q(label_en__icontains=value) | Q(label_fr__icontains=value))


class TagFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Substring of the name.")

    class Meta:
        model = Tag
        fields: list[str] = []


# --- Profiling, quality, drift and class suggestions ---------------------------------------------


def _by_version_dataset(queryset: QuerySet, name: str, value: str) -> QuerySet:
    match = Q(version__dataset__slug=value)
    if value.isdigit():
        match |= Q(version__dataset_id=int(value))
    return queryset.filter(match)


class VersionProfileFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(method=_by_version_dataset, help_text="Dataset slug or id.")
    version = filters.NumberFilter(field_name="version_id", help_text="Version id.")
    status = filters.CharFilter()


class QualityExpectationFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(
        method=lambda qs, name, value: _dataset_slug_or_id(qs, value), help_text="Dataset slug or id."
    )
    status = filters.CharFilter()
    kind = filters.CharFilter()
    column = filters.CharFilter()


class QualityResultFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(method=_by_version_dataset, help_text="Dataset slug or id.")
    version = filters.NumberFilter(field_name="version_id", help_text="Version id.")
    passed = filters.BooleanFilter()


class DriftReportFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(method=_by_version_dataset, help_text="Dataset slug or id.")
    version = filters.NumberFilter(field_name="version_id", help_text="Version id.")


class ColumnClassSuggestionFilterSet(filters.FilterSet):
    dataset = filters.CharFilter(field_name="column__dataset__slug", help_text="Dataset slug.")
    status = filters.CharFilter()
    kind = filters.CharFilter()
