"""The audit trail: append-only, hash-chained, verified; tampering with raw SQL is detected."""

from __future__ import annotations

import threading
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from governance.audit import GENESIS_HASH, audit_event_record, audit_verify
from governance.models import AuditChainHead, AuditEvent
from tests.factories import DatasetFactory, UserFactory

TABLE = AuditEvent._meta.db_table


def record_three() -> list[AuditEvent]:
    user = UserFactory(username="auditor")
    target = DatasetFactory()
    return [
        audit_event_record(actor=user, action="test.first", target=target, after={"n": 1, "when": "x"}),
        audit_event_record(actor=None, action="test.second", target=target, before={"n": 1}, after={"n": 2.5}),
        audit_event_record(actor=user, action="test.third", target=target, after={"list": [3, "é"]}),
    ]


def _raw(sql: str, params: list[Any] | None = None) -> None:
    """Tamper as a database administrator would: on PostgreSQL the append-only trigger is disabled first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER governance_auditevent_append_only")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER governance_auditevent_append_only")


def _own_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="test.").order_by("seq"))


@pytest.mark.django_db
def test_events_chain_and_verify() -> None:
    events = record_three()
    first = AuditEvent.objects.order_by("seq").first()
    assert first is not None and first.prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[1].actor_name == "system" and events[0].actor_name == "auditor"
    assert AuditEvent.objects.get(pk=events[1].pk).after == {"n": 2.5}
    assert audit_verify().ok
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_an_edited_event_is_detected() -> None:
    events = record_three()
    _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["test.forged", events[1].pk])  # noqa: S608
    report = audit_verify()
    assert [p for p in report.problems if f"#{events[1].seq}:" in p and "edited" in p]
    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_an_edited_json_value_is_detected() -> None:
    events = record_three()
    _raw(f"UPDATE {TABLE} SET after = %s WHERE id = %s", ['{"n": 3}', events[1].pk])  # noqa: S608
    assert any("edited" in p for p in audit_verify().problems)


@pytest.mark.django_db
def test_a_deleted_event_is_detected() -> None:
    events = record_three()
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])  # noqa: S608
    problems = audit_verify().problems
    assert any(f"#{events[2].seq}:" in p and "previous hash" in p for p in problems)


@pytest.mark.django_db
def test_the_last_event_deleted_is_detected() -> None:
    events = record_three()
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [events[2].pk])  # noqa: S608
    assert any("chain head" in p for p in audit_verify().problems)


@pytest.mark.django_db
def test_reordered_events_are_detected() -> None:
    events = record_three()
    a, b = events[0], events[1]
    _raw(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [b.seq + 1000, a.pk])  # noqa: S608
    _raw(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [a.seq, b.pk])  # noqa: S608
    _raw(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [b.seq, a.pk])  # noqa: S608
    assert not audit_verify().ok


@pytest.mark.django_db
def test_no_update_or_delete_path_in_the_orm() -> None:
    event = record_three()[0]
    event.action = "test.changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.first"


@pytest.mark.django_db
def test_postgresql_refuses_raw_updates_and_deletes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    event = record_three()[0]
    for sql in (f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"):  # noqa: S608
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.first"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_share_a_previous_hash() -> None:
    target = DatasetFactory()
    audit_event_record(actor=None, action="test.seed", target=target)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def append(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(5):
                with transaction.atomic():
                    audit_event_record(actor=None, action="test.concurrent", target=target, after={"t": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    events = list(AuditEvent.objects.order_by("seq"))
    concurrent = [e for e in events if e.action == "test.concurrent"]
    assert len(concurrent) == 20
    prev_hashes = [e.prev_hash for e in events]
    assert len(set(prev_hashes)) == len(prev_hashes)
    assert audit_verify().ok
    assert AuditChainHead.objects.get().seq == events[-1].seq
