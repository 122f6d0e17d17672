"""Scan the landing folder: each file is loaded exactly once, or rejected with a report.

For each file, in the order received (modification time):
1. its SHA-256 is looked up: content already seen (loaded or rejected) is a *duplicate* and
   changes nothing in the warehouse;
2. it is read and validated against the reference data (read once per batch);
3. the values of a chunk's accepted files are staged with one ``COPY``; then, in **one
   transaction per file** (a single statement), its ``raw.submission_file`` row is written
   (status ``loaded`` or ``rejected``, with every problem in ``report``) and, when accepted, its
   staged values are moved into ``raw.submission_value`` (see ``ingestion.loader``).

Files move to ``<landing>/processed/`` or ``<landing>/rejected/`` with a report beside each
(``<name>.report.json`` and ``<name>.report.txt``) only once their transactions are on disk:
per-file commits do not wait for the disk (``synchronous_commit = off``), and every chunk of
files ends with one synchronous commit, which flushes all earlier ones. A crash before that
point leaves the files in the landing folder; the next scan loads what was lost and treats what
survived as duplicates, so each file still lands exactly once. One scan runs at a time
(a PostgreSQL advisory lock).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from ingestion.catalog import Catalog
from ingestion.loader import FileToLoad, commit_file, record_file, stage_values
from ingestion.readers import file_format, read_file
from ingestion.reports import write_reports
from ingestion.validation import CheckedFile, check_file
from warehouse.database import connect
from warehouse.problems import Problem
from warehouse.settings import load_settings

log = logging.getLogger(__name__)

PROCESSED, REJECTED = "processed", "rejected"
CHUNK_FILES = 250
# Files still being written or not meant for intake: uploads under a temporary name, editor locks.
IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart")
MAX_LISTED = 50
_ADVISORY_LOCK = 4_020_001  # one landing scan at a time, across processes and machines

Progress = Callable[[int, int, "FileResult"], None]


@dataclass
class FileResult:
    """What happened to one file; ``report()`` is what the unit reads."""

    name: str
    path: Path
    sha256: str
    size_bytes: int
    received_at: datetime
    processed_at: datetime
    file_format: str
    status: str = "failed"  # loaded | rejected | duplicate | failed
    unit_code: str | None = None
    period_code: str | None = None
    template_version: str | None = None
    focal_point_email: str | None = None
    is_late: bool | None = None
    lock_date: str | None = None
    meeting_date: str | None = None
    rows_loaded: int = 0
    file_id: int | None = None
    stored_path: Path | None = None
    duplicate_of: dict | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def problems(self) -> list[dict]:
        """Errors then warnings, each with its severity (the ``report`` column)."""
        return ([{**p.as_dict(), "severity": "error"} for p in self.errors]
                + [{**p.as_dict(), "severity": "warning"} for p in self.warnings])

    def report(self) -> dict:
        return {
            "file_name": self.name,
            "sha256": self.sha256,
            "status": self.status,
            "file_format": self.file_format,
            "size_bytes": self.size_bytes,
            "received_at": self.received_at.isoformat(),
            "processed_at": self.processed_at.isoformat(),
            "unit_code": self.unit_code,
            "period_code": self.period_code,
            "template_version": self.template_version,
            "focal_point_email": self.focal_point_email,
            "lock_date": self.lock_date,
            "meeting_date": self.meeting_date,
            "is_late": self.is_late,
            "rows_loaded": self.rows_loaded,
            "file_id": self.file_id,
            "stored_path": str(self.stored_path) if self.stored_path else None,
            "duplicate_of": self.duplicate_of,
            "problems": self.problems(),
        }


@dataclass
class IngestSummary:
    files_seen: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    rows_loaded: int = 0
    late: int = 0
    failed: int = 0  # left in the landing folder after an unexpected error; retried next scan
    results: list[FileResult] = field(default_factory=list, repr=False)

    def add(self, result: FileResult) -> None:
        self.results.append(result)
        if result.status == "loaded":
            self.loaded += 1
            self.rows_loaded += result.rows_loaded
            self.late += bool(result.is_late)
        elif result.status == "rejected":
            self.rejected += 1
        elif result.status == "duplicate":
            self.duplicates += 1
        else:
            self.failed += 1

    def as_dict(self) -> dict:
        return {
            "files_seen": self.files_seen,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rows_loaded": self.rows_loaded,
            "late": self.late,
            "failed": self.failed,
            # The first names only: the summary travels through Airflow XCom.
            "rejected_files": [r.name for r in self.results if r.status == "rejected"][:MAX_LISTED],
        }


# --- scanning and storing ------------------------------------------------------------------------

def landing_files(landing: Path) -> list[Path]:
    """Files waiting in the landing folder, oldest first (not its sub-folders, not temporary files)."""
    entries = []
    for path in landing.iterdir():
        name = path.name
        if name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES):
            continue
        if path.is_file():
            entries.append((path.stat().st_mtime_ns, name, path))
    return [path for _, _, path in sorted(entries)]


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _destination(folder: Path, name: str, sha: str) -> Path | None:
    """Where a file goes in ``folder``; None when an identical copy is already there."""
    target = folder / name
    if target.exists():
        if _sha256_of(target) == sha:
            return None
        stem, suffix = Path(name).stem, Path(name).suffix
        target = folder / f"{stem}__{sha[:12]}{suffix}"
        if target.exists():
            return None  # same name and same hash prefix: the same content
    return target


def _store(result: FileResult, landing: Path) -> None:
    """Move a processed file out of the landing folder and write its reports beside it."""
    if result.stored_path is None:
        result.path.unlink(missing_ok=True)  # an identical copy is stored already
        return
    shutil.move(result.path, result.stored_path)
    write_reports(result.report(), result.stored_path)


# --- one file ------------------------------------------------------------------------------------

def _file_record(result: FileResult, checked: CheckedFile | None) -> dict:
    return {
        "file_name": result.name,
        "sha256": result.sha256,
        "file_format": result.file_format,
        "size_bytes": result.size_bytes,
        "received_at": result.received_at,
        "processed_at": result.processed_at,
        "status": result.status,
        "unit_code": result.unit_code,
        "period_code": result.period_code,
        "template_version": result.template_version,
        "focal_point_email": result.focal_point_email,
        "row_count": len(checked.values) if checked and result.status == "loaded" else 0,
        "problem_count": len(result.errors),
        "warning_count": len(result.warnings),
        "is_late": result.is_late,
        "report": result.problems(),
        "stored_path": str(result.stored_path) if result.stored_path else None,
    }


def _apply_check(result: FileResult, checked: CheckedFile, landing: Path) -> None:
    result.status = "loaded" if checked.accepted else "rejected"
    result.unit_code, result.period_code = checked.unit_code, checked.period_code
    result.template_version = checked.source.template_version
    result.focal_point_email = checked.focal_point_email
    result.is_late = checked.is_late
    if checked.lock:
        result.lock_date = checked.lock.lock_date.isoformat()
        result.meeting_date = checked.lock.meeting_date.isoformat()
    result.errors, result.warnings = checked.errors, checked.warnings
    folder = landing / (PROCESSED if checked.accepted else REJECTED)
    result.stored_path = _destination(folder, result.name, result.sha256)


def _refused(result: FileResult, exc: psycopg.Error, landing: Path) -> None:
    """The warehouse refused a checked file: it is rejected, with the database's reason."""
    log.warning("Loading %s failed: %s", result.name, exc)
    result.rows_loaded, result.status = 0, "rejected"
    result.errors = [*result.errors, Problem(result.name, None, None, None, "load_failed",
                                             f"the warehouse refused the file: {exc}".strip())]
    result.stored_path = _destination(landing / REJECTED, result.name, result.sha256)


