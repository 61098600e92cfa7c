"""The governance API in the OpenAPI schema, without warnings; no DELETE anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_governance_api_is_in_the_schema_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    g = "/api/governance"
    expected = {
        f"{g}/requests/": {"get", "post"},
        f"{g}/requests/{{id}}/": {"get"},
        f"{g}/requests/{{id}}/resubmit/": {"post"},
        f"{g}/requests/{{id}}/decide/": {"post"},
        f"{g}/grants/": {"get"},
        f"{g}/grants/{{id}}/": {"get"},
        f"{g}/grants/{{id}}/revoke/": {"post"},
        f"{g}/deletion-tasks/": {"get"},
        f"{g}/deletion-tasks/{{id}}/": {"get"},
        f"{g}/deletion-tasks/{{id}}/close/": {"post"},
        f"{g}/deletion-tasks/{{id}}/evidence/": {"get"},
        f"{g}/audit-events/": {"get"},
        f"{g}/register/": {"get"},
        f"{g}/register.csv": {"get"},
        f"{g}/datasets/{{slug}}/versions/{{number}}/file/": {"get"},
        f"{g}/datasets/{{slug}}/sample/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    assert not [p for p, ops in paths.items() if p.startswith(g) and "delete" in ops]
