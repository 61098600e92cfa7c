"""Exact per-column statistics of a version's file, in one streaming pass.

What is exact and how:

- counts, missing values, min, max, mean, standard deviation: exact (numbers are kept as float64
  arrays, 8 bytes per non-null value, dates as int64 days or seconds);
- quantiles and histograms: exact, computed once at the end from the kept values
  (``numpy.quantile`` with linear interpolation, pandas' default);
- distinct counts: exact for numbers and dates (from the sorted kept values); for text by a 64-bit
  hash (polars) of each distinct value of each chunk, deduplicated across chunks: exact up to
  hash collisions, whose probability is about n²/2⁶⁵ (2.7e-6 for 10 million distinct values);
- top values of text: exact counts merged across chunks; above ``TOP_VALUES_CAP`` distinct values
  the table is pruned to the most frequent ones (``top_values_approximate``: counts are then lower
  bounds).

Personal columns (``personal``): only aggregates are computed and returned (rows, missing,
distinct, text lengths), never a value: no min, max, quantiles, histogram or top values.
The first chunk's values go to ``first_chunk`` (the personal-data detector) before anything is
accumulated, so that a column it flags is treated as personal from the start. A bounded random
sample of rows (Bernoulli, ``sample_rows`` expected) of the non-personal columns is returned for
the ydata-profiling report.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.profiling.reader import BOOLEAN, DATE, DATETIME, NUMERIC, STRING, Source, iter_batches, kind_of, to_kind

TOP_VALUES = 20
TOP_VALUES_CAP = 100_000
HISTOGRAM_BINS = 20
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DETECTION_SAMPLE = 500
HASH_COMPACT_AT = 4_000_000
EPOCH = date(1970, 1, 1)


def hash_strings(array: pa.Array) -> np.ndarray:
    """A 64-bit hash of each non-null string of ``array`` (polars' vectorised hash, fixed seeds so
    that equal strings hash equally across chunks)."""
    import polars as pl

    array = array.drop_null()
    if len(array) == 0:
        return np.empty(0, dtype=np.uint64)
    return pl.from_arrow(array).hash(seed=11).to_numpy()


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Distinct values by an in-place sort (faster than ``numpy.unique`` on 64-bit hashes)."""
    values.sort()
    if values.size == 0:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


