"""Start the Dagster UI (webserver + daemon) on this code location.

`xero-warehouse demo --dagster` calls `run_dagster_ui(env, port)` (blocks until Ctrl-C);
`start_dagster_ui` also serves the tests that drive the real webserver.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
from dagster import DagsterInstance

from assets.partitions import WAREHOUSE_POOL
from pipelines.environment import current, setting

logger = logging.getLogger(__name__)

CODE_LOCATION_MODULE = "dagster_project.definitions"
INSTANCE_TEMPLATE = Path(__file__).with_name("dagster.yaml")


def prepare_dagster_home(home: Path) -> Path:
    """Create `home` with the project's dagster.yaml (telemetry off, concurrency limits)
    and the warehouse pool's limit in place."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_TEMPLATE, home / "dagster.yaml")
    initialize_warehouse_pool(home)
    return home


def initialize_warehouse_pool(home: Path) -> None:
    """Store the warehouse pool's limit (dagster.yaml's default_limit) unless one is set.
    The run queue does not limit a pool it has never seen on its first pass, which could
    start two DuckDB writers at once."""

    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        if WAREHOUSE_POOL not in {limit.name for limit in storage.get_pool_limits()}:
            storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)


def default_dagster_home(env: Mapping[str, str]) -> Path:
    state = env.get("XERO_WAREHOUSE_HOME") or setting("XERO_WAREHOUSE_HOME")
    return Path(state or "~/.xero-warehouse").expanduser() / "dagster"


def start_dagster_ui(
    env: Mapping[str, str],
    port: int = 3000,
    dagster_home: Path | None = None,
    host: str = "127.0.0.1",
    log_file: Path | None = None,
) -> subprocess.Popen:
    """Run `dagster dev` for this project in the background and return the process.

    `env` is laid over the current environment: the XERO_* variables (for the sandbox:
    `srv.env`) and XERO_WAREHOUSE_DESTINATION. DAGSTER_HOME defaults to
    `$XERO_WAREHOUSE_HOME/dagster`; its output goes to `log_file` (default
    `$DAGSTER_HOME/dagster-dev.log`). Stop it with `stop_dagster_ui(process)`.
    """
    home = prepare_dagster_home(dagster_home or default_dagster_home(env))
    process_env = {
        **current(),
        **env,
        "DAGSTER_HOME": str(home),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    command = [
        sys.executable, "-m", "dagster", "dev",
        "-m", CODE_LOCATION_MODULE,
        "--host", host, "--port", str(port),
    ]  # fmt: skip
    log_file = log_file or home / "dagster-dev.log"
    output = open(log_file, "ab")  # noqa: SIM115 - handed to the child process
    logger.info("starting the Dagster UI on http://%s:%d (DAGSTER_HOME=%s)", host, port, home)
    try:
        return subprocess.Popen(
            command,
            env=process_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        output.close()


def wait_for_dagster_ui(
    process: subprocess.Popen, port: int, host: str = "127.0.0.1", timeout: float = 180
) -> str:
    """Block until the webserver answers and the code location has loaded; return its URL."""
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"dagster dev exited with code {process.returncode}; see its log in DAGSTER_HOME"
            )
        if _location_loaded(url):
            return url
        time.sleep(1)
    raise TimeoutError(f"the Dagster UI did not come up on {url} within {timeout:.0f} s")


def _location_loaded(url: str) -> bool:
    query = """{ workspaceOrError { ... on Workspace { locationEntries {
        locationOrLoadError { __typename } } } } }"""
    try:
        response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=5)
        entries = response.json()["data"]["workspaceOrError"]["locationEntries"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return False
    kinds = [(entry.get("locationOrLoadError") or {}).get("__typename") for entry in entries]
    if "PythonError" in kinds:
        raise RuntimeError("the Dagster code location failed to load; see the dagster dev log")
    return bool(kinds) and all(kind == "RepositoryLocation" for kind in kinds)


def stop_dagster_ui(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop `dagster dev` and the processes it started (webserver, daemon, code server)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def run_dagster_ui(
    env: Mapping[str, str],
    port: int = 3000,
    dagster_home: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Start the UI, call `announce(url)` once it is up, serve until interrupted (Ctrl-C)
    or until `dagster dev` exits; returns its exit code (0 when interrupted)."""
    process = start_dagster_ui(env, port, dagster_home)
    try:
        url = wait_for_dagster_ui(process, port)
        if announce:
            announce(url)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_dagster_ui(process)


if __name__ == "__main__":
    # `python -m dagster_project.ui`: what `xero-warehouse demo --dagster` starts
    raise SystemExit(
        run_dagster_ui(current(), announce=lambda url: print(f"Dagster UI: {url} (Ctrl-C stops)"))
    )
