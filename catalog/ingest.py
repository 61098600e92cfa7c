"""Reading a delivered file: format, encoding, delimiter, schema and row count.

``inspect_file`` reads the file once, streaming, and never loads it whole into memory. It raises
``FileRejected`` with a message a person can act on (and a machine-readable ``code``) for every
file we refuse: empty, binary, unreadable encoding, ragged rows, duplicate column names, too big.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import IO, Any

from catalog.models import ColumnType, DataFormat

PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
DELIMITERS = [",", ";", "\t", "|"]
# Encodings tried in order; the first that decodes the whole file wins. Latin-1 decodes any byte
# sequence, so it is last, and binary files are refused before it is tried.
ENCODINGS = ["utf-8", "cp1252", "latin-1"]
CSV_MAX_FIELD = 10 * 1024 * 1024


class FileRejected(ValueError):
    """A file that cannot be registered as a dataset version, with the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class InferredColumn:
    name: str
    type: str


@dataclass
class FileInspection:
    format: str
    columns: list[InferredColumn]
    row_count: int
    size: int
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def schema(self) -> list[dict[str, str]]:
        return [{"name": c.name, "type": c.type} for c in self.columns]


def schema_fingerprint(schema: list[dict[str, str]]) -> str:
    """SHA-256 of the ordered (name, type) pairs: equal schemas give equal fingerprints."""
    canonical = json.dumps([[c["name"], c["type"]] for c in schema], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def schema_diff(previous: list[dict[str, str]] | None, current: list[dict[str, str]]) -> dict[str, Any]:
    """What changed between two schemas: added, removed and retyped columns, and reordering."""
    if previous is None:
        return {"initial": True, "added": [c["name"] for c in current], "removed": [], "type_changed": []}
    before = {c["name"]: c["type"] for c in previous}
    after = {c["name"]: c["type"] for c in current}
    common_before = [c["name"] for c in previous if c["name"] in after]
    common_after = [c["name"] for c in current if c["name"] in before]
    return {
        "initial": False,
        "added": [name for name in after if name not in before],
        "removed": [name for name in before if name not in after],
        "type_changed": [
            {"name": name, "from": before[name], "to": after[name]}
            for name in after
            if name in before and before[name] != after[name]
        ],
        "reordered": common_before != common_after,
    }


def inspect_file(fileobj: IO[bytes], *, filename: str, size: int, max_bytes: int) -> FileInspection:
    """Inspect an uploaded file. ``fileobj`` must be seekable; it is left at position 0."""
    if size > max_bytes:
        raise FileRejected(
            "too_large",
            f"The file is {_human(size)}, over the {_human(max_bytes)} limit for an upload.",
        )
    if size == 0:
        raise FileRejected("empty", "The file is empty: it has no header and no rows.")
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    try:
        if head.startswith(PARQUET_MAGIC) or filename.lower().endswith(".parquet"):
            return _inspect_parquet(fileobj, size=size)
        return _inspect_csv(fileobj, head=head, size=size)
    finally:
        fileobj.seek(0)


# --- Parquet -----------------------------------------------------------------------------------


def _arrow_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return ColumnType.BOOLEAN
    if pa.types.is_integer(arrow_type):
        return ColumnType.INTEGER
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return ColumnType.FLOAT
    if pa.types.is_timestamp(arrow_type):
        return ColumnType.DATETIME
    if pa.types.is_date(arrow_type):
        return ColumnType.DATE
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_dictionary(arrow_type):
        return ColumnType.STRING
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return ColumnType.BINARY
    return ColumnType.OTHER


def _inspect_parquet(fileobj: IO[bytes], *, size: int) -> FileInspection:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(fileobj)
        arrow_schema = parquet.schema_arrow
        row_count = parquet.metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... on corrupt files
        raise FileRejected("unreadable", f"The file looks like Parquet but cannot be read: {exc}") from None
    names = [f.name for f in arrow_schema]
    _check_header(names)
    columns = [InferredColumn(name=f.name, type=_arrow_type(f.type)) for f in arrow_schema]
    return FileInspection(format=DataFormat.PARQUET, columns=columns, row_count=row_count, size=size)


# --- CSV ---------------------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return control / len(head) > 0.05


def _detect_encoding(fileobj: IO[bytes]) -> str:
    """The first encoding of ``ENCODINGS`` that decodes the whole file (incremental, chunked)."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        fileobj.seek(0)
        try:
            while chunk := fileobj.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" and _has_bom(fileobj) else encoding
    raise FileRejected("encoding", "The file's text encoding could not be recognised (tried UTF-8 and Latin-1).")


def _has_bom(fileobj: IO[bytes]) -> bool:
    fileobj.seek(0)
    return fileobj.read(3) == codecs.BOM_UTF8


def _detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS))
        return dialect.delimiter
    except csv.Error:
        pass
    # Fallback: the delimiter that appears the same non-zero number of times on most lines.
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter))) - 1 for line in lines]
        if counts[0] == 0:
            continue
        score = sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


# Type inference. Each candidate type is a regular expression over one value; a column's type is
# the most specific candidate that every non-null value matches. Rows are read in batches and each
# column of a batch is checked with one regular-expression match over its values joined by NUL
# (binary files, which could contain NUL, are refused before), so the per-value work runs in C.
_VALUE_PATTERNS = {
    ColumnType.BOOLEAN: r"(?i:true|false|yes|no|oui|non|t|f|y|n)",
    ColumnType.INTEGER: r"[+-]?\d+",
    ColumnType.FLOAT: r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?",
    ColumnType.DATE: (
        r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
        r"|\d{4}/(?:0[1-9]|1[0-2])/(?:0[1-9]|[12]\d|3[01])"
        r"|(?:0[1-9]|[12]\d|3[01])[/.-](?:0[1-9]|1[0-2])[/.-]\d{4}"
    ),
    ColumnType.DATETIME: (
        r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[ T](?:[01]\d|2[0-3]):[0-5]\d"
        r"(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    ),
}
_NULL = r"[ \t]*(?:(?i:null|none|na|n/a|nan|\\n)[ \t]*)?"
_CANDIDATES = list(_VALUE_PATTERNS)  # most specific first


def _joined_pattern(value: str) -> re.Pattern[str]:
    item = rf"(?:[ \t]*(?:{value})[ \t]*|{_NULL})"
    return re.compile(rf"{item}(?:\x00{item})*")


_COLUMN_RE = {kind: _joined_pattern(value) for kind, value in _VALUE_PATTERNS.items()}
_ALL_NULL_RE = re.compile(rf"{_NULL}(?:\x00{_NULL})*")
BATCH_ROWS = 20_000


class _TypeTracker:
    """Narrows a column's candidate types over batches of its values."""

    def __init__(self) -> None:
        self.candidates = list(_CANDIDATES)
        self.seen = False

    def observe(self, values: tuple[str, ...] | list[str]) -> None:
        if not self.candidates and self.seen:
            return
        joined = "\x00".join(values)
        if _ALL_NULL_RE.fullmatch(joined):
            return
        self.seen = True
        self.candidates = [c for c in self.candidates if _COLUMN_RE[c].fullmatch(joined)]

    def result(self) -> str:
        if not self.seen or not self.candidates:
            return ColumnType.STRING
        # 0/1 columns are integers, not booleans.
        if ColumnType.INTEGER in self.candidates:
            return ColumnType.INTEGER
        return self.candidates[0]


class _RaggedBatch(Exception):
    """A batch holds a row whose length differs from the header's: rescan row by row to say where."""


def _scan_fast(reader: Any, names: list[str], trackers: list[_TypeTracker]) -> int:
    width, rows = len(names), 0
    while batch := list(itertools.islice(reader, BATCH_ROWS)):
        lengths = set(map(len, batch))
        if 0 in lengths:  # blank lines
            batch = [row for row in batch if row]
            lengths.discard(0)
        if lengths and lengths != {width}:
            raise _RaggedBatch
        if not batch:
            continue
        rows += len(batch)
        for tracker, values in zip(trackers, zip(*batch, strict=True), strict=True):
            tracker.observe(values)
    return rows


def _scan_slow(reader: Any, names: list[str], trackers: list[_TypeTracker]) -> int:
    width, rows = len(names), 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if len(row) != width:
            raise FileRejected(
                "ragged",
                f"Line {reader.line_num} has {len(row)} fields where the header has {width}: "
                "every row must have as many fields as the header.",
            )
        rows += 1
        for tracker, value in zip(trackers, row, strict=True):
            tracker.observe([value])
    return rows


def _inspect_csv(fileobj: IO[bytes], *, head: bytes, size: int) -> FileInspection:
    if _looks_binary(head):
        raise FileRejected(
            "binary",
            "The file is binary, not a text CSV or a Parquet file. Upload a CSV (UTF-8 or Latin-1) or Parquet file.",
        )
    encoding = _detect_encoding(fileobj)
    fileobj.seek(0)
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    try:
        sample = text.read(SNIFF_BYTES)
        if not sample.strip():
            raise FileRejected("empty", "The file is empty: it has no header and no rows.")
        delimiter = _detect_delimiter(sample)
        csv.field_size_limit(CSV_MAX_FIELD)
        names: list[str] = []
        for scan in (_scan_fast, _scan_slow):
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter, strict=True)
            try:
                header = next(reader)
                while not any(cell.strip() for cell in header):
                    header = next(reader)
            except StopIteration:
                raise FileRejected("empty", "The file is empty: it has no header and no rows.") from None
            names = [cell.strip() for cell in header]
            _check_header(names)
            trackers = [_TypeTracker() for _ in names]
            try:
                rows = scan(reader, names, trackers)
            except _RaggedBatch:
                continue
            except csv.Error as exc:
                raise FileRejected("malformed", f"Line {reader.line_num} is not valid CSV: {exc}.") from None
            break
    finally:
        text.detach()
    columns = [InferredColumn(name=n, type=t.result()) for n, t in zip(names, trackers, strict=True)]
    return FileInspection(
        format=DataFormat.CSV,
        columns=columns,
        row_count=rows,
        size=size,
        encoding=encoding,
        delimiter=delimiter,
    )


def _check_header(names: list[str]) -> None:
    blanks = [str(i + 1) for i, name in enumerate(names) if not name]
    if blanks:
        raise FileRejected("blank_column_name", f"Column(s) {', '.join(blanks)} of the header have no name.")
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    for name in names:
        key = name.casefold()
        if key in seen and name not in duplicates:
            duplicates.append(name)
        seen.setdefault(key, name)
    if duplicates:
        raise FileRejected(
            "duplicate_columns",
            "Duplicate column names: " + ", ".join(sorted(set(duplicates))) + ". Each column needs a unique name.",
        )


def _human(size: int) -> str:
    value = float(size)
    for unit in ["bytes", "KB", "MB", "GB"]:
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


__all__ = [
    "FileInspection",
    "FileRejected",
    "InferredColumn",
    "inspect_file",
    "schema_diff",
    "schema_fingerprint",
]
