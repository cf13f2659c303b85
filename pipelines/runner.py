"""`xero-warehouse sync`: every connected tenant (or the chosen ones) into one dataset, the
tenants of a group together through one dlt pipeline.

Tenants are spread over `XERO_TENANT_GROUPS` pipelines (default 1) by a stable hash of their
id; a group's pipeline keeps the cursors of its tenants, each in the state of the tenant's own
resources. Per group, in one run: finish or abort a load package left by a crashed run,
extract the tenants' collections concurrently (each tenant within its own rate limits), load
them (parquet into DuckDB, csv into PostgreSQL), then mark rows that a complete read no longer
saw as deleted (`_deleted_at`). dlt's fixed costs are paid once per group, not per tenant. An
extract with nothing to load (a run with nothing changed) skips normalize and load. A tenant
that fails, hits its daily API limit, or the reserve (`XERO_DAY_LIMIT_RESERVE`), keeps its
cursors where its rows are and stops with a line saying why (and when it can resume); the
other tenants go on. Two runs on one group wait for each other; on different groups they run
in parallel, and only their loads into one dataset take turns.
"""

from __future__ import annotations

import ctypes
import difflib
import gc
import hashlib
import logging
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dlt
import duckdb
import psycopg2
from dlt.common.schema.utils import get_columns_names_with_prop
from dlt.common.storages.load_package import PackageStorage
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.destination import Destination, parse_destination
from pipelines.display import PlainProgress
from pipelines.environment import configure_dlt_files, state_home
from pipelines.errors import ConfigurationError, XeroWarehouseError
from pipelines.locks import warehouse_lock
from pipelines.xero import settings, xero_source
from pipelines.xero.auth import auth_from_env
from pipelines.xero.client import (
    XeroClient,
    describe_resume,
    list_connections,
    shared_transport,
)
from pipelines.xero.helpers import DELETED_AT, TENANT_ID, SyncTracker, _snake
from pipelines.xero.limiter import env_number
from pipelines.xero.reports import REPORT_NAMES, expand_names

logger = logging.getLogger(__name__)

RECONCILE_BATCH = 500
DEFAULT_TENANT_GROUPS = 1
IN_FLIGHT_PER_TENANT = 5  # Xero's concurrent calls per tenant
MAX_EXTRACT_WORKERS = 40  # dlt extract threads for a group, however many tenants it has
RECURSION_PER_RESOURCE = 2
PARALLEL_NORMALIZE_ROWS = 30_000  # rows read, from which normalize runs in several processes
MAX_NORMALIZE_WORKERS = 4
# rows read, from which freed memory is handed back to the OS between steps: below it the
# collection (a full gc pass, costly in a process with Dagster or dbt loaded) saves nothing
RELEASE_MEMORY_ROWS = 10_000


@dataclass(frozen=True)
class TableStats:
    rows: int
    requests: int


@dataclass(frozen=True)
class TenantOutcome:
    tenant_id: str
    name: str
    rows: int
    requests: int
    status: str  # "ok", "stopped: ...", "failed: ..."
    resume_after_seconds: float | None = None
    deleted: int = 0  # rows newly marked `_deleted_at`
    errors: tuple[str, ...] = ()  # what failed for this tenant, one line each


@dataclass
class SyncResult:
    tables: dict[tuple[str, str], TableStats] = field(default_factory=dict)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    tenants: list[TenantOutcome] = field(default_factory=list)
    check_seconds: float = 0.0  # time spent looking for keys loaded twice

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def pipeline_name(group: int) -> str:
    """The dlt pipeline of a tenant group; its state holds the cursors of the group's tenants
    (each tenant's resources are its own, see `resource_name`)."""
    return f"xero_group_{group}"


def pipelines_dir(destination: Destination, dataset: str) -> Path:
    """Local pipeline state, one folder per (destination, dataset): a cursor kept for one
    warehouse must never be applied to another."""
    key = hashlib.sha256(f"{destination.display}|{dataset}".encode()).hexdigest()[:12]
    return state_home() / "pipelines" / key


def loader_file_format(destination: Destination) -> str:
    return "parquet" if destination.kind == "duckdb" else "csv"


