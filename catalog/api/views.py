"""Viewsets of the catalog API: reads from ``catalog.selectors``, writes through ``catalog.services``,
permissions from ``catalog.api.permissions``. No deletes: datasets and versions are history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from catalog import selectors, services
from catalog.api import permissions
from catalog.api.serializers import (
    ColumnClassSuggestionSerializer,
    ColumnSerializer,
    ColumnUpdateSerializer,
    DatasetDetailSerializer,
    DatasetSerializer,
    DatasetVersionSerializer,
    DriftReportSerializer,
    ExpectationDecisionSerializer,
    GlossaryTermSerializer,
    QualityExpectationSerializer,
    QualityResultSerializer,
    SuggestionConfirmSerializer,
    TagSerializer,
    TokenSerializer,
    VersionFromUriSerializer,
    VersionProfileSerializer,
    VersionUploadSerializer,
)
from catalog.filtersets import (
    ColumnClassSuggestionFilterSet,
    ColumnFilterSet,
    DatasetFilterSet,
    DatasetVersionFilterSet,
    DriftReportFilterSet,
    GlossaryTermFilterSet,
    QualityExpectationFilterSet,
    QualityResultFilterSet,
    TagFilterSet,
    VersionProfileFilterSet,
)
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
from catalog.profiling import services as profiling_services

WriteScope = Callable[[Any, QuerySet[Any]], QuerySet[Any]]


class CatalogPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class CatalogViewSet(viewsets.GenericViewSet):
    """Base of the catalog viewsets.

    - Token authentication first, so that an anonymous request gets 401 with ``WWW-Authenticate``.
    - Model permissions of the user's role (``permissions.CatalogModelPermissions``).
    - For unsafe methods the queryset is restricted by ``write_scope`` (from ``permissions``); an
      object that exists but is outside the scope gives 403, not 404.
    - Create and update hand the validated data to ``perform_service_create`` /
      ``perform_service_update`` (which call ``catalog.services``), then answer with the object
      re-read through the selector, so a write's response has the same fields as a read.
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes: ClassVar[list[Any]] = [permissions.CatalogModelPermissions]
    pagination_class = CatalogPagination
    write_scope: ClassVar[WriteScope] = staticmethod(permissions.everything)

    def get_read_queryset(self) -> QuerySet[Any]:
        """What this endpoint shows, from ``catalog.selectors``."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.get_read_queryset()
        if self.request is not None and self.request.method not in SAFE_METHODS:
            queryset = self.write_scope(self.request.user, queryset)
        return queryset

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except Http404:
            if self.request.method in SAFE_METHODS:
                raise
            # Visible but outside the write scope: say so (403) rather than pretend it is absent.
            lookup = self.lookup_url_kwarg or self.lookup_field
            get_object_or_404(self.get_read_queryset(), **{self.lookup_field: self.kwargs[lookup]})
            self.permission_denied(self.request, message="You cannot change this object.")

    def reread(self, instance: Model) -> Any:
        return self.get_read_queryset().get(pk=instance.pk)

    def perform_service_create(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def perform_service_update(self, instance: Any, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def respond(self, instance: Model, *, status_code: int = status.HTTP_200_OK) -> Response:
        serializer = self.get_serializer(self.reread(instance))
        return Response(serializer.data, status=status_code)


class CreateMixin:
    def create(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(dict(serializer.validated_data))
        return self.respond(instance, status_code=status.HTTP_201_CREATED)


class UpdateMixin:
    def update(self: Any, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_update(instance, dict(serializer.validated_data))
        return self.respond(instance)

    def partial_update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


class DatasetViewSet(CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    """Datasets. Sensitivity and ``contains_personal_data`` are derived from the columns."""

    lookup_field = "slug"
    filterset_class = DatasetFilterSet
    ordering_fields = ["name", "domain", "status", "created_at", "updated_at", "sensitivity_rank", "column_count"]
    ordering = ["name"]
    write_scope = staticmethod(permissions.datasets_writable_by)

    def get_read_queryset(self) -> QuerySet[Dataset]:
        queryset = selectors.dataset_list()
        if self.action != "list":
            columns = Column.objects.prefetch_related("glossary_terms").order_by("position", "name")
            queryset = queryset.prefetch_related(Prefetch("columns", queryset=columns))
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        return DatasetSerializer if self.action == "list" else DatasetDetailSerializer

    def perform_service_create(self, data: dict[str, Any]) -> Dataset:
        return services.dataset_create(
            owner=data.pop("owner", None) or self.request.user,
            tags=data.pop("tags", []),
            glossary_terms=data.pop("glossary_terms", []),
            columns=[dict(column) for column in data.pop("columns", [])],
            **data,
        )

    def perform_service_update(self, instance: Dataset, data: dict[str, Any]) -> Dataset:
        return services.dataset_update(
            dataset=instance,
            tags=data.pop("tags", None),
            glossary_terms=data.pop("glossary_terms", None),
            data=data,
        )


class ColumnViewSet(CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    """Columns of datasets and their GDPR classification."""

    permission_classes: ClassVar[list[Any]] = [
        permissions.CatalogModelPermissions,
        permissions.ColumnClassificationOnly,
    ]
    filterset_class = ColumnFilterSet
    ordering_fields = ["name", "position", "data_type", "created_at", "updated_at"]
    ordering = ["dataset__name", "position", "name"]
    write_scope = staticmethod(permissions.columns_writable_by)

    def get_read_queryset(self) -> QuerySet[Column]:
        return selectors.column_list()

    def get_serializer_class(self) -> type[BaseSerializer]:
        return ColumnUpdateSerializer if self.action in {"update", "partial_update"} else ColumnSerializer

    def perform_service_create(self, data: dict[str, Any]) -> Column:
        dataset = data.pop("dataset")
        permissions.check_dataset_writable(self.request.user, dataset)
        return services.column_create(dataset=dataset, glossary_terms=data.pop("glossary_terms", []), **data)

    def perform_service_update(self, instance: Column, data: dict[str, Any]) -> Column:
        return services.column_update(column=instance, glossary_terms=data.pop("glossary_terms", None), data=data)


@extend_schema_view(
    create=extend_schema(
        summary="Register a version",
        description=(
            "Either upload the delivered file (multipart: `dataset`, `file`, `operation`, optional "
            "`received_at` and `note`); its format, encoding, delimiter, schema and row count are read "
            "from it. Or declare a version delivered elsewhere (JSON: `dataset`, `uri`, `schema`, "
            "`row_count`). A refused file answers 400 with the reason under `file`, and nothing is kept."
        ),
        request={
            "multipart/form-data": VersionUploadSerializer,
            "application/json": VersionFromUriSerializer,
        },
        responses={201: DatasetVersionSerializer},
    )
)
class DatasetVersionViewSet(CreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    """Versions: one per delivered batch. Never changed nor deleted once registered."""

    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    serializer_class = DatasetVersionSerializer
    filterset_class = DatasetVersionFilterSet
    ordering_fields = ["number", "received_at", "created_at"]
    ordering = ["dataset__name", "-number"]

    def get_read_queryset(self) -> QuerySet[DatasetVersion]:
        return selectors.dataset_version_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        is_upload = (request.content_type or "").startswith("multipart/") or "file" in request.data
        input_class = VersionUploadSerializer if is_upload else VersionFromUriSerializer
        serializer = input_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(dict(serializer.validated_data))
        return self.respond(instance, status_code=status.HTTP_201_CREATED)

    def perform_service_create(self, data: dict[str, Any]) -> DatasetVersion:
        dataset = data.pop("dataset")
        permissions.check_dataset_writable(self.request.user, dataset)
        if "file" in data:
            upload = data.pop("file")
            return services.dataset_version_register_from_file(
                dataset=dataset,
                file=upload,
                filename=upload.name,
                size=upload.size,
                delivered_by=self.request.user,
                **data,
            )
        return services.dataset_version_register_from_uri(
            dataset=dataset,
            schema=[dict(column) for column in data.pop("schema")],
            delivered_by=self.request.user,
            **data,
        )


class GlossaryTermViewSet(CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    """Business glossary: French and English labels, synonyms, broader and narrower terms."""

    lookup_field = "slug"
    serializer_class = GlossaryTermSerializer
    filterset_class = GlossaryTermFilterSet
    ordering_fields = ["label_en", "label_fr", "created_at", "updated_at", "dataset_count"]
    ordering = ["label_en"]

    def get_read_queryset(self) -> QuerySet[GlossaryTerm]:
        return selectors.glossary_term_list()

    def perform_service_create(self, data: dict[str, Any]) -> GlossaryTerm:
        return services.glossary_term_create(label_en=data.pop("label_en"), label_fr=data.pop("label_fr"), **data)

    def perform_service_update(self, instance: GlossaryTerm, data: dict[str, Any]) -> GlossaryTerm:
        return services.glossary_term_update(term=instance, data=data)


class TagViewSet(CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    """Tags of datasets."""

    lookup_field = "slug"
    serializer_class = TagSerializer
    filterset_class = TagFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "dataset_count"]
    ordering = ["name"]

    def get_read_queryset(self) -> QuerySet[Tag]:
        return selectors.tag_list()

    def perform_service_create(self, data: dict[str, Any]) -> Tag:
        return services.tag_create(name=data["name"], description=data.get("description", ""))

    def perform_service_update(self, instance: Tag, data: dict[str, Any]) -> Tag:
        return services.tag_update(tag=instance, data=data)


@extend_schema_view(
    post=extend_schema(
        summary="Obtain an API token",
        description='Exchange a username and password for a token; send it as "Authorization: Token <token>".',
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 400: OpenApiResponse(description="Wrong username or password.")},
        auth=[],
        tags=["auth"],
    )
)
class ObtainTokenView(ObtainAuthToken):
    """rest_framework.authtoken's token view, documented in the OpenAPI schema."""


