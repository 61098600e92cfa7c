"""Full walks of the audit chain are kept, and a later check can start from the last one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from governance.audit import audit_event_record, audit_verify
from governance.models import AuditChainHead, AuditEvent, AuditVerification
from governance.selectors import audit_chain_status
from governance.services import audit_verification_run
from governance.tasks import verify_audit_chain
from tests.factories import DatasetFactory, UserFactory

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


def _record(n: int) -> list[AuditEvent]:
    user = UserFactory()
    target = DatasetFactory()
    return [audit_event_record(actor=user, action="test.step", target=target, after={"n": i}) for i in range(n)]


def _raw(sql: str, params: list[object]) -> None:
    """Tamper as a database administrator would (the append-only trigger disabled on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER governance_auditevent_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER governance_auditevent_append_only")


def _head_seq() -> int:
    return AuditChainHead.objects.get(pk=1).seq


def test_a_walk_from_an_anchor_reads_only_the_newer_events() -> None:
    first = _record(4)
    full = audit_verify()
    assert full.ok and full.checked == _head_seq() and full.last_hash == first[-1].hash
    newer = _record(3)
    report = audit_verify(after=(full.last_seq, full.last_hash))
    assert report.ok and report.checked == 3 and report.from_seq == full.last_seq
    assert report.last_seq == newer[-1].seq and report.last_hash == newer[-1].hash
    # Nothing appended since: nothing walked, and the chain is still whole.
    again = audit_verify(after=(report.last_seq, report.last_hash))
    assert again.ok and again.checked == 0


def test_a_walk_from_an_anchor_sees_an_edit_of_the_anchor_or_after_it() -> None:
    events = _record(5)
    anchor = events[2]
    _raw("UPDATE governance_auditevent SET after = %s WHERE id = %s", ['{"n": 99}', events[3].pk])
    problems = audit_verify(after=(anchor.seq, anchor.hash)).problems
    assert problems == [f"event #{events[3].seq}: its content does not match its hash (edited)"]
    _raw("UPDATE governance_auditevent SET actor_name = %s WHERE id = %s", ["mallory", anchor.pk])
    problems = audit_verify(after=(anchor.seq, anchor.hash)).problems
    assert f"event #{anchor.seq} changed since it was verified (edited)" in problems
    # An edit before the anchor is for the full walk.
    _raw("UPDATE governance_auditevent SET actor_name = %s WHERE id = %s", ["mallory", events[0].pk])
    assert f"event #{events[0].seq}: its content does not match its hash (edited)" in audit_verify().problems


def test_a_deleted_anchor_is_reported() -> None:
    events = _record(3)
    _raw("DELETE FROM governance_auditevent WHERE id = %s", [events[1].pk])
    problems = audit_verify(after=(events[1].seq, events[1].hash)).problems
    assert f"event #{events[1].seq}, verified earlier, is gone (deleted events)" in problems


def test_an_event_forged_beyond_the_head_is_reported() -> None:
    events = _record(2)
    last = events[-1]
    _raw(
        "INSERT INTO governance_auditevent (seq, at, actor_id, actor_name, action, target_type, target_id, "
        "target_repr, before, after, prev_hash, hash) SELECT seq + 1, at, actor_id, actor_name, action, "
        "target_type, target_id, target_repr, before, after, hash, %s FROM governance_auditevent WHERE id = %s",
        ["f" * 64, last.pk],
    )
    problems = audit_verify().problems
    assert problems == [f"event #{last.seq + 1} stands after the chain head #{last.seq} (inserted events)"]


def test_the_run_is_kept_by_the_service_the_task_and_the_command() -> None:
    _record(3)
    walk = audit_verification_run(trigger="schedule")
    assert walk.ok and walk.checked == _head_seq() and walk.problem_count == 0 and walk.requested_by is None
    result = verify_audit_chain.delay().get()
    assert result["ok"] is True and AuditVerification.objects.get(pk=result["verification"]).trigger == "schedule"
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()
    assert AuditVerification.objects.order_by("-id").first().trigger == "command"
    assert AuditVerification.objects.count() == 3


def test_a_broken_walk_is_kept_with_its_problems_and_the_command_fails() -> None:
    events = _record(3)
    _raw("UPDATE governance_auditevent SET action = %s WHERE id = %s", ["test.forged", events[1].pk])
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())
    walk = AuditVerification.objects.get()
    assert not walk.ok and walk.problem_count == 1
    assert walk.problems == [f"event #{events[1].seq}: its content does not match its hash (edited)"]


def test_an_unknown_trigger_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        audit_verification_run(trigger="whenever")
    assert not AuditVerification.objects.exists()


def test_the_status_builds_on_the_last_walk_beyond_the_limit() -> None:
    _record(3)
    # At or under the limit, or with no walk kept, everything is walked now.
    status = audit_chain_status(full_walk_limit=10)
    assert status.ok and status.full_walk is None and status.checked_now == status.events == _head_seq()
    assert audit_chain_status(full_walk_limit=0).full_walk is None
    walk = audit_verification_run(trigger="schedule")
    _record(2)
    status = audit_chain_status(full_walk_limit=0)
    assert status.ok and status.full_walk == walk and status.checked_now == 2 and status.events == _head_seq()
    # The problems of the walk it builds on are carried over.
    broken = AuditVerification.objects.create(
        started_at=walk.started_at,
        finished_at=walk.finished_at,
        trigger="schedule",
        checked=walk.checked,
        last_seq=walk.last_seq,
        last_hash=walk.last_hash,
        ok=False,
        problem_count=1,
        problems=["event #1: its content does not match its hash (edited)"],
    )
    status = audit_chain_status(full_walk_limit=0)
    assert status.full_walk == broken and not status.ok and status.problems == broken.problems
