"""Quality expectations: suggested from a first profile, then checked against every profile.

Kinds and their parameters:

- ``row_count`` (dataset level): ``{"min": int, "max": int}`` rows;
- ``not_null``: ``{"min_ratio": float}``, the share of non-missing values;
- ``range`` (numbers; dates too when the owner adds one): ``{"min": x, "max": y}``, dates as ISO
  strings; suggested for numbers only;
- ``categories`` (text, booleans): ``{"values": [...]}``, every value must be one of them;
- ``unique``: ``{}``, no value repeats.

A check reads only the stored per-column statistics, so it never needs the file again, and the
observed figures it returns are aggregates (no values of personal columns: ranges and categories
are never suggested for them, and their statistics hold no values).
"""

from __future__ import annotations

import math
from typing import Any

ROW_COUNT, NOT_NULL, RANGE, CATEGORIES, UNIQUE = "row_count", "not_null", "range", "categories", "unique"
KINDS = (ROW_COUNT, NOT_NULL, RANGE, CATEGORIES, UNIQUE)
MAX_CATEGORIES = 20  # the statistics keep the 20 most frequent values, complete when there are no more
ROW_BAND = (0.5, 2.0)


def suggest(columns: list[dict[str, Any]], *, rows: int) -> list[dict[str, Any]]:
    """Expectations that the profiled version satisfies, to be accepted or edited by the owner."""
    suggested: list[dict[str, Any]] = [
        {
            "column": "",
            "kind": ROW_COUNT,
            "params": {"min": math.floor(rows * ROW_BAND[0]), "max": math.ceil(rows * ROW_BAND[1])},
        }
    ]
    for stats in columns:
        name, non_null = stats["name"], stats.get("non_null", 0)
        if not stats.get("count"):
            continue
        ratio = non_null / stats["count"]
        suggested.append(
            {
                "column": name,
                "kind": NOT_NULL,
                "params": {"min_ratio": round(math.floor(ratio * 0.95 * 1000) / 1000, 3)},
            }
        )
        if stats.get("unique") and non_null >= 10:
            suggested.append({"column": name, "kind": UNIQUE, "params": {}})
        if stats.get("personal"):
            continue
        # Numbers only: dates of a daily batch move forward with every delivery, a fixed range would fail.
        if stats.get("kind") == "numeric" and "min" in stats:
            suggested.append({"column": name, "kind": RANGE, "params": {"min": stats["min"], "max": stats["max"]}})
        elif (
            stats.get("kind") in ("string", "boolean")
            and stats.get("top_values_complete")
            and 0 < stats.get("distinct", 0) <= MAX_CATEGORIES
            and stats.get("distinct_ratio", 1) <= 0.5
        ):
            values = sorted(str(v["value"]) for v in stats.get("top_values", []))
            suggested.append({"column": name, "kind": CATEGORIES, "params": {"values": values}})
    return suggested


def validate_params(kind: str, params: Any) -> dict[str, Any]:
    """Clean parameters for ``kind``; raise ``ValueError`` with a message a person can act on."""
    if kind not in KINDS:
        raise ValueError(f"Unknown expectation kind {kind!r}.")
    if not isinstance(params, dict):
        raise ValueError("Parameters must be an object.")
    if kind == ROW_COUNT:
        low, high = params.get("min"), params.get("max")
        if not isinstance(low, int) or not isinstance(high, int) or isinstance(low, bool) or low < 0 or high < low:
            raise ValueError("A row count band needs whole numbers min <= max, min >= 0.")
        return {"min": low, "max": high}
    if kind == NOT_NULL:
        ratio = params.get("min_ratio")
        if not isinstance(ratio, int | float) or isinstance(ratio, bool) or not 0 <= ratio <= 1:
            raise ValueError("min_ratio must be a number between 0 and 1.")
        return {"min_ratio": float(ratio)}
    if kind == RANGE:
        low, high = params.get("min"), params.get("max")
        if low is None and high is None:
            raise ValueError("A range needs min, max or both.")
        numbers = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in (low, high))
        texts = all(v is None or isinstance(v, str) for v in (low, high))
        if not (numbers or texts):
            raise ValueError("min and max must both be numbers, or both ISO dates.")
        if low is not None and high is not None and low > high:
            raise ValueError("min must not be greater than max.")
        return {"min": low, "max": high}
    if kind == CATEGORIES:
        values = params.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            raise ValueError("values must be a non-empty list of texts.")
        if len(values) > MAX_CATEGORIES:
            raise ValueError(f"At most {MAX_CATEGORIES} allowed values can be checked.")
        return {"values": sorted(set(values))}
    if params:
        raise ValueError("A uniqueness expectation takes no parameters.")
    return {}


def check(kind: str, params: dict[str, Any], stats: dict[str, Any] | None, *, rows: int) -> tuple[bool, dict[str, Any]]:
    """Whether a profile meets an expectation, and what was observed (aggregates only)."""
    if kind == ROW_COUNT:
        return params["min"] <= rows <= params["max"], {"rows": rows}
    if stats is None:
        return False, {"error": "column missing from this version"}
    if kind == NOT_NULL:
        ratio = stats["non_null"] / stats["count"] if stats["count"] else 0.0
        return ratio >= params["min_ratio"], {"not_null_ratio": round(ratio, 6)}
    if kind == UNIQUE:
        duplicates = stats["non_null"] - stats["distinct"]
        return duplicates == 0, {"distinct": stats["distinct"], "non_null": stats["non_null"]}
    if kind == RANGE:
        if stats.get("personal"):
            return False, {"error": "personal column: its values are not profiled"}
        if "min" not in stats:
            return True, {"note": "no values"}
        low, high = params.get("min"), params.get("max")
        below = low is not None and stats["min"] < low
        above = high is not None and stats["max"] > high
        return not (below or above), {"min": stats["min"], "max": stats["max"]}
    if kind == CATEGORIES:
        if stats.get("personal"):
            return False, {"error": "personal column: its values are not profiled"}
        allowed = set(params["values"])
        seen = {str(v["value"]) for v in stats.get("top_values", [])}
        unexpected = sorted(seen - allowed)
        # More distinct values than allowed ones: some are unexpected even if not all are listed.
        passed = not unexpected and stats["distinct"] <= len(allowed)
        return passed, {"distinct": stats["distinct"], "allowed": len(allowed), "unexpected": unexpected[:10]}
    raise ValueError(f"Unknown expectation kind {kind!r}.")
