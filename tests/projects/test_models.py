"""The stage guard of the model, and the access rules shared by the API and the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.roles import Role
from projects.models import Membership, Project, ProjectRole, Stage
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_save_refuses_a_changed_stage(project: Project) -> None:
    project.stage = Stage.PRODUCTION
    with pytest.raises(ValidationError) as refused:
        project.save()
    assert "stage" in refused.value.message_dict
    fresh = Project.objects.get(pk=project.pk)
    fresh.entered_stage_at = timezone.now() - timezone.timedelta(days=400)
    with pytest.raises(ValidationError):
        fresh.save()
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION


def test_save_never_writes_the_stage_of_an_instance_built_by_hand(project: Project) -> None:
    """An instance not loaded from the database (no known stage) saves everything but the stage."""
    from projects.models import write_stage_unchecked

    write_stage_unchecked(project, stage=Stage.EXPLORATION, at=timezone.now())
    stray = Project(
        pk=project.pk,
        name=project.name,
        slug=project.slug,
        purpose="Rewritten.",
        entered_stage_at=project.entered_stage_at,
        created_at=project.created_at,
    )
    stray._state.adding = False
    stray.save()
    row = Project.objects.get(pk=project.pk)
    assert (row.stage, row.purpose) == (Stage.EXPLORATION, "Rewritten.")


def test_update_fields_with_the_stage_is_refused(project: Project) -> None:
    with pytest.raises(ValidationError):
        project.save(update_fields=["stage"])


def test_queryset_update_and_bulk_update_refuse_the_stage(project: Project) -> None:
    with pytest.raises(ValidationError):
        Project.objects.filter(pk=project.pk).update(stage=Stage.PRODUCTION)
    with pytest.raises(ValidationError):
        Project.objects.filter(pk=project.pk).update(entered_stage_at=timezone.now())
    project.stage = Stage.PRODUCTION
    with pytest.raises(ValidationError):
        Project.objects.bulk_update([project], ["stage"])
    assert Project.objects.filter(pk=project.pk).update(description="Fine.") == 1
    assert Project.objects.get(pk=project.pk).stage == Stage.QUALIFICATION


def test_a_project_is_created_in_qualification_only(lead: Any) -> None:
    with pytest.raises(ValidationError):
        Project.objects.create(name="Shortcut", slug="shortcut", purpose="x", stage=Stage.PRODUCTION)
    assert not Project.objects.filter(slug="shortcut").exists()


def test_days_in_stage_and_allowed_targets() -> None:
    now = timezone.now()
    project = ProjectFactory(stage=Stage.EXPLORATION, entered_stage_at=now - timezone.timedelta(days=12, hours=5))
    assert project.days_in_stage(now) == 12
    assert project.allowed_targets == [Stage.INDUSTRIALIZATION, Stage.ABANDONED]
    assert ProjectFactory(stage=Stage.PRODUCTION).allowed_targets == [Stage.RETIRED]
    assert ProjectFactory(stage=Stage.RETIRED).allowed_targets == []


def test_active_memberships_depend_on_the_dates(project: Project) -> None:
    now = timezone.now()
    user = UserFactory()
    past = MembershipFactory(
        project=project,
        user=user,
        started_at=now - timezone.timedelta(days=9),
        ended_at=now - timezone.timedelta(days=1),
    )
    future = MembershipFactory(project=project, user=user, role="security", started_at=now + timezone.timedelta(days=1))
    current = MembershipFactory(
        project=project, user=user, role="operations", ended_at=now + timezone.timedelta(days=3)
    )
    active = set(Membership.objects.active(now).filter(user=user))
    assert active == {current}
    assert not past.is_active(now) and not future.is_active(now) and current.is_active(now)
    assert set(Membership.objects.active(now + timezone.timedelta(days=2)).filter(user=user)) == {future, current}


# --- Access ------------------------------------------------------------------------------------------

# role -> (read, contribute, manage, sign roles)
EXPECTED: dict[str, tuple[bool, bool, bool, set[str]]] = {
    "anonymous": (False, False, False, set()),
    "data_scientist_not_member": (False, False, False, set()),
    "member_data_scientist": (True, True, False, {"data_scientist"}),
    "lead": (True, True, True, {"project_lead"}),
    "lead_of_another_project": (False, False, False, set()),
    "governance_officer": (True, False, False, {"governance_officer"}),
    "custodian": (False, False, False, set()),
    "admin": (True, True, True, set()),
    "former_member": (False, False, False, set()),
}


@pytest.fixture
def people(lead: Any, project: Project, make_user: Any, add_member: Any) -> dict[str, Any]:
    from django.contrib.auth.models import AnonymousUser

    from projects import services

    member = make_user(Role.DATA_SCIENTIST, username="dora")
    add_member(project, member)
    other_lead = make_user(Role.PROJECT_LEAD, username="oscar")
    ProjectFactory(lead=other_lead)
    former = make_user(Role.DATA_SCIENTIST, username="fred")
    services.membership_end(membership=add_member(project, former), ended_by=lead)
    return {
        "anonymous": AnonymousUser(),
        "data_scientist_not_member": make_user(Role.DATA_SCIENTIST, username="alice"),
        "member_data_scientist": member,
        "lead": lead,
        "lead_of_another_project": other_lead,
        "governance_officer": make_user(Role.GOVERNANCE_OFFICER, username="olivier"),
        "custodian": make_user(Role.DATA_CUSTODIAN, username="camille"),
        "admin": make_user(Role.ADMIN, username="root", is_superuser=True),
        "former_member": former,
    }


@pytest.mark.parametrize("who", list(EXPECTED))
def test_access_rules(who: str, people: dict[str, Any], project: Project) -> None:
    user = people[who]
    read, contribute, manage, sign = EXPECTED[who]
    access = project.access(user)
    assert (access.can_read, access.can_contribute, access.can_manage, set(access.sign_roles)) == (
        read,
        contribute,
        manage,
        sign,
    )
    assert Project.objects.readable_by(user).filter(pk=project.pk).exists() is read
    assert Project.objects.contributable_by(user).filter(pk=project.pk).exists() is contribute
    assert Project.objects.manageable_by(user).filter(pk=project.pk).exists() is manage
    assert Project.objects.visible_to(user).filter(pk=project.pk).exists() is (who != "anonymous")


def test_a_member_with_two_roles_signs_for_both(project: Project, add_member: Any) -> None:
    user = UserFactory()
    add_member(project, user, ProjectRole.DATA_ENGINEER)
    add_member(project, user, ProjectRole.OPERATIONS)
    assert project.access(user).sign_roles == {"data_engineer", "operations"}
