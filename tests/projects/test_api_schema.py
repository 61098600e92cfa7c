"""The projects API in the OpenAPI schema: every endpoint, the stage read-only everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_projects_api_is_in_the_schema_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    project = "/api/projects/{slug}"
    expected = {
        "/api/projects/": {"get", "post"},
        f"{project}/": {"get", "put", "patch"},
        f"{project}/transition/": {"post"},
        f"{project}/history/": {"get"},
        f"{project}/timeline/": {"get"},
        f"{project}/gates/": {"get"},
        f"{project}/gates/{{stage}}/": {"get"},
        f"{project}/gates/{{stage}}/answers/{{key}}/": {"get", "put"},
        f"{project}/gates/{{stage}}/answers/{{key}}/file/": {"get"},
        f"{project}/gates/{{stage}}/sign-offs/": {"get", "post"},
        f"{project}/gates/{{stage}}/sign-offs/{{id}}/withdraw/": {"post"},
        f"{project}/members/": {"get", "post"},
        f"{project}/members/{{id}}/": {"get"},
        f"{project}/members/{{id}}/end/": {"post"},
        f"{project}/kpis/": {"get", "post"},
        f"{project}/kpis/{{id}}/": {"get", "put", "patch"},
        f"{project}/kpis/{{id}}/remove/": {"post"},
        f"{project}/milestones/": {"get", "post"},
        f"{project}/milestones/{{id}}/": {"get", "put", "patch"},
        f"{project}/milestones/{{id}}/remove/": {"post"},
        f"{project}/backlog/": {"get", "post"},
        f"{project}/backlog/{{id}}/": {"get", "put", "patch"},
        f"{project}/backlog/{{id}}/remove/": {"post"},
        f"{project}/risk-screenings/": {"get", "post"},
        f"{project}/risk-screenings/{{id}}/": {"get"},
        f"{project}/models/": {"get", "post"},
        f"{project}/models/{{id}}/": {"get"},
        f"{project}/models/{{id}}/unlink/": {"post"},
        "/api/gate-templates/": {"get", "post"},
        "/api/gate-templates/{id}/": {"get"},
        "/api/risk-questionnaire/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path

    components = schema["components"]["schemas"]
    requests = {name: c for name, c in components.items() if name.endswith("Request")}
    assert {"ProjectWriteRequest", "PatchedProjectWriteRequest", "TransitionRequestRequest"} <= set(requests)
    assert not [name for name, c in requests.items() if "stage" in c.get("properties", {})], "no write sets a stage"
    for name in ("ProjectDetail", "ProjectSummary", "ProjectList"):
        assert components[name]["properties"]["stage"]["readOnly"] is True
    detail = paths[f"{project}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert detail["$ref"].endswith("/ProjectDetailOrSummary")
    refused = paths[f"{project}/transition/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert refused["$ref"].endswith("/TransitionRefused")
    stage_param = next(p for p in paths[f"{project}/gates/{{stage}}/"]["get"]["parameters"] if p["name"] == "stage")
    assert stage_param["schema"]["enum"] == ["exploration", "industrialization", "production", "retired"]
    assert not any("delete" in operations for operations in paths.values())
