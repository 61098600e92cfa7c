"""URLs of the web interface (server-rendered pages)."""

from __future__ import annotations

from django.urls import URLPattern, path

from frontend import download_views, governance_views, home_views, profile_views, project_views, pwa_views, views

app_name = "frontend"

urlpatterns: list[URLPattern] = [
    path("", home_views.home, name="home"),
    path("search/", views.search, name="search"),
    path("catalog/", views.dataset_list, name="dataset-list"),
    path("catalog/<slug:slug>/", views.dataset_detail, name="dataset-detail"),
    path("catalog/<slug:slug>/versions/new/", views.version_upload, name="version-upload"),
    path("catalog/<slug:slug>/versions/<int:number>/", views.version_detail, name="version-detail"),
    path(
        "catalog/<slug:slug>/versions/<int:number>/profile/report/",
        profile_views.version_profile_report,
        name="version-profile-report",
    ),
    path(
        "catalog/<slug:slug>/expectations/<int:expectation_id>/decide/",
        profile_views.expectation_decide,
        name="expectation-decide",
    ),
    path(
        "catalog/<slug:slug>/suggestions/<int:suggestion_id>/decide/",
        profile_views.class_suggestion_decide,
        name="class-suggestion-decide",
    ),
    path(
        "catalog/<slug:slug>/versions/<int:number>/download/",
        download_views.version_download,
        name="version-download",
    ),
    path("catalog/<slug:slug>/request/", governance_views.access_request_create, name="access-request-create"),
    path("requests/", governance_views.my_requests, name="my-requests"),
    path("requests/<int:pk>/", governance_views.access_request_detail, name="access-request-detail"),
    path("requests/<int:pk>/edit/", governance_views.access_request_edit, name="access-request-edit"),
    path("requests/<int:pk>/decide/", governance_views.access_request_decide, name="access-request-decide"),
    path("governance/queue/", governance_views.officer_queue, name="governance-queue"),
    path("governance/grants/", governance_views.grant_list, name="governance-grants"),
    path("governance/grants/<int:pk>/revoke/", governance_views.grant_revoke, name="grant-revoke"),
    path("governance/deletions/", governance_views.deletion_task_list, name="deletion-tasks"),
    path("governance/deletions/<int:pk>/close/", governance_views.deletion_task_close, name="deletion-task-close"),
    path("governance/register/", governance_views.register, name="governance-register"),
    path("governance/audit/", governance_views.audit_trail, name="governance-audit"),
    path("governance/audit/verify/", governance_views.audit_verify_now, name="governance-audit-verify"),
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
    path("projects/<slug:slug>/kpis/<int:kpi_id>/", project_views.project_kpi_edit, name="project-kpi-edit"),
    path("projects/<slug:slug>/kpis/<int:kpi_id>/delete/", project_views.project_kpi_delete, name="project-kpi-delete"),
    path("projects/<slug:slug>/details/", project_views.project_details_update, name="project-details"),
    path("projects/<slug:slug>/risk/", project_views.project_risk_screening, name="project-risk"),
    path("projects/<slug:slug>/milestones/", project_views.project_milestone_add, name="project-milestone-add"),
    path(
        "projects/<slug:slug>/milestones/<int:milestone_id>/done/",
        project_views.project_milestone_done,
        name="project-milestone-done",
    ),
    path(
        "projects/<slug:slug>/milestones/<int:milestone_id>/",
        project_views.project_milestone_edit,
        name="project-milestone-edit",
    ),
    path(
        "projects/<slug:slug>/milestones/<int:milestone_id>/delete/",
        project_views.project_milestone_delete,
        name="project-milestone-delete",
    ),
    path("projects/<slug:slug>/backlog/", project_views.project_backlog_add, name="project-backlog-add"),
    path(
        "projects/<slug:slug>/backlog/<int:item_id>/", project_views.project_backlog_edit, name="project-backlog-edit"
    ),
    path(
        "projects/<slug:slug>/backlog/<int:item_id>/status/",
        project_views.project_backlog_status,
        name="project-backlog-status",
    ),
    path(
        "projects/<slug:slug>/backlog/<int:item_id>/delete/",
        project_views.project_backlog_delete,
        name="project-backlog-delete",
    ),
    path("projects/<slug:slug>/models/", project_views.project_model_link, name="project-model-link"),
    path("projects/<slug:slug>/models/sync/", project_views.project_model_sync, name="project-model-sync"),
    path("health/", views.health, name="health"),
    path("health.json", views.health_json, name="health-json"),
    path("sw.js", pwa_views.service_worker, name="service-worker"),
    path("offline/", pwa_views.offline, name="offline"),
]
