"""Scale-out: a DAG of the chain runs through a real Celery worker, not in the test's process.

Airflow metadata lives in a PostgreSQL database of its own (the configured server, else the
local server on 127.0.0.1:5432, else the session's embedded one), Redis is the broker, and
``airflow api-server`` serves the execution API the worker reports to. The worker alone has
``KPI_WORKER_NAME`` in its environment; each task returns where it ran, so the test knows.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import closing, suppress
from urllib.parse import quote

import psycopg
import pytest

from tests.orchestration.conftest import DAGS_DIR, airflow_cli
from warehouse.database import url_parts, with_database
from warehouse.settings import configured_warehouse_url

REDIS = ("127.0.0.1", 6379)
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKER_LOG_PORT = 8793  # the worker's log server; the api-server must stay off it


def reachable(host: str, port: int) -> bool:
    with closing(socket.socket()) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metadata_server(server_url: str) -> str:
    """The configured server, else the local one if it answers, else the embedded one."""
    if configured_warehouse_url():
        return server_url
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=2):
            return LOCAL_SERVER
    except psycopg.OperationalError:
        return server_url


def sqlalchemy_url(url: str, driver: str = "psycopg2") -> str:
    """Airflow's SQLAlchemy URL for a PostgreSQL URL (TCP or a Unix socket folder)."""
    p = url_parts(url)
    auth = quote(p["user"], safe="") + (":" + quote(p["password"], safe="") if p["password"] else "")
    return (f"postgresql+{driver}://{auth}@/{p['dbname']}"
            f"?host={quote(p['host'], safe='')}&port={p['port']}")


def run_checked(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"


def empty_redis_database() -> int:
    """Pick an empty Redis database, so this test's queue shares nothing with anyone else's.

    Tasks go to the queue named ``default`` whatever ``[operators] default_queue`` says (the
    serialised DAG's default is fixed), so the database, not the queue name, isolates the test.
    """
    import redis

    for number in range(15, 0, -1):
        if redis.Redis(*REDIS, db=number).dbsize() == 0:
            return number
    pytest.skip("no empty Redis database for the Celery test")


def wait_for_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        with suppress(OSError), urllib.request.urlopen(url, timeout=2):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a process started by this test and its children (its own session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def celery_stack(airflow_env, orchestration_warehouse, server_url, tmp_path):
    """Metadata database, api-server and one Celery worker; everything stopped afterwards."""
    if not reachable(*REDIS):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: no broker for the Celery worker")
    admin_url = metadata_server(server_url)
    meta_db = f"airflow_celery_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'create database "{meta_db}"')
    api_port = free_port()
    assert api_port != WORKER_LOG_PORT
    redis_db = empty_redis_database()
    home = tmp_path / "airflow"
    home.mkdir()
    env = {
        **os.environ,
        **airflow_env,
        "AIRFLOW_HOME": str(home),
        "KPI_WAREHOUSE_URL": orchestration_warehouse,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(with_database(admin_url, meta_db)),
        # The default async driver (asyncpg) is not installed; psycopg 3 is.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": sqlalchemy_url(
            with_database(admin_url, meta_db), "psycopg_async"),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
    }
    env.pop("KPI_WORKER_NAME", None)
    processes: list[subprocess.Popen] = []
    try:
        run_checked([*airflow_cli(), "db", "migrate"], env)
        api_log = open(tmp_path / "api-server.log", "wb")  # noqa: SIM115 (closed with the process)
        processes.append(subprocess.Popen(
            [*airflow_cli(), "api-server", "--host", "127.0.0.1", "--port", str(api_port)],
            env=env, stdout=api_log, stderr=subprocess.STDOUT, start_new_session=True))
        marker = f"celery-worker-{uuid.uuid4().hex[:8]}"
        worker_log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
        processes.append(subprocess.Popen(
            [*airflow_cli(), "celery", "worker", "--concurrency", "2",
             "--without-mingle", "--without-gossip"],
            env={**env, "KPI_WORKER_NAME": marker}, stdout=worker_log,
            stderr=subprocess.STDOUT, start_new_session=True))
        wait_for_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", processes[0], 120)
        yield {"env": env, "marker": marker, "worker": processes[1], "logs": tmp_path,
               "metadata": with_database(admin_url, meta_db)}
    finally:
        for process in reversed(processes):
            stop(process)
        import redis

        redis.Redis(*REDIS, db=redis_db).flushdb()  # it was empty: only this test's keys
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                          " where datname = %s", (meta_db,))
            admin.execute(f'drop database if exists "{meta_db}"')


RUN_THROUGH_EXECUTOR = f"""
import json, os, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag({str(DAGS_DIR)!r})
assert not bag.import_errors, bag.import_errors
run = bag.dags[sys.argv[1]].test(use_executor=True)
print(json.dumps({{"state": str(run.state), "run_id": run.run_id, "pid": os.getpid()}}))
"""


@pytest.mark.slow
def test_a_dag_of_the_chain_runs_in_the_celery_worker(celery_stack, tmp_path):
    """The ingest DAG, head of the chain, on an empty landing folder: it scans, loads nothing,
    and its announce task skips. (The dbt-heavy DAGs are covered by the dag.test() tests; here
    only where the tasks run matters, so the DAG should not fail for a reason of its own.)"""
    dag_id = "kpi_ingest_submissions"
    env = {**celery_stack["env"], "KPI_LANDING_DIR": str(tmp_path / "landing")}
    done = subprocess.run([sys.executable, "-c", RUN_THROUGH_EXECUTOR, dag_id],
                          env=env, capture_output=True, text=True, timeout=300)
    worker_log = celery_stack["logs"] / "worker.log"
    assert celery_stack["worker"].poll() is None, worker_log.read_text()[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["state"] == "success", worker_log.read_text()[-3000:]

    with psycopg.connect(celery_stack["metadata"]) as meta:
        value = meta.execute(
            "select value from xcom where dag_id = %s and run_id = %s and task_id = 'ingest'"
            " and key = 'return_value'", (dag_id, result["run_id"]),
        ).fetchone()[0]
        states = dict(meta.execute(
            "select task_id, state from task_instance where dag_id = %s and run_id = %s",
            (dag_id, result["run_id"]),
        ).fetchall())
    summary = value if isinstance(value, dict) else json.loads(value)
    # Only the worker's environment carries the marker: the task ran under the worker.
    assert summary["worker"] == celery_stack["marker"]
    assert summary["pid"] != result["pid"]
    assert summary["files_seen"] == 0 and summary["new_data"] is False
    assert states == {"ingest": "success", "announce_new_data": "skipped"}
