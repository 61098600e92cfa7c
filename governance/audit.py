"""The audit trail: append-only, hash-chained events (PRODUCT.md §2, issue 5 item 6).

``audit_event_record`` is the only way an event is written. Each event stores the hash of the
previous one (``prev_hash``) and its own ``hash``: SHA-256 of a canonical JSON of every field
(sequence number, time, actor, action, target, before, after, previous hash). ``audit_verify``
walks the chain in sequence order and reports every event whose hash does not match its content
(an edit), whose ``prev_hash`` is not the previous event's hash or whose sequence number skips
(a deletion, an insertion or a reordering), and a chain head that does not match the last event
(the last events deleted).

Appends are serialised: the single ``AuditChainHead`` row is locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are ``BEGIN IMMEDIATE``, one writer at a time) for the rest of the
transaction, so two concurrent events never share a previous hash. The event is written in the
caller's transaction: a rolled-back change leaves no event, a recorded change always has one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from governance.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"


def _normalise(value: Any) -> Any:
    """JSON-compatible copy of ``value`` as the database will give it back (dates as ISO strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    target_type: str,
    target_id: str,
    target_repr: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON of an event's fields."""
    payload = {
        "seq": seq,
        "at": _iso(at),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_repr": target_repr,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_of(event: AuditEvent) -> str:
    return event_hash(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        target_repr=event.target_repr,
        before=event.before,
        after=event.after,
        prev_hash=event.prev_hash,
    )


def audit_event_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    system_actor: str = SYSTEM_ACTOR,
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction.

    ``actor`` is the user who acted, or ``None`` for a system event (a periodic task): the event
    then names ``system_actor``. ``before``/``after`` are JSON-compatible dicts (dates and
    decimals are converted to strings).
    """
    if not action or len(action) > 60:
        raise ValueError("An audit action is a short non-empty name (at most 60 characters).")
    if target.pk is None:
        raise ValueError("Audit events are recorded for saved objects.")
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    actor_name = actor.get_username() if actor_id is not None else system_actor
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        at = timezone.now()
        fields = {
            "seq": head.seq + 1,
            "at": at,
            "actor_id": actor_id,
            "actor_name": actor_name[:150],
            "action": action,
            "target_type": target._meta.label_lower,
            "target_id": str(target.pk),
            "target_repr": str(target)[:255],
            "before": _normalise(before),
            "after": _normalise(after),
            "prev_hash": head.last_hash,
        }
        digest = event_hash(**fields)
        event = AuditEvent.objects.create(**fields, hash=digest)
        head.seq, head.last_hash = event.seq, digest
        head.save(update_fields=["seq", "last_hash"])
    return event


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    last_seq: int = 0  # the last event walked (or the anchor when nothing follows it)
    last_hash: str = GENESIS_HASH
    from_seq: int = 0  # the walk started after this event (0: from the genesis)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, batch_size: int = 2000, after: tuple[int, str] | None = None) -> VerifyReport:
    """Walk the chain and report every break (see the module docstring).

    ``after=(seq, hash)`` walks only the events after event ``seq``, whose stored hash a previous
    full walk saw as ``hash``: that event must still be there, unchanged, and the walk continues the
    chain from it. Events before it are not read (a periodic full walk covers them)."""
    report = VerifyReport()
    # The head is read first and the walk stops at it: events appended while we walk are left for
    # the next walk instead of looking like a broken head.
    head_seq, head_hash = _head()
    expected_prev, expected_seq, last_seq = GENESIS_HASH, 1, 0
    events = AuditEvent.objects.filter(seq__lte=head_seq).order_by("seq")
    if after is not None and after[0] > 0:
        anchor_seq, anchor_hash = after
        report.from_seq = anchor_seq
        anchor = AuditEvent.objects.filter(seq=anchor_seq).first()
        if anchor is None:
            report.problems.append(f"event #{anchor_seq}, verified earlier, is gone (deleted events)")
        elif anchor.hash != anchor_hash or hash_of(anchor) != anchor.hash:
            report.problems.append(f"event #{anchor_seq} changed since it was verified (edited)")
        expected_prev, expected_seq, last_seq = anchor_hash, anchor_seq + 1, anchor_seq
        events = events.filter(seq__gt=anchor_seq)
    for event in events.iterator(chunk_size=batch_size):
        report.checked += 1
        if event.seq != expected_seq:
            report.problems.append(
                f"event #{event.seq}: expected sequence number {expected_seq} (events missing or reordered)"
            )
        if event.prev_hash != expected_prev:
            report.problems.append(
                f"event #{event.seq}: its previous hash does not match event #{last_seq} (deleted, inserted or "
                "reordered events)"
            )
        if hash_of(event) != event.hash:
            report.problems.append(f"event #{event.seq}: its content does not match its hash (edited)")
        expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
    report.last_seq, report.last_hash = last_seq, expected_prev
    if head_seq != last_seq or head_hash != expected_prev:
        report.problems.append(
            f"the chain head is at #{head_seq} but the last event is #{last_seq} (the last events were deleted "
            "or the head was changed)"
        )
    beyond = AuditEvent.objects.filter(seq__gt=head_seq).order_by("seq").values_list("seq", flat=True).first()
    if beyond is not None and _head() == (head_seq, head_hash):
        report.problems.append(f"event #{beyond} stands after the chain head #{head_seq} (inserted events)")
    return report


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.seq, head.last_hash) if head is not None else (0, GENESIS_HASH)


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """``{field: value}`` of a model instance, foreign keys as ids, for ``before``/``after``."""
    data: dict[str, Any] = {}
    for name in fields:
        model_field = instance._meta.get_field(name)
        if model_field.many_to_many:
            data[name] = sorted(str(o) for o in getattr(instance, name).all())
        elif model_field.is_relation:
            data[name] = getattr(instance, model_field.attname)
        else:
            value = getattr(instance, name)
            data[name] = value.name if isinstance(value, models.fields.files.FieldFile) else value
    return _normalise(data)
