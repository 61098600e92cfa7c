"""Who may see the task runs of an object: who may see the object (the run's *target*).

Rules, first match wins:

1. anonymous users see none; staff, superusers and the admin role see all;
2. a resolver an app registered for the target's model with ``register_task_target``;
3. the model's queryset method ``readable_by(user)`` (full record), else ``visible_to(user)``
   (the project's permission convention);
4. the Django model permission ``<app>.view_<model>``;
5. otherwise none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

Resolver = Callable[[object], models.QuerySet]  # type: ignore[type-arg]

_resolvers: dict[str, Resolver] = {}


def register_task_target(model: type[models.Model], visible: Resolver) -> None:
    """Register ``visible(user) -> queryset of model`` for the task runs on ``model``'s objects."""
    _resolvers[model._meta.label_lower] = visible


def _is_platform_admin(user: object) -> bool:
    from catalog.roles import Role, has_role

    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_staff", False) or has_role(user, Role.ADMIN))  # type: ignore[arg-type]


def target_visible_to(target_type: ContentType, target_ids: Iterable[int], user: object) -> set[int]:
    """The ids among ``target_ids`` of ``target_type`` objects that ``user`` may see."""
    ids = {int(i) for i in target_ids}
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    model = target_type.model_class()
    if model is None:
        return set()
    if _is_platform_admin(user):
        return ids
    resolver = _resolvers.get(model._meta.label_lower)
    if resolver is not None:
        queryset = resolver(user)
    elif hasattr(model._default_manager.all(), "readable_by"):
        queryset = model._default_manager.all().readable_by(user)  # type: ignore[attr-defined]
    elif hasattr(model._default_manager.all(), "visible_to"):
        queryset = model._default_manager.all().visible_to(user)  # type: ignore[attr-defined]
    elif getattr(user, "has_perm", lambda _p: False)(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        queryset = model._default_manager.all()
    else:
        return set()
    return set(queryset.filter(pk__in=ids).values_list("pk", flat=True))
