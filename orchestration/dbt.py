"""dbt inside Airflow: one task per model, rendered by astronomer-cosmos from dbt's manifest.

Why these choices:
- ``LoadMode.DBT_MANIFEST``: parsing the DAG reads ``manifest.json`` only; it never runs dbt nor
  connects to the warehouse. The manifest is made by ``dbt parse``, which needs a profile but no
  connection: the Docker image runs it at build time, locally ``kpi dbt parse`` does.
- ``TestBehavior.BUILD``: each model's task runs ``dbt build --select <model>`` (the model and
  its tests in one invocation), half the invocations of a run-then-test pair; dbt costs ~6 s of
  start-up per invocation (STACK-NOTES). Models are grouped by folder (staging / intermediate /
  marts) so the graph reads by layer.
- ``ExecutionMode.LOCAL`` with dbt in-process, not the faster ``WATCHER`` mode: the cosmos docs
  still call WATCHER experimental, with retries that are not idempotent.
- The profile is ``dbt_project/profiles.yml``; its ``KPI_DBT_*`` variables are exported just
  before each task runs from the one warehouse setting (``warehouse.dbt.dbt_environment``), so
  no credentials are resolved at parse time and none are stored twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from warehouse.settings import load_settings

PROFILE_NAME = "provincial_kpi"
TARGET_NAME = "warehouse"

# A government warehouse phones home to no one. cosmos reads these when it is first imported;
# the deployment sets them too (docker-compose.yml), for processes that import cosmos earlier.
TELEMETRY_OFF = {
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def disable_telemetry() -> None:
    """Switch off cosmos and dbt usage reporting in this process."""
    os.environ.update(TELEMETRY_OFF)
    import cosmos.settings

    # cosmos caches the flag at import; a process that imported it first still obeys.
    cosmos.settings.enable_telemetry = False


def manifest_path(project_dir: Path | None = None) -> Path:
    """Where dbt writes its manifest: ``DBT_TARGET_PATH`` (dbt's own variable) or ``target/``."""
    project_dir = project_dir or load_settings().dbt_project_dir
    target = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return (target if target.is_absolute() else project_dir / target) / "manifest.json"


def export_dbt_environment(context: Any = None) -> None:
    """Set the dbt profile's variables from the warehouse setting (runs in the task process)."""
    from warehouse.database import warehouse_url
    from warehouse.dbt import dbt_environment

    os.environ.update(dbt_environment(warehouse_url()))
    os.environ.update(TELEMETRY_OFF)


def dbt_task_group(group_id: str = "dbt", **task_group_args: Any):
    """Return a cosmos ``DbtTaskGroup`` with one task per dbt model, grouped by folder."""
    disable_telemetry()
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    project_dir = load_settings().dbt_project_dir
    manifest = manifest_path(project_dir)
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{manifest}: no dbt manifest to render the dbt tasks from; run `kpi dbt parse` "
            "(no database needed) or build the Docker image, which does it"
        )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project_dir,
            manifest_path=manifest,
            install_dbt_deps=False,  # no packages: the dbt hub is unreachable (STACK-NOTES)
        ),
        profile_config=ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name=TARGET_NAME,
            profiles_yml_filepath=project_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            group_nodes_by_folder=True,
            emit_datasets=False,  # the DAG announces the marts as one asset instead
        ),
        operator_args={"pre_execute": export_dbt_environment, "install_deps": False},
        **task_group_args,
    )
