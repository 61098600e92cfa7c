"""The governance demo data (fixtures/governance.py, loaded by ``manage.py load_demo``): every request
state, live and revoked grants, an overdue deletion task, a valid audit chain; idempotent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from fixtures.governance import SCENARIOS, check_governance
from governance import selectors
from governance.audit import audit_verify
from governance.models import AccessRequest, AuditEvent, DeletionTask, Grant, RequestStatus


@pytest.fixture(scope="module")
def demo_output(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[tuple[str, str]]:
    media = tmp_path_factory.mktemp("demo-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast), transaction.atomic():
        first, second = io.StringIO(), io.StringIO()
        call_command("load_demo", stdout=first)
        call_command("load_demo", stdout=second)
        yield first.getvalue(), second.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output: tuple[str, str], db: Any) -> tuple[str, str]:
    return demo_output


def test_every_state_is_there(demo: tuple[str, str]) -> None:
    assert check_governance() == []
    assert AccessRequest.objects.count() == len(SCENARIOS)
    statuses = set(AccessRequest.objects.values_list("status", flat=True))
    assert statuses == set(RequestStatus.values)
    assert Grant.objects.live().count() == 2
    assert Grant.objects.filter(revoked_at__isnull=False).count() == 1
    [overdue] = selectors.overdue_deletion_tasks()
    assert overdue.custodian.username == "camille" and overdue.overdue_since is not None
    assert DeletionTask.objects.count() == 1
    assert [e.project for e in selectors.register_entries()] == ["Consumer credit scoring", "Marketing next-best-offer"]
    assert "Governance:     6 access requests" in demo[0]


def test_the_audit_trail_covers_it_and_is_valid(demo: tuple[str, str]) -> None:
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "access_request.filed",
        "precheck.recorded",
        "access_request.decided",
        "grant.created",
        "grant.revoked",
        "deletion_task.created",
        "deletion_task.overdue",
        "sign_off.given",
        "membership.added",
        "role.changed",
    } <= actions  # (stage changes are recorded on commit: the fixture's transaction never commits)
    assert audit_verify().ok


def test_loading_again_creates_nothing(demo: tuple[str, str]) -> None:
    assert "nothing to create" in demo[1]
