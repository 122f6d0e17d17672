"""`kpi alerts`: run the alert job now or at a given moment, or show what it would send."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from alerts.config import LOCAL_TIME, AlertConfigError


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of {text!r} is not an ISO date/time, e.g. 2026-03-29T08:00") from exc
    return moment.replace(tzinfo=LOCAL_TIME) if moment.tzinfo is None else moment


def _alerts(args: argparse.Namespace) -> int:
    from alerts.dispatch import resend, run_alerts

    # The command line is the edge of the system: the only place "now" is read.
    as_of = args.as_of or datetime.now(LOCAL_TIME)
    try:
        if args.resend:
            count = resend(args.resend, as_of, channel=args.channel)
            print(f"{count} log row(s) of {args.resend} queued again")
            if not count:
                return 1
        counts = run_alerts(as_of, dry_run=args.dry_run)
    except AlertConfigError as exc:
        print(f"Alert settings: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 1 if counts["failed"] else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "alerts", help="send due reminders, final warnings, lock summaries and inconsistency alerts")
    parser.add_argument("--as-of", type=_moment, help="moment to run at (ISO, local time if no offset); default now")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be sent (recipients and items); send and record nothing")
    parser.add_argument("--resend", metavar="ALERT_KEY", help="queue a logged alert again, then run")
    parser.add_argument("--channel", choices=("email", "webhook"), help="with --resend: only this channel")
    parser.set_defaults(handler=_alerts)