# --- choosing tenants and resources ---------------------------------------------------------


def check_resources(resources: list[str] | None) -> list[str] | None:
    if not resources:
        return None
    valid = settings.RESOURCE_NAMES + REPORT_NAMES
    resources = expand_names(resources, valid)
    unknown = [name for name in resources if name not in valid]
    if unknown:
        raise ConfigurationError(
            f"unknown resource {', '.join(unknown)}; valid names: " + ", ".join(valid)
        )
    return resources


def select_tenants(connections: list[dict], wanted: list[str] | None) -> list[dict]:
    """Connections matching each wanted exact tenant name or tenant id (all when None)."""
    tenants = [c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]
    tenants = tenants or connections
    if not wanted:
        if not tenants:
            raise ConfigurationError(
                "no organisations are connected; run `xero-warehouse auth login`"
            )
        return tenants
    chosen = []
    for name in wanted:
        match = [c for c in tenants if name in (c.get("tenantId"), c.get("tenantName"))]
        if not match:
            names = [c.get("tenantName") or "" for c in tenants]
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
            close += [n for n in names if n.lower() == name.lower() and n not in close]
            hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
            raise ConfigurationError(
                f"unknown tenant {name!r}{hint} (connected: "
                + ", ".join(repr(n) for n in names)
                + ")"
            )
        chosen.extend(c for c in match if c not in chosen)
    return chosen


# --- the sync ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncJob:
    """What one `sync` call asked for, handed to each group's run."""

    target: Destination
    dataset: str
    resources: list[str] | None
    full_refresh: bool
    ids: dict[str, list[str]] | None
    display: PlainProgress


@dataclass
class TenantRun:
    """One tenant within a group's run: its own client (its own rate limits) and tracker."""

    connection: dict
    client: XeroClient
    tracker: SyncTracker
    deleted: int = 0  # rows newly marked `_deleted_at`

    @classmethod
    def start(cls, connection: dict, auth, transport) -> TenantRun:
        tenant_id = connection["tenantId"]
        client = XeroClient(auth, tenant_id, transport=transport)
        return cls(connection, client, SyncTracker(tenant_id))

    @property
    def tenant_id(self) -> str:
        return self.connection["tenantId"]

    @property
    def name(self) -> str:
        return self.connection.get("tenantName") or self.tenant_id


def sync(
    destination: str | None = None,
    dataset: str = "xero",
    tenants: list[str] | None = None,
    resources: list[str] | None = None,
    full_refresh: bool = False,
    ids: dict[str, list[str]] | None = None,
    *,
    auth=None,
    display=None,
) -> SyncResult:
    """Sync the chosen tenants and resources; see the module docstring.

    ids: {"invoices": [...], "contacts": [...], "credit_notes": [...]} fetches only those
    records (a targeted sync: cursors and deletions untouched). auth: an httpx.Auth
    (default: `auth_from_env()`). display: a progress display (default: plain lines on stdout).
    """

    configure_dlt_files()
    target = parse_destination(destination)
    if ids:
        ids = {name: list(values) for name, values in ids.items() if values}
        check_resources(list(ids))
        resources = list(ids)
    resources = check_resources(resources)
    _check_dataset(dataset)
    _check_reachable(target, dataset)
    groups = tenant_group_count()
    auth = auth or auth_from_env()
    chosen = select_tenants(list_connections(auth), tenants)
    job = SyncJob(target, dataset, resources, full_refresh, ids, display or PlainProgress())
    result = SyncResult()
    try:
        for group, connections in _by_group(chosen, groups).items():
            result.tenants.extend(_sync_group(job, group, connections, auth, result))
    finally:
        job.display.close()
    return result


def tenant_group_count() -> int:
    """`XERO_TENANT_GROUPS`: how many dlt pipelines the tenants are spread over (default 1)."""
    groups = env_number("XERO_TENANT_GROUPS", int, DEFAULT_TENANT_GROUPS)
    if groups < 1:
        raise ConfigurationError(f"XERO_TENANT_GROUPS must be 1 or more, got {groups}")
    return int(groups)


