"""The deployment of deploy/celery, end to end on this machine: a Dagster instance on
PostgreSQL (deploy/celery/dagster.yaml), two dagster-celery worker processes on RabbitMQ with
Redis results, the token store on PostgreSQL, and two runs of two tenants each launched at
the same time. Each batch is one step, executed on a different worker; every tenant's rows
land in a PostgreSQL warehouse exactly as the sandbox holds them."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
from celery import Celery
from kombu import Connection
from sandbox_fixtures import SANDBOX_ANCHOR

from assets.resources import XeroWarehouseResource
from pipelines.models import project_manifest
from sandbox.ground_truth import collection_truth
from sandbox.model import Sandbox

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
BACKEND = "redis://127.0.0.1:6379/0"
TABLES = {"invoices": ("Invoices", "invoice_id"), "contacts": ("Contacts", "contact_id")}
RUN_TIMEOUT_SECONDS = 240


@pytest.fixture(scope="module", autouse=True)
def broker_and_backend():
    """RabbitMQ and Redis must be reachable; without them the test skips, except under CI."""
    for name, port in (("RabbitMQ", 5672), ("Redis", 6379)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=3).close()
        except OSError as exc:
            message = f"{name} is not reachable on 127.0.0.1:{port}: {exc}"
            if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
                pytest.fail(message)
            pytest.skip(message)


@pytest.fixture
def sandbox():
    return Sandbox(tenants=4, scale="small", seed=42, anchor=SANDBOX_ANCHOR)


@contextmanager
def fresh_database(admin_url: str):
    """A new, empty database, dropped afterwards."""
    name = f"xw_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (name,),
            )
            cursor.execute(f'drop database if exists "{name}"')
        admin.close()


@pytest.fixture
def deployment(xero, postgres_server, postgres_url, tmp_path, monkeypatch):
    """The environment every process of the deployment shares; yields the celery queue and
    the database holding Dagster's storage and the token store."""
    queue = f"xw-test-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
    with fresh_database(postgres_server) as storage_url:
        for name, value in {
            "DAGSTER_HOME": str(home),
            # SQLAlchemy 2.1 reads postgresql:// as psycopg 3; the stack has psycopg2
            "DAGSTER_POSTGRES_URL": storage_url.replace("postgresql://", "postgresql+psycopg2://"),
            "XERO_TOKEN_STORE": storage_url,
            "XERO_WAREHOUSE_DESTINATION": postgres_url,
            "XERO_DAGSTER_EXECUTOR": "celery",
            "XERO_CELERY_BROKER": BROKER,
            "XERO_CELERY_BACKEND": BACKEND,
            "XERO_CELERY_QUEUE": queue,
            "XERO_TENANTS_PER_RUN": "2",
        }.items():
            monkeypatch.setenv(name, value)
        project_manifest()  # parsed once here, not by every process at the same time
        with dg.DagsterInstance.get():
            pass  # creates the storage tables before several processes race to
        yield queue, storage_url
        with Connection(BROKER) as connection:
            connection.default_channel.queue_delete(queue)


@contextmanager
def celery_workers(queue: str, count: int, tmp_path: Path):
    """`count` dagster-celery workers of one process each, listening on `queue`."""
    config = tmp_path / "celery.yaml"
    # a busy worker reserves no second step (acks after the step): the steps spread out
    config.write_text(
        (ROOT / "deploy" / "celery" / "celery.yaml").read_text()
        + "    config_source:\n      task_acks_late: true\n"
    )
    names = [f"{queue}-{index}" for index in range(count)]
    workers = [
        subprocess.Popen(
            worker_command(config, queue, name),
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"{name}.log").open("w"),
            start_new_session=True,
        )
        for name in names
    ]
    try:
        wait_for_workers(names)
        yield names
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


def worker_command(config: Path, queue: str, name: str) -> list[str]:
    """deploy/celery/README.md's worker command, with one process per worker."""
    executable = str(Path(sys.executable).with_name("dagster-celery"))
    return [
        executable, "worker", "start", "-A", "dagster_celery.app", "-y", str(config),
        "-q", queue, "-n", name, "--", "--concurrency", "1", "--without-gossip",
    ]  # fmt: skip


