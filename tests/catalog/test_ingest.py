"""File inspection: formats, encodings, delimiters, types, and every refused file."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.ingest import FileRejected, inspect_file, schema_diff, schema_fingerprint

MB = 1024 * 1024


def inspect(data: bytes, name: str = "batch.csv", max_bytes: int = 10 * MB):  # type: ignore[no-untyped-def]
    return inspect_file(io.BytesIO(data), filename=name, size=len(data), max_bytes=max_bytes)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8"), ("\t", "utf-8"), (",", "latin-1"), (";", "latin-1"), ("\t", "latin-1")],
)
def test_csv_delimiter_and_encoding_are_detected(delimiter: str, encoding: str) -> None:
    rows = [
        ["client_id", "nom", "montant", "date_paiement", "actif"],
        ["1", "Hélène Dupré", "12.50", "2026-01-02", "true"],
        ["2", "François Œuvre", "7", "2026-01-03", "false"],
        ["3", "Zoé", "", "2026-01-04", "true"],
    ]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    if encoding == "latin-1":
        text = text.replace("Œ", "Oe")  # not in Latin-1
    result = inspect(text.encode(encoding))
    assert result.delimiter == delimiter
    assert result.encoding == ("utf-8" if encoding == "utf-8" else "cp1252")
    assert result.row_count == 3
    assert result.schema == [
        {"name": "client_id", "type": "integer"},
        {"name": "nom", "type": "string"},
        {"name": "montant", "type": "float"},
        {"name": "date_paiement", "type": "date"},
        {"name": "actif", "type": "boolean"},
    ]


def test_utf8_bom_is_stripped_from_the_header() -> None:
    result = inspect("\ufeffid,label\n1,a\n".encode())
    assert result.encoding == "utf-8-sig"
    assert [c.name for c in result.columns] == ["id", "label"]


def test_quoted_fields_with_delimiters_and_newlines() -> None:
    data = b'id;comment\n1;"a; b"\n2;"line one\nline two"\n'
    result = inspect(data)
    assert result.delimiter == ";" and result.row_count == 2


def test_datetime_and_mixed_columns() -> None:
    data = b"ts,mixed\n2026-01-01T10:00:00,1\n2026-01-02 11:30:00,abc\n"
    result = inspect(data)
    assert result.schema == [{"name": "ts", "type": "datetime"}, {"name": "mixed", "type": "string"}]


def test_header_only_csv_has_zero_rows() -> None:
    result = inspect(b"a,b,c\n")
    assert result.row_count == 0 and [c.name for c in result.columns] == ["a", "b", "c"]


def test_parquet_schema_and_row_count_come_from_metadata() -> None:
    table = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "amount": pa.array([1.5, 2.0, None]),
            "label": pa.array(["a", "b", "c"]),
            "ok": pa.array([True, False, True]),
            "at": pa.array([0, 1, 2], pa.timestamp("ms")),
        }
    )
    result = inspect(parquet_bytes(table), name="batch.parquet")
    assert result.format == "parquet" and result.row_count == 3
    assert [c.type for c in result.columns] == ["integer", "float", "string", "boolean", "datetime"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\n   \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"a,b,c\n1,2,3\n4,5\n", "ragged"),
        (b"a,b,c\n1,2,3\n4,5,6,7\n", "ragged"),
        (b"id,name,ID\n1,x,2\n", "duplicate_columns"),
        (b"id,,name\n1,2,3\n", "blank_column_name"),
        (b"PAR1 this is not really parquet", "unreadable"),
    ],
)
def test_refused_files_say_why(data: bytes, code: str) -> None:
    with pytest.raises(FileRejected) as excinfo:
        inspect(data)
    assert excinfo.value.code == code
    assert excinfo.value.message


def test_ragged_row_error_names_the_line() -> None:
    with pytest.raises(FileRejected, match="Line 3 has 2 fields where the header has 3"):
        inspect(b"a,b,c\n1,2,3\n4,5\n")


def test_file_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(FileRejected) as excinfo:
        inspect(b"a,b\n1,2\n", max_bytes=4)
    assert excinfo.value.code == "too_large"


def test_fingerprint_depends_on_names_types_and_order() -> None:
    a = [{"name": "id", "type": "integer"}, {"name": "x", "type": "string"}]
    assert schema_fingerprint(a) == schema_fingerprint([dict(c) for c in a])
    assert schema_fingerprint(a) != schema_fingerprint(list(reversed(a)))
    assert schema_fingerprint(a) != schema_fingerprint([{"name": "id", "type": "float"}, a[1]])


def test_schema_diff() -> None:
    before = [{"name": "id", "type": "integer"}, {"name": "x", "type": "string"}, {"name": "old", "type": "date"}]
    after = [{"name": "id", "type": "float"}, {"name": "x", "type": "string"}, {"name": "new", "type": "boolean"}]
    diff = schema_diff(before, after)
    assert diff["added"] == ["new"] and diff["removed"] == ["old"]
    assert diff["type_changed"] == [{"name": "id", "from": "integer", "to": "float"}]
    assert diff["initial"] is False
    assert schema_diff(None, after)["initial"] is True
