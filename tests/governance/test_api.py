"""The governance API end to end: journey 2 of PRODUCT.md §5 (request, pre-check, approval with a
60-day expiry, the grant, the audit trail, the register), bad input, deletion evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from governance.models import AccessRequest, AuditEvent, DeletionTask
from tests.governance.conftest import CUSTODIAN, MEMBER, OFFICER, PURPOSE, World, in_days

pytestmark = pytest.mark.django_db
G = "/api/governance/"


def _file(client: APIClient, world: World, **over: Any) -> Any:
    body = {
        "project": world.project.slug,
        "dataset": world.dataset.slug,
        "columns": ["customer_ref", "age_band", "balance"],
        "purpose": PURPOSE,
        "legal_basis": "legitimate_interests",
        "requested_end": str(in_days(120)),
    }
    body.update(over)
    return client.post(f"{G}requests/", body, format="json")


def test_journey_request_approve_grant_audit_register(world: World, client_for: Callable[[Any], APIClient]) -> None:
    alice, olivier = client_for(world.user(MEMBER)), client_for(world.user(OFFICER))
    response = _file(alice, world)
    assert response.status_code == 201, response.content
    created = response.json()
    outcomes = {c["rule"]: c["outcome"] for c in created["prechecks"]}
    assert created["status"] == "pending" and len(outcomes) == 7
    assert outcomes.pop("storage_limitation") == "warning"  # 120 days: after the end of Exploration
    assert set(outcomes.values()) == {"pass"}
    queue = olivier.get(f"{G}requests/", {"scope": "queue"}).json()["results"]
    assert [r["id"] for r in queue] == [created["id"]] and len(queue[0]["prechecks"]) == 7
    decided = olivier.post(
        f"{G}requests/{created['id']}/decide/",
        {"decision": "approve", "reason": "Needed for the POC.", "expires_on": str(in_days(60))},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved" and decided.json()["grant"]
    grants = alice.get(f"{G}grants/", {"live": "true"}).json()["results"]
    assert [(g["dataset"], g["expires_on"], g["live"]) for g in grants] == [
        (world.dataset.slug, str(in_days(60)), True)
    ]
    events = olivier.get(f"{G}audit-events/", {"target_type": "governance.accessrequest"}).json()["results"]
    assert {"access_request.filed", "access_request.decided"} <= {e["action"] for e in events}
    register = olivier.get(f"{G}register/").json()
    assert [e["project_slug"] for e in register] == [world.project.slug]


def test_bad_input_is_a_400_with_field_errors(world: World, client_for: Callable[[Any], APIClient]) -> None:
    alice = client_for(world.user(MEMBER))
    response = _file(alice, world, columns=["nope"], requested_end="tomorrow")
    assert response.status_code == 400 and "requested_end" in response.json()
    response = _file(alice, world, columns=["nope"])
    assert response.status_code == 400 and "columns" in response.json()
    assert _file(alice, world, project="no-such-project").status_code == 400
    assert not AccessRequest.objects.exists()
    created = _file(alice, world).json()
    olivier = client_for(world.user(OFFICER))
    response = olivier.post(f"{G}requests/{created['id']}/decide/", {"decision": "approve"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = olivier.post(
        f"{G}requests/{created['id']}/decide/", {"decision": "approve_with_conditions", "reason": "Ok"}, format="json"
    )
    assert response.status_code == 400 and "conditions" in response.json()


def test_blocking_prechecks_and_override_through_the_api(world: World, client_for: Callable[[Any], APIClient]) -> None:
    created = _file(client_for(world.user(MEMBER)), world, columns=["customer_id"]).json()
    assert {c["rule"]: c["outcome"] for c in created["prechecks"]}["minimisation"] == "blocking"
    olivier = client_for(world.user(OFFICER))
    url = f"{G}requests/{created['id']}/decide/"
    refused = olivier.post(url, {"decision": "approve", "reason": "Needed."}, format="json")
    assert refused.status_code == 400 and "override_reason" in refused.json()
    ok = olivier.post(url, {"decision": "approve", "reason": "Needed.", "override_reason": "CRM join."}, format="json")
    assert ok.status_code == 200 and ok.json()["override_reason"] == "CRM join."


def test_changes_asked_then_resubmitted(world: World, client_for: Callable[[Any], APIClient]) -> None:
    alice, olivier = client_for(world.user(MEMBER)), client_for(world.user(OFFICER))
    created = _file(alice, world, columns=["customer_id"]).json()
    olivier.post(
        f"{G}requests/{created['id']}/decide/", {"decision": "ask_changes", "reason": "Pseudonymise."}, format="json"
    )
    body = {
        "columns": ["customer_ref"],
        "purpose": PURPOSE,
        "legal_basis": "legitimate_interests",
        "requested_end": str(in_days(30)),
    }
    response = alice.post(f"{G}requests/{created['id']}/resubmit/", body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["revision"]) == ("pending", 2)
    assert {c["outcome"] for c in response.json()["prechecks"]} == {"pass"}


def test_revoke_then_close_with_an_evidence_file(world: World, client_for: Callable[[Any], APIClient]) -> None:
    alice, olivier, camille = (client_for(world.user(r)) for r in (MEMBER, OFFICER, CUSTODIAN))
    created = _file(alice, world).json()
    grant_id = olivier.post(
        f"{G}requests/{created['id']}/decide/", {"decision": "approve", "reason": "Ok."}, format="json"
    ).json()["grant"]
    revoked = olivier.post(f"{G}grants/{grant_id}/revoke/", {"reason": "POC over."}, format="json")
    assert revoked.status_code == 200 and revoked.json()["revocation_cause"] == "officer"
    assert olivier.post(f"{G}grants/{grant_id}/revoke/", {"reason": "Again."}, format="json").status_code == 400
    task = camille.get(f"{G}deletion-tasks/", {"open": "true"}).json()["results"][0]
    assert task["custodian"] == "camille" and not task["overdue"]
    assert camille.post(f"{G}deletion-tasks/{task['id']}/close/", {}, format="multipart").status_code == 400
    upload = SimpleUploadedFile("purge.log", b"rm -rf /poc", content_type="text/plain")
    closed = camille.post(
        f"{G}deletion-tasks/{task['id']}/close/",
        {"evidence_text": "Purged on 2026-11-22.", "evidence_file": upload},
        format="multipart",
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["closed_by"] == "camille" and closed.json()["evidence_file_name"].startswith("purge")
    evidence = olivier.get(f"{G}deletion-tasks/{task['id']}/evidence/")
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == b"rm -rf /poc"
    assert DeletionTask.objects.get().is_closed
    assert AuditEvent.objects.filter(action="deletion_task.closed").count() == 1