@dataclass
class ColumnAccumulator:
    name: str
    column_type: str
    kind: str
    personal: bool
    rows: int = 0
    missing: int = 0
    values: list[np.ndarray] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)
    hashed: int = 0
    counts: pa.Table | None = None
    pending_counts: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    approximate: bool = False
    length_min: int | None = None
    length_max: int | None = None
    length_sum: int = 0
    true_count: int = 0

    def add(self, typed: pa.Array) -> None:
        self.rows += len(typed)
        self.missing += typed.null_count
        if self.kind in (NUMERIC, DATE, DATETIME):
            values = typed.drop_null().to_numpy(zero_copy_only=False)
            if self.kind == NUMERIC:
                values = values[~np.isnan(values)]
                self.missing += len(typed) - typed.null_count - len(values)
            if self.personal:
                self._add_hashes(
                    np.unique(values.astype(np.float64 if self.kind == NUMERIC else np.int64).view(np.uint64))
                )
            else:
                self.values.append(values)
        elif self.kind == BOOLEAN:
            self.true_count += int(pc.sum(typed).as_py() or 0)
        else:
            lengths = pc.utf8_length(typed)
            if len(lengths) > lengths.null_count:
                bounds = pc.min_max(lengths).as_py()
                low, high = bounds["min"], bounds["max"]
                self.length_min = low if self.length_min is None else min(self.length_min, low)
                self.length_max = high if self.length_max is None else max(self.length_max, high)
                self.length_sum += int(pc.sum(lengths).as_py() or 0)
            if self.personal:
                self._add_hashes(hash_strings(pc.unique(typed.drop_null())))
            else:
                self._add_counts(typed)

    def _add_hashes(self, hashes: np.ndarray) -> None:
        self.hashes.append(np.asarray(hashes).astype(np.uint64, copy=False))
        self.hashed += len(hashes)
        if self.hashed > HASH_COMPACT_AT:
            merged = _sorted_unique(np.concatenate(self.hashes))
            self.hashes, self.hashed = [merged], len(merged)

    def _add_counts(self, typed: pa.Array) -> None:
        counted = pc.value_counts(typed.drop_null())
        self._add_hashes(hash_strings(counted.field("values")))  # each distinct value of the chunk once
        self.pending_counts.append(
            pa.table({"value": counted.field("values"), "count": counted.field("counts").cast(pa.int64())})
        )
        self.pending_rows += len(counted)
        if self.pending_rows > TOP_VALUES_CAP:
            self._merge_counts()

    def _merge_counts(self) -> None:
        tables = ([self.counts] if self.counts is not None else []) + self.pending_counts
        self.pending_counts, self.pending_rows = [], 0
        if not tables:
            return
        merged = pa.concat_tables(tables).group_by("value").aggregate([("count", "sum")])
        merged = merged.rename_columns(["value", "count"])
        if len(merged) > TOP_VALUES_CAP:
            merged = merged.sort_by([("count", "descending")]).slice(0, TOP_VALUES_CAP // 2)
            self.approximate = True
        self.counts = merged

    def _sorted_values(self) -> np.ndarray:
        """All kept values, sorted once (distinct count, quantiles and histogram read it)."""
        if len(self.values) != 1 or not getattr(self, "_sorted", False):
            merged = np.concatenate(self.values) if self.values else np.empty(0)
            merged.sort()
            self.values, self._sorted = [merged], True
        return self.values[0]

    def distinct(self) -> int:
        if self.kind == BOOLEAN:
            present = self.rows - self.missing
            return int(self.true_count > 0) + int(present - self.true_count > 0)
        if self.values:
            values = self._sorted_values()
            return int(np.count_nonzero(values[1:] != values[:-1]) + 1) if values.size else 0
        if self.hashes:
            return int(_sorted_unique(np.concatenate(self.hashes)).size)
        return 0

    def result(self) -> dict[str, Any]:
        present = self.rows - self.missing
        distinct = self.distinct()
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.column_type,
            "kind": self.kind,
            "personal": self.personal,
            "count": self.rows,
            "non_null": present,
            "missing": self.missing,
            "missing_ratio": _ratio(self.missing, self.rows),
            "distinct": distinct,
            "distinct_ratio": _ratio(distinct, present),
            "unique": present > 0 and distinct == present,
        }
        if self.kind == STRING and present:
            out["length"] = {
                "min": self.length_min,
                "mean": round(self.length_sum / present, 3),
                "max": self.length_max,
            }
        if self.personal:
            return out
        if self.kind in (NUMERIC, DATE, DATETIME):
            out.update(_numeric_summary(self._sorted_values(), self.kind))
        elif self.kind == BOOLEAN:
            out["top_values"] = [
                {"value": "true", "count": self.true_count},
                {"value": "false", "count": present - self.true_count},
            ]
            out["top_values_complete"] = True
        else:
            self._merge_counts()
            top: list[dict[str, Any]] = []
            if self.counts is not None and len(self.counts):
                ranked = self.counts.sort_by([("count", "descending"), ("value", "ascending")]).slice(0, TOP_VALUES)
                top = [{"value": v, "count": int(c)} for v, c in zip(*ranked.to_pydict().values(), strict=True)]
            out["top_values"] = top
            out["top_values_complete"] = not self.approximate and distinct <= TOP_VALUES
            out["top_values_approximate"] = self.approximate
        return out


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _render(value: float, kind: str) -> Any:
    if kind == DATE:
        return (EPOCH + timedelta(days=math.floor(value))).isoformat()
    if kind == DATETIME:
        return datetime.fromtimestamp(math.floor(value), tz=UTC).replace(tzinfo=None).isoformat()
    return float(value)


def _sorted_quantiles(values: np.ndarray) -> list[float]:
    """``numpy.quantile(values, QUANTILES)`` (linear interpolation) on already sorted values."""
    out = []
    for q in QUANTILES:
        position = q * (values.size - 1)
        below = math.floor(position)
        above = min(below + 1, values.size - 1)
        fraction = position - below
        out.append(float(values[below] + (values[above] - values[below]) * fraction))
    return out


