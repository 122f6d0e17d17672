"""Configuration in one place: which warehouse is used, and the dbt profile derived from it."""

from __future__ import annotations

import yaml

from warehouse.database import url_parts, with_database
from warehouse.dbt import dbt_environment
from warehouse.settings import PROJECT_ROOT, configured_warehouse_url


def test_warehouse_url_wins_over_libpq_variables():
    env = {"KPI_WAREHOUSE_URL": "postgresql://kpi@db:5433/kpi", "PGHOST": "other"}
    assert configured_warehouse_url(env) == "postgresql://kpi@db:5433/kpi"


def test_libpq_variables_are_the_fallback():
    env = {"PGHOST": "10.0.0.5", "PGPORT": "6432", "PGUSER": "planning", "PGPASSWORD": "p@ss",
           "PGDATABASE": "kpi"}
    url = configured_warehouse_url(env)
    assert url == "postgresql://planning:p%40ss@10.0.0.5:6432/kpi"
    assert url_parts(url) == {"host": "10.0.0.5", "port": "6432", "user": "planning",
                              "password": "p@ss", "dbname": "kpi"}


def test_nothing_configured_means_embedded():
    assert configured_warehouse_url({}) is None


def test_dbt_profile_is_derived_from_the_embedded_socket_url():
    url = "postgresql://postgres:@/postgres?host=/tmp/state/pgdata"
    env = dbt_environment(with_database(url, "kpi_demo"))
    assert (env["KPI_DBT_HOST"], env["KPI_DBT_DBNAME"], env["KPI_DBT_USER"]) == (
        "/tmp/state/pgdata", "kpi_demo", "postgres")


def test_dbt_phones_home_to_no_one():
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    assert project["flags"]["send_anonymous_usage_stats"] is False
    assert dbt_environment("postgresql://u@h:5432/d")["DO_NOT_TRACK"] == "1"
    profiles = (PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text()
    assert "password: \"{{ env_var('KPI_DBT_PASSWORD'" in profiles