def tenant_group(tenant_id: str, groups: int | None = None) -> int:
    """The group whose pipeline holds the tenant's cursors: a stable hash of the tenant id, so
    a tenant always loads through the same pipeline, whichever tenants share its run."""
    groups = groups or tenant_group_count()
    return int(hashlib.sha256(tenant_id.encode()).hexdigest(), 16) % groups


def _by_group(connections: list[dict], groups: int) -> dict[int, list[dict]]:
    by_group: dict[int, list[dict]] = {}
    for connection in connections:
        by_group.setdefault(tenant_group(connection["tenantId"], groups), []).append(connection)
    return dict(sorted(by_group.items()))


def _check_dataset(dataset: str) -> None:
    if not dataset or not dataset.replace("_", "").isalnum():
        raise ConfigurationError(f"bad dataset name {dataset!r}: use letters, digits and _")


def _check_reachable(target: Destination, dataset: str) -> None:
    """Fail in one line before any API call when the warehouse cannot be opened. A DuckDB file
    is opened under the load lock: a sync of ours that is loading holds the file meanwhile."""
    lock = warehouse_lock(target, load_lock(dataset)) if target.kind == "duckdb" else nullcontext()
    try:
        with lock:
            target.connect().close()
    except XeroWarehouseError:
        raise
    except Exception as exc:  # duckdb raises its own errors (locked or unreadable file)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(f"cannot open {target.display}: {reason}") from None


def _sync_group(
    job: SyncJob, group: int, connections: list[dict], auth, result: SyncResult
) -> list[TenantOutcome]:
    """The group's tenants through its pipeline in one run: one extract (the tenants read
    concurrently), one normalize, one load. A failure of the run is every tenant's."""
    transport = shared_transport(keep_alive=MAX_EXTRACT_WORKERS)
    runs = [TenantRun.start(connection, auth, transport) for connection in connections]
    for run in runs:
        job.display.tenant_started(run.name, run.tenant_id)
    job.display.watch(lambda: _snapshot(runs))
    try:
        # one process at a time per group pipeline, on every machine
        with warehouse_lock(job.target, f"sync {job.dataset} {pipeline_name(group)}"):
            _run_pipeline(job, _pipeline(job.target, job.dataset, group), runs, result)
    except XeroWarehouseError as exc:
        for run in runs:
            run.tracker.errors.append(str(exc))
    finally:
        for run in runs:
            run.client.close()
        transport.close()
    return [_tenant_outcome(job, run, result) for run in runs]


def _run_pipeline(job: SyncJob, pipeline, runs: list[TenantRun], result: SyncResult) -> None:
    target = job.target
    with warehouse_lock(target, load_lock(job.dataset)):
        finish_pending(pipeline, target, job.display)
        run_step(target, "sync", pipeline.sync_destination)
    source = xero_source(
        resources=job.resources,
        full_refresh=job.full_refresh,
        ids=job.ids,
        clients=[run.client for run in runs],
        trackers={run.tenant_id: run.tracker for run in runs},
    )
    job.display.step("extracting")
    changed = _extract_and_normalize(pipeline, source, target, runs)
    with warehouse_lock(target, load_lock(job.dataset)):
        if changed:
            job.display.step("loading")
            _load(pipeline, target)
            started = time.perf_counter()
            _check_duplicates(pipeline, runs)
            result.check_seconds += time.perf_counter() - started
        if not job.ids:
            job.display.step("finding deleted rows")
            _reconcile(pipeline, runs)
    _prune_loaded_packages(pipeline)


def _tenant_outcome(job: SyncJob, run: TenantRun, result: SyncResult) -> TenantOutcome:
    tracker = run.tracker
    requests = run.client.stats.requests
    result.requests += requests
    for resource, progress in tracker.resources.items():
        result.tables[(run.tenant_id, resource)] = TableStats(progress.rows, progress.requests)
    result.errors.extend(f"{run.name}: {error}" for error in tracker.errors)
    status = _status(tracker)
    rows = sum(p.rows for p in tracker.resources.values())
    job.display.tenant_finished(run.name, rows, requests, status)
    return TenantOutcome(
        run.tenant_id,
        run.name,
        rows,
        requests,
        status,
        tracker.resume_after_seconds,
        run.deleted,
        tuple(tracker.errors),
    )