def _numeric_summary(values: np.ndarray, kind: str) -> dict[str, Any]:
    if values.size == 0:
        return {}
    floats = values.astype(np.float64, copy=False)  # sorted ascending
    low, high = floats[0], floats[-1]
    summary: dict[str, Any] = {
        "min": _render(low, kind),
        "max": _render(high, kind),
        "mean": _render(float(floats.mean()), kind),
        "quantiles": {
            f"{int(q * 100)}%": _render(v, kind) for q, v in zip(QUANTILES, _sorted_quantiles(floats), strict=True)
        },
    }
    if kind == NUMERIC:
        summary["std"] = float(floats.std(ddof=1)) if floats.size > 1 else 0.0
        summary["zeros"] = int(np.count_nonzero(floats == 0))
        summary["negatives"] = int(np.count_nonzero(floats < 0))
    counts, edges = np.histogram(floats, bins=HISTOGRAM_BINS if high > low else 1)
    summary["histogram"] = {
        "edges": [_render(e, kind) for e in edges],
        "counts": [int(c) for c in counts],
    }
    return summary


@dataclass
class ProfileResult:
    columns: list[dict[str, Any]]
    rows: int
    personal: list[str]
    sample: Any  # pandas.DataFrame of the non-personal columns, for the report
    timings: dict[str, float]


def _detection_values(batch: pa.RecordBatch, limit: int) -> dict[str, list[str]]:
    """Up to ``limit`` non-null values of each column, as text, for the personal-data detector."""
    samples: dict[str, list[str]] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        valid = column.drop_null().slice(0, limit)
        samples[name.strip()] = [str(v) for v in valid.to_pylist()]
    return samples


def compute_profile(
    source: Source,
    *,
    personal: set[str],
    expected_rows: int | None,
    sample_rows: int = 10_000,
    first_chunk: Callable[[dict[str, list[str]]], set[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ProfileResult:
    """Stream the file once: per-column statistics (see the module doc) and a row sample.

    ``first_chunk`` receives up to ``DETECTION_SAMPLE`` values of each column of the first chunk
    and returns more columns to treat as personal. ``progress(rows_read, expected_rows)`` is
    called after each chunk.
    """
    started = time.perf_counter()
    columns = [(c["name"], c["type"], kind_of(c["type"])) for c in source.schema]
    accumulators: list[ColumnAccumulator] | None = None
    sample_parts: dict[str, list[pa.Array]] = {}
    rng = np.random.default_rng(7)
    probability = 1.0 if not expected_rows else min(1.0, sample_rows / expected_rows)
    rows = 0
    flagged: set[str] = set()
    detect_seconds = 0.0
    for batch in iter_batches(source):
        if accumulators is None:
            if first_chunk is not None:
                detect_started = time.perf_counter()
                flagged = set(first_chunk(_detection_values(batch, DETECTION_SAMPLE)))
                detect_seconds = time.perf_counter() - detect_started
            accumulators = [
                ColumnAccumulator(name=n, column_type=t, kind=k, personal=n in personal or n in flagged)
                for n, t, k in columns
            ]
        mask = None
        if probability < 1.0:
            mask = pa.array(rng.random(batch.num_rows) < probability)
        for accumulator, raw in zip(accumulators, batch.columns, strict=True):
            typed = to_kind(raw, accumulator.kind, accumulator.column_type, accumulator.name)
            accumulator.add(typed)
            if not accumulator.personal:
                sample_parts.setdefault(accumulator.name, []).append(typed if mask is None else typed.filter(mask))
        rows += batch.num_rows
        if progress is not None:
            progress(rows, expected_rows or rows)
    scanned = time.perf_counter()
    if accumulators is None:
        accumulators = [ColumnAccumulator(name=n, column_type=t, kind=k, personal=n in personal) for n, t, k in columns]
    results = [a.result() for a in accumulators]
    finished = time.perf_counter()
    return ProfileResult(
        columns=results,
        rows=rows,
        personal=[a.name for a in accumulators if a.personal],
        sample=_sample_frame(accumulators, sample_parts),
        timings={
            "scan_seconds": round(scanned - started - detect_seconds, 3),
            "detection_seconds": round(detect_seconds, 3),
            "summary_seconds": round(finished - scanned, 3),
        },
    )


def _sample_frame(accumulators: list[ColumnAccumulator], parts: dict[str, list[pa.Array]]) -> Any:
    import pandas as pd

    data: dict[str, Any] = {}
    for accumulator in accumulators:
        if accumulator.personal:
            continue
        chunks = parts.get(accumulator.name) or []
        array = pa.concat_arrays([c.cast(chunks[0].type) for c in chunks]) if chunks else pa.array([], pa.string())
        series = array.to_pandas()
        if accumulator.kind == DATE:
            series = pd.to_datetime(series, unit="D")
        elif accumulator.kind == DATETIME:
            series = pd.to_datetime(series, unit="s")
        data[accumulator.name] = series
    return pd.DataFrame(data)
