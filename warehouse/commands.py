"""Foundation subcommands: set up the warehouse, load reference data, run dbt."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from warehouse.database import apply_schema, connect, is_embedded, warehouse_url
from warehouse.dbt import run_dbt
from warehouse.reference import load_reference
from warehouse.settings import load_settings


def setup_warehouse(reference_dirs: list[Path] | None = None, url: str | None = None) -> dict[str, int]:
    """Create the warehouse tables and (re)load the reference data; return rows per table."""
    settings = load_settings()
    dirs = reference_dirs or [settings.reference_dir]
    with connect(url) as conn:
        apply_schema(conn)
        conn.commit()
        return load_reference(conn, dirs, settings.lock_days_before_meeting)


def _init(args: argparse.Namespace) -> int:
    counts = setup_warehouse(args.reference_dir or None)
    where = "embedded PostgreSQL" if is_embedded() else "configured PostgreSQL"
    print(f"Warehouse ready on the {where}: {json.dumps(counts)}")
    return 0


def _dbt(args: argparse.Namespace) -> int:
    result = run_dbt(args.dbt_args or ["build"])
    for failure in result.failures():
        print(f"FAILED {failure['unique_id']}: {failure['message']}")
    return 0 if result.success else 1


def _url(args: argparse.Namespace) -> int:
    print(warehouse_url())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from warehouse.pipeline import print_summary, run_demo

    report = run_demo()
    print_summary(report)
    return 0


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="run the whole chain on the demo province")
    demo.set_defaults(handler=_demo)

    init = subparsers.add_parser("load-reference", help="create tables and load reference data")
    init.add_argument("--reference-dir", action="append", type=Path,
                      help="folder of reference CSV files; repeat to layer folders")
    init.set_defaults(handler=_init)

    dbt = subparsers.add_parser("dbt", help="run dbt on the warehouse, e.g. `kpi dbt build`")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(handler=_dbt)

    url = subparsers.add_parser("warehouse-url", help="print the warehouse URL in use")
    url.set_defaults(handler=_url)
