"""Platform roles, kept as Django groups with model permissions.

The groups and their permissions are created by a data migration (``0002_roles``) from
``ROLE_PERMISSIONS`` below, so every installation has the same roles. A user's role decides what
they may do across the platform; project roles (membership in one project) come with the
projects app.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    DATA_SCIENTIST = "data_scientist", "Data scientist"
    GOVERNANCE_OFFICER = "governance_officer", "Governance officer"
    PROJECT_LEAD = "project_lead", "Project lead"
    DATA_CUSTODIAN = "data_custodian", "Data custodian"
    ADMIN = "admin", "Admin"


def group_name(role: Role) -> str:
    return str(role.label)


_CATALOG_MODELS = ["dataset", "column", "datasetversion", "glossaryterm", "tag"]

# app_label.codename for each role. The admin role gets every permission of the platform.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.DATA_SCIENTIST: [f"catalog.view_{m}" for m in _CATALOG_MODELS],
    Role.PROJECT_LEAD: [f"catalog.view_{m}" for m in _CATALOG_MODELS],
    Role.GOVERNANCE_OFFICER: [f"catalog.view_{m}" for m in _CATALOG_MODELS]
    + [
        "catalog.change_column",  # confirms personal-data classes
        "catalog.add_glossaryterm",
        "catalog.change_glossaryterm",
        "catalog.add_tag",
        "catalog.change_tag",
    ],
    Role.DATA_CUSTODIAN: [f"catalog.view_{m}" for m in _CATALOG_MODELS]
    + [
        "catalog.add_dataset",
        "catalog.change_dataset",
        "catalog.add_column",
        "catalog.change_column",
        "catalog.add_datasetversion",
        "catalog.add_glossaryterm",
        "catalog.change_glossaryterm",
        "catalog.add_tag",
        "catalog.change_tag",
    ],
    Role.ADMIN: [],  # all permissions, see the migration
}


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    """The platform roles a user holds (superusers hold the admin role)."""
    if not user.is_authenticated:
        return set()
    names = {group.name for group in user.groups.all()}  # type: ignore[attr-defined]
    roles = {role for role in Role if group_name(role) in names}
    if getattr(user, "is_superuser", False):
        roles.add(Role.ADMIN)
    return roles


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))
