"""Run dbt against the configured warehouse; the profile's values come from the one URL."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from warehouse.database import url_parts, warehouse_url
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


def dbt_environment(url: str) -> dict[str, str]:
    """Environment variables the dbt profile reads, derived from the warehouse URL."""
    parts = url_parts(url)
    return {
        "KPI_DBT_HOST": parts["host"],
        "KPI_DBT_PORT": parts["port"],
        "KPI_DBT_USER": parts["user"],
        "KPI_DBT_PASSWORD": parts["password"],
        "KPI_DBT_DBNAME": parts["dbname"],
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@dataclass
class DbtResult:
    success: bool
    command: list[str]
    node_results: list[dict]

    def failures(self) -> list[dict]:
        return [r for r in self.node_results if r["status"] in ("error", "fail", "runtime error")]


def run_dbt(args: list[str], url: str | None = None, settings: Settings | None = None) -> DbtResult:
    """Invoke dbt in-process (``dbt build``, ``dbt docs generate`` ...) on the warehouse."""
    from dbt.cli.main import dbtRunner

    settings = settings or load_settings()
    os.environ.update(dbt_environment(url or warehouse_url(settings)))
    project = str(settings.dbt_project_dir)
    command = [*args, "--project-dir", project, "--profiles-dir", project]
    log.info("dbt %s", " ".join(command))
    result = dbtRunner().invoke(command)
    nodes = []
    if result.result is not None and hasattr(result.result, "results"):
        for node in result.result.results:
            nodes.append({"unique_id": node.node.unique_id, "status": str(node.status),
                          "message": node.message})
    if result.exception is not None:
        log.error("dbt raised: %s", result.exception)
    return DbtResult(success=bool(result.success), command=command, node_results=nodes)
