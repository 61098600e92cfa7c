"""Search API: ``GET /api/search/`` (faceted, glossary-aware dataset search) and
``GET /api/search/suggest/`` (suggestions as you type).

The views only check the parameters, call ``catalog.selectors.dataset_search`` /
``dataset_suggest`` and present the result; ranking, expansion, facets and the fallback to the
database when Elasticsearch is down all live in ``catalog.search``. A fallback answer is a normal
200 with ``"degraded": true``, never an error.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from catalog import selectors
from catalog.hooks import fill_access
from catalog.models import GlossaryTerm
from catalog.search import reference
from catalog.search.types import FACETS, FacetValue, Hit, SearchQuery, SearchResult, Suggestion

MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_VALUES_PER_FACET = 50
MAX_SUGGESTIONS = 20

FACET_HELP: dict[str, str] = {
    "domain": "Business domain (e.g. `payments`).",
    "sensitivity": "Highest personal-data class of the dataset's columns (e.g. `none`, `indirect`, `direct`).",
    "tag": "Tag slug.",
    "concept": "Glossary concept slug.",
    "owner": "Owner's username.",
    "format": "Data format (e.g. `csv`, `parquet`).",
    "status": "Dataset status (`draft`, `published`, `deprecated`).",
}


# --- Parameters --------------------------------------------------------------------------------


def _facet_filter_field(key: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=MAX_VALUES_PER_FACET,
        help_text=(
            f"{FACET_HELP[key]} Repeat the parameter to accept several values (they are OR-ed); "
            "different facets combine with each other and with the query (AND). "
            "An unknown value simply matches nothing."
        ),
    )


class SearchParamsSerializer(serializers.Serializer):
    """Query parameters of ``GET /api/search/``."""

    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text=(
            "Free text, French or English: dataset names, descriptions, tags, glossary concepts "
            "(labels and synonyms), column names and descriptions, owner, domain. Accents and case "
            "are ignored, small typos tolerated. Empty: every dataset, best ranked first."
        ),
    )
    domain = _facet_filter_field("domain")
    sensitivity = _facet_filter_field("sensitivity")
    tag = _facet_filter_field("tag")
    concept = _facet_filter_field("concept")
    owner = _facet_filter_field("owner")
    format = _facet_filter_field("format")
    status = _facet_filter_field("status")
    page = serializers.IntegerField(min_value=1, required=False, default=1, help_text="Page number, from 1.")
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Results per page (1 to {MAX_PAGE_SIZE}).",
    )

    def to_search_query(self) -> SearchQuery:
        data = self.validated_data
        filters = {
            key: tuple(dict.fromkeys(v.strip() for v in data[key] if v.strip())) for key in FACETS if data.get(key)
        }
        return SearchQuery(
            text=data["q"],
            filters={key: values for key, values in filters.items() if values},
            page=data["page"],
            page_size=data["page_size"],
        )


class SuggestParamsSerializer(serializers.Serializer):
    """Query parameters of ``GET /api/search/suggest/``."""

    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        allow_blank=True,
        trim_whitespace=True,
        help_text="What the user has typed so far (suggestions start from 2 characters).",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SUGGESTIONS,
        required=False,
        default=8,
        help_text=f"How many dataset suggestions at most (1 to {MAX_SUGGESTIONS}); concepts may come on top.",
    )


# --- Responses ---------------------------------------------------------------------------------


def _dataset_page_url(request: Request | None, slug: str) -> str:
    url = reverse("frontend:dataset-detail", args=[slug])
    return request.build_absolute_uri(url) if request is not None else url


def _search_page_url(request: Request | None, text: str) -> str:
    url = f"{reverse('frontend:search')}?{urlencode({'q': text})}"
    return request.build_absolute_uri(url) if request is not None else url


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to pass back as the facet's parameter to filter by it.")
    label = serializers.CharField(help_text="Human label of the value.")
    count = serializers.IntegerField(help_text="Matching datasets with this value (query and filters applied).")
    selected = serializers.BooleanField(help_text="Whether this value is one of the current filters.")


class FacetsSerializer(serializers.Serializer):
    """Every facet, always present (an empty list when no matching dataset has a value)."""

    domain = FacetValueSerializer(many=True)
    sensitivity = FacetValueSerializer(many=True)
    tag = FacetValueSerializer(many=True)
    concept = FacetValueSerializer(many=True)
    owner = FacetValueSerializer(many=True)
    format = FacetValueSerializer(many=True)
    status = FacetValueSerializer(many=True)

    def to_representation(self, instance: dict[str, list[FacetValue]]) -> dict[str, Any]:
        return super().to_representation({key: instance.get(key, []) for key in FACETS})


HIGHLIGHTS_HELP = (
    "Matched fields (`name`, `description`, `column_names`, `column_descriptions`, `tags`, "
    "`concept_labels`) -> HTML snippets: the matched words are in `<mark>`, everything else is "
    "already HTML-escaped, so a snippet may be inserted as HTML as is."
)


class SearchHitSerializer(serializers.Serializer):
    """One matching dataset, as indexed (the index is kept in step with the catalog)."""

    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The dataset's page in the web interface.")
    api_url = serializers.SerializerMethodField(help_text="The dataset in the API.")
    score = serializers.FloatField(help_text="Relevance; only meaningful to compare hits of the same search.")
    description = serializers.CharField(source="document.description", help_text="Plain text.")
    domain = serializers.CharField(source="document.domain")
    domain_label = serializers.CharField(source="document.domain_label")
    status = serializers.CharField(source="document.status")
    status_label = serializers.CharField(source="document.status_label")
    format = serializers.CharField(source="document.format")
    sensitivity = serializers.CharField(
        source="document.sensitivity", help_text="Highest personal-data class of its columns."
    )
    sensitivity_label = serializers.CharField(source="document.sensitivity_label")
    tags = serializers.ListField(child=serializers.CharField(), source="document.tags", help_text="Tag names.")
    tag_slugs = serializers.ListField(child=serializers.SlugField(), source="document.tag_slugs")
    concepts = serializers.ListField(
        child=serializers.SlugField(), source="document.concepts", help_text="Slugs of its glossary concepts."
    )
    owner = serializers.CharField(source="document.owner", help_text="Owner's username.")
    owner_name = serializers.CharField(source="document.owner_name")
    column_count = serializers.IntegerField(source="document.column_count")
    updated_at = serializers.DateTimeField(source="document.updated_at")
    highlights = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=HIGHLIGHTS_HELP
    )
    access = serializers.DictField(
        allow_null=True,
        help_text=(
            "What the current user may do with this dataset, from the governance app: `status` (`not_needed`: "
            "no personal data or you deliver it; `granted`; `pending`: a request of your project awaits a "
            "decision; `requestable`), `next_step` (a sentence) and `url`; null when governance is not installed."
        ),
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, hit: Hit) -> str:
        return _dataset_page_url(self.context.get("request"), hit.slug)

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, hit: Hit) -> str:
        url = reverse("api:dataset-detail", kwargs={"slug": hit.slug})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class SearchConceptSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The concept's page in the web interface.")

    class Meta:
        model = GlossaryTerm
        fields = ["slug", "label_en", "label_fr", "url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, term: GlossaryTerm) -> str:
        url = reverse("frontend:glossary-detail", args=[term.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="total", help_text="Matching datasets, all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    # Plain strings rather than choice fields, so that their enums do not collide in the schema
    # with other fields named "backend" or "kind".
    backend = serializers.CharField(help_text="The backend that answered this search: `database` or `elasticsearch`.")
    degraded = serializers.BooleanField(
        help_text="True when Elasticsearch could not answer and the database backend did (reduced mode)."
    )
    took_ms = serializers.FloatField(help_text="Time spent by the backend, in milliseconds.")
    corrections = serializers.SerializerMethodField(
        help_text="Query words not in the catalog's vocabulary -> the words also searched for (typo tolerance)."
    )
    concepts = serializers.SerializerMethodField(
        help_text="Glossary concepts the query names (and their narrower ones): datasets tagged with them match."
    )
    results = SearchHitSerializer(many=True, source="hits")
    facets = FacetsSerializer()

    @extend_schema_field(serializers.DictField(child=serializers.ListField(child=serializers.CharField())))
    def get_corrections(self, result: SearchResult) -> dict[str, list[str]]:
        if result.expanded is None:
            return {}
        return {word: list(fixes) for word, fixes in result.expanded.corrections.items()}

    @extend_schema_field(SearchConceptSerializer(many=True))
    def get_concepts(self, result: SearchResult) -> list[dict[str, Any]]:
        terms = self.context.get("concepts", [])
        return SearchConceptSerializer(terms, many=True, context=self.context).data


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def search_response(result: SearchResult, *, request: Request | None, concepts: list[GlossaryTerm]) -> dict[str, Any]:
    """``SearchResponseSerializer(result).data``, built with plain dicts: the same JSON without
    instantiating and walking a serializer per hit and per facet value (about 10 ms a page).
    The serializers stay: they describe the response in the OpenAPI schema."""
    dataset_url = _URLs(request, "frontend:dataset-detail")
    api_url = _URLs(request, "api:dataset-detail")
    concept_url = _URLs(request, "frontend:glossary-detail")
    results = []
    for hit in result.hits:
        document = hit.document
        results.append(
            {
                "id": int(hit.id),
                "slug": _text(hit.slug),
                "name": _text(hit.name),
                "url": dataset_url(hit.slug),
                "api_url": api_url(hit.slug),
                "score": float(hit.score),
                **{key: _text(document[key]) for key in _HIT_TEXTS},
                **{key: [_text(v) for v in document[key]] for key in ("tags", "tag_slugs", "concepts")},
                "owner": _text(document["owner"]),
                "owner_name": _text(document["owner_name"]),
                "column_count": int(document["column_count"]),
                "updated_at": document["updated_at"],
                "highlights": {str(k): [_text(v) for v in values] for k, values in hit.highlights.items()},
                "access": None if hit.access is None else {str(k): v for k, v in hit.access.items()},
            }
        )
    corrections = result.expanded.corrections if result.expanded is not None else {}
    return {
        "count": int(result.total),
        "page": int(result.page),
        "page_size": int(result.page_size),
        "backend": str(result.backend),
        "degraded": bool(result.degraded),
        "took_ms": float(result.took_ms),
        "corrections": {word: list(fixes) for word, fixes in corrections.items()},
        "concepts": [
            {
                "slug": term.slug,
                "label_en": term.label_en,
                "label_fr": term.label_fr,
                "url": concept_url(term.slug),
            }
            for term in concepts
        ],
        "results": results,
        "facets": {
            key: [
                {"value": str(v.value), "label": str(v.label), "count": int(v.count), "selected": bool(v.selected)}
                for v in result.facets.get(key, [])
            ]
            for key in FACETS
        },
    }


_HIT_TEXTS = ("description", "domain", "domain_label", "status", "status_label", "format", "sensitivity",
              "sensitivity_label")  # fmt: skip


class _URLs:
    """Absolute URLs of one route by slug, as ``reverse`` and ``build_absolute_uri`` give them,
    reversing the route once: a plain ASCII slug needs no quoting, so it is put in place."""

    PLACEHOLDER = "-slug-"

    def __init__(self, request: Request | None, name: str) -> None:
        self.request, self.name = request, name
        self.template = reverse(name, kwargs={"slug": self.PLACEHOLDER})

    def __call__(self, slug: str) -> str:
        if slug.isascii() and slug.replace("-", "").replace("_", "").isalnum():
            url = self.template.replace(self.PLACEHOLDER, slug)
        else:
            url = reverse(self.name, kwargs={"slug": slug})
        return self.request.build_absolute_uri(url) if self.request is not None else url


class SuggestionSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="What to show, and what to search for when chosen.")
    kind = serializers.CharField(help_text="`dataset`, `concept` or `column`.")
    slug = serializers.CharField(help_text="The dataset's or concept's slug (empty for a column).")
    url = serializers.SerializerMethodField(
        help_text="Where choosing it leads: the dataset's page, or a search for the text."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, suggestion: Suggestion) -> str:
        request = self.context.get("request")
        if suggestion.kind == "dataset" and suggestion.slug:
            return _dataset_page_url(request, suggestion.slug)
        return _search_page_url(request, suggestion.text)


class SuggestResponseSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)
    degraded = serializers.BooleanField(help_text="True when Elasticsearch could not answer and the database did.")


# --- Views -------------------------------------------------------------------------------------


def concepts_in_order(slugs: tuple[str, ...] | list[str]) -> list[GlossaryTerm]:
    """The glossary terms of ``slugs``, in that order (for the "including concept" line)."""
    if not slugs:
        return []
    return reference.current().concepts_in_order(slugs)


BAD_PARAMS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='Invalid parameters: `{"parameter": ["message", ...]}`.',
)
NOT_AUTHENTICATED = OpenApiResponse(response=OpenApiTypes.OBJECT, description="Not authenticated.")


class _NoFormatOverrideSettings:
    """DRF's settings, except that ``?format=`` does not choose the renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name: str) -> Any:
        return getattr(api_settings, name)