# --- Profiling, quality, drift and class suggestions -----------------------------------------------


class _ProfilingReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]
    pagination_class = CatalogPagination


class VersionProfileViewSet(_ProfilingReadViewSet):
    """Profiles of versions: per-column statistics (personal columns: aggregates only) and a link to
    the HTML report. Filter with ``?dataset=<slug>`` or ``?version=<id>``."""

    serializer_class = VersionProfileSerializer
    filterset_class = VersionProfileFilterSet

    def get_queryset(self) -> QuerySet[VersionProfile]:
        return selectors.version_profile_list().order_by("-version__number", "-id")


class QualityResultViewSet(_ProfilingReadViewSet):
    """Outcomes of the accepted quality expectations on each version."""

    serializer_class = QualityResultSerializer
    filterset_class = QualityResultFilterSet

    def get_queryset(self) -> QuerySet[QualityResult]:
        return selectors.quality_result_list().order_by("-version__number", "expectation__column", "id")


class DriftReportViewSet(_ProfilingReadViewSet):
    """Drift of each version against the previous one: PSI, KS or chi-square test per column."""

    serializer_class = DriftReportSerializer
    filterset_class = DriftReportFilterSet

    def get_queryset(self) -> QuerySet[DriftReport]:
        return selectors.drift_report_list().order_by("-version__number", "-id")


