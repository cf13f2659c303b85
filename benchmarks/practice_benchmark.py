"""Practice benchmark: one organisation against many, full sync and no-change incremental.

    uv run python benchmarks/practice_benchmark.py                 # 1 and 200 organisations
    uv run python benchmarks/practice_benchmark.py --tenants 5     # a quick run

For each case (1 small organisation, then --tenants of them) a sandbox of that many
organisations is built and served over real HTTP with rate limits off (and the client's own
pacing sped up 1000 times), so neither the limits nor the pacing are measured. Each case
runs `pipelines.runner.sync(destination="duckdb:///.../w.duckdb", tenants=None)` twice, a
full sync and then a no-change incremental, each in a fresh child process with the case's
own XERO_WAREHOUSE_HOME. Per run it prints the child's wall time (process start to exit)
and the time of the sync() call alone, the requests the sync counted and the requests the
sandbox logged, requests per tenant and the child's peak RSS.

The baseline: dlt loading the same rows as one package. A child reads every collection of
every organisation from the sandbox into memory (not timed), converted as the sync converts
them, then times one `pipeline.run` of one merge resource per collection into a fresh DuckDB.

Goals (PASS/MISS): the many-organisation no-change incremental at most 8x the one-organisation
one and under 120 s (child wall times); the many-organisation full sync within 1.5x of the
baseline (sync() call against pipeline.run, both without the interpreter's start-up); peak RSS
of every syncing process under 1.5 GiB; the sandbox ready in under 60 s and under 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import PEAK_RSS, peak_rss_mb  # noqa: E402

GiB = 1024.0  # in MiB
CLIENT_TIME_SCALE = "1000"  # the client's pacing windows run this many times faster


CHILD_SYNC = (
    PEAK_RSS
    + """
import json, sys, time
from pipelines.runner import sync
started = time.perf_counter()
result = sync(destination=sys.argv[1], tenants=None)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "ok": result.ok,
    "errors": result.errors[:3],
    "rows": result.rows,
    "requests": result.requests,
    "rss_mb": peak_rss_mb(),
}))
"""
)

CHILD_BASELINE = (
    PEAK_RSS
    + """
import json, os, sys, time
from decimal import Decimal
import dlt, httpx
from pipelines.xero import settings
from pipelines.xero.helpers import (
    TENANT_ID, _snake, convert, item_schema, nested_hints, root_columns)

API = os.environ["XERO_API_URL"] + "/api.xro/2.0"

def access_token():
    answer = httpx.post(os.environ["XERO_IDENTITY_URL"] + "/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": os.environ["XERO_REFRESH_TOKEN"]},
        auth=(os.environ["XERO_CLIENT_ID"], os.environ["XERO_CLIENT_SECRET"]))
    answer.raise_for_status()
    return answer.json()["access_token"]

def get(http, collection, params):
    answer = http.get(API + collection.path, params={**dict(collection.params), **params})
    answer.raise_for_status()
    return json.loads(answer.content, parse_float=Decimal)[collection.envelope]

def read_all(http, collection):
    if collection.strategy == settings.JOURNALS:
        rows, offset = [], 0
        while page := get(http, collection, {"offset": offset}):
            rows += page
            offset = page[-1]["JournalNumber"]
            if len(page) < settings.JOURNALS_PER_CALL:
                break
        return rows
    if collection.strategy in (settings.PAGED_IMS, settings.PAGED_CLIENT_FILTER):
        size = collection.page_size or settings.DEFAULT_PAGE_SIZE
        extra = {"pageSize": size} if collection.page_size else {}
        rows, number = [], 1
        while True:
            page = get(http, collection, {**extra, "page": number})
            rows += page
            if len(page) < size:
                return rows
            number += 1
    return get(http, collection, {})

token = access_token()
headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
tenants = [c["tenantId"] for c in httpx.get(
    os.environ["XERO_IDENTITY_URL"] + "/connections", headers=headers).json()]
rows = {c.name: [] for c in settings.COLLECTIONS}
for tenant in tenants:
    with httpx.Client(headers={**headers, "xero-tenant-id": tenant}, timeout=60) as http:
        for c in settings.COLLECTIONS:
            schema = item_schema(c.envelope)
            for record in read_all(http, c):
                rows[c.name].append({TENANT_ID: tenant, **convert(record, schema)})

def resources():
    for c in settings.COLLECTIONS:
        key = (TENANT_ID, _snake(c.primary_key)) if c.primary_key else (TENANT_ID,)
        yield dlt.resource(rows[c.name], name=c.name, table_name=c.name,
                           write_disposition="merge", primary_key=key,
                           columns=root_columns(c.envelope, c.cursor, c.primary_key),
                           nested_hints=nested_hints(c.envelope))

pipeline = dlt.pipeline("baseline", destination=dlt.destinations.duckdb(sys.argv[1]),
                        dataset_name="xero", pipelines_dir=sys.argv[2])
source = dlt.source(name="xero", max_table_nesting=3, root_key=True)(lambda: list(resources()))()
started = time.perf_counter()
pipeline.run(source, loader_file_format="parquet")
print(json.dumps({"seconds": time.perf_counter() - started,
                  "rows": sum(len(r) for r in rows.values()), "rss_mb": peak_rss_mb()}))
