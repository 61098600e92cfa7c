"""URLs of the web interface (server-rendered pages)."""

from __future__ import annotations

from django.urls import URLPattern, path

from frontend import project_views, views

app_name = "frontend"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("catalog/", views.dataset_list, name="dataset-list"),
    path("catalog/<slug:slug>/", views.dataset_detail, name="dataset-detail"),
    path("catalog/<slug:slug>/versions/new/", views.version_upload, name="version-upload"),
    path("catalog/<slug:slug>/versions/<int:number>/", views.version_detail, name="version-detail"),
    path("glossary/", views.glossary_list, name="glossary-list"),
    path("glossary/<slug:slug>/", views.glossary_detail, name="glossary-detail"),
    path("projects/", project_views.project_board, name="project-board"),
    path("projects/new/", project_views.project_create, name="project-create"),
    path("projects/<slug:slug>/", project_views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/move/", project_views.project_transition, name="project-transition"),
    path("projects/<slug:slug>/sign/", project_views.project_signoff, name="project-signoff"),
    path("projects/<slug:slug>/answer/", project_views.project_answer, name="project-answer"),
    path("projects/<slug:slug>/team/", project_views.project_member_add, name="project-member-add"),
    path(
        "projects/<slug:slug>/team/<int:membership_id>/end/",
        project_views.project_member_end,
        name="project-member-end",
    ),
    path("projects/<slug:slug>/kpis/", project_views.project_kpi_add, name="project-kpi-add"),
    path("projects/<slug:slug>/details/", project_views.project_details_update, name="project-details"),
    path("projects/<slug:slug>/risk/", project_views.project_risk_screening, name="project-risk"),
    path("projects/<slug:slug>/milestones/", project_views.project_milestone_add, name="project-milestone-add"),
    path(
        "projects/<slug:slug>/milestones/<int:milestone_id>/done/",
        project_views.project_milestone_done,
        name="project-milestone-done",
    ),
    path("projects/<slug:slug>/backlog/", project_views.project_backlog_add, name="project-backlog-add"),
    path("projects/<slug:slug>/models/", project_views.project_model_link, name="project-model-link"),
    path("health/", views.health, name="health"),
    path("health.json", views.health_json, name="health-json"),
]
