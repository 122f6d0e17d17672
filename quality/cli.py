"""`kpi check`, `kpi lock`, `kpi explain`, `kpi expectations-build`: the functions the DAG calls."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def parse_as_of(text: str | None) -> datetime:
    """An ISO time (Asia/Ho_Chi_Minh when it has no zone); the current time when omitted."""
    if not text:
        return datetime.now(VIETNAM)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of {text!r} is not an ISO date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def _check(args: argparse.Namespace) -> int:
    from quality.checks import run_quality_checks

    report = run_quality_checks(parse_as_of(args.as_of), expectations=not args.skip_expectations)
    print(json.dumps(report, default=str, indent=1, ensure_ascii=False))
    return 0


def _lock(args: argparse.Namespace) -> int:
    from quality.lock import lock_due_meetings

    for meeting in lock_due_meetings(parse_as_of(args.as_of)):
        print(f"locked {meeting['province_key']} meeting {meeting['meeting_date']}: "
              f"{meeting['reported_items']}/{meeting['expected_items']} items reported")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from quality.lock import units_to_explain

    try:
        meeting = date.fromisoformat(args.meeting)
    except ValueError:
        print(f"--meeting {args.meeting!r} is not a date YYYY-MM-DD")
        return 2
    try:
        units = units_to_explain(meeting, province_key=args.province)
    except LookupError as exc:
        print(exc)
        return 1
    for unit in units:
        items = ", ".join(f"{m['indicator_code']} {m['period_code']}" for m in unit["missing"])
        print(f"{unit['unit_code']} ({unit['unit_name']}): {unit['missing_items']} of "
              f"{unit['expected_items']} items missing: {items}")
    print(f"{len(units)} unit(s) must explain at the meeting of {meeting}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from quality.expectations import build_project

    print("suites:", ", ".join(build_project()))
    return 0


def register(subparsers) -> None:
    check = subparsers.add_parser("check", help="run the data-quality checks into dq.finding")
    check.add_argument("--as-of", help="ISO date-time the checks look from (default: now)")
    check.add_argument("--skip-expectations", action="store_true", help="SQL rules only, no GX")
    check.set_defaults(handler=_check)

    lock = subparsers.add_parser("lock", help="freeze snapshots of meetings whose lock time has passed")
    lock.add_argument("--as-of", help="ISO date-time (default: now)")
    lock.set_defaults(handler=_lock)

    explain = subparsers.add_parser("explain", help="units that must explain at a meeting (from its snapshot)")
    explain.add_argument("--meeting", required=True, help="meeting date YYYY-MM-DD")
    explain.add_argument("--province", help="province key, e.g. post_2025:province:52")
    explain.set_defaults(handler=_explain)

    build = subparsers.add_parser("expectations-build", help="rewrite the GX project in expectations/")
    build.set_defaults(handler=_build)
