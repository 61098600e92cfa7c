"""DRF permission classes of the governance API (the rules live in ``governance.permissions`` and the
querysets' ``visible_to``): anonymous requests get 401; objects outside what the user may read are 404."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from governance.permissions import is_officer_or_admin


class IsOfficerOrAdmin(BasePermission):
    """Governance officers and admins: decisions, revocations, the audit trail, the register."""

    message = "Only governance officers and admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and is_officer_or_admin(request.user))


class OfficerActions(BasePermission):
    """Applies ``IsOfficerOrAdmin`` to the actions a view lists in ``officer_actions``."""

    message = IsOfficerOrAdmin.message

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(view, "action", None) in getattr(view, "officer_actions", ()):
            return IsOfficerOrAdmin().has_permission(request, view)
        return True
