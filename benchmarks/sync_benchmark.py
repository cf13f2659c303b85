"""Sync benchmark against the local sandbox: prints figures, asserts nothing.

    uv run python benchmarks/sync_benchmark.py --scale large            # >= 1,000,000 rows
    uv run python benchmarks/sync_benchmark.py --scale medium --postgres postgresql://...

For each destination (DuckDB, and PostgreSQL when --postgres is given) it runs a full sync in
a child process and reports wall time, rows/s, requests against the lower bound and the
child's peak RSS; then it changes 1% of the records and runs an incremental sync. Finally
it loads the same records with dlt alone (pages fetched beforehand and replayed from local
pickles) to show what the source adds on top of dlt. With rate limits on, it also reports
the rate-limit floor: the lower bound of requests at 60 calls a minute (time-scaled).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import PEAK_RSS  # noqa: E402
from pipelines.xero import settings  # noqa: E402

CHILD_SYNC = """
import json, sys, time
from pipelines.runner import sync
PEAK
started = time.perf_counter()
result = sync(destination=sys.argv[1])
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "ok": result.ok,
    "errors": result.errors[:3],
    "rows": result.rows,
    "requests": result.requests,
    "check_seconds": result.check_seconds,
    "rss_mb": peak_rss_mb(),
}))
"""

CHILD_DLT_ALONE = """
import json, pickle, sys, time
from pathlib import Path
PEAK
import dlt
from pipelines.xero import settings
from pipelines.xero.helpers import TENANT_ID, _snake, nested_hints, root_columns

