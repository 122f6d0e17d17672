"""The end-to-end chain without a scheduler: the stages the Airflow DAGs run, in their order.

``kpi demo`` runs it on the demo scenario (a real province with all its communes) and prints
what each stage did and where the results are.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warehouse.commands import setup_warehouse
from warehouse.database import connect, is_embedded, warehouse_url
from warehouse.dbt import run_dbt
from warehouse.scenario import ScenarioConfig, generate_scenario
from warehouse.settings import load_settings

log = logging.getLogger(__name__)


@dataclass
class StageReport:
    name: str
    seconds: float
    result: dict


@dataclass
class ChainReport:
    stages: list[StageReport] = field(default_factory=list)
    outbox: Path | None = None

    def run(self, name: str, action: Callable[[], dict]) -> dict:
        started = time.perf_counter()
        log.info("stage %s ...", name)
        result = action()
        self.stages.append(StageReport(name, round(time.perf_counter() - started, 1), result))
        return result

    def as_dict(self) -> dict:
        return {stage.name: {"seconds": stage.seconds, **stage.result} for stage in self.stages}


def build_warehouse(*, full_refresh: bool = False) -> dict:
    """Run ``dbt build`` (all partitions with ``full_refresh``); raise listing failed nodes."""
    result = run_dbt(["build", "--full-refresh"] if full_refresh else ["build"])
    if not result.success:
        failed = "; ".join(f"{f['unique_id']}: {f['message']}" for f in result.failures())
        raise RuntimeError(f"dbt build failed: {failed or 'see the dbt log'}")
    statuses: dict[str, int] = {}
    for node in result.node_results:
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    return {"nodes": len(result.node_results), **statuses}


def run_chain(landing_dir: Path, as_of: datetime, *, deliver_alerts: bool,
              full_refresh: bool = False) -> ChainReport:
    """Ingest → build → lock → quality → alerts, each stage the function its DAG calls."""
    from alerts.dispatch import run_alerts
    from ingestion.intake import ingest_landing_folder
    from quality.checks import run_quality_checks
    from quality.lock import lock_due_meetings

    report = ChainReport()
    report.run("ingest", lambda: ingest_landing_folder(landing_dir, processed_at=as_of).as_dict())
    report.run("build", lambda: build_warehouse(full_refresh=full_refresh))
    report.run("lock", lambda: {"snapshots": lock_due_meetings(as_of)})
    report.run("quality", lambda: run_quality_checks(as_of))
    report.run("alerts", lambda: run_alerts(as_of, dry_run=not deliver_alerts))
    return report


def run_demo(config: ScenarioConfig | None = None) -> ChainReport:
    """Generate the demo scenario, load its reference data and run the whole chain on it.

    Alerts go over SMTP to the configured server, or, when none is configured, to a local one
    that saves them under ``.state/demo/outbox``.
    """
    config = config or ScenarioConfig()
    settings = load_settings()
    scenario_dir = settings.state_dir / "demo"
    if os.environ.get("KPI_SMTP_HOST") or os.environ.get("KPI_WEBHOOK_URL"):
        return _run_demo(config, settings, scenario_dir)
    from warehouse.outbox import local_outbox

    with local_outbox(settings.state_dir / "outbox"):
        report = _run_demo(config, settings, scenario_dir)
    report.outbox = settings.state_dir / "outbox"
    return report


def _run_demo(config: ScenarioConfig, settings, scenario_dir: Path) -> ChainReport:
    report = ChainReport()
    scenario = generate_scenario(scenario_dir, config, with_submissions=False)
    report.run("reference", lambda: setup_warehouse([settings.reference_dir, scenario.reference_dir]))
    with connect() as conn:
        scenario = report.run("scenario", lambda: _scenario_summary(
            generate_scenario(scenario_dir, config, conn)))["scenario"]
    # The reference data was just reloaded: every partition is rebuilt.
    chain = run_chain(scenario_dir / "landing", config.as_of, deliver_alerts=True, full_refresh=True)
    report.stages.extend(chain.stages)
    return report


def _scenario_summary(scenario) -> dict:
    kinds: dict[str, int] = {}
    for item in scenario.planted:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return {"scenario": scenario, "files": scenario.files_written, "planted": kinds,
            "folder": str(scenario.root)}


def print_summary(report: ChainReport) -> None:
    for stage in report.stages:
        result = {k: v for k, v in stage.result.items() if k != "scenario"}
        print(f"{stage.name:<10} {stage.seconds:>6.1f} s  {json.dumps(result, ensure_ascii=False, default=str)}")
    where = "embedded PostgreSQL" if is_embedded() else "configured PostgreSQL"
    print(f"\nWarehouse ({where}): {warehouse_url()}")
    print("Marts: schema `marts` (fct_indicator_performance, fct_submission_status, ...);"
          " findings: dq.finding; locked snapshots: snapshot.*; alert log: alerting.alert_log")
    if report.outbox:
        print(f"Alerts delivered to the local SMTP outbox: {report.outbox}")
