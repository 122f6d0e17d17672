"""Great Expectations suites on the raw and staged submissions, validated inside PostgreSQL.

The file-based GX project lives in ``expectations/gx`` (``uncommitted/`` holds validation results
and Data Docs, out of git). ``build_project`` writes the datasource, suites, validation
definitions and checkpoints from the definitions below, so the suites are reviewed as code;
``run_expectations`` runs the checkpoints with the SQL execution engine (no table is pulled
into pandas) and rebuilds Data Docs. The values in force are validated in
``dq.current_submission_value``, a copy of the view ``raw.current_submission_value`` taken at
the start of the run: the view ranks every version of every value, and GX sends one query per
expectation. The connection string is ``${KPI_WAREHOUSE_URL}`` in the
project file and is substituted from the environment at run time, never written to disk.
Analytics are off twice: ``analytics_enabled: false`` in the project and ``GX_ANALYTICS_ENABLED``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from warehouse.settings import PROJECT_ROOT, WAREHOUSE_URL_VARIABLE

PROJECT_DIR = PROJECT_ROOT / "expectations"
DATASOURCE = "warehouse"
PERIOD_REGEX = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H1|9M))?$"
# The same without braces: GX formats {batch} into SQL queries with str.format.
PERIOD_SQL_REGEX = "^[0-9][0-9][0-9][0-9](-([0-9][0-9]|Q[1-4]|H1|9M))?$"
SUBMISSION_KEY = ["unit_code", "period_code", "indicator_code"]
# The columns of raw.current_submission_value copied for its suite: those checked, and lineage.
CURRENT_VALUES = "dq.current_submission_value"
CURRENT_COLUMNS = "file_id, unit_code, period_code, indicator_code, value, received_at, version, is_late"
# Runs of the expectations take turns: each one rewrites the copy the other would be reading.
RUN_LOCK = 4_721_006

# Value ranges per indicator kind, checked in the database against the catalogue.
KIND_RANGES = {
    "percentage": "b.value < 0 or b.value > 100",
    "count": "b.value < 0 or b.value <> trunc(b.value)",
    "money": "b.value < i.min_value",
    "quantity": "b.value < 0",
    "rank": "b.value < 1 or b.value <> trunc(b.value) or b.value > i.max_value",
}


def _value_checks() -> list:
    import great_expectations as gx

    checks = [
        gx.expectations.UnexpectedRowsExpectation(
            description="indicator_code is in the catalogue (reference.indicator)",
            unexpected_rows_query=(
                "select b.* from {batch} as b left join reference.indicator as i"
                " on i.indicator_code = b.indicator_code where i.indicator_code is null")),
    ]
    # One scan for all kinds: each expectation is a query over the whole table.
    ranges = " or ".join(f"(i.value_kind = '{kind}' and ({condition}))" for kind, condition in KIND_RANGES.items())
    checks.append(gx.expectations.UnexpectedRowsExpectation(
        description="values are in range for their kind: " + "; ".join(
            f"{kind} not ({condition})" for kind, condition in KIND_RANGES.items()),
        unexpected_rows_query=(
            "select b.* from {batch} as b inner join reference.indicator as i"
            f" on i.indicator_code = b.indicator_code where {ranges}")))
    return checks


def suite_definitions() -> dict[str, dict]:
    """Suite name -> asset (schema, table, checkpoint) and its expectations."""
    import great_expectations as gx

    e = gx.expectations
    unit_known = e.UnexpectedRowsExpectation(
        description="unit_code is a reporting unit (reference.reporting_unit)",
        unexpected_rows_query=(
            "select b.* from {batch} as b left join reference.reporting_unit as u"
            " on u.unit_code = b.unit_code where u.unit_code is null"))
    return {
        "raw_submission_file": {
            "schema": "raw", "table": "submission_file", "checkpoint": "raw",
            "expectations": [
                e.ExpectTableColumnsToMatchSet(column_set=[
                    "file_id", "file_name", "sha256", "file_format", "size_bytes", "received_at",
                    "processed_at", "status", "unit_code", "period_code", "template_version",
                    "focal_point_email", "row_count", "problem_count", "is_late", "report"],
                    exact_match=False),
                *[e.ExpectColumnValuesToNotBeNull(column=c)
                  for c in ("file_id", "file_name", "sha256", "received_at", "status")],
                e.ExpectColumnValuesToBeUnique(column="sha256"),
                e.ExpectColumnValuesToBeInSet(column="status", value_set=["loaded", "rejected"]),
                e.ExpectColumnValuesToBeInSet(column="file_format", value_set=["csv", "xlsx", "unknown"]),
                e.UnexpectedRowsExpectation(
                    description="a loaded file names its unit and a valid period",
                    unexpected_rows_query=(
                        "select * from {batch} where status = 'loaded' and (unit_code is null"
                        f" or period_code is null or period_code !~ '{PERIOD_SQL_REGEX}')")),
            ],
        },
        "raw_submission_value": {
            "schema": "raw", "table": "submission_value", "checkpoint": "raw",
            "expectations": [
                e.ExpectTableColumnsToMatchSet(column_set=[
                    "file_id", "source_row", "unit_code", "period_code", "indicator_code", "value", "note"],
                    exact_match=False),
                *[e.ExpectColumnValuesToNotBeNull(column=c)
                  for c in ("file_id", "source_row", *SUBMISSION_KEY, "value")],
                e.ExpectColumnValuesToMatchRegex(column="period_code", regex=PERIOD_REGEX),
                # ExpectCompoundColumnsToBeUnique joins the whole table to its grouped self
                # twice (count, then examples); duplicates can only sit within a file, and a
                # window along the primary key's file order finds them in one pass.
                e.UnexpectedRowsExpectation(
                    description="file_id, unit_code, period_code, indicator_code are unique"
                                " (a file reports an indicator once per unit and period)",
                    unexpected_rows_query=(
                        "select * from (select file_id, source_row, unit_code, period_code, indicator_code,"
                        " count(*) over (partition by file_id, unit_code, period_code, indicator_code)"
                        " as copies from {batch}) as counted where copies > 1")),
                unit_known,
                *_value_checks(),
            ],
        },
        "raw_current_submission_value": {
            "schema": "dq", "table": "current_submission_value", "checkpoint": "raw",
            "copy_of": "raw.current_submission_value",  # by refresh_current_values
            "expectations": [
                *[e.ExpectColumnValuesToNotBeNull(column=c) for c in (*SUBMISSION_KEY, "value")],
                e.ExpectCompoundColumnsToBeUnique(column_list=SUBMISSION_KEY),
                e.ExpectColumnValuesToBeInSet(column="is_late", value_set=[False]),
            ],
        },
        "stg_raw__current_submission_values": {
            "schema": "staging", "table": "stg_raw__current_submission_values", "checkpoint": "staging",
            "expectations": [
                e.ExpectTableColumnsToMatchSet(column_set=[
                    "reporting_unit_code", "period_code", "indicator_code", "value"], exact_match=False),
                *[e.ExpectColumnValuesToNotBeNull(column=c)
                  for c in ("reporting_unit_code", "period_code", "indicator_code", "value")],
                e.ExpectCompoundColumnsToBeUnique(
                    column_list=["reporting_unit_code", "period_code", "indicator_code"]),
                e.ExpectColumnValuesToMatchRegex(column="period_code", regex=PERIOD_REGEX),
            ],
        },
    }


@contextmanager
def gx_environment(url: str | None = None) -> Iterator[None]:
    """Analytics off and the warehouse URL in the environment, for the duration of a GX run."""
    saved = {name: os.environ.get(name) for name in (WAREHOUSE_URL_VARIABLE, "GX_ANALYTICS_ENABLED")}
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    if url:
        os.environ[WAREHOUSE_URL_VARIABLE] = url
    elif not os.environ.get(WAREHOUSE_URL_VARIABLE):
        from warehouse.database import warehouse_url

        os.environ[WAREHOUSE_URL_VARIABLE] = warehouse_url()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def get_context(project_dir: Path = PROJECT_DIR):
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    if context.variables.analytics_enabled is not False:
        context.variables.analytics_enabled = False
        context.variables.save()
    return context


def build_project(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Write (or rewrite) the GX project's datasource, suites, validations and checkpoints."""
    import great_expectations as gx

    from warehouse.database import connect

    with gx_environment():
        context = get_context(project_dir)
        context.variables.progress_bars = {"globally": False}
        context.variables.save()
        source = context.data_sources.add_or_update_postgres(
            name=DATASOURCE, connection_string="${" + WAREHOUSE_URL_VARIABLE + "}")
        by_checkpoint: dict[str, list] = {}
        for name, spec in suite_definitions().items():
            table = f"{spec['schema']}.{spec['table']}"
            if spec.get("copy_of") and not _table_exists(table):
                with connect(autocommit=True) as conn:
                    refresh_current_values(conn)
            if not _table_exists(table):
                # GX tests the table when adding an asset: build where dbt has run.
                raise LookupError(f"{table} is absent: run `kpi dbt build` first")
            for existing in list(source.assets):
                if existing.name == name:
                    source.delete_asset(name)
            asset = source.add_table_asset(name=name, schema_name=spec["schema"], table_name=spec["table"])
            batch = asset.add_batch_definition_whole_table("whole_table")
            suite = gx.ExpectationSuite(name=name, expectations=spec["expectations"])
            suite = context.suites.add_or_update(suite)
            validation = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
            by_checkpoint.setdefault(spec["checkpoint"], []).append(validation)
        for checkpoint, validations in by_checkpoint.items():
            context.checkpoints.add_or_update(gx.Checkpoint(
                name=checkpoint, validation_definitions=validations,
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5}))
        return sorted(suite_definitions())