def load_lock(dataset: str) -> str:
    """Loads into one dataset run one at a time: schema changes and merges of two processes
    never interleave."""
    return f"load {dataset}"


def _status(tracker) -> str:
    if tracker.stopped:
        when = ""
        if tracker.resume_at is not None:
            when = "; " + describe_resume(tracker.resume_at, tracker.resume_basis)
        return f"stopped: {tracker.stopped}{when}"
    if tracker.errors:
        return "failed: " + tracker.errors[0]
    return "ok"


def _snapshot(runs: list[TenantRun]) -> list[tuple]:
    """Per resource over the group's tenants: rows, requests, status, and the least rate-limit
    headroom any tenant has left."""
    totals: dict[str, list] = {}
    for run in runs:
        stats = run.client.stats
        with run.tracker.lock:
            resources = list(run.tracker.resources.items())
        for name, p in resources:
            row = totals.setdefault(name, [name, 0, 0, [], None, None])
            row[1] += p.rows
            row[2] += p.requests
            row[3].append(p.error and "error" or p.skipped and "skipped" or p.done and "done")
            row[4] = _least(row[4], stats.min_remaining)
            row[5] = _least(row[5], stats.day_remaining)
    return [
        (n, rows, req, _group_status(s), m, d) for n, rows, req, s, m, d in sorted(totals.values())
    ]


def _group_status(statuses: list) -> str:
    if "error" in statuses:
        return "error"
    if all(status == "skipped" for status in statuses):
        return "skipped"
    return "done" if all(statuses) else "..."