def _load(conn: psycopg.Connection, checked_files: list[tuple[FileResult, CheckedFile]], landing: Path) -> None:
    """Stage the accepted files' values with one COPY, then commit each file in its own transaction."""
    to_load = [FileToLoad(_file_record(result, checked), checked if result.status == "loaded" else None)
               for result, checked in checked_files]
    stage_values(conn, to_load)
    for seq, ((result, _), item) in enumerate(zip(checked_files, to_load, strict=True)):
        try:
            result.file_id, result.rows_loaded = commit_file(conn, seq, item)
        except psycopg.OperationalError:
            raise  # the warehouse is unreachable: stop the batch, files stay in the landing folder
        except psycopg.Error as exc:
            _refused(result, exc, landing)
            result.file_id = record_file(conn, _file_record(result, None))


def _duplicate(result: FileResult, original: dict, landing: Path) -> None:
    result.status = "duplicate"
    result.duplicate_of = original
    folder = landing / (PROCESSED if original["status"] == "loaded" else REJECTED)
    result.stored_path = _destination(folder, result.name, result.sha256)


@dataclass
class _Chunk:
    """Files read and checked together, then loaded and stored together."""

    results: list[FileResult]
    checked: list[tuple[FileResult, CheckedFile]]
    duplicates: list[FileResult]  # settled once their originals are recorded


