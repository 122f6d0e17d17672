"""Intake subcommands: ``kpi templates``, ``kpi ingest`` and ``kpi report``, without Airflow."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from warehouse.database import connect


def _templates(args: argparse.Namespace) -> int:
    from ingestion.templates import submission_period, write_template

    period = submission_period(args.period)
    with connect() as conn:
        units = args.unit or [
            code for (code,) in conn.execute(
                "select distinct unit_code from reference.assignment where plan_year = %s order by 1",
                (period.year,))
        ]
        if not units:
            print(f"No unit has indicators assigned for {period.year}", file=sys.stderr)
            return 1
        args.out.mkdir(parents=True, exist_ok=True)
        for unit in units:
            print(write_template(conn, unit, period.code, args.out))
    return 0


class _Progress:
    """Prints a line per rejected file and, at most every few seconds, how far the batch is."""

    def __init__(self, every: float = 2.0):
        self.every, self.last = every, 0.0

    def __call__(self, done: int, total: int, result) -> None:
        if result.status in ("rejected", "failed"):
            print(f"[{done}/{total}] {result.status.upper()} {result.name}: "
                  f"{len(result.errors)} problem(s)", file=sys.stderr)
        now = time.monotonic()
        if done == total or now - self.last >= self.every:
            self.last = now
            print(f"[{done}/{total}] files processed", file=sys.stderr)


def _ingest(args: argparse.Namespace) -> int:
    from ingestion.intake import ingest_landing_folder

    try:
        summary = ingest_landing_folder(args.landing, progress=None if args.quiet else _Progress())
    except RuntimeError as exc:  # the warehouse is not set up: nothing was touched
        print(f"Cannot ingest: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), ensure_ascii=False))
    return 1 if summary.rejected or summary.failed else 0


def _report(args: argparse.Namespace) -> int:
    from ingestion.reports import render_text, stored_reports

    with connect() as conn:
        reports = stored_reports(conn, args.file)
    if not reports:
        print(f"No file received matches {args.file!r}", file=sys.stderr)
        return 1
    for report in reports:
        print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render_text(report))
    return 0


def register(subparsers) -> None:
    templates = subparsers.add_parser("templates", help="write the XLSX templates of a reporting period")
    templates.add_argument("--period", required=True, help="YYYY-MM or YYYY-Qn")
    templates.add_argument("--unit", action="append",
                           help="unit code; repeat for several (default: every unit assigned that year)")
    templates.add_argument("--out", type=Path, required=True, help="folder to write UNIT_PERIOD.xlsx into")
    templates.set_defaults(handler=_templates)

    ingest = subparsers.add_parser(
        "ingest", help="load the files of the landing folder (exit code 1 if any was rejected)")
    ingest.add_argument("--landing", type=Path, help="landing folder (default: KPI_LANDING_DIR)")
    ingest.add_argument("--quiet", action="store_true", help="no progress lines")
    ingest.set_defaults(handler=_ingest)

    report = subparsers.add_parser("report", help="show the intake report of a file")
    report.add_argument("file", help="a file path, its SHA-256 (or 8+ first characters) or its file name")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(handler=_report)
