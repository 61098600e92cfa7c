"""Reads of the catalog that cross relations, shaped for lists and detail pages.

Each function returns a queryset with what its callers display already joined or prefetched,
so that a page or an API list runs a constant number of queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from catalog.models import (
    Column,
    ColumnClassSuggestion,
    Dataset,
    DatasetVersion,
    DriftReport,
    GlossaryTerm,
    QualityExpectation,
    QualityResult,
    Tag,
    VersionProfile,
)
from catalog.search.types import SearchQuery, SearchResult, Suggestion


def dataset_list() -> QuerySet[Dataset]:
    """Datasets with owner, steward, tags, glossary terms, sensitivity and counts."""
    return (
        Dataset.objects.with_sensitivity()
        .select_related("owner", "steward", "custodian")
        .prefetch_related("tags", "glossary_terms")
        .annotate(
            column_count=Count("columns", distinct=True),
            version_count=Count("versions", distinct=True),
        )
    )


def dataset_detail(*, slug: str) -> Dataset:
    """One dataset with columns (and their terms) and versions, newest first."""
    return (
        Dataset.objects.select_related("owner", "steward", "custodian")
        .prefetch_related(
            "tags",
            "glossary_terms",
            Prefetch(
                "columns", queryset=Column.objects.prefetch_related("glossary_terms").order_by("position", "name")
            ),
            Prefetch("versions", queryset=DatasetVersion.objects.select_related("delivered_by").order_by("-number")),
        )
        .get(slug=slug)
    )


def column_list() -> QuerySet[Column]:
    return Column.objects.select_related("dataset").prefetch_related("glossary_terms")


def dataset_version_list() -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.select_related("dataset", "delivered_by")


def glossary_term_list() -> QuerySet[GlossaryTerm]:
    return (
        GlossaryTerm.objects.select_related("broader")
        .prefetch_related("narrower")
        .annotate(dataset_count=Count("datasets", distinct=True))
    )


def glossary_term_descendants(*, term: GlossaryTerm) -> list[GlossaryTerm]:
    """The term and every narrower term below it (used by glossary expansion in search)."""
    found = [term]
    frontier = [term.pk]
    seen = {term.pk}
    while frontier:
        children = list(GlossaryTerm.objects.filter(broader_id__in=frontier).exclude(pk__in=seen))
        found.extend(children)
        frontier = [c.pk for c in children]
        seen.update(frontier)
    return found


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.annotate(dataset_count=Count("datasets", distinct=True))


def catalog_counts() -> dict[str, int]:
    """Headline figures for the home page."""
    return {
        "datasets": Dataset.objects.count(),
        "columns": Column.objects.count(),
        "personal_columns": Column.objects.filter(~Q(personal_data_class="none")).count(),
        "glossary_terms": GlossaryTerm.objects.count(),
    }


# --- Web interface (frontend) ----------------------------------------------------------------


def dataset_filter(
    queryset: QuerySet[Dataset],
    *,
    q: str = "",
    domain: str = "",
    status: str = "",
    max_sensitivity: str = "",
    tag: str = "",
) -> QuerySet[Dataset]:
    """Narrow a dataset queryset by the catalog page's filters.

    ``q`` is a plain case-insensitive match on name, description and column names (full-text
    search comes with the search backend). Relations are matched through subqueries, so the
    aggregates of ``dataset_list()`` are not multiplied and no ``distinct()`` is needed.
    """
    if q := q.strip():
        matching_columns = Column.objects.filter(name__icontains=q).values("dataset_id")
        queryset = queryset.filter(Q(name__icontains=q) | Q(description__icontains=q) | Q(pk__in=matching_columns))
    if domain:
        queryset = queryset.filter(domain=domain)
    if status:
        queryset = queryset.filter(status=status)
    if max_sensitivity:
        queryset = queryset.with_sensitivity_at_most(max_sensitivity)
    if tag:
        queryset = queryset.filter(pk__in=Dataset.tags.through.objects.filter(tag__slug=tag).values("dataset_id"))
    return queryset


def dataset_version_detail(*, slug: str, number: int) -> DatasetVersion:
    """One version of a dataset, with the dataset and who delivered it."""
    return DatasetVersion.objects.select_related("dataset", "delivered_by").get(dataset__slug=slug, number=number)


def dataset_version_previous(*, version: DatasetVersion) -> DatasetVersion | None:
    """The version delivered just before ``version`` (what its schema diff compares with)."""
    return (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def glossary_term_detail(*, slug: str) -> GlossaryTerm:
    """One glossary term with its broader and narrower terms and the datasets and columns tagged with it."""
    return (
        GlossaryTerm.objects.select_related("broader")
        .prefetch_related(
            Prefetch("narrower", queryset=GlossaryTerm.objects.order_by("label_en")),
            Prefetch("datasets", queryset=dataset_list().order_by("name")),
            Prefetch(
                "columns",
                queryset=Column.objects.select_related("dataset").order_by("dataset__name", "position"),
            ),
        )
        .get(slug=slug)
    )


def dataset_search(*, query: SearchQuery, user: AbstractBaseUser | AnonymousUser | None = None) -> SearchResult:
    """Search datasets (glossary-aware, typo-tolerant, faceted); see ``catalog.search``."""
    from catalog.search.service import search

    return search(query=query, user=user)


def dataset_suggest(*, prefix: str, limit: int = 8) -> tuple[list[Suggestion], bool]:
    from catalog.search.service import suggest

    return suggest(prefix=prefix, limit=limit)


# --- Profiling, quality, drift and class suggestions (catalog.profiling) ---------------------------


def version_profile_list() -> QuerySet[VersionProfile]:
    return VersionProfile.objects.select_related("version", "version__dataset")


def version_profile_for(*, version: DatasetVersion) -> VersionProfile | None:
    return VersionProfile.objects.filter(version=version).first()


def dataset_latest_profile(*, dataset: Dataset) -> VersionProfile | None:
    """The profile of the newest version that has one."""
    return version_profile_list().filter(version__dataset=dataset).order_by("-version__number").first()


def quality_expectation_list() -> QuerySet[QualityExpectation]:
    return QualityExpectation.objects.select_related("dataset", "decided_by", "suggested_from")


def quality_result_list() -> QuerySet[QualityResult]:
    return QualityResult.objects.select_related("version", "version__dataset", "expectation")


def drift_report_list() -> QuerySet[DriftReport]:
    return DriftReport.objects.select_related("version", "version__dataset", "previous")


def column_class_suggestion_list() -> QuerySet[ColumnClassSuggestion]:
    return ColumnClassSuggestion.objects.select_related("column", "column__dataset", "version", "decided_by")


def datasets_quality_flags(*, dataset_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each dataset, the expectations its latest version failed (``"amount: Value range"``...);
    datasets whose latest version passed, or was not checked, are absent. Two queries."""
    ids = list(dataset_ids)
    latest = (
        DatasetVersion.objects.filter(dataset_id__in=ids)
        .values("dataset_id")
        .annotate(number=Max("number"))
        .values_list("dataset_id", "number")
    )
    wanted = Q(pk__in=[])
    for dataset_id, number in latest:
        wanted |= Q(version__dataset_id=dataset_id, version__number=number)
    flags: dict[int, list[str]] = {}
    failed = (
        QualityResult.objects.filter(wanted, passed=False)
        .select_related("expectation", "version")
        .order_by("expectation__column", "expectation__kind")
    )
    for result in failed:
        expectation = result.expectation
        label = f"{expectation.column or 'rows'}: {expectation.get_kind_display()}"
        flags.setdefault(result.version.dataset_id, []).append(label)
    return flags
