"""Who may do what in governance, in one place (the API's permission classes and the pages use these).

- Governance officers (platform role) review requests, decide, revoke grants, read the audit trail
  and the register; admins may do everything officers do.
- A request is filed by an active member of the project, for that project; the requester changes
  it when changes were asked.
- A deletion task is closed by its custodian (or the dataset's custodian or owner); admins too.
- The dataset's owner, steward and custodian download what they deliver.
"""

from __future__ import annotations

from typing import Any

from projects.models import Project, is_platform_admin, is_platform_officer


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and is_platform_admin(user))


def is_officer(user: Any) -> bool:
    return bool(user.is_authenticated and is_platform_officer(user))


def is_officer_or_admin(user: Any) -> bool:
    return is_officer(user) or is_admin(user)


def may_request_for(user: Any, project: Project) -> bool:
    """Only active members of the project file requests for it."""
    return bool(user.is_authenticated and Project.objects.member_of(user).filter(pk=project.pk).exists())


def delivers(user: Any, dataset: Any) -> bool:
    """The dataset's owner, steward or custodian: they deliver it and may read all of it."""
    return bool(user.is_authenticated and user.pk in {dataset.owner_id, dataset.steward_id, dataset.custodian_id})


def may_close_deletion(user: Any, task: Any) -> bool:
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    dataset = task.dataset
    return user.pk in {task.custodian_id, dataset.custodian_id, dataset.owner_id}
