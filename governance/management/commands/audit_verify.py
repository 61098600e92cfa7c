"""``python manage.py audit_verify``: walk the audit trail's whole hash chain and keep the result (the
audit page builds on the last walk); exit status 1 on any break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.models import AuditVerificationTrigger
from governance.services import audit_verification_run


class Command(BaseCommand):
    help = "Verify the audit trail: detects any edited, deleted, inserted or reordered event."

    def handle(self, *args: Any, **options: Any) -> None:
        verification = audit_verification_run(trigger=AuditVerificationTrigger.COMMAND)
        if not verification.ok:
            for problem in verification.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The audit trail is broken: {verification.problem_count} problem(s) in {verification.checked} events."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {verification.checked} events, chain verified."))
