"""Viewsets of the projects API: reads from ``projects.selectors``, writes through ``projects.services``,
permissions from ``projects.api.permissions``. The stage changes only through ``transition``.

Resources of one project live under ``/api/projects/{slug}/`` (team, KPIs, gates, answers, sign-offs,
roadmap, risk screenings, model links); their lists are not paginated (a project has tens of them).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from catalog.api.views import CatalogPagination
from projects import risk, selectors, services
from projects.api import serializers as s
from projects.api.permissions import Level, ProjectPermission
from projects.filtersets import BacklogItemFilterSet, GateTemplateFilterSet, ProjectFilterSet
from projects.gates import ItemStatus
from projects.models import (
    GATED_STAGES,
    BacklogItem,
    GateAnswer,
    GateChecklistTemplate,
    Membership,
    Milestone,
    ModelAlert,
    ModelLink,
    Project,
    ProjectAccess,
    ProjectKPI,
    RiskScreening,
    SignOff,
    Stage,
)

STAGE_PARAMETER = OpenApiParameter(
    "stage",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=[stage.value for stage in GATED_STAGES],
    description="The gate: the stage it leads into.",
)
REFUSED = OpenApiResponse(s.TransitionRefusedSerializer, description="Refused: why, and what is missing.")


class ProjectAPIMixin:
    """Authentication from the settings (token, then session); ``ProjectPermission`` applies the level
    each action declares in ``access_levels`` (default: read)."""

    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, ProjectPermission]
    access_levels: ClassVar[dict[str, Level]] = {}
    default_level: ClassVar[Level] = Level.READ
    project_scoped: ClassVar[bool] = False

    def access_level(self: Any) -> Level:
        return self.access_levels.get(self.action, self.default_level)


class ProjectScopedViewSet(ProjectAPIMixin, viewsets.GenericViewSet):
    """Base of the resources under ``/api/projects/{slug}/``: ``get_project()`` (404 when absent) and
    ``get_access()`` of the requesting user, checked before anything else."""

    project_scoped = True
    pagination_class = None
    model: ClassVar[type[Any]]

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            try:
                self._project = Project.objects.get(slug=self.kwargs["slug"])
            except Project.DoesNotExist:
                raise Http404("No such project.") from None
        return self._project

    def get_access(self) -> ProjectAccess:
        if not hasattr(self, "_access"):
            self._access = self.get_project().access(self.request.user)
        return self._access

    def get_stage(self) -> Stage:
        stage = self.kwargs.get("stage", "")
        if stage not in [s.value for s in GATED_STAGES]:
            raise Http404("No such gate.")
        return Stage(stage)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "slug" in self.kwargs:
            context["project"] = self.get_project()
        return context

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.get_project_queryset()

    def get_project_queryset(self) -> QuerySet[Any]:
        return self.model.objects.none()


class ChildCRUDViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    """List and read (members); create, change and remove (project leads) through the services."""

    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.READ,
        "retrieve": Level.READ,
        "create": Level.MANAGE,
        "update": Level.MANAGE,
        "partial_update": Level.MANAGE,
        "remove": Level.MANAGE,
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(dict(serializer.validated_data))
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_update(instance, dict(serializer.validated_data))
        return Response(self.get_serializer(instance).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Remove", request=None, responses={204: None})
    def remove(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """``POST .../{id}/remove/``: the API offers no DELETE (a platform convention)."""
        self.perform_service_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_service_update(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_service_delete(self, instance: Any) -> None:
        raise NotImplementedError


# --- Projects ----------------------------------------------------------------------------------------

DETAIL_OR_SUMMARY = PolymorphicProxySerializer(
    component_name="ProjectDetailOrSummary",
    serializers={"full": s.ProjectDetailSerializer, "summary": s.ProjectSummarySerializer},
    resource_type_field_name="access",
)


@extend_schema_view(
    list=extend_schema(summary="List projects", description="Every project, as a summary with board data."),
    retrieve=extend_schema(
        summary="A project",
        description="The full record for members, governance officers and admins; a summary for anyone else.",
        responses=DETAIL_OR_SUMMARY,
    ),
    create=extend_schema(
        summary="Create a project",
        description="The project starts in Qualification; you become its project lead.",
        request=s.ProjectWriteSerializer,
        responses={201: s.ProjectDetailSerializer},
    ),
    update=extend_schema(request=s.ProjectWriteSerializer, responses=s.ProjectDetailSerializer),
    partial_update=extend_schema(request=s.ProjectWriteSerializer, responses=s.ProjectDetailSerializer),
)
class ProjectViewSet(ProjectAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Data-science projects and their lifecycle. The stage is read-only: see ``transition``."""

    lookup_field = "slug"
    pagination_class = CatalogPagination
    filterset_class = ProjectFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "entered_stage_at"]
    ordering = ["name"]
    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.SUMMARY,
        "retrieve": Level.SUMMARY,
        "create": Level.CREATE,
        "update": Level.MANAGE,
        "partial_update": Level.MANAGE,
        "transition": Level.MANAGE,
        "history": Level.READ,
        "timeline": Level.READ,
    }

    def get_queryset(self) -> QuerySet[Project]:
        queryset = selectors.project_list()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.active().select_related("user", "added_by", "ended_by"),
                    to_attr="active_memberships",
                ),
                "kpis",
                Prefetch("model_links", queryset=ModelLink.objects.active(), to_attr="active_model_links"),
                Prefetch(
                    "risk_screenings",
                    queryset=RiskScreening.objects.select_related("screened_by").order_by("-screened_at", "-pk"),
                    to_attr="latest_screenings",
                ),
            )
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        return {
            "list": s.ProjectListSerializer,
            "create": s.ProjectWriteSerializer,
            "update": s.ProjectWriteSerializer,
            "partial_update": s.ProjectWriteSerializer,
            "transition": s.TransitionRequestSerializer,
            "history": s.StageTransitionSerializer,
            "timeline": s.TimelineSerializer,
        }.get(self.action, s.ProjectDetailSerializer)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        assert page is not None
        readable = Project.objects.readable_by(request.user).filter(pk__in=[p.pk for p in page])
        context = {**self.get_serializer_context(), "readable_ids": set(readable.values_list("pk", flat=True))}
        return self.get_paginated_response(s.ProjectListSerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        serializer = s.ProjectDetailSerializer if project.access(request.user).can_read else s.ProjectSummarySerializer
        return Response(serializer(project, context=self.get_serializer_context()).data)

    def _detail(self, project: Project, status_code: int = status.HTTP_200_OK) -> Response:
        project = self.get_queryset().get(pk=project.pk)
        return Response(s.ProjectDetailSerializer(project, context=self.get_serializer_context()).data, status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.ProjectWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        project = services.project_create(creator=request.user, **serializer.validated_data)
        return self._detail(project, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        project = self.get_object()
        serializer = s.ProjectWriteSerializer(
            project, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.project_update(project=project, data=dict(serializer.validated_data), actor=request.user)
        return self._detail(project)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        summary="Move the project to another stage",
        description=(
            "Forward one gate when its checklist is complete and its sign-offs valid, or to `abandoned` "
            "(before Production, with a reason). A refused move changes nothing and answers 400 with what "
            "is missing (`checklist`, `sign_offs`). Project leads only."
        ),
        request=s.TransitionRequestSerializer,
        responses={200: s.StageTransitionSerializer, 400: REFUSED},
    )
    def transition(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        serializer = s.TransitionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        transition = services.project_transition(
            project=project,
            target_stage=serializer.validated_data["target_stage"],
            reason=serializer.validated_data["reason"],
            actor=request.user,
        )
        return Response(s.StageTransitionSerializer(transition, context=self.get_serializer_context()).data)

    @extend_schema(summary="Stage history", responses=s.StageTransitionSerializer(many=True))
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        transitions = project.transitions.select_related("actor").order_by("at", "pk")
        return Response(s.StageTransitionSerializer(transitions, many=True).data)

    @extend_schema(summary="Roadmap timeline", responses=s.TimelineSerializer)
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        return Response(s.TimelineSerializer(selectors.project_timeline(project=project)).data)


# --- Gates, answers, sign-offs ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="The project's four gates", responses=s.GateViewSerializer(many=True)),
    retrieve=extend_schema(
        summary="One gate: what it needs, what is missing",
        parameters=[STAGE_PARAMETER],
        responses=s.GateViewSerializer,
    ),
)
class GateViewSet(ProjectScopedViewSet):
    """Gates of a project: the decision for passed gates, the requirements (what is missing) ahead."""

    model = GateChecklistTemplate
    serializer_class = s.GateViewSerializer

    def _views(self) -> list[selectors.GateView]:
        return selectors.project_gates(project=self.get_project(), user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(s.GateViewSerializer(self._views(), many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stage = self.get_stage()
        view = next((v for v in self._views() if v.stage == stage), None)
        if view is None:
            raise Http404("No such gate.")
        return Response(s.GateViewSerializer(view, context=self.get_serializer_context()).data)


@extend_schema(parameters=[STAGE_PARAMETER, OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)])
@extend_schema_view(
    retrieve=extend_schema(summary="A checklist item and its answer", responses=s.GateItemStatusSerializer),
    update=extend_schema(
        summary="Answer a checklist item",
        description=(
            "Give the value matching the item's evidence kind (`value_text`, `value_url`, `value_bool`, or "
            "`evidence_file` as multipart). Answering again replaces the answer and, if it changed, invalidates "
            "the gate's sign-offs. Members and project leads."
        ),
        request={
            "multipart/form-data": s.GateAnswerInputSerializer,
            "application/json": s.GateAnswerInputSerializer,
        },
        responses=s.GateItemStatusSerializer,
    ),
)
class GateAnswerViewSet(ProjectScopedViewSet):
    """Answers to the checklist items of a gate (current template; earlier answers carry over)."""

    model = GateChecklistTemplate
    serializer_class = s.GateItemStatusSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    access_levels: ClassVar[dict[str, Level]] = {
        "retrieve": Level.READ,
        "update": Level.CONTRIBUTE,
        "download": Level.READ,
    }

    def _status(self) -> ItemStatus:
        requirements = services.gate_requirements(project=self.get_project(), target_stage=self.get_stage())
        found = next((st for st in requirements.items if st.item.key == self.kwargs["key"]), None)
        if found is None:
            raise Http404("No such checklist item.")
        return found

    def get_object(self) -> GateAnswer | None:
        """The current answer to the item (what the browsable API's form starts from)."""
        return self._status().answer

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.request is not None and self.request.method == "PUT":
            return s.GateAnswerInputSerializer
        return s.GateItemStatusSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(s.GateItemStatusSerializer(self._status(), context=self.get_serializer_context()).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._status()  # 404 for an unknown item
        serializer = s.GateAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.gate_answer_set(
            project=self.get_project(),
            stage=self.get_stage(),
            key=self.kwargs["key"],
            answered_by=request.user,
            **serializer.validated_data,
        )
        return Response(s.GateItemStatusSerializer(self._status(), context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Download an answer's evidence file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def download(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        answer = self._status().answer
        if answer is None or not answer.evidence_file:
            raise Http404("No evidence file for this item.")
        return FileResponse(answer.evidence_file.open("rb"), as_attachment=True, filename=answer.file_name)


@extend_schema(parameters=[STAGE_PARAMETER])
@extend_schema_view(
    list=extend_schema(summary="Sign-offs of a gate, valid or not"),
    create=extend_schema(
        summary="Sign the gate",
        description=(
            "Sign the project's next gate for a role you hold on the project (platform governance officers: the "
            "governance-officer role). The checklist must be complete; a later change of it invalidates the "
            "sign-off."
        ),
        request=s.SignOffCreateSerializer,
        responses={201: s.SignOffSerializer},
    ),
)
class SignOffViewSet(mixins.ListModelMixin, ProjectScopedViewSet):
    model = SignOff
    serializer_class = s.SignOffSerializer
    access_levels: ClassVar[dict[str, Level]] = {"list": Level.READ, "create": Level.SIGN, "withdraw": Level.SIGN}

    def get_project_queryset(self) -> QuerySet[SignOff]:
        return self.get_project().sign_offs.filter(stage=self.get_stage()).select_related("user").order_by("signed_at")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.SignOffCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sign_off = services.signoff_give(
            project=self.get_project(),
            stage=self.get_stage(),
            user=request.user,
            **serializer.validated_data,
        )
        return Response(s.SignOffSerializer(sign_off).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Withdraw your sign-off", request=s.SignOffWithdrawSerializer, responses=s.SignOffSerializer)
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sign_off = self.get_object()
        serializer = s.SignOffWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sign_off = services.signoff_withdraw(
            sign_off=sign_off, user=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(s.SignOffSerializer(sign_off).data)


# --- Team, KPIs, roadmap ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(summary="Add a member", description="Project leads. A user may hold several roles."),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    """The team, past and present. Memberships are ended, never deleted."""

    model = Membership
    serializer_class = s.MembershipSerializer
    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.READ,
        "retrieve": Level.READ,
        "create": Level.MANAGE,
        "end": Level.MANAGE,
    }

    def get_project_queryset(self) -> QuerySet[Membership]:
        return (
            self.get_project()
            .memberships.select_related("user", "added_by", "ended_by")
            .order_by("role", "started_at", "pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(
            project=self.get_project(),
            user=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
            started_at=serializer.validated_data.get("started_at"),
            added_by=request.user,
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a membership",
        description="Refused for the last active project lead.",
        request=s.MembershipEndSerializer,
        responses=s.MembershipSerializer,
    )
    def end(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = self.get_object()
        serializer = s.MembershipEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_end(
            membership=membership, ended_by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(membership).data)


class KPIViewSet(ChildCRUDViewSet):
    """Business KPIs and ML metrics with their targets."""

    model = ProjectKPI
    serializer_class = s.ProjectKPISerializer

    def get_project_queryset(self) -> QuerySet[ProjectKPI]:
        return self.get_project().kpis.order_by("kind", "position", "pk")

    def perform_service_create(self, data: dict[str, Any]) -> ProjectKPI:
        return services.kpi_create(project=self.get_project(), actor=self.request.user, **data)

    def perform_service_update(self, instance: ProjectKPI, data: dict[str, Any]) -> ProjectKPI:
        return services.kpi_update(kpi=instance, data=data, actor=self.request.user)

    def perform_service_delete(self, instance: ProjectKPI) -> None:
        services.kpi_delete(kpi=instance, actor=self.request.user)


class MilestoneViewSet(ChildCRUDViewSet):
    """Roadmap milestones with target and actual dates."""

    model = Milestone
    serializer_class = s.MilestoneSerializer

    def get_project_queryset(self) -> QuerySet[Milestone]:
        return self.get_project().milestones.order_by("target_date", "pk")

    def perform_service_create(self, data: dict[str, Any]) -> Milestone:
        done = data.pop("done", None)
        milestone = services.milestone_create(project=self.get_project(), **data)
        if done:
            milestone = services.milestone_update(milestone=milestone, data={"done": True})
        return milestone

    def perform_service_update(self, instance: Milestone, data: dict[str, Any]) -> Milestone:
        return services.milestone_update(milestone=instance, data=data)

    def perform_service_delete(self, instance: Milestone) -> None:
        services.milestone_delete(milestone=instance)


class BacklogItemViewSet(ChildCRUDViewSet):
    """Backlog items per profile, with their status."""

    model = BacklogItem
    serializer_class = s.BacklogItemSerializer
    filterset_class = BacklogItemFilterSet

    def get_project_queryset(self) -> QuerySet[BacklogItem]:
        return self.get_project().backlog_items.order_by("position", "pk")

    def perform_service_create(self, data: dict[str, Any]) -> BacklogItem:
        return services.backlog_item_create(project=self.get_project(), **data)

    def perform_service_update(self, instance: BacklogItem, data: dict[str, Any]) -> BacklogItem:
        return services.backlog_item_update(item=instance, data=data)

    def perform_service_delete(self, instance: BacklogItem) -> None:
        services.backlog_item_delete(item=instance)


# --- Risk screening and models -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Risk screenings, newest (current) first"),
    create=extend_schema(
        summary="Record a risk screening",
        description="Answer every question of /api/risk-questionnaire/; the AI Act tier and the DPIA decision "
        "are computed. Members and project leads.",
    ),
)
class RiskScreeningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    model = RiskScreening
    serializer_class = s.RiskScreeningSerializer
    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.READ,
        "retrieve": Level.READ,
        "create": Level.CONTRIBUTE,
    }

    def get_project_queryset(self) -> QuerySet[RiskScreening]:
        return self.get_project().risk_screenings.select_related("screened_by").order_by("-screened_at", "-pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        screening = services.risk_screening_record(
            project=self.get_project(),
            answers=serializer.validated_data["answers"],
            comment=serializer.validated_data.get("comment", ""),
            screened_by=request.user,
        )
        return Response(self.get_serializer(screening).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Linked MLflow registered models",
        parameters=[OpenApiParameter("include_removed", OpenApiTypes.BOOL, description="Also removed links.")],
    ),
    create=extend_schema(summary="Link an MLflow registered model (by name)"),
)
class ModelLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    model = ModelLink
    serializer_class = s.ModelLinkSerializer
    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.READ,
        "retrieve": Level.READ,
        "create": Level.CONTRIBUTE,
        "unlink": Level.CONTRIBUTE,
    }

    def get_project_queryset(self) -> QuerySet[ModelLink]:
        links = self.get_project().model_links.select_related("linked_by", "unlinked_by")
        if self.action == "list" and self.request.query_params.get("include_removed") not in ("true", "1"):
            links = links.active()
        return links.order_by("registered_model_name", "-linked_at")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.model_link_add(
            project=self.get_project(),
            registered_model_name=serializer.validated_data["registered_model_name"],
            linked_by=request.user,
        )
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Unlink the model (the link stays in the history)", request=None)
    def unlink(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = services.model_link_remove(link=self.get_object(), removed_by=request.user)
        return Response(self.get_serializer(link).data)


# --- MLflow model timeline, alerts, sync ------------------------------------------------------------------


class ProjectModelsViewSet(ProjectScopedViewSet):
    """``/api/projects/{slug}/models/timeline/``, ``.../models/alerts/`` (members, governance officers,
    admins) and ``.../models/sync/`` (project leads and admins queue a sync of MLflow)."""

    model = ModelAlert
    access_levels: ClassVar[dict[str, Level]] = {
        "timeline": Level.READ,
        "alerts": Level.READ,
        "sync": Level.MANAGE,
    }

    @extend_schema(
        summary="Model timeline",
        description="The linked MLflow models as last synced: versions with aliases, metrics (flagged against "
        "the project's ML-metric targets), params, code version and training data linked to the catalog; "
        "open alerts; when MLflow was last synced and whether that is stale.",
        responses=s.ModelTimelineSerializer,
    )
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        timeline = selectors.project_model_timeline(project=self.get_project())
        return Response(s.ModelTimelineSerializer(timeline).data)

    @extend_schema(
        summary="Model alerts",
        description="Every alert on the project's model versions, open and resolved, newest first.",
        parameters=[OpenApiParameter("open", OpenApiTypes.BOOL, description="Only the open ones.")],
        responses=s.ModelAlertSerializer(many=True),
    )
    def alerts(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alerts = (
            self.get_project()
            .model_alerts.select_related("model_version__registered_model")
            .prefetch_related("recipients")
        )
        if request.query_params.get("open") in ("true", "1"):
            alerts = alerts.open()
        return Response(s.ModelAlertSerializer(alerts.order_by("-raised_at", "-pk"), many=True).data)

    @extend_schema(
        summary="Sync MLflow now",
        description="Queue a sync of the MLflow registry (incremental, or full). Project leads and admins.",
        request=s.MlflowSyncRequestSerializer,
        responses={202: s.MlflowSyncQueuedSerializer},
    )
    def sync(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.MlflowSyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        full = serializer.validated_data["full"]
        services.mlflow_sync_queue(full=full)
        data = {"queued": True, "full": full, "sync": selectors.mlflow_sync_status()}
        return Response(s.MlflowSyncQueuedSerializer(data).data, status=status.HTTP_202_ACCEPTED)


# --- Gate templates and the questionnaire -----------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Gate checklist templates, every version"),
    create=extend_schema(
        summary="Publish a new version of a gate's template",
        description="Creates version n+1 of the gate; earlier versions and past decisions are unchanged. Admins only.",
    ),
)
class GateTemplateViewSet(
    ProjectAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.GateTemplateSerializer
    pagination_class = CatalogPagination
    filterset_class = GateTemplateFilterSet
    ordering_fields = ["gate", "version", "published_at"]
    ordering = ["gate", "-version"]
    access_levels: ClassVar[dict[str, Level]] = {
        "list": Level.SUMMARY,
        "retrieve": Level.SUMMARY,
        "create": Level.ADMIN,
    }

    def get_queryset(self) -> QuerySet[GateChecklistTemplate]:
        later = GateChecklistTemplate.objects.filter(gate=OuterRef("gate"), version__gt=OuterRef("version"))
        return selectors.gate_template_list().annotate(is_current=~Exists(later))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = services.gate_template_publish(
            stage=data["gate"],
            items=[dict(item) for item in data["items"]],
            sign_off_roles=[dict(role) for role in data["sign_off_roles"]],
            notes=data.get("notes", ""),
            published_by=request.user,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=template.pk)).data, status=status.HTTP_201_CREATED
        )


class RiskQuestionnaireView(APIView):
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]

    @extend_schema(summary="The risk screening's questions", responses=s.RiskQuestionnaireSerializer)
    def get(self, request: Request) -> Response:
        data = {"version": risk.QUESTIONNAIRE_VERSION, "questions": selectors.risk_questionnaire()}
        return Response(s.RiskQuestionnaireSerializer(data).data)