folder, url, file_format, dataset = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def pages(name):
    with open(folder / f"{name}.pickle", "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return

def resources():
    for c in settings.COLLECTIONS:
        if not (folder / f"{c.name}.pickle").exists():
            continue
        key = (TENANT_ID, _snake(c.primary_key)) if c.primary_key else (TENANT_ID,)
        yield dlt.resource(pages(c.name), name=c.name, write_disposition="merge",
                           primary_key=key, columns=root_columns(c.envelope, c.cursor,
                           c.primary_key), nested_hints=nested_hints(c.envelope))

from pipelines.destination import parse_destination
target = parse_destination(url)
pipeline = dlt.pipeline("dlt_alone", destination=target.dlt_destination(), dataset_name=dataset,
                        pipelines_dir=str(folder / f"pipelines_{file_format}"))
source = dlt.source(name="xero", max_table_nesting=3, root_key=True)(lambda: list(resources()))()
started = time.perf_counter()
pipeline.run(source, loader_file_format=file_format)
print(json.dumps({"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}))
"""


CHILD_SYNC = CHILD_SYNC.replace("PEAK", PEAK_RSS)
CHILD_DLT_ALONE = CHILD_DLT_ALONE.replace("PEAK", PEAK_RSS)


def lower_bound(tenant) -> int:
    """Fewest calls that can read a tenant: ceil(n/1000) per collection with pageSize,
    ceil(n/100) for the 100-per-page ones and Journals, 1 for every other collection."""
    calls = 0
    for c in settings.COLLECTIONS:
        n = len(tenant.collection(c.envelope))
        if c.strategy == settings.PAGED_IMS and c.page_size:
            calls += max(1, math.ceil(n / c.page_size))
        elif c.strategy in (settings.PAGED_IMS, settings.PAGED_CLIENT_FILTER, settings.JOURNALS):
            calls += max(1, math.ceil(n / 100))
        else:
            calls += 1
    return calls


def run_child(code: str, *args: str, env: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if completed.returncode != 0:
        raise SystemExit(f"child failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_lookback_cost(kind: str, url: str, env: dict, srv) -> None:
    """Two no-change incrementals, with the default 5-minute cursor lookback and without: the
    rows and requests the lookback re-reads, and the time it adds."""
    runs = {}
    for label, seconds in (("lookback 300 s", "300"), ("lookback 0 s", "0")):
        srv.log.reset()
        srv.limiter.reset()
        figures = run_child(CHILD_SYNC, url, env={**env, "XERO_CURSOR_LOOKBACK_SECONDS": seconds})
        figures["requests"] = srv.log.count()
        runs[label] = figures
        print(
            f"[{kind}] no-change incremental, {label}: {figures['seconds']:.1f}s, "
            f"{figures['requests']:,} requests, {figures['rows']:,} rows re-read"
        )
    with_lookback, without = runs["lookback 300 s"], runs["lookback 0 s"]
    print(
        f"[{kind}] lookback cost: +{with_lookback['rows'] - without['rows']:,} rows, "
        f"+{with_lookback['requests'] - without['requests']} requests, "
        f"{with_lookback['seconds'] / without['seconds']:.2f}x the time"
    )


def change_one_percent(sb, rng: random.Random) -> int:
    """Update 1% of the records of the incremental collections (Reference / Name edits)."""
    changed = 0
    edits = {
        "Invoices": "Reference",
        "BankTransactions": "Reference",
        "CreditNotes": "Reference",
        "Contacts": "Website",
        "PurchaseOrders": "Reference",
    }
    for tenant in sb.tenants:
        for envelope, field in edits.items():
            collection = tenant.collection(envelope)
            pk = collection.primary_key
            ids = [r[pk] for r in collection.records()]
            for record_id in rng.sample(ids, max(1, len(ids) // 100)):
                try:
                    tenant.update(envelope, record_id, {field: f"bench-{changed}"})
                    changed += 1
                except Exception:  # noqa: BLE001 - a status that forbids edits: skip it
                    pass
    return changed


def dump_pages(env: dict, sb, folder: Path) -> None:
    """Every page the source would read, converted, pickled per collection (not timed)."""
    from pipelines.xero import xero_source
    from pipelines.xero.auth import auth_from_env
    from pipelines.xero.client import XeroClient

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        auth = auth_from_env()
        for tenant in sb.tenants:
            client = XeroClient(auth, tenant.tenant_id)
            source = xero_source(full_refresh=True, clients=[client])
            for resource in source.resources.values():
                with open(folder / f"{resource.table_name}.pickle", "ab") as handle:
                    for page in resource:
                        pickle.dump(page, handle, protocol=pickle.HIGHEST_PROTOCOL)
            client.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", help="small|medium|large or a record count")
    parser.add_argument("--tenants", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1000.0,
        help="rate-limit windows run this many times faster (default 1000)",
    )
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument("--postgres", metavar="URL", help="also benchmark this database")
    parser.add_argument("--skip-dlt-alone", action="store_true")
    parser.add_argument(
        "--compare-formats", action="store_true", help="also time dlt alone with insert_values"
    )
    args = parser.parse_args()

    from sandbox.model import Sandbox
    from sandbox.server import running_sandbox

    started = time.perf_counter()
    scale = int(args.scale) if args.scale.isdigit() else args.scale
    sb = Sandbox(tenants=args.tenants, scale=scale, seed=args.seed)
    rows = sb.total_rows()
    bound = sum(lower_bound(t) for t in sb.tenants)
    per_minute = 60 * args.time_scale
    floor = bound / per_minute * 60 if not args.no_limits else 0.0
    print(
        f"sandbox: {args.tenants} tenant(s), scale {args.scale}: {rows:,} records "
        f"(generated in {time.perf_counter() - started:.0f}s)"
    )
    print(
        f"request lower bound: {bound:,}; rate-limit floor: {floor:.1f}s "
        f"(60/min at time scale {args.time_scale:g})"
    )

    work = Path(tempfile.mkdtemp(prefix="xw-bench-"))
    destinations = [("duckdb", f"duckdb:///{work / 'bench.duckdb'}")]
    if args.postgres:
        destinations.append(("postgres", args.postgres))
    with running_sandbox(sb, time_scale=args.time_scale, limits=not args.no_limits) as srv:
        env = {
            **os.environ,
            **srv.env,
            "XERO_RATE_LIMIT_TIME_SCALE": str(args.time_scale),
            "XERO_WAREHOUSE_HOME": str(work / "home"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
        full: dict[str, dict] = {}
        for kind, url in destinations:
            srv.log.reset()
            srv.limiter.reset()  # each run starts with a fresh daily quota
            figures = run_child(CHILD_SYNC, url, env=env)
            requests = sum(srv.log.count(tenant_id=t.tenant_id) for t in sb.tenants)
            full[kind] = figures
            print(
                f"\n[{kind}] full sync: {figures['seconds']:.1f}s, "
                f"{rows / figures['seconds']:,.0f} records/s, {requests:,} requests "
                f"(bound {bound:,}, +{requests - bound} over; allowed "
                f"+{len(settings.COLLECTIONS) * len(sb.tenants)}), "
                f"peak RSS {figures['rss_mb']:.0f} MiB, ok={figures['ok']} {figures['errors']}"
            )
            check = figures["check_seconds"]
            print(
                f"[{kind}] duplicate-key check after each load: {check:.2f}s, "
                f"{check / figures['seconds']:.1%} of the sync"
            )
            if floor:
                print(f"[{kind}] wall time / rate-limit floor: {figures['seconds'] / floor:.2f}")
        changed = change_one_percent(sb, random.Random(args.seed))
        for kind, url in destinations:
            srv.log.reset()
            srv.limiter.reset()
            figures = run_child(CHILD_SYNC, url, env=env)
            requests = sum(srv.log.count(tenant_id=t.tenant_id) for t in sb.tenants)
            print(
                f"\n[{kind}] incremental after {changed:,} changes: {figures['seconds']:.1f}s, "
                f"{requests:,} requests, {figures['rows']:,} rows, ok={figures['ok']}"
            )
            print_lookback_cost(kind, url, env, srv)
        if not args.skip_dlt_alone:
            pages = work / "pages"
            pages.mkdir()
            dump_pages(
                srv.env
                | {
                    "XERO_RATE_LIMIT_TIME_SCALE": str(args.time_scale),
                    "XERO_WAREHOUSE_HOME": str(work / "home"),
                },
                sb,
                pages,
            )
            for kind, url in destinations:
                formats = ["parquet" if kind == "duckdb" else "csv"]
                if args.compare_formats:
                    formats.append("insert_values")
                for file_format in formats:
                    target = f"duckdb:///{work / f'alone_{file_format}.duckdb'}"
                    dataset = "xero"
                    if kind == "postgres":
                        target, dataset = url, f"xero_alone_{file_format}"
                    alone = run_child(
                        CHILD_DLT_ALONE, str(pages), target, file_format, dataset, env=env
                    )
                    ratio = full[kind]["seconds"] / alone["seconds"]
                    print(
                        f"\n[{kind}] dlt alone ({file_format}) from local pages: "
                        f"{alone['seconds']:.1f}s, peak RSS {alone['rss_mb']:.0f} MiB; "
                        f"end to end / dlt alone: {ratio:.2f}"
                    )
    print(f"\nwork folder: {work}")


if __name__ == "__main__":
    main()
