"""Write one file into ``raw.*`` in one transaction: its ``submission_file`` row, then its values by COPY.

Values are written as COPY text built here: codes and periods have already been checked against
the reference data, numbers are Decimal text, and free text (notes, typed values) is escaped
for the COPY text format.
"""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from ingestion.validation import CheckedFile

FILE_COLUMNS = (
    "file_name", "sha256", "file_format", "size_bytes", "received_at", "processed_at", "status",
    "unit_code", "period_code", "template_version", "focal_point_email", "row_count", "problem_count",
    "warning_count", "is_late", "report", "stored_path",
)
VALUE_COLUMNS = (
    "file_id", "source_row", "unit_code", "period_code", "indicator_code", "value", "note", "value_text",
)
_INSERT_FILE = (
    f"insert into raw.submission_file ({', '.join(FILE_COLUMNS)})"
    f" values ({', '.join('%(' + c + ')s' for c in FILE_COLUMNS)}) returning file_id"
)
_COPY_VALUES = f"copy raw.submission_value ({', '.join(VALUE_COLUMNS)}) from stdin"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(text: str | None) -> str:
    r"""A field in COPY text format: ``\N`` for null, control characters escaped."""
    return "\\N" if text is None else text.translate(_ESCAPES)


def load_file(conn: psycopg.Connection, record: dict, checked: CheckedFile | None) -> tuple[int, int]:
    """Record a file (and COPY its values when given) in one transaction; return (file_id, rows)."""
    params = dict(record)
    params["report"] = Jsonb(params["report"])
    with conn.transaction():
        file_id = conn.execute(_INSERT_FILE, params).fetchone()[0]
        rows = copy_values(conn, file_id, checked) if checked is not None else 0
    return file_id, rows


def copy_values(conn: psycopg.Connection, file_id: int, checked: CheckedFile) -> int:
    """COPY a checked file's values; return the number of rows written."""
    prefix = f"{file_id}\t"
    middle = f"\t{checked.unit_code}\t{checked.period_code}\t"
    lines = [
        f"{prefix}{v.source_row}{middle}{v.indicator_code}\t{v.value}\t{copy_text(v.note)}\t{copy_text(v.typed_text)}\n"
        for v in checked.values
    ]
    with conn.cursor().copy(_COPY_VALUES) as copy:
        copy.write("".join(lines))
    return len(lines)
