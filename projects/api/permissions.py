"""Who may do what through the projects API, in one place.

The rules come from ``projects.models`` (``Project.access``, ``ProjectQuerySet.readable_by`` and
friends), which the pages use too. Each view declares the level each action needs
(``access_levels``); ``ProjectPermission`` applies it:

- ``summary`` - any authenticated user: list projects, a project's summary, gate templates, the
  risk questionnaire;
- ``read`` - active members, platform governance officers, admins: the full project, its team,
  KPIs, gates, sign-offs, history, timeline, roadmap, risk screenings, models, evidence files;
- ``contribute`` - active members, admins: answer checklist items, record a risk screening, link and
  unlink models;
- ``manage`` - the project's active project leads, admins: change details, team, KPIs, milestones,
  backlog; move the stage;
- ``sign`` - whoever holds a role on the project, platform governance officers: sign the next gate
  (the service checks the role signed for), withdraw one's own sign-off (the signer only);
- ``create`` - platform project leads, data scientists, admins: create a project (the creator
  becomes its lead);
- ``admin`` - platform admins: publish a gate template.

Anonymous requests get 401. A project that does not exist is 404; one that exists but is outside
the user's level is 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from projects.models import Project, ProjectAccess, can_create_project, is_platform_admin


class Level(StrEnum):
    SUMMARY = "summary"
    READ = "read"
    CONTRIBUTE = "contribute"
    MANAGE = "manage"
    SIGN = "sign"
    CREATE = "create"
    ADMIN = "admin"


MESSAGES: dict[Level, str] = {
    Level.READ: "Only the project's members, governance officers and admins read this.",
    Level.CONTRIBUTE: "Only the project's members contribute to it.",
    Level.MANAGE: "Only a project lead of this project can do this.",
    Level.SIGN: "You hold no role on this project to sign for.",
    Level.CREATE: "Project leads, data scientists and admins create projects.",
    Level.ADMIN: "Only admins can do this.",
}


def allows(level: Level, access: ProjectAccess) -> bool:
    """Whether ``access`` (of one user on one project) reaches ``level``."""
    return {
        Level.SUMMARY: True,
        Level.READ: access.can_read,
        Level.CONTRIBUTE: access.can_contribute,
        Level.MANAGE: access.can_manage,
        Level.SIGN: access.can_sign,
    }.get(level, False)


class ProjectPermission(BasePermission):
    """Applies ``view.access_level()`` (from ``view.access_levels[action]``).

    Views under a project (``/api/projects/{slug}/...``) expose ``get_project()`` and are checked
    in ``has_permission``; the project viewset itself is checked on its object.
    """

    message = "You cannot do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        level = view.access_level()
        self.message = MESSAGES.get(level, self.message)
        if level == Level.CREATE:
            return can_create_project(user)
        if level == Level.ADMIN:
            return is_platform_admin(user)
        if level == Level.SUMMARY:
            return True
        if getattr(view, "project_scoped", False):
            return allows(level, view.get_access())
        return True  # checked on the object

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if isinstance(obj, Project) and not getattr(view, "project_scoped", False):
            level = view.access_level()
            self.message = MESSAGES.get(level, self.message)
            return allows(level, obj.access(request.user))
        return True