def _least(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _pipeline(target: Destination, dataset: str, group: int):
    return dlt.pipeline(
        pipeline_name=pipeline_name(group),
        pipelines_dir=str(pipelines_dir(target, dataset)),
        destination=target.dlt_destination(),
        dataset_name=dataset,
    )


def finish_pending(pipeline, target: Destination, display) -> None:
    """A package left by a crashed or killed run is loaded now if its load never began. One
    whose load began is discarded, which rewinds the cursors it carried so its rows are read
    again: what a killed load did to the staging tables cannot be trusted (a copy may have
    committed without being recorded, and a later load may have refilled the staging tables)."""
    if not pipeline.has_pending_data:
        return
    if any(_load_began(pipeline, load_id) for load_id in pipeline.list_normalized_load_packages()):
        display.step("discarding a partly loaded package; its rows are read again")
        logger.warning("discarding a partly loaded package left by an interrupted run")
        run_step(target, "discarding a partly loaded package", pipeline.abort_packages)
        return
    display.step("loading what a previous run left pending")
    try:
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
        pipeline.load()
    except Exception as exc:  # noqa: BLE001 - any failure here means: abort the package
        logger.warning("aborting a pending load package that failed to load: %s", _one_line(exc))
        run_step(target, "discarding a pending package", pipeline.abort_packages)


def _load_began(pipeline, load_id: str) -> bool:
    """True once the loader touched the destination for this package: the schema update was
    applied (staging truncated) or any job started, finished, failed or was retried."""

    info = pipeline.get_load_package_info(load_id)
    jobs = info.jobs
    applied = Path(info.package_path, PackageStorage.APPLIED_SCHEMA_UPDATES_FILE_NAME)
    return bool(
        jobs.get("started_jobs")
        or jobs.get("completed_jobs")
        or jobs.get("failed_jobs")
        or info.has_pending_transitions
        or applied.exists()
        or any(job.job_file_info.retry_count for job in jobs.get("new_jobs", []))
    )


def _extract_and_normalize(pipeline, source, target: Destination, runs: list[TenantRun]) -> bool:
    """Extract, then normalize, returning the memory of a large extract before the next step.
    False when the extract found nothing to load (no rows, no change of state): its empty
    package is dropped, and there is nothing to normalize or load."""
    workers = min(MAX_EXTRACT_WORKERS, IN_FLIGHT_PER_TENANT * len(runs))

    def steps() -> bool:
        with _recursion_limit(RECURSION_PER_RESOURCE * len(source.resources)):
            pipeline.extract(
                source,
                loader_file_format=loader_file_format(target),
                workers=workers,
                max_parallel_items=2 * workers,
            )
        rows = sum(p.rows for run in runs for p in run.tracker.resources.values())
        large = rows >= RELEASE_MEMORY_ROWS
        if large:
            _release_memory()
        if not _extracted_jobs(pipeline):
            pipeline.abort_packages()
            return False
        pipeline.normalize(workers=normalize_workers(rows))
        if large:
            _release_memory()
        return True

    return run_step(target, "extract", steps)


def normalize_workers(rows: int) -> int:
    """dlt's normalize is one process by default; a large extract is spread over one process
    per core (up to MAX_NORMALIZE_WORKERS). A small one stays in this process: starting a
    worker costs more than it saves."""
    if rows < PARALLEL_NORMALIZE_ROWS or multiprocessing.current_process().daemon:
        return 1  # a daemonic process (some job runners) may not start processes
    return max(1, min(MAX_NORMALIZE_WORKERS, os.cpu_count() or 1))


@contextmanager
def _recursion_limit(at_least: int) -> Iterator[None]:
    """dlt's pipe iterator calls itself once for each resource that ends while it looks for
    the next item (dlt 1.31, `PipeIterator._get_source_item`); a run over hundreds of tenants
    has thousands of resources, many ending in a row, past Python's default of 1,000."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(max(saved, at_least))
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def _extracted_jobs(pipeline) -> bool:
    return any(
        pipeline.get_load_package_info(load_id).jobs.get("new_jobs")
        for load_id in pipeline.list_extracted_load_packages()
    )


def _load(pipeline, target: Destination) -> None:
    info = run_step(target, "load", pipeline.load)
    try:
        info.raise_on_failed_jobs()
    except Exception as exc:  # noqa: BLE001 - dlt's failed-job error quotes a traceback
        raise XeroWarehouseError(_failure_line("load", exc, target)) from None


def run_step(target: Destination, step: str, body):
    """Run one dlt step; its failure becomes one line (a Xero error as it is)."""

    try:
        return body()
    except PipelineStepFailed as exc:
        # a Ctrl-C may reach dlt while it closes the readers' threads, inside what it raises
        interrupt = next((e for e in _chain(exc) if isinstance(e, KeyboardInterrupt)), None)
        if interrupt is not None:
            raise interrupt from None
        cause = _xero_cause(exc)
        if cause is not None:
            raise cause from None
        raise XeroWarehouseError(_failure_line(exc.step or step, exc, target)) from None
    except XeroWarehouseError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a database error while syncing state
        raise XeroWarehouseError(_failure_line(step, exc, target)) from None


def _failure_line(step: str, exc: BaseException, target: Destination) -> str:
    """`load failed: <the database's own words>`: the innermost database error when there is
    one, else the last line of the message (dlt quotes the traceback of a failed job)."""
    reason = _database_reason(exc)
    if reason is None:
        lines = [line.strip() for line in str(getattr(exc, "exception", exc)).splitlines()]
        lines = [line for line in lines if line and not line.startswith(("File ", "^"))]
        reason = lines[-1] if lines else type(exc).__name__
    if "Conflicting lock" in reason or "Could not set lock" in reason:
        reason = "the warehouse file is open in another process"
    reason = target.redact(reason)
    return f"{step} failed ({target.display}): {reason}; what did not load is read again next run"


def _database_reason(exc: BaseException) -> str | None:
    for error in _chain(exc):
        if isinstance(error, psycopg2.Error | duckdb.Error):
            return _one_line(error)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, then what it wraps (dlt's `.exception`) or what it was raised from or
    while handling, down to the first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__


def _release_memory() -> None:
    """Hand freed heap back to the OS (glibc keeps it otherwise), so the peak of one step
    does not add to the next."""

    gc.collect()
    pyarrow = sys.modules.get("pyarrow")  # loaded by dlt's parquet writer, if it wrote any
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    with suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _xero_cause(exc: BaseException) -> XeroWarehouseError | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, XeroWarehouseError):
            return exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reconcile(pipeline, runs: list[TenantRun]) -> None:
    """Set `_deleted_at` on rows a complete read of their collection did not return: one
    read of the live keys per collection over the group's tenants."""
    collections = sorted({name for run in runs for name in run.tracker.seen_ids})
    if not collections:
        return
    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return
        for name in collections:
            if _table_exists(sql, name):
                _mark_gone(sql, name, [run for run in runs if name in run.tracker.seen_ids])


def _mark_gone(sql, name: str, runs: list[TenantRun]) -> None:
    table = sql.make_qualified_table_name(name)
    pk = sql.escape_column_name(_snake(settings.BY_NAME[name].primary_key))
    deleted_at = sql.escape_column_name(DELETED_AT)
    tenant = sql.escape_column_name(TENANT_ID)
    live: dict[str, list] = {run.tenant_id: [] for run in runs}
    marks = ", ".join(["%s"] * len(live))
    rows = sql.execute_sql(
        f"select {tenant}, {pk} from {table} where {tenant} in ({marks}) and {deleted_at} is null",
        *live,
    )
    for tenant_id, key in rows or []:
        live[tenant_id].append(key)
    now = datetime.now(UTC)
    for run in runs:
        seen = {str(value) for value in run.tracker.seen_ids[name]}
        gone = [key for key in live[run.tenant_id] if str(key) not in seen]
        for start in range(0, len(gone), RECONCILE_BATCH):
            batch = gone[start : start + RECONCILE_BATCH]
            sql.execute_sql(
                f"update {table} set {deleted_at} = %s where {tenant} = %s"
                f" and {pk} in ({', '.join(['%s'] * len(batch))})",
                now,
                run.tenant_id,
                *batch,
            )
        if gone:
            logger.info("%s: %d rows gone from Xero marked deleted", name, len(gone))
        run.deleted += len(gone)


def _check_duplicates(pipeline, runs: list[TenantRun]) -> None:
    """Fail a tenant, naming the table, if a table this run loaded holds one of its
    (tenant_id, key) twice: a duplicate must never pass silently. One query per table over
    the group's tenants; the key is the one the source declared, read from the schema."""
    by_id = {run.tenant_id: run for run in runs}
    loaded = {name for run in runs for name, p in run.tracker.resources.items() if p.rows}
    tables = pipeline.default_schema.tables
    with pipeline.sql_client() as sql:
        for name in sorted(loaded):
            if name not in tables or not _table_exists(sql, name):
                continue
            keys = get_columns_names_with_prop(tables[name], "primary_key")
            keys = [TENANT_ID] + [key for key in keys if key != TENANT_ID]
            key_list = ", ".join(sql.escape_column_name(k) for k in keys)
            tenant = sql.escape_column_name(TENANT_ID)
            marks = ", ".join(["%s"] * len(by_id))
            rows = sql.execute_sql(
                f"select {tenant}, count(*) from (select {key_list} from"
                f" {sql.make_qualified_table_name(name)} where {tenant} in ({marks})"
                f" group by {key_list} having count(*) > 1) as twice group by {tenant}",
                *by_id,
            )
            for tenant_id, twice in rows or []:
                by_id[tenant_id].tracker.errors.append(
                    f"{name}: {twice} keys loaded twice for tenant {tenant_id};"
                    f" run `xero-warehouse sync --full-refresh --resource {name}`"
                )


def _prune_loaded_packages(pipeline, keep: int = 1) -> None:
    """Delete the files of loaded packages but the newest: the rows are in the warehouse."""

    for load_id in sorted(pipeline.list_completed_load_packages())[:-keep]:
        shutil.rmtree(pipeline.get_load_package_info(load_id).package_path, ignore_errors=True)


def _table_exists(sql, name: str) -> bool:
    try:
        sql.execute_sql(f"select 1 from {sql.make_qualified_table_name(name)} where 1 = 0")
    except Exception:  # noqa: BLE001 - the table was never created (no rows yet)
        return False
    return True
