"""URLs of the governance API, mounted under /api/governance/ (cadastre/urls.py). URL names are in the
``governance-api`` namespace. No DELETE anywhere (a platform convention; the audit trail is append-only)."""

from __future__ import annotations

from django.urls import URLPattern, path

from governance.api import views

app_name = "governance-api"

urlpatterns: list[URLPattern] = [
    path("requests/", views.AccessRequestViewSet.as_view({"get": "list", "post": "create"}), name="request-list"),
    path("requests/<int:pk>/", views.AccessRequestViewSet.as_view({"get": "retrieve"}), name="request-detail"),
    path(
        "requests/<int:pk>/resubmit/",
        views.AccessRequestViewSet.as_view({"post": "resubmit"}),
        name="request-resubmit",
    ),
    path("requests/<int:pk>/decide/", views.AccessRequestViewSet.as_view({"post": "decide"}), name="request-decide"),
    path("grants/", views.GrantViewSet.as_view({"get": "list"}), name="grant-list"),
    path("grants/<int:pk>/", views.GrantViewSet.as_view({"get": "retrieve"}), name="grant-detail"),
    path("grants/<int:pk>/revoke/", views.GrantViewSet.as_view({"post": "revoke"}), name="grant-revoke"),
    path("deletion-tasks/", views.DeletionTaskViewSet.as_view({"get": "list"}), name="deletion-task-list"),
    path(
        "deletion-tasks/<int:pk>/", views.DeletionTaskViewSet.as_view({"get": "retrieve"}), name="deletion-task-detail"
    ),
    path(
        "deletion-tasks/<int:pk>/close/",
        views.DeletionTaskViewSet.as_view({"post": "close"}),
        name="deletion-task-close",
    ),
    path(
        "deletion-tasks/<int:pk>/evidence/",
        views.DeletionTaskViewSet.as_view({"get": "evidence"}),
        name="deletion-task-evidence",
    ),
    path("audit-events/", views.AuditEventViewSet.as_view({"get": "list"}), name="audit-event-list"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("register.csv", views.RegisterCSVView.as_view(), name="register-csv"),
    path(
        "datasets/<slug:slug>/versions/<int:number>/file/",
        views.VersionFileView.as_view(),
        name="version-file",
    ),
    path("datasets/<slug:slug>/sample/", views.ValuesSampleView.as_view(), name="values-sample"),
]
