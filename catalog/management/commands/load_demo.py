"""``python manage.py load_demo``: load the demo catalog (fixtures/), idempotently."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fixtures.demo_catalog import DemoDataError, load_demo, summary_lines
from fixtures.users import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        f"Load the demo catalog: one user per role (password '{DEMO_PASSWORD}'), a French/English glossary, "
        "datasets with columns and GDPR profiles, and version histories. Running it again creates "
        "nothing. --reset deletes ALL datasets, glossary terms and tags first, then reloads."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every dataset, version, glossary term and tag, reset the demo users' passwords, then load.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_demo(reset=options["reset"], log=self.stdout.write)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(f"The demo could not be loaded, nothing was written: {exc}") from None
        if result.nothing_created:
            self.stdout.write("Demo catalog already loaded: nothing to create (use --reset to reload it).")
        else:
            created = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in result.created.items() if n)
            self.stdout.write(self.style.SUCCESS(f"Demo catalog loaded in {result.seconds:.1f} s: created {created}."))
        for line in summary_lines():
            self.stdout.write(line)
