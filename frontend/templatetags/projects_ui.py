"""Template helpers of the project pages: labels of stored choice values."""

from __future__ import annotations

from django import template

from projects.models import AIActTier, ProjectRole, Stage

register = template.Library()


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@register.filter
def stage_label(value: str) -> str:
    return _label(Stage, value) if value else "Created"


@register.filter
def role_label(value: str) -> str:
    return _label(ProjectRole, value)


@register.filter
def tier_label(value: str) -> str:
    return _label(AIActTier, value)


@register.filter
def person(user: object) -> str:
    """A user's full name, or username."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None
