"""Benchmark: the intake against pandas ``to_sql`` and raw ``COPY`` of the same rows, and XLSX reading.

In a scratch database on the configured (or embedded) PostgreSQL, with the real indicator
catalogue and calendar plus synthetic indicators (100 per unit) assigned to 100 real Gia Lai wards:

1. CSV: writes 1,000 unit files (100 wards x 10 months, 100 rows each = 100,000 rows), then
   times, in the same run and on the same files:
   - ``to_sql`` per file: ``pandas.read_csv`` + ``DataFrame.to_sql`` (a transaction per file);
   - ``to_sql`` bulk: the 100,000 rows as one DataFrame, one ``to_sql`` call;
   - raw ``COPY`` per file: the file's bytes straight into a table, a transaction per file
     (default synchronous commit, and again with ``synchronous_commit = off`` as the intake);
   - raw ``COPY`` bulk: all rows in one ``COPY`` statement;
   - the intake (``ingest_landing_folder``): hash, read, validate every row against the
     reference data, one COPY of a chunk's values into a staging table then one transaction per
     file (a single statement writes its file row and moves its values), move, write two reports.
2. XLSX: 1,000 templates written and filled by the generator (100 rows each), then read with
   the intake's reader (python-calamine) and with openpyxl in read-only mode.

Prints a table and writes JSON under bench/results/ (gitignored).

    .venv/bin/python bench/bench_ingestion.py [--server-url URL] [--keep] [--files N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestion.catalog import LOCAL_TZ  # noqa: E402
from ingestion.intake import ingest_landing_folder  # noqa: E402
from ingestion.readers import CSV_COLUMNS, read_xlsx  # noqa: E402
from ingestion.templates import DATA_SHEET, META_SHEET, write_template  # noqa: E402
from warehouse.database import apply_schema, warehouse_url, with_database  # noqa: E402
from warehouse.reference import load_reference  # noqa: E402
from warehouse.settings import PROJECT_ROOT  # noqa: E402

UNITS = 100
MONTHS = [f"2026-{m:02d}" for m in range(1, 11)]
INDICATORS_PER_UNIT = 100
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
BASELINE_TABLE = """
create table if not exists bench.{name} (
    unit_code text not null, period_code text not null, indicator_code text not null,
    value numeric not null, note text
)"""


# --- set-up --------------------------------------------------------------------------------------

def _gia_lai_wards(count: int) -> list[tuple[int, str]]:
    import vietnam_provinces

    provinces = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    gia_lai = next(p for p in provinces if p["code"] == 52)
    return [(w["code"], w["name"]) for w in gia_lai["wards"][:count]]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_reference(folder: Path) -> tuple[list[str], list[dict]]:
    """Reference files: real catalogue + synthetic indicators, 100 real wards, assignments."""
    with (PROJECT_ROOT / "reference_data" / "indicators.csv").open(encoding="utf-8") as handle:
        catalogue = list(csv.DictReader(handle))
    template = next(row for row in catalogue if row["indicator_code"] == "JOBS_CREATED")
    for n in range(1, INDICATORS_PER_UNIT - len(catalogue) + 1):
        catalogue.append({**template, "indicator_code": f"BENCH_COUNT_{n:03d}",
                          "name_vi": f"Chỉ tiêu thử nghiệm số {n}", "name_en": f"Bench indicator {n}"})
    _write_csv(folder / "indicators.csv", list(catalogue[0]), [list(r.values()) for r in catalogue])
    wards = _gia_lai_wards(UNITS)
    units = [f"XA_{code}" for code, _ in wards]
    _write_csv(folder / "reporting_units.csv", ["unit_code", "unit_name", "unit_type", "admin_unit_key"],
               [[f"XA_{code}", name, "commune", f"post_2025:commune:{code:05d}"] for code, name in wards])
    _write_csv(folder / "focal_points.csv", ["unit_code", "full_name", "email", "phone", "valid_from"],
               [[u, "Đầu mối thử nghiệm", f"{u.lower()}@gialai.gov.vn", "", "2026-01-01"] for u in units])
    _write_csv(folder / "assignments.csv", ["unit_code", "indicator_code", "plan_year", "annual_target", "decision_ref"],
               [[u, row["indicator_code"], 2026, 1000, "QĐ thử nghiệm"] for u in units for row in catalogue])
    return units, catalogue


def _value(indicator: dict, rng: random.Random) -> float:
    if indicator["value_kind"] == "percentage":
        return round(rng.uniform(0, 100), 2)
    if indicator["value_kind"] == "rank":
        return rng.randint(1, 63)
    return round(rng.uniform(0, 5000), 2)


def write_csv_files(landing: Path, units: list[str], catalogue: list[dict], seed: int = 7) -> int:
    """One file per ward and month, 100 rows each, received before the month's lock."""
    rng = random.Random(seed)
    rows_written = 0
    for unit in units:
        for month in MONTHS:
            rows = [[unit, month, ind["indicator_code"], _value(ind, rng),
                     "Đã rà soát" if rng.random() < 0.1 else ""] for ind in catalogue]
            path = landing / f"{unit}_{month}.csv"
            _write_csv(path, list(CSV_COLUMNS), rows)
            year, m = map(int, month.split("-"))
            stamp = datetime(year, m, 25, 9, tzinfo=LOCAL_TZ).timestamp()
            os.utime(path, (stamp, stamp))
            rows_written += len(rows)
    return rows_written


