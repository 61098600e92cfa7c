"""OpenAPI schema and Swagger UI (served locally, no CDN), the token endpoint, the error handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.api.errors import exception_handler
from tests.factories import PASSWORD, DatasetFactory

pytestmark = pytest.mark.django_db


# --- OpenAPI -----------------------------------------------------------------------------------


def test_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/datasets/",
        "/api/datasets/{slug}/",
        "/api/columns/",
        "/api/columns/{id}/",
        "/api/versions/",
        "/api/versions/{id}/",
        "/api/glossary/",
        "/api/glossary/{slug}/",
        "/api/tags/",
        "/api/tags/{slug}/",
        "/api/auth/token/",
    } <= paths
    # No deletes, and versions are never changed.
    assert not any("delete" in operations for operations in schema["paths"].values())
    assert set(schema["paths"]["/api/versions/{id}/"]) == {"get"}
    # Versions are registered by upload (multipart) or by URI (JSON).
    content = schema["paths"]["/api/versions/"]["post"]["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    # A version never links to its stored file.
    assert "file" not in schema["components"]["schemas"]["DatasetVersion"]["properties"]
    dataset_filters = {p["name"] for p in schema["paths"]["/api/datasets/"]["get"]["parameters"]}
    assert {"domain", "status", "data_format", "owner", "tag", "glossary_term", "sensitivity"} <= dataset_filters
    assert {"max_sensitivity", "contains_personal_data", "q", "ordering", "page", "page_size"} <= dataset_filters


def test_schema_endpoint_serves_openapi(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Cadastre API"


def test_swagger_ui_is_served_from_local_static_files(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(None)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no asset may come from another host"
    assets = re.findall(r"/static/drf_spectacular_sidecar/swagger-ui-dist/[\w.-]+", html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(bundle.streaming_content)


# --- Token authentication ----------------------------------------------------------------------


def test_obtain_a_token_and_use_it(custodian) -> None:  # type: ignore[no-untyped-def]
    DatasetFactory(slug="payments")
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "camille", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert custodian.auth_token.key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/datasets/").json()["results"][0]["slug"] == "payments"


def test_wrong_password_gets_no_token(custodian) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().post("/api/auth/token/", {"username": "camille", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user=custodian).exists()


def test_a_bad_token_is_a_401(data_scientist) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/datasets/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_session_authentication_works_for_the_browser(data_scientist) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(data_scientist)
    assert client.get("/api/tags/").status_code == 200


# --- Error handler -----------------------------------------------------------------------------


def test_field_errors_keep_their_shape_and_codes() -> None:
    exc = DjangoValidationError(
        {
            "name": [DjangoValidationError("Taken.", code="unique")],
            "broader": "A term cannot be broader than itself.",
            NON_FIELD_ERRORS: ["Inconsistent.", "Really."],
        }
    )
    response = exception_handler(exc, {})
    assert response is not None and response.status_code == 400
    assert response.data == {
        "name": ["Taken."],
        "broader": ["A term cannot be broader than itself."],
        "non_field_errors": ["Inconsistent.", "Really."],
    }
    assert response.data["name"][0].code == "unique"


def test_messages_without_fields_become_non_field_errors() -> None:
    response = exception_handler(DjangoValidationError(["Could not save.", "Try again."]), {})
    assert response is not None and response.status_code == 400
    assert response.data == {"non_field_errors": ["Could not save.", "Try again."]}
    params = exception_handler(DjangoValidationError("Value %(v)s is bad.", params={"v": 3}), {})
    assert params is not None and params.data == {"non_field_errors": ["Value 3 is bad."]}


def test_other_exceptions_are_left_to_drf() -> None:
    assert exception_handler(ValueError("boom"), {}) is None
