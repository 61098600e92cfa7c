"""The governance back office is read-only: no add, change or delete, audit events included."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin

from catalog.roles import Role
from governance.models import AccessRequest, AuditEvent, AuditVerification, DeletionTask, Grant
from tests.factories import UserFactory
from tests.governance.conftest import World, approve, file_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [AccessRequest, Grant, DeletionTask, AuditEvent, AuditVerification])
def test_admin_is_read_only(model: type, admin_user: Any, rf: Any) -> None:
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_admin_pages_show_and_refuse_changes(world: World, admin_user: Any, client: Any) -> None:
    approve(world, file_request(world))
    event = AuditEvent.objects.last()
    client.force_login(admin_user)
    assert client.get("/admin/governance/auditevent/").status_code == 200
    page = client.get(f"/admin/governance/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="action"' not in page.content
    before = event.action
    assert client.post(f"/admin/governance/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/governance/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == before
    assert client.get("/admin/governance/accessrequest/").status_code == 200
    assert client.get("/admin/governance/grant/").status_code == 200


def test_officers_have_view_permissions_and_admins_all(world: World) -> None:
    officer = world.user("officer")
    assert officer.has_perm("governance.view_auditevent") and officer.has_perm("governance.view_accessrequest")
    assert not officer.has_perm("governance.change_accessrequest")
    admin_role = UserFactory(username="ops-admin", roles=[Role.ADMIN])
    assert not admin_role.is_superuser and admin_role.has_perm("governance.change_grant")