def _fill_one(args: tuple[str, str, str, str, list[tuple[str, float]]]) -> str:
    url, unit, month, out, values = args
    typed = {code: (f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") if i % 5 == 0 else value)
             for i, (code, value) in enumerate(values)}
    with psycopg.connect(url) as conn:
        return str(write_template(conn, unit, month, Path(out), values=typed))


def write_xlsx_files(url: str, folder: Path, units: list[str], catalogue: list[dict], count: int) -> list[Path]:
    """Templates written and filled by the generator (one in five values typed as Vietnamese text)."""
    rng = random.Random(11)
    jobs = []
    for unit in units:
        for month in MONTHS:
            values = [(ind["indicator_code"], _value(ind, rng)) for ind in catalogue]
            jobs.append((url, unit, month, str(folder / f"{unit}_{month}.xlsx"), values))
    jobs = jobs[:count]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return [Path(p) for p in pool.map(_fill_one, jobs, chunksize=20)]


# --- the contenders ------------------------------------------------------------------------------

def time_it(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def to_sql_per_file(url: str, files: list[Path]) -> int:
    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    rows = 0
    try:
        for path in files:
            frame = pd.read_csv(path, dtype={"note": str}, keep_default_na=False)
            frame = frame.rename(columns={"period": "period_code"})
            frame.to_sql("to_sql_per_file", engine, schema="bench", if_exists="append", index=False)
            rows += len(frame)
    finally:
        engine.dispose()
    return rows


def to_sql_bulk(url: str, files: list[Path]) -> int:
    import pandas as pd
    import sqlalchemy

    frame = pd.concat([pd.read_csv(p, dtype={"note": str}, keep_default_na=False) for p in files],
                      ignore_index=True).rename(columns={"period": "period_code"})
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        start = time.perf_counter()
        frame.to_sql("to_sql_bulk", engine, schema="bench", if_exists="append", index=False)
        to_sql_bulk.load_seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    return len(frame)


def copy_per_file(url: str, files: list[Path], *, wait_for_disk: bool = True) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate bench.copy_per_file")
        if not wait_for_disk:  # as the intake does, which flushes once per chunk of files
            conn.execute("set synchronous_commit = off")
        for path in files:
            with conn.transaction(), conn.cursor().copy(
                    "copy bench.copy_per_file from stdin (format csv, header true)") as copy:
                copy.write(path.read_bytes())
        return conn.execute("select count(*) from bench.copy_per_file").fetchone()[0]


def copy_bulk(url: str, files: list[Path]) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction(), conn.cursor().copy("copy bench.copy_bulk from stdin (format csv)") as copy:
            for path in files:
                data = path.read_bytes()
                copy.write(data[data.index(b"\n") + 1:])
        return conn.execute("select count(*) from bench.copy_bulk").fetchone()[0]


def copy_bulk_into_raw(url: str, files: list[Path]) -> int:
    """The ceiling for any loader keeping the raw tables' keys: no validation, one COPY, one transaction.

    One ``submission_file`` row per file, then every value in one ``COPY`` into
    ``raw.submission_value`` (its primary key and its foreign key to the file checked as usual).
    """
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            first_id = conn.execute(
                "insert into raw.submission_file (file_name, sha256, file_format, size_bytes, received_at,"
                " processed_at, status) select 'f' || n, md5(n::text), 'csv', 0, now(), now(), 'loaded'"
                " from generate_series(1, %s) as n returning file_id", (len(files),)).fetchone()[0]
            with conn.cursor().copy("copy raw.submission_value (file_id, source_row, unit_code, period_code,"
                                    " indicator_code, value, note) from stdin (format csv)") as copy:
                for file_id, path in enumerate(files, start=first_id):
                    lines = path.read_bytes().split(b"\n")[1:]
                    copy.write(b"".join(b"%d,%d,%s\n" % (file_id, row, line)
                                        for row, line in enumerate(lines, start=2) if line))
        loaded = conn.execute("select count(*) from raw.submission_value").fetchone()[0]
        conn.execute("truncate raw.submission_value, raw.submission_file restart identity")
    return loaded


def read_calamine(files: list[Path]) -> int:
    rows = 0
    for path in files:
        source = read_xlsx(path.name, path.read_bytes())
        assert not source.errors, source.errors
        rows += len(source.rows)
    return rows


def read_openpyxl(files: list[Path]) -> int:
    from openpyxl import load_workbook

    rows = 0
    for path in files:
        workbook = load_workbook(path, read_only=True, data_only=True)
        meta = {row[0]: row[1] for row in workbook[META_SHEET].iter_rows(values_only=True)}
        assert meta["template_version"]
        for row in workbook[DATA_SHEET].iter_rows(min_row=8, values_only=True):
            if row[1] and row[6] not in (None, ""):
                rows += 1
        workbook.close()
    return rows


# --- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", help="PostgreSQL server (default: the configured or embedded warehouse)")
    parser.add_argument("--files", type=int, default=UNITS * len(MONTHS), help="number of XLSX files to read")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and files")
    args = parser.parse_args(argv)

    server = args.server_url or warehouse_url()
    scratch = f"kpi_bench_ingestion_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{scratch}"')
    url = with_database(server, scratch)
    work = Path(tempfile.mkdtemp(prefix="kpi_bench_ingestion_"))
    try:
        results = run(url, work, args.files)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                              (scratch,))
                admin.execute(f'drop database if exists "{scratch}"')
    report(results)
    return 0


def run(url: str, work: Path, xlsx_count: int) -> dict:
    reference, landing, xlsx_dir = work / "reference", work / "landing", work / "xlsx"
    for folder in (reference, landing, xlsx_dir):
        folder.mkdir()
    units, catalogue = write_reference(reference)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
        conn.commit()
        load_reference(conn, [PROJECT_ROOT / "reference_data", reference])
        conn.execute("create schema bench")
        for name in ("copy_per_file", "copy_bulk"):
            conn.execute(BASELINE_TABLE.format(name=name))
        conn.commit()
        server_version = conn.execute("show server_version").fetchone()[0]
    rows = write_csv_files(landing, units, catalogue)
    files = sorted(landing.iterdir())
    print(f"{len(files)} CSV files, {rows} rows; timing the loaders ...", file=sys.stderr)

    timings = {}
    timings["to_sql_per_file"] = time_it(lambda: to_sql_per_file(url, files))
    timings["to_sql_bulk"] = time_it(lambda: to_sql_bulk(url, files))
    to_sql_bulk_load = to_sql_bulk.load_seconds
    timings["copy_per_file"] = time_it(lambda: copy_per_file(url, files))
    timings["copy_per_file_async"] = time_it(lambda: copy_per_file(url, files, wait_for_disk=False))
    timings["copy_bulk"] = time_it(lambda: copy_bulk(url, files))
    timings["copy_bulk_into_raw"] = time_it(lambda: copy_bulk_into_raw(url, files))
    again = work / "landing_again"
    shutil.copytree(landing, again, copy_function=shutil.copy2)  # same files, same mtimes
    seconds, summary = time_it(lambda: ingest_landing_folder(landing, url=url))
    assert summary.loaded == len(files) and summary.rows_loaded == rows, summary.as_dict()
    timings["intake"] = (seconds, summary.rows_loaded)
    # What if raw.submission_value had no foreign key to raw.submission_file (checked per row)?
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate raw.submission_value, raw.submission_file")
        conn.execute("alter table raw.submission_value drop constraint submission_value_file_id_fkey")
    seconds, summary = time_it(lambda: ingest_landing_folder(again, url=url))
    assert summary.loaded == len(files), summary.as_dict()
    timings["intake_without_fk"] = (seconds, summary.rows_loaded)
    for name, (_, loaded) in timings.items():
        assert loaded == rows, (name, loaded)

    print(f"writing {xlsx_count} filled XLSX templates ...", file=sys.stderr)
    xlsx_files = write_xlsx_files(url, xlsx_dir, units, catalogue, xlsx_count)
    calamine_seconds, calamine_rows = time_it(lambda: read_calamine(xlsx_files))
    openpyxl_seconds, openpyxl_rows = time_it(lambda: read_openpyxl(xlsx_files))
    assert calamine_rows == openpyxl_rows == len(xlsx_files) * INDICATORS_PER_UNIT

    def rate(name: str) -> float:
        return rows / timings[name][0]

    intake = rate("intake")
    return {
        "run_at": datetime.now(LOCAL_TZ).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "postgresql": server_version},
        "csv": {
            "files": len(files), "rows": rows,
            "seconds": {name: round(t, 3) for name, (t, _) in timings.items()},
            "to_sql_bulk_load_only_seconds": round(to_sql_bulk_load, 3),
            "rows_per_second": {name: round(rate(name)) for name in timings},
            "intake_vs": {name: round(intake / rate(name), 2) for name in timings if name != "intake"},
            "intake_without_fk_vs": {name: round(rate("intake_without_fk") / rate(name), 2)
                                     for name in timings if not name.startswith("intake")},
            "goals": {"intake >= 20x to_sql": intake / rate("to_sql_per_file") >= 20,
                      "intake >= 20x to_sql (bulk)": intake / rate("to_sql_bulk") >= 20,
                      "intake >= 50% raw COPY (per file)": intake / rate("copy_per_file") >= 0.5,
                      "intake >= 50% raw COPY (per file, async commit)": intake / rate("copy_per_file_async") >= 0.5,
                      "intake >= 50% raw COPY (bulk)": intake / rate("copy_bulk") >= 0.5},
            # Could any loader keeping the raw tables' keys reach 20x to_sql? This one validates nothing.
            "copy_into_raw_vs_to_sql": round(rate("copy_bulk_into_raw") / rate("to_sql_per_file"), 2),
        },
        "xlsx": {
            "files": len(xlsx_files), "rows_per_file": INDICATORS_PER_UNIT,
            "seconds": {"calamine_reader": round(calamine_seconds, 3), "openpyxl_read_only": round(openpyxl_seconds, 3)},
            "files_per_second": {"calamine_reader": round(len(xlsx_files) / calamine_seconds, 1),
                                 "openpyxl_read_only": round(len(xlsx_files) / openpyxl_seconds, 1)},
            "ratio": round(openpyxl_seconds / calamine_seconds, 1),
            "goals": {"reader >= 10x openpyxl read-only": openpyxl_seconds / calamine_seconds >= 10},
        },
    }


