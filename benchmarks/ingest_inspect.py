"""How fast is a delivered CSV inspected (encoding, delimiter, types, row count) on registration?

Generates a CSV of N rows x 10 columns (numbers, categories, dates, text, emails, missing values)
and times ``catalog.ingest.inspect_file`` on it, with peak memory. Prints the figures.

    python benchmarks/ingest_inspect.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadastre.settings")

import django

django.setup()

from catalog.ingest import inspect_file  # noqa: E402


def generate(path: Path, rows: int, *, seed: int = 7) -> None:
    rng = random.Random(seed)
    cities = ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Bordeaux", "Toulouse"]
    with path.open("w", encoding="utf-8") as out:
        out.write("id;amount;balance;segment;city;opened_on;last_seen;email;comment;active\n")
        for i in range(rows):
            amount = "" if i % 50 == 0 else f"{rng.uniform(0, 5000):.2f}"
            out.write(
                f"{i};{amount};{rng.randint(-1000, 90000)};{rng.choice('ABCD')};{rng.choice(cities)};"
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d};"
                f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00;"
                f"client{i}@example.fr;note {rng.randint(0, 10**6)};{rng.choice(['true', 'false'])}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        generate(path, args.rows)
        size = path.stat().st_size
        timings = []
        for _ in range(args.repeat):
            with path.open("rb") as handle:
                start = time.perf_counter()
                result = inspect_file(handle, filename=path.name, size=size, max_bytes=size + 1)
                timings.append(time.perf_counter() - start)
        timings.sort()
        median = timings[len(timings) // 2]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"file: {args.rows:,} rows x {len(result.columns)} columns, {size / 1e6:.1f} MB")
        print(f"detected: delimiter={result.delimiter!r} encoding={result.encoding} rows={result.row_count:,}")
        print("types: " + ", ".join(f"{c.name}={c.type}" for c in result.columns))
        print(f"inspect_file median of {args.repeat}: {median:.2f} s ({args.rows / median:,.0f} rows/s)")
        print(f"peak RSS of the process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
