"""Streaming reads of a version's file: typed column chunks, never the whole file in memory.

CSV files are read with ``pyarrow.csv.open_csv`` with every column as text (the ingest already
checked the whole file against the inferred types), then each chunk is converted to its column's
kind here, so a value that only appears late in a big file cannot break type inference. Parquet
files are read with ``iter_batches``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BLOCK_BYTES = 4 * 1024 * 1024
PARQUET_BATCH_ROWS = 128 * 1024
# The null spellings the ingest accepts (catalog.ingest._NULL), in the cases people write them.
NULL_VALUES = [
    "",
    "null",
    "NULL",
    "Null",
    "none",
    "None",
    "NONE",
    "na",
    "NA",
    "n/a",
    "N/A",
    "nan",
    "NaN",
    "NAN",
    "\\N",
]
TRUE_VALUES = ["true", "yes", "oui", "t", "y", "1"]

NUMERIC, DATE, DATETIME, BOOLEAN, STRING = "numeric", "date", "datetime", "boolean", "string"
KIND_OF_TYPE = {
    "integer": NUMERIC,
    "float": NUMERIC,
    "date": DATE,
    "datetime": DATETIME,
    "boolean": BOOLEAN,
}
DATE_FORMATS = [
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{4}/\d{2}/\d{2}$"), "%Y/%m/%d"),
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{2}\.\d{2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{2}-\d{2}-\d{4}$"), "%d-%m-%Y"),
]


class ProfilingError(ValueError):
    """The file cannot be profiled; the message says why, for the version page."""


@dataclass(frozen=True)
class Source:
    """Where a version's content is and how to read it."""

    path: str
    file_format: str  # "csv" or "parquet"
    schema: list[dict[str, str]]
    encoding: str = "utf-8"
    delimiter: str = ","


def kind_of(column_type: str) -> str:
    return KIND_OF_TYPE.get(column_type, STRING)


def iter_batches(source: Source) -> Iterator[pa.RecordBatch]:
    """The file's rows in record batches of raw (CSV: text) columns, in file order."""
    try:
        if source.file_format == "parquet":
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(source.path)
            yield from parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS)
            return
        yield from _csv_batches(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ProfilingError(f"The file could not be read: {exc}") from None


def _csv_batches(source: Source) -> Iterator[pa.RecordBatch]:
    from pyarrow import csv

    names = [c["name"] for c in source.schema]
    encoding = source.encoding or "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf8"  # pyarrow skips a UTF-8 BOM by itself
    read_options = csv.ReadOptions(block_size=BLOCK_BYTES, encoding=encoding, use_threads=True)
    parse_options = csv.ParseOptions(delimiter=source.delimiter or ",", newlines_in_values=True)
    convert_options = csv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        null_values=NULL_VALUES,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    reader = csv.open_csv(
        source.path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
    )
    header = reader.schema.names
    if [h.strip() for h in header] != names:
        raise ProfilingError("The file's header no longer matches the version's schema.")
    for batch in reader:
        if batch.num_rows:
            yield batch


def _strip(array: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(array)


def to_kind(array: pa.Array | pa.ChunkedArray, kind: str, column_type: str, name: str) -> pa.Array:
    """Convert one column chunk to its kind: float64 numbers, int64 days or seconds for dates and
    datetimes, booleans, or text. Raises ``ProfilingError`` naming the column on a bad value."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    typ = array.type
    is_text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    if pa.types.is_dictionary(typ):
        array = array.cast(typ.value_type)
        typ = array.type
        is_text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    try:
        if kind == NUMERIC:
            if is_text:
                text = array
                if column_type == "float":
                    text = pc.replace_substring(text, ",", ".")
                try:
                    return pc.cast(text, pa.float64())
                except pa.ArrowInvalid:
                    return pc.cast(_strip(text), pa.float64())
            if pa.types.is_decimal(typ) or pa.types.is_integer(typ) or pa.types.is_floating(typ):
                return pc.cast(array, pa.float64())
            if pa.types.is_boolean(typ):
                return pc.cast(array, pa.float64())
        elif kind == DATE:
            if is_text:
                array = _parse_dates(_strip(array))
            if pa.types.is_timestamp(array.type):
                array = pc.cast(array, pa.timestamp("s")).cast(pa.date32())
            if pa.types.is_date(array.type):
                return pc.cast(pc.cast(array, pa.date32()), pa.int32()).cast(pa.int64())
        elif kind == DATETIME:
            if is_text:
                array = _parse_datetimes(_strip(array))
            if pa.types.is_date(array.type):
                array = pc.cast(array, pa.timestamp("s"))
            if pa.types.is_timestamp(array.type):
                if array.type.tz is not None:
                    array = array.cast(pa.timestamp(array.type.unit, tz="UTC")).cast(pa.timestamp(array.type.unit))
                return pc.cast(pc.cast(array, pa.timestamp("s"), safe=False), pa.int64())
        elif kind == BOOLEAN:
            if is_text:
                lowered = pc.utf8_lower(_strip(array))
                return pc.is_in(lowered, value_set=pa.array(TRUE_VALUES))
            if pa.types.is_boolean(typ):
                return array
            if pa.types.is_integer(typ):
                return pc.not_equal(array, 0)
        if is_text:
            return array
        return pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ProfilingError(f"Column {name!r}: a value does not match its type {column_type}: {exc}") from None
    raise ProfilingError(f"Column {name!r}: type {typ} cannot be read as {column_type}.")


def _first_valid(array: pa.Array) -> str | None:
    valid = array.drop_null()
    return valid[0].as_py() if len(valid) else None


def _parse_dates(array: pa.Array) -> pa.Array:
    first = _first_valid(array)
    if first is None:
        return pa.nulls(len(array), pa.date32())
    formats = [fmt for pattern, fmt in DATE_FORMATS if pattern.match(first)]
    others = [fmt for _, fmt in DATE_FORMATS if fmt not in formats]
    parsed: Any = None
    for fmt in formats + others:
        attempt = pc.strptime(array, format=fmt, unit="s", error_is_null=True)
        parsed = attempt if parsed is None else pc.coalesce(parsed, attempt)
        if parsed.null_count == array.null_count:
            break
    if parsed.null_count != array.null_count:
        bad = pc.and_(pc.is_null(parsed), pc.is_valid(array))
        index = int(np.flatnonzero(bad.to_numpy(zero_copy_only=False))[0])
        raise pa.ArrowInvalid(f"row {index + 1} of the chunk is not a date")
    return parsed


def _parse_datetimes(array: pa.Array) -> pa.Array:
    for typ in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
        try:
            return pc.cast(pc.cast(array, typ), pa.timestamp("s", tz=typ.tz), safe=False)
        except pa.ArrowInvalid:
            continue
    spaced = pc.replace_substring(array, "T", " ")
    return pc.cast(pc.cast(spaced, pa.timestamp("us")), pa.timestamp("s"), safe=False)