def report(results: dict) -> None:
    csv_part, xlsx = results["csv"], results["xlsx"]
    labels = {
        "intake": "intake (validate, COPY, tx per file)",
        "intake_without_fk": "  what-if: without the FK value -> file",
        "copy_bulk": "raw COPY, one statement",
        "copy_bulk_into_raw": "raw COPY into raw.* (keys), one statement",
        "copy_per_file": "raw COPY, tx per file",
        "copy_per_file_async": "raw COPY, tx per file, async commit",
        "to_sql_bulk": "to_sql, one DataFrame",
        "to_sql_per_file": "read_csv + to_sql per file",
    }
    print(f"\nCSV: {csv_part['files']} files, {csv_part['rows']} rows")
    print(f"{'loader':42} {'seconds':>9} {'rows/s':>10} {'intake is':>10} {'what-if is':>11}")
    for name in ("intake", "intake_without_fk", "copy_bulk", "copy_bulk_into_raw", "copy_per_file",
                 "copy_per_file_async", "to_sql_bulk", "to_sql_per_file"):
        baseline = not name.startswith("intake")
        ratio = f"{csv_part['intake_vs'][name]:.2f}x" if baseline else ""
        what_if = f"{csv_part['intake_without_fk_vs'][name]:.2f}x" if baseline else ""
        print(f"{labels[name]:42} {csv_part['seconds'][name]:9.2f} {csv_part['rows_per_second'][name]:10,} "
              f"{ratio:>10} {what_if:>11}")
    print(f"one bulk COPY into the raw tables, validating nothing, is {csv_part['copy_into_raw_vs_to_sql']}x "
          "read_csv + to_sql per file")
    print(f"\nXLSX: {xlsx['files']} filled templates, {xlsx['rows_per_file']} rows each")
    print(f"{'reader':42} {'seconds':>9} {'files/s':>10}")
    for name, label in (("calamine_reader", "intake reader (python-calamine)"),
                        ("openpyxl_read_only", "openpyxl read-only")):
        print(f"{label:42} {xlsx['seconds'][name]:9.2f} {xlsx['files_per_second'][name]:10,}")
    print(f"ratio: {xlsx['ratio']}x")
    print("\nGoals:")
    for goal, met in {**csv_part["goals"], **xlsx["goals"]}.items():
        print(f"  {'met    ' if met else 'NOT met'}  {goal}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"ingestion-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nResults: {out}")


if __name__ == "__main__":
    sys.exit(main())