class FormatIsAFacetNegotiation(DefaultContentNegotiation):
    """On the search endpoints ``format`` is a facet (``?format=csv``: CSV datasets), not DRF's
    renderer override: the renderer is chosen from the ``Accept`` header only."""

    settings = _NoFormatOverrideSettings()


class SearchAPIView(APIView):
    """Any authenticated user (token or session); anonymous requests get 401."""

    authentication_classes: ClassVar[list[Any]] = [TokenAuthentication, SessionAuthentication]
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]
    content_negotiation_class = FormatIsAFacetNegotiation


class SearchView(SearchAPIView):
    """Faceted dataset search."""

    @extend_schema(
        summary="Search datasets",
        description=(
            "Glossary-aware, typo-tolerant, French/English search over the catalog, with facet counts. "
            "A query naming a glossary concept (label or synonym, either language) also finds the "
            "datasets tagged with it or a narrower concept. Facet filters combine with the query. "
            "When Elasticsearch is unavailable the database answers and `degraded` is true."
        ),
        parameters=[SearchParamsSerializer],
        responses={200: SearchResponseSerializer, 400: BAD_PARAMS, 401: NOT_AUTHENTICATED},
        tags=["search"],
    )
    def get(self, request: Request) -> Response:
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        result = selectors.dataset_search(query=params.to_search_query(), user=request.user)
        fill_access(result.hits, request.user)
        concept_slugs = result.expanded.concept_slugs if result.expanded is not None else ()
        concepts = result.concepts or concepts_in_order(concept_slugs)
        return Response(search_response(result, request=request, concepts=concepts))


class SuggestView(SearchAPIView):
    """Suggestions as you type."""

    @extend_schema(
        summary="Suggestions as you type",
        description=(
            "Dataset names and glossary concepts matching what has been typed (accents and case ignored). "
            "Fewer than 2 characters give no suggestion."
        ),
        parameters=[SuggestParamsSerializer],
        responses={200: SuggestResponseSerializer, 400: BAD_PARAMS, 401: NOT_AUTHENTICATED},
        tags=["search"],
    )
    def get(self, request: Request) -> Response:
        params = SuggestParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        suggestions, degraded = selectors.dataset_suggest(
            prefix=params.validated_data["q"], limit=params.validated_data["limit"]
        )
        payload = {"suggestions": suggestions, "degraded": degraded}
        return Response(SuggestResponseSerializer(payload, context={"request": request}).data)
