"""URLs of the task runs API, mounted under /api/ (cadastre/urls.py), namespace ``workers-api``."""

from __future__ import annotations

from django.urls import URLPattern, path

from workers.api import views

app_name = "workers-api"

urlpatterns: list[URLPattern] = [
    path("tasks/", views.TaskRunViewSet.as_view({"get": "list"}), name="taskrun-list"),
    path("tasks/<int:pk>/", views.TaskRunViewSet.as_view({"get": "retrieve"}), name="taskrun-detail"),
]