@extend_schema_view(
    partial_update=extend_schema(summary="Edit and accept an expectation", request=ExpectationDecisionSerializer),
    accept=extend_schema(
        summary="Accept an expectation (optionally with edited params)",
        request=ExpectationDecisionSerializer,
        responses={200: QualityExpectationSerializer},
    ),
    reject=extend_schema(summary="Reject an expectation", request=None, responses={200: QualityExpectationSerializer}),
)
class QualityExpectationViewSet(_ProfilingReadViewSet):
    """Quality expectations of datasets: suggested from the first profile, accepted (possibly edited)
    or rejected by the dataset's owner, steward or custodian; accepted ones run on every version."""

    serializer_class = QualityExpectationSerializer
    filterset_class = QualityExpectationFilterSet
    permission_classes: ClassVar[list[Any]] = [permissions.DecidesExpectations]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[QualityExpectation]:
        return selectors.quality_expectation_list().order_by("dataset__name", "column", "kind")

    def _decided(self, expectation: QualityExpectation) -> Response:
        return Response(self.get_serializer(selectors.quality_expectation_list().get(pk=expectation.pk)).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.accept(request, *args, **kwargs)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expectation = self.get_object()
        decision = ExpectationDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        params = decision.validated_data.get("params")
        return self._decided(
            profiling_services.expectation_accept(expectation=expectation, user=request.user, params=params)
        )

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expectation = self.get_object()
        return self._decided(profiling_services.expectation_reject(expectation=expectation, user=request.user))


@extend_schema_view(
    confirm=extend_schema(
        summary="Confirm a suggested personal-data class (applies it to the column)",
        request=SuggestionConfirmSerializer,
        responses={200: ColumnClassSuggestionSerializer},
    ),
    reject=extend_schema(
        summary="Reject a suggested class", request=None, responses={200: ColumnClassSuggestionSerializer}
    ),
)
class ColumnClassSuggestionViewSet(_ProfilingReadViewSet):
    """Personal-data classes suggested by the detector; applied to the column only when confirmed
    by a custodian of the dataset or a governance officer."""

    serializer_class = ColumnClassSuggestionSerializer
    filterset_class = ColumnClassSuggestionFilterSet
    permission_classes: ClassVar[list[Any]] = [permissions.DecidesClassSuggestions]

    def get_queryset(self) -> QuerySet[ColumnClassSuggestion]:
        return selectors.column_class_suggestion_list().order_by("column__dataset__name", "column__position", "id")

    def _decided(self, suggestion: ColumnClassSuggestion) -> Response:
        return Response(self.get_serializer(selectors.column_class_suggestion_list().get(pk=suggestion.pk)).data)

    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        suggestion = self.get_object()
        decision = SuggestionConfirmSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        return self._decided(
            profiling_services.column_class_suggestion_confirm(
                suggestion=suggestion,
                user=request.user,
                personal_data_class=decision.validated_data.get("personal_data_class"),
            )
        )

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        suggestion = self.get_object()
        rejected = profiling_services.column_class_suggestion_reject(suggestion=suggestion, user=request.user)
        return self._decided(rejected)