@dataclass
class ExpectationRun:
    results: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    docs: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if not r["success"]]

    def summary(self) -> dict:
        return {"evaluated": len(self.results), "failed": len(self.failures),
                "skipped_checkpoints": self.skipped, "data_docs": self.docs}

    def insert_failures(self, conn: psycopg.Connection) -> None:
        """Write each failed expectation into dq_run as an 'expectation_failed' finding."""
        for failure in self.failures:
            conn.execute(
                "insert into dq_run (rule, severity, evidence, subject)"
                " values ('expectation_failed', 'error', %s, %s)",
                (json.dumps(failure, default=str), f"{failure['suite']}:{failure['expectation']}"),
            )


def _table_exists(name: str) -> bool:
    from warehouse.database import connect

    with connect() as conn:
        return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def refresh_current_values(conn: psycopg.Connection) -> int:
    """Copy the values in force into dq.current_submission_value (rebuilt); return how many.

    Rebuilt rather than refilled: CREATE TABLE AS reads the view with parallel workers, which
    INSERT ... SELECT cannot. Unlogged: a copy rewritten on every run. ``conn`` is in autocommit.
    """
    conn.execute("set jit = off")  # compiling the view's plan took ~2 s, for one pass over it
    with conn.transaction():
        conn.execute(f"drop table if exists {CURRENT_VALUES}")
        copied = conn.execute(f"create unlogged table {CURRENT_VALUES} as"
                              f" select {CURRENT_COLUMNS} from raw.current_submission_value").rowcount
        # The uniqueness expectation groups by the item and joins back: along this index, with
        # no sort. Per column the planner counts ~10x too few items and sizes a hash that spills.
        conn.execute(f"create index on {CURRENT_VALUES} (unit_code, period_code, indicator_code)")
        conn.execute(f"create statistics {CURRENT_VALUES}_item (ndistinct)"
                     f" on unit_code, period_code, indicator_code from {CURRENT_VALUES}")
    # Statistics, and the visibility map that lets that check read the index alone.
    conn.execute(f"vacuum (analyze) {CURRENT_VALUES}")
    return copied