def _check_chunk(conn: psycopg.Connection, paths: list[Path], catalog: Catalog, landing: Path,
                 processed_at: datetime, seen: dict[str, dict], claimed: set[str]) -> _Chunk:
    """Hash, read and validate files; nothing is written yet."""
    contents, results = {}, []
    for path in paths:
        try:
            data = path.read_bytes()
            stat = path.stat()
        except OSError as exc:  # removed or unreadable since the scan listed it
            log.warning("Cannot read %s: %s", path, exc)
            continue
        result = FileResult(path.name, path, hashlib.sha256(data).hexdigest(), len(data),
                            datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC), processed_at,
                            file_format(path))
        contents[path] = data
        results.append(result)
    for row in conn.execute(
        "select sha256, file_id, file_name, status, processed_at from raw.submission_file"
        " where sha256 = any(%s)", ([r.sha256 for r in results],)
    ):
        seen.setdefault(row[0], {"file_id": row[1], "file_name": row[2], "status": row[3],
                                 "processed_at": row[4].isoformat()})
    chunk = _Chunk(results, [], [])
    for result in results:
        data = contents.pop(result.path)
        if result.sha256 in seen or result.sha256 in claimed:
            chunk.duplicates.append(result)
            continue
        claimed.add(result.sha256)
        try:
            checked = check_file(read_file(result.name, data), catalog, result.received_at)
            _apply_check(result, checked, landing)
        except Exception:  # a file that breaks the reader must not stop the batch
            log.exception("Could not process %s; it stays in the landing folder", result.name)
            result.status = "failed"
        else:
            chunk.checked.append((result, checked))
    return chunk


def _write_chunk(conn: psycopg.Connection, chunk: _Chunk, landing: Path, processed_at: datetime,
                 seen: dict[str, dict], summary: IngestSummary, done: Callable[[FileResult], None]) -> None:
    """Load a checked chunk, make it durable, then move its files and write their reports."""
    _load(conn, chunk.checked, landing)
    for result, _ in chunk.checked:
        seen[result.sha256] = {"file_id": result.file_id, "file_name": result.name,
                               "status": result.status, "processed_at": processed_at.isoformat()}
    for result in chunk.duplicates:
        if result.sha256 in seen:  # else its original failed too, and both stay for the next scan
            _duplicate(result, seen[result.sha256], landing)
    _flush(conn)  # durable before any file leaves the landing folder
    for result in chunk.results:
        if result.status != "failed":
            _store(result, landing)
        summary.add(result)
        done(result)


def _flush(conn: psycopg.Connection) -> None:
    """Make every earlier commit of this session durable (one synchronous commit flushes the WAL)."""
    with conn.transaction():
        conn.execute("set local synchronous_commit = on")
        conn.execute("select pg_current_xact_id()")


def ingest_files(paths: list[Path], landing: Path, *, processed_at: datetime | None = None,
                 progress: Progress | None = None, url: str | None = None) -> IngestSummary:
    """Ingest the given files of a landing folder (see the module docstring).

    Checking a chunk (Python) overlaps with writing the previous one (the database, the disk) on
    a second connection, in chunk order: a chunk's files are stored only once it is durable.
    """
    processed_at = processed_at or datetime.now(UTC)
    if processed_at.tzinfo is None:
        processed_at = processed_at.replace(tzinfo=UTC)
    summary = IngestSummary(files_seen=len(paths))
    if not paths:
        return summary
    for folder in (PROCESSED, REJECTED):
        (landing / folder).mkdir(exist_ok=True)
    # Closing the first connection releases the advisory lock.
    with connect(url, autocommit=True) as conn, connect(url, autocommit=True) as writer_conn:
        if conn.execute("select to_regclass('raw.submission_file')").fetchone()[0] is None:
            raise RuntimeError("the warehouse has no raw tables: run `kpi load-reference` first")
        conn.execute("select pg_advisory_lock(%s)", (_ADVISORY_LOCK,))
        writer_conn.execute("set synchronous_commit = off")
        catalog = Catalog.load(conn)
        if not catalog.units or not catalog.indicators:
            raise RuntimeError("reference data is not loaded (no reporting unit or indicator): "
                               "run `kpi load-reference` before ingesting")
        seen: dict[str, dict] = {}
        claimed: set[str] = set()
        counter = itertools.count(1)

        def done(result: FileResult) -> None:
            number = next(counter)
            if progress:
                progress(number, len(paths), result)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-writer") as writer:
            writing = None
            for start in range(0, len(paths), CHUNK_FILES):
                chunk = _check_chunk(conn, paths[start:start + CHUNK_FILES], catalog, landing,
                                     processed_at, seen, claimed)
                if writing is not None:
                    writing.result()  # one chunk in flight; re-raises the writer's error
                writing = writer.submit(_write_chunk, writer_conn, chunk, landing, processed_at, seen,
                                        summary, done)
            writing.result()
    log.info("Intake of %s: %s", landing, json.dumps(summary.as_dict(), ensure_ascii=False))
    return summary


def ingest_landing_folder(landing_dir: Path | None = None, *, processed_at: datetime | None = None,
                          progress: Progress | None = None, url: str | None = None) -> IngestSummary:
    """Ingest every file waiting in the landing folder (default: the configured one)."""
    landing = Path(landing_dir) if landing_dir else load_settings().landing_dir
    landing.mkdir(parents=True, exist_ok=True)
    return ingest_files(landing_files(landing), landing, processed_at=processed_at, progress=progress,
                        url=url)

