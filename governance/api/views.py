"""Views of the governance API, under /api/governance/: reads from ``governance.selectors``, writes
through ``governance.services``, permissions from ``governance.api.permissions`` and the querysets'
``visible_to``. An object the user may not read is 404; an action the user may not take on an
object they read is 403."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.views import CatalogPagination
from catalog.models import Dataset, DatasetVersion
from governance import selectors, services
from governance.api import serializers as s
from governance.api.permissions import IsOfficerOrAdmin, OfficerActions
from governance.models import AccessRequest, AuditEvent, DeletionTask, Grant
from governance.permissions import is_officer_or_admin

SCOPE = OpenApiParameter(
    "scope",
    OpenApiTypes.STR,
    enum=["visible", "mine", "queue"],
    description="`mine`: requests you filed; `queue`: pending requests (officers and admins); "
    "`visible` (default): every request you may read.",
)
ERRORS = OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: `{field: [messages]}`.")


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The action's input, validated by ``serializer_class`` (a 400 with field errors otherwise)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class GovernanceViewSet(viewsets.GenericViewSet):
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, OfficerActions]
    pagination_class = CatalogPagination
    officer_actions: ClassVar[tuple[str, ...]] = ()


@extend_schema_view(
    list=extend_schema(summary="Access requests", parameters=[SCOPE]),
    retrieve=extend_schema(summary="An access request, with its pre-checks"),
)
class AccessRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GovernanceViewSet):
    serializer_class = s.AccessRequestSerializer
    officer_actions = ("decide",)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AccessRequest.objects.none()
        user = self.request.user
        scope = self.request.query_params.get("scope", "visible") if self.action == "list" else "visible"
        if scope == "mine":
            return selectors.access_requests_of(user=user)
        if scope == "queue":
            if not is_officer_or_admin(user):
                self.permission_denied(self.request, message="The queue is the governance officers'.")
            return selectors.officer_queue()
        return selectors.access_requests_visible_to(user=user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(selectors.with_current_prechecks(page), many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = selectors.access_request_get(pk=int(kwargs["pk"]), user=request.user)
        if found is None:
            raise Http404("No such request.")
        return Response(self.get_serializer(found).data)

    @extend_schema(
        summary="File an access request",
        description="For one project you are an active member of, and one dataset: the columns, purpose, legal "
        "basis, Art. 9(2) condition (special categories) and requested end. The pre-checks run at once.",
        request=s.AccessRequestCreateSerializer,
        responses={201: s.AccessRequestSerializer, 400: ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        created = services.access_request_create(
            requester=request.user, **_validated(s.AccessRequestCreateSerializer, request)
        )
        return Response(self._as_read(created.pk), 201)

    @extend_schema(
        summary="Change and resubmit a request",
        description="The requester changes a pending request or one sent back for changes; the pre-checks run "
        "again and it waits for a decision.",
        request=s.AccessRequestInputSerializer,
        responses={200: s.AccessRequestSerializer, 400: ERRORS},
    )
    def resubmit(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        data = _validated(s.AccessRequestInputSerializer, request)
        services.access_request_resubmit(request=instance, requester=request.user, **data)
        return Response(self._as_read(instance.pk))

    @extend_schema(
        summary="Decide a request",
        description="Approve, approve with conditions, ask for changes or refuse, always with a reason (officers "
        "and admins). Approving over blocking pre-checks needs `override_reason`. An approval creates the grant.",
        request=s.DecisionInputSerializer,
        responses={200: s.AccessRequestSerializer, 400: ERRORS},
    )
    def decide(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        services.access_request_decide(
            request=instance, officer=request.user, **_validated(s.DecisionInputSerializer, request)
        )
        return Response(self._as_read(instance.pk))

    def _as_read(self, pk: int) -> Any:
        """The request as its reader sees it after a write (re-read with its pre-checks)."""
        return self.get_serializer(selectors.access_request_get(pk=pk, user=self.request.user)).data


@extend_schema_view(
    list=extend_schema(
        summary="Grants",
        parameters=[
            OpenApiParameter("live", OpenApiTypes.BOOL, description="Only live grants."),
            OpenApiParameter("project", OpenApiTypes.STR, description="A project's slug."),
            OpenApiParameter("dataset", OpenApiTypes.STR, description="A dataset's slug."),
        ],
    ),
    retrieve=extend_schema(summary="A grant"),
)
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GovernanceViewSet):
    serializer_class = s.GrantSerializer
    officer_actions = ("revoke",)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Grant.objects.none()
        queryset = selectors.grants_visible_to(user=self.request.user)
        params = self.request.query_params
        if params.get("live") in ("1", "true", "True"):
            queryset = queryset.live()
        if params.get("project"):
            queryset = queryset.filter(project__slug=params["project"])
        if params.get("dataset"):
            queryset = queryset.filter(dataset__slug=params["dataset"])
        return queryset

    @extend_schema(
        summary="Revoke a grant",
        description="Officers and admins. Creates the deletion task of the dataset's custodian.",
        request=s.ReasonSerializer,
        responses={200: s.GrantSerializer, 400: ERRORS},
    )
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        grant = self.get_object()
        reason = _validated(s.ReasonSerializer, request)["reason"]
        grant = services.grant_revoke(grant=grant, actor=request.user, reason=reason)
        return Response(self.get_serializer(self.get_queryset().get(pk=grant.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Deletion tasks",
        parameters=[
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only open tasks past their due date."),
            OpenApiParameter("open", OpenApiTypes.BOOL, description="Only open tasks."),
        ],
    ),
    retrieve=extend_schema(summary="A deletion task"),
)
class DeletionTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GovernanceViewSet):
    serializer_class = s.DeletionTaskSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return DeletionTask.objects.none()
        queryset = selectors.deletion_tasks_visible_to(user=self.request.user)
        params = self.request.query_params
        if params.get("overdue") in ("1", "true", "True"):
            queryset = queryset.overdue()
        elif params.get("open") in ("1", "true", "True"):
            queryset = queryset.open()
        return queryset

    @extend_schema(
        summary="Close a deletion task with evidence",
        description="The dataset's custodian says how and when the data was deleted; a file is optional (multipart).",
        request={"multipart/form-data": s.DeletionCloseSerializer, "application/json": s.DeletionCloseSerializer},
        responses={200: s.DeletionTaskSerializer, 400: ERRORS},
    )
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        data = _validated(s.DeletionCloseSerializer, request)
        task = services.deletion_task_close(task=task, custodian=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        summary="Download a task's evidence file", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}
    )
    def evidence(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        task = self.get_object()
        if not task.evidence_file:
            raise Http404("No evidence file.")
        return FileResponse(task.evidence_file.open("rb"), as_attachment=True, filename=task.file_name)

    def get_parsers(self) -> list[Any]:
        return [parsers.MultiPartParser(), parsers.FormParser(), parsers.JSONParser()]


@extend_schema_view(
    list=extend_schema(
        summary="Audit events (officers and admins)",
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, description="Action, or its prefix (e.g. `grant.`)."),
            OpenApiParameter("target_type", OpenApiTypes.STR, description="e.g. `governance.grant`."),
            OpenApiParameter("target_id", OpenApiTypes.STR),
        ],
    ),
)
class AuditEventViewSet(mixins.ListModelMixin, GovernanceViewSet):
    """Read-only: the trail has no write endpoint."""

    serializer_class = s.AuditEventSerializer
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, IsOfficerOrAdmin]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        queryset = selectors.audit_events(action=self.request.query_params.get("action", ""))
        params = self.request.query_params
        if params.get("target_type"):
            queryset = queryset.filter(target_type=params["target_type"])
        if params.get("target_id"):
            queryset = queryset.filter(target_id=params["target_id"])
        return queryset


class RegisterView(APIView):
    """The Art. 30 register of processing, generated (officers and admins)."""

    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, IsOfficerOrAdmin]

    @extend_schema(
        summary="Register of processing (Art. 30), JSON",
        responses={200: s.RegisterEntrySerializer(many=True)},
        tags=["governance"],
    )
    def get(self, request: Request) -> Response:
        entries = selectors.register_entries()
        return Response(s.RegisterEntrySerializer(selectors.register_json(entries), many=True).data)


class RegisterCSVView(APIView):
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, IsOfficerOrAdmin]

    @extend_schema(
        summary="Register of processing (Art. 30), CSV",
        description="One row per project; cells that a spreadsheet would run as a formula are prefixed with '.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["governance"],
    )
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(selectors.register_csv(selectors.register_entries()), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="register-of-processing.csv"'
        return response


def _version(slug: str, number: int) -> DatasetVersion:
    return get_object_or_404(DatasetVersion.objects.select_related("dataset"), dataset__slug=slug, number=number)


class VersionFileView(APIView):
    """A version's stored file, streamed: for its owner, steward and custodian, and for members of a
    project with a live grant covering every personal-data column of the file."""

    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]

    @extend_schema(
        summary="Download a version's file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=["governance"],
    )
    def get(self, request: Request, slug: str, number: int) -> FileResponse:
        version = _version(slug, number)
        if not selectors.version_download_allowed(user=request.user, version=version):
            self.permission_denied(
                request, message="A live grant covering every personal-data column of this file is needed."
            )
        if not version.file:
            raise Http404("This version has no stored file (it is only referenced by its URI).")
        name = version.file.name.rsplit("/", 1)[-1]
        return FileResponse(version.file.open("rb"), as_attachment=True, filename=name)


class SampleParamsSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text="Version number (latest by default).")
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=20)


class ValuesSampleView(APIView):
    """The first rows of a version, limited to the columns you may see: non-personal columns and those
    covered by a live grant to one of your projects (all columns for the dataset's owner and custodian)."""

    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]

    @extend_schema(
        summary="A sample of values",
        parameters=[SampleParamsSerializer],
        responses={200: s.ValuesSampleSerializer, 400: ERRORS},
        tags=["governance"],
    )
    def get(self, request: Request, slug: str) -> Response:
        params = SampleParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        dataset = get_object_or_404(Dataset, slug=slug)
        versions = dataset.versions.select_related("dataset")
        number = params.validated_data.get("version")
        version = versions.filter(number=number).first() if number else versions.order_by("-number").first()
        if version is None:
            raise Http404("No such version.")
        sample = selectors.version_sample(user=request.user, version=version, limit=params.validated_data["limit"])
        return Response(s.ValuesSampleSerializer(sample).data, status=status.HTTP_200_OK)
