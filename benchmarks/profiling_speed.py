"""Profiling speed and memory: our end-to-end profiling vs ydata-profiling's default full report.

Generates a CSV of N rows x 10 columns (numbers, categories, dates, text, emails, booleans, some
missing values), infers its schema once as registration does (``catalog.ingest.inspect_file``,
not timed here: see ``ingest_inspect.py``), then runs each side in its own child process and
prints wall time (process start, imports and all) and peak memory (max RSS of the child, from
``resource.getrusage(RUSAGE_CHILDREN)`` read by a fresh intermediate process per side):

- ours: what the ``catalog.profile_version`` task computes: personal-data detection on the first
  chunk, exact per-column statistics in one streaming pass, and the ydata-profiling HTML report on
  a 10,000-row sample (``catalog.profiling.services.version_profile_run`` minus database writes);
- ydata: ``pandas.read_csv`` then ``ProfileReport(df).to_html()`` with ydata-profiling's defaults.

    python benchmarks/profiling_speed.py --rows 1000000            # both sides
    python benchmarks/profiling_speed.py --rows 10000000 --skip-ydata
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(path: Path, rows: int, *, seed: int = 11, chunk: int = 500_000) -> None:
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv

    rng = np.random.default_rng(seed)
    cities = np.array(["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Bordeaux", "Toulouse", "Nice"])
    words = np.array(["late", "payment", "customer", "called", "branch", "card", "blocked", "ok", "review", "loan"])
    writer = None
    try:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start, start + n)
            amount = np.round(rng.lognormal(4, 1, n), 2)
            amount_mask = rng.random(n) < 0.02
            days = np.datetime64("2015-01-01") + rng.integers(0, 3650, n).astype("timedelta64[D]")
            comment = np.char.add(np.char.add(rng.choice(words, n), " "), rng.choice(words, n))
            comment_mask = rng.random(n) < 0.3
            table = pa.table(
                {
                    "id": pa.array(ids),
                    "amount": pa.array(amount, mask=amount_mask),
                    "balance": pa.array(rng.integers(-1000, 90000, n)),
                    "score": pa.array(np.round(rng.normal(600, 80, n), 3)),
                    "segment": pa.array(rng.choice(np.array(["retail", "sme", "corporate", "private"]), n)),
                    "city": pa.array(rng.choice(cities, n)),
                    "opened_on": pa.array(np.datetime_as_string(days)),
                    "email": pa.array(np.char.add(np.char.add("client", ids.astype(str)), "@example.com")),
                    "comment": pa.array(comment, mask=comment_mask),
                    "active": pa.array(np.where(rng.random(n) < 0.8, "true", "false")),
                }
            )
            if writer is None:
                writer = csv.CSVWriter(str(path), table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def child_ours(path: str, schema: list[dict[str, str]], rows: int) -> dict[str, object]:
    from catalog.profiling import detection, report
    from catalog.profiling.reader import Source
    from catalog.profiling.stats import compute_profile

    found: dict[str, object] = {}

    def first_chunk(samples: dict[str, list[str]]) -> set[str]:
        found.update(detection.detect_columns(samples))
        return set(found)

    result = compute_profile(
        Source(path=path, file_format="csv", schema=schema),
        personal=set(),
        expected_rows=rows,
        sample_rows=10_000,
        first_chunk=first_chunk,
    )
    html = report.build_report(result.sample, title="benchmark", personal=result.personal, total_rows=result.rows)
    return {"rows": result.rows, "personal": result.personal, "report_bytes": len(html), **result.timings}


def child_ydata(path: str) -> dict[str, object]:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    import pandas as pd
    from ydata_profiling import ProfileReport

    frame = pd.read_csv(path)
    html = ProfileReport(frame, title="benchmark", progress_bar=False).to_html()
    return {"rows": len(frame), "report_bytes": len(html)}


def run_side(side: str, path: Path, schema_file: Path, rows: int) -> dict[str, object]:
    """Run one side in a child of a fresh intermediate process, which reports the child's max RSS."""
    measure = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps({'wall': wall, 'peak': peak, 'code': done.returncode,\n"
        "                  'out': done.stdout, 'err': done.stderr[-3000:]}))\n"
    )
    command = [
        sys.executable,
        "-c",
        measure,
        sys.executable,
        __file__,
        "--child",
        side,
        "--file",
        str(path),
        "--schema",
        str(schema_file),
        "--rows",
        str(rows),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    outcome = json.loads(completed.stdout)
    if outcome["code"] != 0:
        raise SystemExit(f"{side} failed:\n{outcome['err']}")
    details = json.loads(outcome["out"].strip().splitlines()[-1])
    return {"wall_seconds": round(outcome["wall"], 2), "peak_rss_mb": round(outcome["peak"] / 2**20), **details}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-ydata", action="store_true", help="only our side (for 10,000,000 rows)")
    parser.add_argument("--keep", type=Path, help="reuse or keep the generated CSV at this path")
    parser.add_argument("--child", choices=["ours", "ydata"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child == "ours":
            schema = json.loads(Path(args.schema).read_text())
            print(json.dumps(child_ours(args.file, schema, args.rows)))
        else:
            print(json.dumps(child_ydata(args.file)))
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadastre.settings")
    workdir = Path(tempfile.mkdtemp(prefix="profiling-bench-"))
    path = args.keep or workdir / "data.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - started:.1f} s")
    import django

    django.setup()
    from catalog.ingest import inspect_file

    with path.open("rb") as handle:
        inspection = inspect_file(handle, filename=path.name, size=path.stat().st_size, max_bytes=2**40)
    schema_file = workdir / "schema.json"
    schema_file.write_text(json.dumps(inspection.schema))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"rows: {inspection.row_count:,}; schema: {', '.join(c['name'] + ':' + c['type'] for c in inspection.schema)}"
    )

    ours = run_side("ours", path, schema_file, inspection.row_count)
    print(f"ours : {ours['wall_seconds']:.2f} s, peak RSS {ours['peak_rss_mb']} MB  {json.dumps(ours)}")
    if not args.skip_ydata:
        ydata = run_side("ydata", path, schema_file, inspection.row_count)
        print(f"ydata: {ydata['wall_seconds']:.2f} s, peak RSS {ydata['peak_rss_mb']} MB  {json.dumps(ydata)}")
        print(
            f"speed-up {ydata['wall_seconds'] / ours['wall_seconds']:.1f}x, "
            f"memory {ydata['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x less"
        )
    if not args.keep:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
