"""Command-line interface: the same functions the Airflow DAGs call, without a scheduler.

Each area registers its own subcommands (``register(subparsers)`` in its ``cli`` module), so
``kpi --help`` lists everything the project can do.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from warehouse.problems import InputFileError

# Modules that add subcommands; each exposes register(subparsers).
COMMAND_MODULES = [
    "warehouse.commands",
    "ingestion.cli",
    "quality.cli",
    "alerts.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except InputFileError as exc:
        print(f"Rejected: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
