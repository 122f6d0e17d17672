"""docker-compose.yml refers only to things that exist (Docker itself does not run here)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from warehouse.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
AIRFLOW_SERVICES = {"airflow-init", "airflow-api-server", "airflow-scheduler",
                    "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}
# ${NAME}, ${NAME:-default}; $$ escapes a dollar for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def dockerfile_path(service: dict) -> Path:
    build = service["build"]
    return PROJECT_ROOT / build["context"] / build["dockerfile"]


def test_services_of_a_celery_deployment(compose):
    services = compose["services"]
    assert AIRFLOW_SERVICES | {"warehouse-db", "airflow-db", "redis"} <= set(services)
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False", name
        assert "@airflow-db:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert "@warehouse-db:" in env["KPI_WAREHOUSE_URL"], name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
            "http://airflow-api-server:8080/"), name
    # Workers scale with --scale: no fixed container name, no published port.
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert services["airflow-init"]["command"][-1] == "airflow db migrate && kpi load-reference"


def test_every_service_refers_to_things_that_exist(compose):
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    scripts = tomllib_scripts()
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            dockerfile = dockerfile_path(service)
            assert dockerfile.is_file(), f"{name}: {dockerfile}"
            for source in copy_sources(dockerfile):
                assert (PROJECT_ROOT / source).exists(), f"{dockerfile.name}: COPY {source}"
        else:
            # Images from a registry carry a pinned tag, never an implicit latest.
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), service["image"]
            assert not service["image"].endswith(":latest"), service["image"]
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (PROJECT_ROOT / source).exists(), f"{name}: {volume}"
            else:
                assert source in declared_volumes, f"{name}: volume {source} not declared"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for env_file in listify(service.get("env_file")):
            # The real .env is not committed; its template is.
            assert env_file == ".env" and ENV_EXAMPLE.is_file()
        command = service.get("command")
        if "build" in service:
            program = command[0]
            assert program in {"airflow", "kpi", "bash"}, f"{name}: {program}"
            steps = ([part.split() for part in command[-1].split("&&")]
                     if program == "bash" else [command])
            for step in steps:
                assert step[0] in {"airflow", "kpi"}, f"{name}: {step}"
                (check_airflow_command if step[0] == "airflow" else check_kpi_command)(step[1:])
    assert "kpi" in scripts, "the image's kpi command comes from [project.scripts]"


def test_every_variable_is_in_env_example_and_env_is_not_committed(env_example):
    text = COMPOSE.read_text(encoding="utf-8")
    required = {m.group(1) for m in VARIABLE.finditer(text) if not m.group(2)}
    assert required, "the compose file takes its secrets from .env"
    missing = required - set(env_example)
    assert not missing, f"variables missing from .env.example: {sorted(missing)}"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".env"], cwd=PROJECT_ROOT,
                             capture_output=True)
    assert tracked.returncode != 0, ".env is committed"


def check_airflow_command(args: list[str]) -> None:
    """The Airflow CLI knows the (sub)command: parse it as `airflow` would, without running."""
    from airflow.cli.cli_parser import get_parser

    try:
        get_parser().parse_args(args)
    except SystemExit as exc:  # argparse exits on an unknown command
        raise AssertionError(f"airflow {' '.join(args)} is not an Airflow command") from exc


def check_kpi_command(args: list[str]) -> None:
    """The project's CLI knows the subcommand."""
    from warehouse.cli import build_parser

    try:
        build_parser().parse_args(args)
    except SystemExit as exc:
        raise AssertionError(f"kpi {' '.join(args)} is not a kpi command") from exc


def copy_sources(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            sources.extend(line.split()[1:-1])
    return sources


def listify(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def tomllib_scripts() -> dict:
    import tomllib

    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
