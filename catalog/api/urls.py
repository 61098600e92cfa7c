"""URLs under /api/: the catalog router, search, the token endpoint and the OpenAPI schema and docs."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalog.api import search, views

app_name = "api"

router = DefaultRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("columns", views.ColumnViewSet, basename="column")
router.register("versions", views.DatasetVersionViewSet, basename="version")
router.register("glossary", views.GlossaryTermViewSet, basename="glossary")
router.register("tags", views.TagViewSet, basename="tag")
router.register("profiles", views.VersionProfileViewSet, basename="profile")
router.register("quality-expectations", views.QualityExpectationViewSet, basename="quality-expectation")
router.register("quality-results", views.QualityResultViewSet, basename="quality-result")
router.register("drift-reports", views.DriftReportViewSet, basename="drift-report")
router.register("class-suggestions", views.ColumnClassSuggestionViewSet, basename="class-suggestion")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("search/suggest/", search.SuggestView.as_view(), name="search-suggest"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
