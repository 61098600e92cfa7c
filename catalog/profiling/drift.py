"""Drift between two consecutive versions, per column.

For each column present in both versions with the same kind:

- numbers, dates: PSI over the previous version's deciles, and the two-sample
  Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``), effect size = the KS statistic D;
- text and booleans: PSI over the categories (the previous version's 30 most frequent, the rest
  as "other"), and Pearson's chi-square test of the 2 x k contingency table, effect size =
  Cramér's V.

A column has drifted when PSI >= ``PSI_THRESHOLD`` (0.2, the usual "significant shift"), or when
the test's p-value < ``P_VALUE_THRESHOLD`` (0.01) *and* the effect size >= ``EFFECT_THRESHOLD``
(0.1): on hundreds of thousands of rows any difference is "significant", so the p-value alone is
not used. Both versions are read as bounded random samples (``SAMPLE_ROWS`` rows each), streaming.
Plots (inline SVG) are drawn for non-personal columns only; for personal columns only the numbers
are kept, never bins or categories (their values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.profiling import svg
from catalog.profiling.reader import BOOLEAN, DATE, DATETIME, NUMERIC, Source, iter_batches, kind_of, to_kind

PSI_THRESHOLD = 0.2
P_VALUE_THRESHOLD = 0.01
EFFECT_THRESHOLD = 0.1
SAMPLE_ROWS = 50_000
CATEGORIES = 30
IDENTIFIER_RATIO = 0.5  # text columns with more distinct values than this share of rows are not compared
EPSILON = 1e-4


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two distributions given as counts over the same bins."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref = np.clip(ref / ref.sum() if ref.sum() else ref, EPSILON, None)
    cur = np.clip(cur / cur.sum() if cur.sum() else cur, EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_drift(reference: np.ndarray, current: np.ndarray, *, plot: bool, title: str = "") -> dict[str, Any]:
    from scipy import stats

    edges = np.unique(np.quantile(reference, np.linspace(0, 1, 11)))
    inner = edges[1:-1]
    ref_counts = np.bincount(np.searchsorted(inner, reference, side="right"), minlength=len(inner) + 1)
    cur_counts = np.bincount(np.searchsorted(inner, current, side="right"), minlength=len(inner) + 1)
    test = stats.ks_2samp(reference, current)
    result = {
        "test": "ks",
        "psi": round(psi(ref_counts, cur_counts), 6),
        "statistic": round(float(test.statistic), 6),
        "p_value": float(test.pvalue),
        "effect": round(float(test.statistic), 6),
    }
    if plot:
        labels = [f"≤{_fmt(e)}" for e in inner] + [f">{_fmt(inner[-1])}" if len(inner) else "all"]
        result["plot"] = svg.compare_bars(
            labels, list(ref_counts / ref_counts.sum()), list(cur_counts / max(cur_counts.sum(), 1)), title=title
        )
    return result


def categorical_drift(
    reference: dict[str, int], current: dict[str, int], *, plot: bool, title: str = ""
) -> dict[str, Any]:
    from scipy import stats

    kept = [k for k, _ in sorted(reference.items(), key=lambda kv: (-kv[1], kv[0]))[:CATEGORIES]]
    new = [k for k, _ in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])) if k not in reference][:5]
    labels = kept + new
    ref_counts = [reference.get(k, 0) for k in labels]
    cur_counts = [current.get(k, 0) for k in labels]
    ref_other = sum(reference.values()) - sum(ref_counts)
    cur_other = sum(current.values()) - sum(cur_counts)
    if ref_other or cur_other:
        labels, ref_counts, cur_counts = [*labels, "(other)"], [*ref_counts, ref_other], [*cur_counts, cur_other]
    table = np.array([ref_counts, cur_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        statistic, p_value, effect = 0.0, 1.0, 0.0
    else:
        chi2 = stats.chi2_contingency(table, correction=False)
        statistic, p_value = float(chi2.statistic), float(chi2.pvalue)
        effect = math.sqrt(statistic / table.sum()) if table.sum() else 0.0  # Cramér's V for 2 rows
    result = {
        "test": "chi2",
        "psi": round(psi(np.array(ref_counts), np.array(cur_counts)), 6),
        "statistic": round(statistic, 6),
        "p_value": p_value,
        "effect": round(effect, 6),
    }
    if plot:
        ref_total, cur_total = max(sum(ref_counts), 1), max(sum(cur_counts), 1)
        result["plot"] = svg.compare_bars(
            labels, [c / ref_total for c in ref_counts], [c / cur_total for c in cur_counts], title=title
        )
    return result


def is_drifted(result: dict[str, Any]) -> bool:
    return result["psi"] >= PSI_THRESHOLD or (
        result["p_value"] < P_VALUE_THRESHOLD and result["effect"] >= EFFECT_THRESHOLD
    )


def _fmt(value: float) -> str:
    return f"{value:.3g}"


@dataclass
class ColumnSample:
    kind: str
    values: np.ndarray | None  # numbers, dates
    counts: dict[str, int] | None  # categories
    rows: int
    missing: int


def sample_columns(source: Source, *, names: set[str], expected_rows: int | None) -> dict[str, ColumnSample]:
    """A Bernoulli sample of about ``SAMPLE_ROWS`` rows of the named columns, typed; streaming."""
    rng = np.random.default_rng(11)
    probability = 1.0 if not expected_rows else min(1.0, SAMPLE_ROWS / expected_rows)
    columns = [(i, c["name"], c["type"], kind_of(c["type"])) for i, c in enumerate(source.schema) if c["name"] in names]
    values: dict[str, list[np.ndarray]] = {name: [] for _, name, _, _ in columns}
    counts: dict[str, dict[str, int]] = {name: {} for _, name, _, _ in columns}
    rows = dict.fromkeys(values, 0)
    missing = dict.fromkeys(values, 0)
    for batch in iter_batches(source):
        mask = pa.array(rng.random(batch.num_rows) < probability) if probability < 1 else None
        for index, name, column_type, kind in columns:
            raw = batch.column(index)
            picked = raw if mask is None else raw.filter(mask)
            typed = to_kind(picked, kind, column_type, name)
            rows[name] += len(typed)
            missing[name] += typed.null_count
            if kind in (NUMERIC, DATE, DATETIME):
                array = typed.drop_null().to_numpy(zero_copy_only=False).astype(np.float64)
                values[name].append(array[~np.isnan(array)])
            else:
                if kind == BOOLEAN:
                    typed = pc.cast(typed, pa.string())
                counted = pc.value_counts(typed.drop_null())
                bucket = counts[name]
                for value, count in zip(
                    counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
                ):
                    bucket[value] = bucket.get(value, 0) + count
    out: dict[str, ColumnSample] = {}
    for _, name, _, kind in columns:
        numeric = kind in (NUMERIC, DATE, DATETIME)
        out[name] = ColumnSample(
            kind=kind,
            values=np.concatenate(values[name]) if numeric and values[name] else (np.empty(0) if numeric else None),
            counts=None if numeric else counts[name],
            rows=rows[name],
            missing=missing[name],
        )
    return out


def compare(
    previous: dict[str, ColumnSample], current: dict[str, ColumnSample], *, personal: set[str]
) -> list[dict[str, Any]]:
    """Per-column drift results for the columns in both samples with the same kind."""
    results: list[dict[str, Any]] = []
    for name, cur in current.items():
        ref = previous.get(name)
        if ref is None or ref.kind != cur.kind:
            continue
        plot = name not in personal
        title = f"Distribution of {name}: previous vs current version"
        entry: dict[str, Any] = {"column": name, "kind": cur.kind, "personal": name in personal}
        entry["missing_ratio_previous"] = round(ref.missing / ref.rows, 6) if ref.rows else 0.0
        entry["missing_ratio_current"] = round(cur.missing / cur.rows, 6) if cur.rows else 0.0
        if cur.values is not None and ref.values is not None:
            if len(ref.values) < 2 or len(cur.values) < 2:
                entry.update({"test": "ks", "skipped": "too few values"})
                results.append(entry)
                continue
            entry.update(numeric_drift(ref.values, cur.values, plot=plot, title=title))
        else:
            if not ref.counts or not cur.counts:
                entry.update({"test": "chi2", "skipped": "too few values"})
                results.append(entry)
                continue
            present = ref.rows - ref.missing
            if len(ref.counts) > CATEGORIES and len(ref.counts) > IDENTIFIER_RATIO * present:
                entry.update({"test": "chi2", "skipped": "identifier-like: most values are distinct"})
                results.append(entry)
                continue
            entry.update(categorical_drift(ref.counts, cur.counts, plot=plot, title=title))
        entry["drifted"] = is_drifted(entry)
        results.append(entry)
    return results
