"""``python manage.py audit_verify``: check the audit trail's hash chain; exit status 1 on any break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail: detects any edited, deleted, inserted or reordered event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The audit trail is broken: {len(report.problems)} problem(s) in {report.checked} events."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {report.checked} events, chain verified."))
