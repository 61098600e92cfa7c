"""URLs of the projects API, mounted under /api/ (cadastre/urls.py): /api/projects/... (a project and
everything under it), /api/gate-templates/ and /api/risk-questionnaire/. URL names are in the
``projects-api`` namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from projects.api import views

app_name = "projects-api"

LIST = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "put": "update", "patch": "partial_update"}
REMOVE = {"post": "remove"}  # no DELETE in the API: a platform convention
READ = {"get": "retrieve"}

project = "projects/<slug:slug>"
gate = f"{project}/gates/<str:stage>"

urlpatterns: list[URLPattern] = [
    path("projects/", views.ProjectViewSet.as_view(LIST), name="project-list"),
    path(
        f"{project}/",
        views.ProjectViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"}),
        name="project-detail",
    ),
    path(f"{project}/transition/", views.ProjectViewSet.as_view({"post": "transition"}), name="project-transition"),
    path(f"{project}/history/", views.ProjectViewSet.as_view({"get": "history"}), name="project-history"),
    path(f"{project}/timeline/", views.ProjectViewSet.as_view({"get": "timeline"}), name="project-timeline"),
    # Gates, answers, sign-offs
    path(f"{project}/gates/", views.GateViewSet.as_view({"get": "list"}), name="project-gate-list"),
    path(f"{gate}/", views.GateViewSet.as_view(READ), name="project-gate-detail"),
    path(
        f"{gate}/answers/<slug:key>/",
        views.GateAnswerViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="project-gate-answer",
    ),
    path(
        f"{gate}/answers/<slug:key>/file/",
        views.GateAnswerViewSet.as_view({"get": "download"}),
        name="project-gate-answer-file",
    ),
    path(f"{gate}/sign-offs/", views.SignOffViewSet.as_view(LIST), name="project-gate-signoff-list"),
    path(
        f"{gate}/sign-offs/<int:pk>/withdraw/",
        views.SignOffViewSet.as_view({"post": "withdraw"}),
        name="project-gate-signoff-withdraw",
    ),
    # Team, KPIs, roadmap
    path(f"{project}/members/", views.MembershipViewSet.as_view(LIST), name="project-member-list"),
    path(f"{project}/members/<int:pk>/", views.MembershipViewSet.as_view(READ), name="project-member-detail"),
    path(
        f"{project}/members/<int:pk>/end/",
        views.MembershipViewSet.as_view({"post": "end"}),
        name="project-member-end",
    ),
    path(f"{project}/kpis/", views.KPIViewSet.as_view(LIST), name="project-kpi-list"),
    path(f"{project}/kpis/<int:pk>/", views.KPIViewSet.as_view(DETAIL), name="project-kpi-detail"),
    path(f"{project}/kpis/<int:pk>/remove/", views.KPIViewSet.as_view(REMOVE), name="project-kpi-remove"),
    path(f"{project}/milestones/", views.MilestoneViewSet.as_view(LIST), name="project-milestone-list"),
    path(f"{project}/milestones/<int:pk>/", views.MilestoneViewSet.as_view(DETAIL), name="project-milestone-detail"),
    path(
        f"{project}/milestones/<int:pk>/remove/",
        views.MilestoneViewSet.as_view(REMOVE),
        name="project-milestone-remove",
    ),
    path(f"{project}/backlog/", views.BacklogItemViewSet.as_view(LIST), name="project-backlog-list"),
    path(f"{project}/backlog/<int:pk>/", views.BacklogItemViewSet.as_view(DETAIL), name="project-backlog-detail"),
    path(
        f"{project}/backlog/<int:pk>/remove/", views.BacklogItemViewSet.as_view(REMOVE), name="project-backlog-remove"
    ),
    # Risk screening and models
    path(f"{project}/risk-screenings/", views.RiskScreeningViewSet.as_view(LIST), name="project-risk-list"),
    path(
        f"{project}/risk-screenings/<int:pk>/",
        views.RiskScreeningViewSet.as_view(READ),
        name="project-risk-detail",
    ),
    path(f"{project}/models/", views.ModelLinkViewSet.as_view(LIST), name="project-model-list"),
    path(
        f"{project}/models/timeline/",
        views.ProjectModelsViewSet.as_view({"get": "timeline"}),
        name="project-model-timeline",
    ),
    path(
        f"{project}/models/alerts/", views.ProjectModelsViewSet.as_view({"get": "alerts"}), name="project-model-alerts"
    ),
    path(f"{project}/models/sync/", views.ProjectModelsViewSet.as_view({"post": "sync"}), name="project-model-sync"),
    path(
        f"{project}/models/<int:pk>/",
        views.ModelLinkViewSet.as_view(READ),
        name="project-model-detail",
    ),
    path(
        f"{project}/models/<int:pk>/unlink/",
        views.ModelLinkViewSet.as_view({"post": "unlink"}),
        name="project-model-unlink",
    ),
    # Gate templates and the questionnaire
    path("gate-templates/", views.GateTemplateViewSet.as_view(LIST), name="gate-template-list"),
    path("gate-templates/<int:pk>/", views.GateTemplateViewSet.as_view(READ), name="gate-template-detail"),
    path("risk-questionnaire/", views.RiskQuestionnaireView.as_view(), name="risk-questionnaire"),
]
