"""The real Dagster UI: a two-tenant backfill launched through the webserver's GraphQL API
runs to completion, and the asset graph page renders the Xero and reporting assets."""

import os
import shutil
import socket
import subprocess
import time
from datetime import date
from urllib.parse import urlencode

import dagster as dg
import httpx
import pytest
from isolation import isolate_environment

from dagster_project.ui import (
    prepare_dagster_home,
    start_dagster_ui,
    stop_dagster_ui,
    wait_for_dagster_ui,
)
from pipelines.xero.settings import COLLECTIONS
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

# both tests share one `dagster dev` (xdist runs a module in one worker)
pytestmark = [pytest.mark.slow, pytest.mark.starts_first]

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""

BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions }
    ... on PythonError { message }
  }
}"""

BACKFILL_RUNS = """
query($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status startTime endTime
                            tags { key value } } }
  }
}"""

PARTITION_STATS = """
query($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { partitionStats { numMaterialized numPartitions } }
  }
}"""

ASSET_GROUPS = "{ assetNodes { groupName } }"

REPOSITORIES = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)

LATEST_MATERIALIZATIONS = """
query($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      assetMaterializations(limit: 2) {
        partition
        metadataEntries { label ... on BoolMetadataEntry { boolValue } }
      }
    }
  }
}"""

SENSOR_STATE = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { sensorState { id } } }
}"""

STOP_SENSOR = """
mutation($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
    ... on PythonError { message }
  }
}"""

ACTIVE_RUNS = """
{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) {
    ... on Runs { results { runId } } } }"""

# the first backfill's tables; the full refresh after it syncs every raw table of both tenants
BACKFILLED = ("invoices", "journals", "contacts", "accounts")

FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(url: str, query: str, **variables) -> dict:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): no screenshot")
    return chromium


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    """Sandbox (two tenants) + `dagster dev` on a free port with a temporary DAGSTER_HOME
    where both tenant partitions already exist; shared by the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("dagster_ui")
    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=date(2026, 10, 31))
    warehouse = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    home = prepare_dagster_home(tmp_path / "dagster_home")
    tenants = [tenant.tenant_id for tenant in sandbox.tenants]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("tenants", tenants)
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        running_sandbox(sandbox, time_scale=60) as server,
    ):
        isolate_environment(monkeypatch, tmp_path)
        env = {
            **server.env,
            "XERO_WAREHOUSE_DESTINATION": warehouse,
            "XERO_WAREHOUSE_HOME": str(tmp_path / "home"),
        }
        port = free_port()
        log = tmp_path / "dagster.log"
        process = start_dagster_ui(env, port, dagster_home=home, log_file=log)
        try:
            url = wait_for_dagster_ui(process, port)
            stop_sensor(url, "reporting_automation_sensor")
            yield url, tenants
        except Exception:
            print(log.read_text()[-5000:])
            raise
        finally:
            stop_dagster_ui(process, timeout=5)  # the test is over: no need to wait 30 s


def stop_sensor(url: str, name: str) -> None:
    """The reporting automation would rebuild every model after each backfill run, holding
    the warehouse pool's one slot: these tests are about backfills and the graph page (the
    automation's own tests are in test_sensors.py), so it is switched off in the UI first."""
    repository = graphql(url, REPOSITORIES)["repositoriesOrError"]["nodes"][0]
    selector = {
        "repositoryName": repository["name"],
        "repositoryLocationName": repository["location"]["name"],
        "sensorName": name,
    }
    sensor = graphql(url, SENSOR_STATE, selector=selector)["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    stopped = graphql(url, STOP_SENSOR, id=sensor["sensorState"]["id"])["stopSensor"]
    assert stopped["__typename"] == "StopSensorMutationResult", stopped
    assert stopped["instigationState"]["status"] == "STOPPED"


def wait_for_backfill(url: str, backfill_id: str, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = graphql(url, BACKFILL_STATUS, id=backfill_id)["partitionBackfillOrError"]
        assert status["__typename"] == "PartitionBackfill", status
        if status["status"] in FINISHED:
            return status["status"]
        time.sleep(2)
    raise AssertionError(f"backfill {backfill_id} still running after {timeout:.0f} s")


def wait_until_idle(url: str, timeout: float = 300) -> None:
    """Until no run is queued or in progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = graphql(url, ACTIVE_RUNS)["runsOrError"]["results"]
        if not runs:
            return
        time.sleep(2)
    raise AssertionError(f"runs still active after {timeout:.0f} s")


def test_backfill_of_two_tenants_through_the_webserver(dagster_ui, tmp_path):
    url, tenants = dagster_ui
    params = {
        "assetSelection": [{"path": ["xero", name]} for name in BACKFILLED],
        "partitionNames": tenants,
        "fromFailure": False,
        "title": "first load of two tenants",
    }
    launched = graphql(url, LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    assert wait_for_backfill(url, launched["backfillId"]) == "COMPLETED_SUCCESS"
    runs = graphql(url, BACKFILL_RUNS, id=launched["backfillId"])["runsOrError"]["results"]
    assert {run["status"] for run in runs} == {"SUCCESS"}
    # one run syncs both tenants together (the raw assets' backfill policy batches them)
    assert len(runs) == 1
    tags = {tag["key"]: tag["value"] for tag in runs[0]["tags"]}
    batch = tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]
    assert sorted(batch) == sorted(tenants)

    assert_both_tenants_materialized(url, BACKFILLED)
    groups = {node["groupName"] for node in graphql(url, ASSET_GROUPS)["assetNodes"]}
    assert groups == {"xero", "reporting"}

    # then a full refresh of both tenants: a backfill of the full-refresh job's partitions
    repository = graphql(url, REPOSITORIES)["repositoriesOrError"]["nodes"][0]
    params = {
        "selector": {
            "partitionSetName": "xero_full_refresh_job_partition_set",
            "repositorySelector": {
                "repositoryName": repository["name"],
                "repositoryLocationName": repository["location"]["name"],
            },
        },
        "partitionNames": tenants,
        "fromFailure": False,
    }
    launched = graphql(url, LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    assert wait_for_backfill(url, launched["backfillId"]) == "COMPLETED_SUCCESS"
    runs = graphql(url, BACKFILL_RUNS, id=launched["backfillId"])["runsOrError"]["results"]
    assert len(runs) == 1  # the job's backfill batches the tenants too
    assert {"key": "xero/full_refresh", "value": "true"} in runs[0]["tags"]
    latest = graphql(url, LATEST_MATERIALIZATIONS, path=["xero", "invoices"])["assetNodeOrError"]
    flags = {
        event["partition"]: entry["boolValue"]
        for event in latest["assetMaterializations"]
        for entry in event["metadataEntries"]
        if entry["label"] == "full_refresh"
    }
    assert flags == dict.fromkeys(tenants, True)
    assert_both_tenants_materialized(url, [c.name for c in COLLECTIONS])


def assert_both_tenants_materialized(url: str, tables) -> None:
    for table in tables:
        stats = graphql(url, PARTITION_STATS, path=["xero", table])["assetNodeOrError"]
        assert stats["partitionStats"]["numMaterialized"] == 2, table


def test_asset_graph_page_shows_both_groups(request, tmp_path):
    """Checks chromium before asking for the UI, so a machine without it skips at once.
    After the backfill test the graph shows materialized assets."""
    chromium = chromium_or_skip()
    url, _ = request.getfixturevalue("dagster_ui")
    wait_until_idle(url)  # a live run keeps the page busy and the screenshot waiting
    screenshot_asset_graph(chromium, url, tmp_path)


def screenshot_asset_graph(chromium: str, url: str, tmp_path, attempts: int = 2):
    """A PNG of the global asset lineage with both groups expanded (about 100 assets), and
    the page's DOM showing both groups, from one render. The graph is laid out in the page:
    chromium's virtual clock gives it two minutes."""
    expanded = urlencode({"expanded": "global@global:xero,global@global:reporting"})
    target = tmp_path / "asset-graph.png"
    dom = ""
    for _ in range(attempts):
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1600,3000", "--virtual-time-budget=120000", "--dump-dom",
             f"--screenshot={target}", f"{url}/asset-groups?{expanded}"],
            capture_output=True, text=True, timeout=180,
        ).stdout  # fmt: skip
        if ">xero<" in dom and ">reporting<" in dom:
            break
    assert ">xero<" in dom and ">reporting<" in dom, "the asset graph shows no xero/reporting"
    assert target.stat().st_size > 20_000, "the asset graph screenshot looks blank"
    keep = os.environ.get("XW_SCREENSHOT_DIR")
    if keep:
        shutil.copy(target, keep)
    return target
