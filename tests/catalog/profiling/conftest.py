"""Helpers for the profiling tests: CSV files made on the fly and versions registered through the
real upload service (which queues the profiling task through the workers' task-state API)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

import pytest

from catalog import services
from catalog.models import Dataset, DatasetVersion


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def upload(django_capture_on_commit_callbacks) -> Callable[..., DatasetVersion]:  # type: ignore[no-untyped-def]
    """Register ``content`` as the next version of ``dataset`` and run what commit queues
    (in the embedded default the tasks run in-process, as in production without a broker)."""

    def register(
        dataset: Dataset, content: bytes, *, filename: str = "batch.csv", user: object = None
    ) -> DatasetVersion:
        with django_capture_on_commit_callbacks(execute=True):
            version = services.dataset_version_register_from_file(
                dataset=dataset,
                file=io.BytesIO(content),
                filename=filename,
                size=len(content),
                delivered_by=user,  # type: ignore[arg-type]
            )
        version.refresh_from_db()
        return version

    return register
