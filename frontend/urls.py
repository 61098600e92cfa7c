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
    path("health/", views.health, name="health"),
    path("health.json", views.health_json, name="health-json"),
]
