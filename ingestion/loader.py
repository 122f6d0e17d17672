"""Write files into ``raw.*``: a chunk's values staged by one COPY, then one transaction per file.

A chunk of checked files is loaded in two steps on one connection in autocommit mode:

1. the values of every accepted file go into a session-private staging table with one ``COPY``
   (codes and periods are already checked, numbers are Decimal text, free text is escaped for
   the COPY text format);
2. each file is then committed by **one statement, its own transaction**: it inserts the
   file's ``submission_file`` row and moves the file's staged values into
   ``raw.submission_value``. A statement the warehouse refuses rolls back that file alone.

One COPY per chunk instead of one per file, and one round trip per file instead of five, is
what makes the intake fast; the unit of atomicity stays the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from ingestion.validation import CheckedFile

FILE_COLUMNS = (
    "file_name", "sha256", "file_format", "size_bytes", "received_at", "processed_at", "status",
    "unit_code", "period_code", "template_version", "focal_point_email", "row_count", "problem_count",
    "warning_count", "is_late", "report", "stored_path",
)
_STAGE_TABLE = "pg_temp.intake_stage"
_CREATE_STAGE = f"""
create temporary table if not exists intake_stage (
    file_seq integer not null,
    source_row integer not null,
    indicator_code text not null,
    value numeric not null,
    note text,
    value_text text
);
create index if not exists intake_stage_file_seq on {_STAGE_TABLE} (file_seq)
"""
_COPY_STAGE = f"copy {_STAGE_TABLE} (file_seq, source_row, indicator_code, value, note, value_text) from stdin"
# Data-modifying CTEs run to completion whether or not the outer query reads them.
_LOAD_FILE = f"""
with new_file as (
    insert into raw.submission_file ({', '.join(FILE_COLUMNS)})
    values ({', '.join('%(' + c + ')s' for c in FILE_COLUMNS)})
    returning file_id
),
new_values as (
    insert into raw.submission_value
        (file_id, source_row, unit_code, period_code, indicator_code, value, note, value_text)
    select
        new_file.file_id, staged.source_row, %(unit_code)s, %(period_code)s, staged.indicator_code,
        staged.value, staged.note, staged.value_text
    from {_STAGE_TABLE} as staged
    cross join new_file
    where staged.file_seq = %(file_seq)s
)
select file_id from new_file
"""
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NOTHING_STAGED = -1


def copy_text(text: str | None) -> str:
    r"""A field in COPY text format: ``\N`` for null, control characters escaped."""
    return "\\N" if text is None else text.translate(_ESCAPES)


@dataclass
class FileToLoad:
    """A file's ``submission_file`` row, and its checked values when it is accepted."""

    record: dict
    checked: CheckedFile | None


def stage_values(conn: psycopg.Connection, files: Iterable[FileToLoad]) -> None:
    """Replace the staging table's content with the values of the given accepted files (one COPY)."""
    conn.execute(_CREATE_STAGE)
    conn.execute(f"truncate {_STAGE_TABLE}")
    lines = []
    for seq, item in enumerate(files):
        if item.checked is None:
            continue
        lines.extend(
            f"{seq}\t{v.source_row}\t{v.indicator_code}\t{v.value}\t{copy_text(v.note)}\t{copy_text(v.typed_text)}\n"
            for v in item.checked.values
        )
    with conn.cursor().copy(_COPY_STAGE) as copy:
        copy.write("".join(lines))
    # Without statistics the planner may scan the whole stage once per file.
    conn.execute(f"analyze {_STAGE_TABLE}")


def commit_file(conn: psycopg.Connection, seq: int, item: FileToLoad) -> tuple[int, int]:
    """Record one staged file in its own transaction; return (file_id, rows loaded)."""
    params = dict(item.record)
    params["report"] = Jsonb(params["report"])
    params["file_seq"] = seq if item.checked is not None else _NOTHING_STAGED
    file_id = conn.execute(_LOAD_FILE, params).fetchone()[0]
    return file_id, len(item.checked.values) if item.checked is not None else 0


def record_file(conn: psycopg.Connection, record: dict) -> int:
    """Record a file without values (rejected, or refused by the warehouse); return its file_id."""
    file_id, _ = commit_file(conn, _NOTHING_STAGED, FileToLoad(record, None))
    return file_id