"""
)


def run_child(code: str, *args: str, env: dict) -> dict:
    """Run `code` as a script file, as `xero-warehouse` runs: dlt takes `python -c` for an
    interactive session and then keeps normalize in one process."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "child.py"
        script.write_text(code)
        completed = subprocess.run(
            [sys.executable, str(script), *args], env=env, capture_output=True, text=True, cwd=ROOT
        )
    if completed.returncode != 0:
        raise SystemExit(f"child failed:\n{completed.stderr[-3000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started
    return figures


def child_env(srv, home: Path) -> dict:
    """The environment of one child: the sandbox, a fresh refresh token, its own home."""
    from sandbox.server import sandbox_env

    return {
        **os.environ,
        **sandbox_env(srv.base_url, srv.identity),
        "XERO_RATE_LIMIT_TIME_SCALE": CLIENT_TIME_SCALE,
        "XERO_WAREHOUSE_HOME": str(home),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }


def measured_sync(srv, url: str, home: Path, tenants: int, label: str) -> dict:
    """One sync in a child process; prints and returns its figures."""
    srv.log.reset()
    figures = run_child(CHILD_SYNC, url, env=child_env(srv, home))
    tenant_ids = [t.tenant_id for t in srv.sandbox.tenants]
    figures["logged"] = srv.log.count()
    figures["tenant_requests"] = sum(srv.log.count(tenant_id=t) for t in tenant_ids)
    print(
        f"  {label}: wall {figures['wall']:.1f} s (sync() {figures['seconds']:.1f} s), "
        f"{figures['rows']:,} rows read, requests {figures['requests']:,} counted / "
        f"{figures['logged']:,} logged ({figures['tenant_requests'] / tenants:.1f} per tenant), "
        f"peak RSS {figures['rss_mb']:.0f} MiB, ok={figures['ok']}"
        + (f" {figures['errors']}" if figures["errors"] else "")
    )
    return figures


def run_case(tenants: int, seed: int, work: Path, baseline: bool) -> dict:
    """Build and serve `tenants` small organisations, sync them fully, then again."""
    from sandbox.model import Sandbox
    from sandbox.server import running_sandbox

    started = time.perf_counter()
    sb = Sandbox(tenants=tenants, scale="small", seed=seed)
    case = {"records": sb.total_rows()}
    folder = work / f"tenants_{tenants}"
    folder.mkdir()
    url = f"duckdb:///{folder / 'w.duckdb'}"
    with running_sandbox(sb, limits=False) as srv:
        case["ready"] = time.perf_counter() - started
        print(
            f"\n{tenants} organisation(s), {case['records']:,} records: "
            f"sandbox serving after {case['ready']:.2f} s"
        )
        case["full"] = measured_sync(srv, url, folder / "home", tenants, "full sync")
        case["incremental"] = measured_sync(
            srv, url, folder / "home", tenants, "no-change incremental"
        )
        if baseline:
            case["baseline"] = run_baseline(srv, folder)
    case["sandbox_rss_mb"] = peak_rss_mb()
    return case


def run_baseline(srv, folder: Path) -> dict:
    env = child_env(srv, folder / "baseline_home")
    figures = run_child(
        CHILD_BASELINE, str(folder / "baseline.duckdb"), str(folder / "baseline_dlt"), env=env
    )
    print(
        f"  baseline, dlt loading the same {figures['rows']:,} rows as one package: "
        f"{figures['seconds']:.1f} s, peak RSS {figures['rss_mb']:.0f} MiB"
    )
    return figures


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_goals(one: dict, many: dict, tenants: int) -> None:
    still, still_one = many["incremental"]["wall"], one["incremental"]["wall"]
    full, alone = many["full"]["seconds"], many["baseline"]["seconds"]
    peak = max(case[run]["rss_mb"] for case in (one, many) for run in ("full", "incremental"))
    print(f"\ngoals ({tenants} organisations against 1):")
    print(
        f"  [{verdict(still <= 8 * still_one)}] no-change incremental {still:.1f} s = "
        f"{still / still_one:.1f}x the 1-organisation {still_one:.1f} s (goal <= 8x)"
    )
    print(f"  [{verdict(still < 120)}] no-change incremental {still:.1f} s (goal < 120 s)")
    print(
        f"  [{verdict(full <= 1.5 * alone)}] full sync {full:.1f} s = {full / alone:.2f}x "
        f"dlt alone's {alone:.1f} s (goal <= 1.5x)"
    )
    print(f"  [{verdict(peak < 1.5 * GiB)}] peak RSS of a sync {peak:.0f} MiB (goal < 1,536 MiB)")
    print(
        f"  [{verdict(many['ready'] < 60)}] sandbox serving {tenants} organisations after "
        f"{many['ready']:.1f} s (goal < 60 s)"
    )
    print(
        f"  [{verdict(many['sandbox_rss_mb'] < 2 * GiB)}] sandbox process peak RSS "
        f"{many['sandbox_rss_mb']:.0f} MiB after serving every run (goal < 2,048 MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200, help="organisations (default 200)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="xw-practice-"))
    one = run_case(1, args.seed, work, baseline=False)
    many = run_case(args.tenants, args.seed, work, baseline=True)
    print_goals(one, many, args.tenants)
    print(f"\nwork folder: {work}")


if __name__ == "__main__":
    main()
