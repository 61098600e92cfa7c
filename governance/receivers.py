"""Receivers connected in ``GovernanceConfig.ready()``: the audit trail of what happens in the
projects app (sign-offs, team and stage changes) and of platform role changes (``User.groups``),
and the revocation of grants when a project changes stage (queued as a task)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed

from governance.audit import audit_event_record
from projects import signals as project_signals


def _sign_off_data(sign_off: Any) -> dict[str, Any]:
    return {
        "project": sign_off.project_id,
        "gate": sign_off.stage,
        "role": sign_off.role,
        "user": sign_off.user.get_username(),
        "template_version": sign_off.template_version,
        "signed_at": sign_off.signed_at,
        "comment": sign_off.comment,
        "invalidated_at": sign_off.invalidated_at,
        "invalidation_reason": sign_off.invalidation_reason,
    }


def on_sign_off_given(sender: Any, *, sign_off: Any, actor: Any, **kwargs: Any) -> None:
    audit_event_record(actor=actor, action="sign_off.given", target=sign_off, after=_sign_off_data(sign_off))


def on_sign_off_withdrawn(sender: Any, *, sign_off: Any, actor: Any, **kwargs: Any) -> None:
    audit_event_record(actor=actor, action="sign_off.withdrawn", target=sign_off, after=_sign_off_data(sign_off))


def on_sign_off_invalidated(sender: Any, *, sign_off: Any, actor: Any, **kwargs: Any) -> None:
    audit_event_record(
        actor=actor,
        action="sign_off.invalidated",
        target=sign_off,
        after=_sign_off_data(sign_off),
        system_actor="projects.gates",
    )


def on_membership_changed(sender: Any, *, membership: Any, change: str, actor: Any, **kwargs: Any) -> None:
    audit_event_record(
        actor=actor,
        action=f"membership.{change}",
        target=membership,
        after={
            "project": membership.project_id,
            "user": membership.user.get_username(),
            "role": membership.role,
            "started_at": membership.started_at,
            "ended_at": membership.ended_at,
            "end_reason": membership.end_reason,
        },
    )


def on_stage_changed(
    sender: Any, *, project: Any, from_stage: str, to_stage: str, actor: Any, transition: Any, **kwargs: Any
) -> None:
    """Sent after the transition committed: record it, then queue the revocation of the grants of
    the stage left (after this commit too)."""
    from governance.tasks import revoke_grants_for_stage_change

    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action="project.stage_changed",
            target=project,
            before={"stage": str(from_stage)},
            after={"stage": str(to_stage), "transition": transition.pk, "reason": transition.reason},
        )
    transaction.on_commit(lambda: revoke_grants_for_stage_change.delay(project.pk, str(from_stage), str(to_stage)))


def _group_names(user: Any) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def on_groups_changed(sender: Any, *, instance: Any, action: str, pk_set: Any, reverse: bool, **kwargs: Any) -> None:
    """Platform role changes: a user's groups, from either side of the relation."""
    if action == "pre_clear":
        users = [instance] if not reverse else list(instance.user_set.all())
        for user in users:
            user._audit_groups_before = _group_names(user)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # group.user_set.add(...): instance is the group
        users = list(get_user_model().objects.filter(pk__in=pk_set or []))
        changed = [instance.name]
    else:
        users = [instance]
        changed = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for user in users:
        after = _group_names(user)
        if action == "post_add":
            before = sorted(set(after) - set(changed))
        elif action == "post_remove":
            before = sorted(set(after) | set(changed))
        else:
            before = getattr(user, "_audit_groups_before", [])
        if before == after:
            continue
        audit_event_record(
            actor=None,
            action="role.changed",
            target=user,
            before={"groups": before},
            after={"groups": after},
            system_actor="auth",
        )


def connect() -> None:
    project_signals.sign_off_given.connect(on_sign_off_given, dispatch_uid="governance.sign_off_given")
    project_signals.sign_off_withdrawn.connect(on_sign_off_withdrawn, dispatch_uid="governance.sign_off_withdrawn")
    project_signals.sign_off_invalidated.connect(
        on_sign_off_invalidated, dispatch_uid="governance.sign_off_invalidated"
    )
    project_signals.membership_changed.connect(on_membership_changed, dispatch_uid="governance.membership_changed")
    project_signals.project_stage_changed.connect(on_stage_changed, dispatch_uid="governance.stage_changed")
    m2m_changed.connect(
        on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="governance.groups_changed"
    )