def run_expectations(*, url: str | None = None, project_dir: Path = PROJECT_DIR) -> ExpectationRun:
    """Run the checkpoints in the database; skip the staging one when dbt has not built it."""
    from warehouse.database import connect

    run = ExpectationRun()
    with gx_environment(url), connect(url, autocommit=True) as lock:
        lock.execute("select pg_advisory_lock(%s)", (RUN_LOCK,))  # released when the session ends
        context = get_context(project_dir)
        by_checkpoint: dict[str, list[dict]] = {}
        for spec in suite_definitions().values():
            by_checkpoint.setdefault(spec["checkpoint"], []).append(spec)
        for checkpoint_name, specs in by_checkpoint.items():
            # A copy is made just below: what must exist is what it copies.
            missing = [name for name in (spec.get("copy_of") or f"{spec['schema']}.{spec['table']}"
                                         for spec in specs) if not _table_exists(name)]
            if missing:
                run.skipped.append(f"{checkpoint_name} (absent: {', '.join(missing)})")
                continue
            if any(spec.get("copy_of") for spec in specs):
                start = time.perf_counter()
                refresh_current_values(lock)
                run.timings["copy current values"] = time.perf_counter() - start
            start = time.perf_counter()
            result = context.checkpoints.get(checkpoint_name).run()
            run.timings[f"checkpoint {checkpoint_name}"] = time.perf_counter() - start
            for validation in result.run_results.values():
                suite = validation.suite_name
                for outcome in validation.results:
                    config = outcome.expectation_config
                    run.results.append({
                        "suite": suite, "success": bool(outcome.success),
                        "expectation": config.type + ":" + json.dumps(
                            {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                            sort_keys=True, default=str)[:180],
                        "unexpected_count": (outcome.result or {}).get("unexpected_count"),
                        "observed_value": str((outcome.result or {}).get("observed_value"))[:200],
                    })
        sites = context.get_docs_sites_urls()
        run.docs = sites[0]["site_url"] if sites else None
    return run
