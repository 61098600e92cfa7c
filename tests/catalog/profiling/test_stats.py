"""Streaming statistics: exact against pandas on small data, whatever the chunk size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from catalog.profiling import reader
from catalog.profiling.reader import ProfilingError, Source
from catalog.profiling.stats import compute_profile, hash_strings

SCHEMA = [
    {"name": "amount", "type": "float"},
    {"name": "count", "type": "integer"},
    {"name": "segment", "type": "string"},
    {"name": "day", "type": "date"},
    {"name": "active", "type": "boolean"},
    {"name": "email", "type": "string"},
]


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 5_000
    data = pd.DataFrame(
        {
            "amount": np.round(rng.normal(50, 12, n), 2),
            "count": rng.integers(0, 40, n),
            "segment": rng.choice(["retail", "sme", "corporate", "private"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "day": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "active": rng.choice(["true", "false"], n),
            "email": [f"person{i % 4000}@example.com" for i in range(n)],
        }
    )
    data.loc[rng.random(n) < 0.07, "amount"] = np.nan
    data.loc[rng.random(n) < 0.03, "segment"] = None
    return data


def _write(frame: pd.DataFrame, path: str) -> Source:
    out = frame.copy()
    out["day"] = out["day"].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False)
    return Source(path=path, file_format="csv", schema=SCHEMA)


@pytest.mark.parametrize("block_bytes", [4 * 1024, 4 * 1024 * 1024])
def test_statistics_are_exact_whatever_the_chunks(frame, tmp_path, monkeypatch, block_bytes) -> None:
    monkeypatch.setattr(reader, "BLOCK_BYTES", block_bytes)
    source = _write(frame, str(tmp_path / "data.csv"))
    chunks: list[int] = []
    result = compute_profile(
        source, personal={"email"}, expected_rows=len(frame), progress=lambda done, total: chunks.append(done)
    )
    assert result.rows == len(frame)
    if block_bytes == 4 * 1024:
        assert len(chunks) > 20  # really streamed in many chunks
    stats = {c["name"]: c for c in result.columns}

    amount, expected = stats["amount"], frame["amount"]
    assert amount["missing"] == expected.isna().sum()
    assert amount["distinct"] == expected.nunique()
    assert amount["min"] == expected.min() and amount["max"] == expected.max()
    assert amount["mean"] == pytest.approx(expected.mean(), rel=1e-12)
    assert amount["std"] == pytest.approx(expected.std(), rel=1e-12)
    for label, q in zip(["5%", "25%", "50%", "75%", "95%"], [0.05, 0.25, 0.5, 0.75, 0.95], strict=True):
        assert amount["quantiles"][label] == pytest.approx(expected.quantile(q), rel=1e-12)
    counts, _ = np.histogram(expected.dropna(), bins=20)
    assert amount["histogram"]["counts"] == counts.tolist()

    assert stats["count"]["distinct"] == frame["count"].nunique()
    assert stats["count"]["mean"] == pytest.approx(frame["count"].mean())

    segment = stats["segment"]
    assert segment["missing"] == frame["segment"].isna().sum()
    assert segment["distinct"] == 4 and segment["top_values_complete"] is True
    expected_top = frame["segment"].value_counts()
    assert [(t["value"], t["count"]) for t in segment["top_values"]] == list(
        zip(expected_top.index, expected_top.tolist(), strict=True)
    )

    day = stats["day"]
    assert day["min"] == frame["day"].min().date().isoformat()
    assert day["max"] == frame["day"].max().date().isoformat()
    assert day["distinct"] == frame["day"].nunique()

    active = {t["value"]: t["count"] for t in stats["active"]["top_values"]}
    assert active["true"] == (frame["active"] == "true").sum()

    email = stats["email"]
    assert email["personal"] is True
    assert email["distinct"] == 4000
    assert not {"min", "max", "top_values", "quantiles", "histogram"} & set(email)
    assert "email" not in result.sample.columns
    assert 0 < len(result.sample) <= len(frame)


def test_parquet_is_streamed_with_the_same_statistics(frame, tmp_path) -> None:
    csv_source = _write(frame, str(tmp_path / "data.csv"))
    parquet_path = str(tmp_path / "data.parquet")
    frame.assign(day=frame["day"].dt.date).to_parquet(parquet_path, index=False, row_group_size=700)
    from_csv = compute_profile(csv_source, personal={"email"}, expected_rows=len(frame))
    from_parquet = compute_profile(
        Source(path=parquet_path, file_format="parquet", schema=SCHEMA), personal={"email"}, expected_rows=len(frame)
    )
    for a, b in zip(from_csv.columns, from_parquet.columns, strict=True):
        for key in ("missing", "distinct", "min", "max", "quantiles"):
            assert a.get(key) == b.get(key), (a["name"], key)


def test_hash_distinct_matches_exact_distinct() -> None:
    import pyarrow as pa

    values = [f"v{i % 997}" for i in range(20_000)] + ["", "é", None]
    hashes = hash_strings(pa.array(values))
    assert len(np.unique(hashes)) == len({v for v in values if v is not None})


def test_a_value_of_the_wrong_type_fails_naming_the_column(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("amount\n1.5\nabc\n", encoding="utf-8")
    with pytest.raises(ProfilingError, match="'amount'"):
        compute_profile(
            Source(path=str(path), file_format="csv", schema=[{"name": "amount", "type": "float"}]),
            personal=set(),
            expected_rows=2,
        )