def wait_for_workers(names: list[str], timeout: float = 90.0) -> None:
    app = Celery(broker=BROKER, backend=BACKEND)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        online = {name.split("@")[0] for reply in replies for name in reply}
        if online >= set(names):
            return
    raise AssertionError(f"celery workers not online after {timeout} s: {names}")


def launch_batch(first: str, last: str, log: Path) -> subprocess.Popen:
    script = Path(__file__).with_name("run_tenant_batch.py")
    return subprocess.Popen(
        [sys.executable, str(script), first, last, *TABLES],
        stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
    )  # fmt: skip


def step_records(instance: dg.DagsterInstance, run_id: str) -> dict[str, object]:
    """The worker named by the run's delegation event, the pid that ran its step, and when
    the step started and ended."""
    events = [r for r in instance.all_logs(run_id) if r.dagster_event]
    delegated = next(r for r in events if "in celery worker" in (r.dagster_event.message or ""))
    start = next(r for r in events if r.dagster_event.is_step_start)
    end = next(r for r in events if r.dagster_event.is_step_success)
    run_start = next(r for r in events if r.dagster_event_type == dg.DagsterEventType.RUN_START)
    worker = delegated.dagster_event.engine_event_data.metadata["Celery worker"].value
    return {
        "worker": worker,
        "pid": start.dagster_event.pid,
        "run_pid": run_start.dagster_event.pid,
        "start": start.timestamp,
        "end": end.timestamp,
    }


def test_two_batches_load_in_parallel_on_two_celery_workers(
    xero, deployment, postgres_url, tmp_path
):
    tenants = xero.sandbox.tenants
    ids = [tenant.tenant_id for tenant in tenants]
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("tenants", ids)
    queue, storage_url = deployment
    # each call for invoices takes 5 s: a batch's step lasts longer than the workers take to
    # pick up the second run, so the steps overlap if they run in parallel
    xero.faults.add("latency", count=None, seconds=5.0, path="/Invoices")
    with celery_workers(queue, 2, tmp_path):
        runs = [
            launch_batch(ids[0], ids[1], tmp_path / "run-1.log"),
            launch_batch(ids[2], ids[3], tmp_path / "run-2.log"),
        ]
        outputs = [run.communicate(timeout=RUN_TIMEOUT_SECONDS)[0] for run in runs]
    logs = [(tmp_path / f"run-{i}.log").read_text()[-3000:] for i in (1, 2)]
    assert [run.returncode for run in runs] == [0, 0], logs
    run_ids = [output.split()[-1] for output in outputs]

    with dg.DagsterInstance.get() as instance:
        steps = [step_records(instance, run_id) for run_id in run_ids]
        materializations = [
            record.asset_materialization
            for run_id in run_ids
            for record in instance.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records
        ]
    partitions = {m.partition for m in materializations}
    assert len(materializations) == len(TABLES) * len(ids)
    assert partitions == set(ids)
    # each batch ran on its own worker process, and the two steps overlapped in time
    workers = {step["worker"].split("@")[0] for step in steps}
    assert workers == {f"{queue}-0", f"{queue}-1"}
    pids = {step["pid"] for step in steps}
    assert len(pids) == 2
    assert not pids & {os.getpid(), *(step["run_pid"] for step in steps)}
    assert steps[0]["start"] < steps[1]["end"] and steps[1]["start"] < steps[0]["end"]

    # the workers kept the app's rotating token in the PostgreSQL token store
    with psycopg2.connect(storage_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from xero_warehouse_tokens")
        assert cursor.fetchone()[0] == 1

    warehouse = XeroWarehouseResource(destination=postgres_url)
    for table, (collection, key) in TABLES.items():
        duplicates = warehouse.query(
            f"select tenant_id, {key} from xero.{table} group by 1, 2 having count(*) > 1"
        )
        assert duplicates == []
        for tenant in tenants:
            truth = collection_truth(tenant, collection)
            loaded = warehouse.query(
                f"select {key} from xero.{table} where tenant_id = ?", (tenant.tenant_id,)
            )
            assert {row[0] for row in loaded} == truth.ids
    for tenant in tenants:
        due = warehouse.query(
            "select sum(amount_due) from xero.invoices where tenant_id = ?", (tenant.tenant_id,)
        )[0][0]
        assert due == collection_truth(tenant, "Invoices").money["AmountDue"]
