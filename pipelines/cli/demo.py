"""`xero-warehouse demo`: the whole product on one machine, offline.

Starts the local Xero sandbox (two organisations, rate limits on with a fast clock), syncs
every collection and report snapshot into ./xero_warehouse.duckdb (or --destination), builds
the reporting models, and prints what was loaded, the AR aging totals and the tie-out of the
statements against the sandbox's own reports (exit 1 on a broken line).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from contextlib import closing
from datetime import date

from pipelines.cli.progress import make_progress
from pipelines.cli.verify import print_verification
from pipelines.destination import parse_destination
from pipelines.environment import current, overridden, state_home
from pipelines.models import run_models
from pipelines.runner import sync
from pipelines.verify import verify
from pipelines.warehouse import organisation_names
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

logger = logging.getLogger(__name__)

DEMO_TENANTS = 2
DEMO_SCALE = "small"
DEMO_SEED = 42
DEMO_TIME_SCALE = 60.0  # rate-limit windows run 60x faster than Xero's
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")


def _sandbox_env(server) -> dict[str, str]:
    """The sandbox's credentials, its fast clock, and a state folder of its own so the demo
    never touches the tokens or cursors of a real Xero connection."""
    env = {k: v for k, v in server.env.items() if k.startswith("XERO_")}
    env.setdefault("XERO_ACCESS_TOKEN", "")
    env["XERO_RATE_LIMIT_TIME_SCALE"] = str(DEMO_TIME_SCALE)
    env["XERO_WAREHOUSE_HOME"] = str(state_home() / "demo")
    return env


def demo_command(args) -> int:
    destination = parse_destination(getattr(args, "destination", None))
    print(f"starting the Xero sandbox: {DEMO_TENANTS} organisations, {DEMO_SCALE} scale")
    sandbox = Sandbox(tenants=DEMO_TENANTS, scale=DEMO_SCALE, seed=DEMO_SEED)
    as_of = sandbox.clock.now().date()
    with running_sandbox(sandbox, time_scale=DEMO_TIME_SCALE, limits=True) as server:
        env = _sandbox_env(server)
        with overridden(env):
            print(f"syncing into {destination.display}")
            result = sync(
                destination=destination.url, resources=["*"], display=make_progress(live=True)
            )
        for error in result.errors:
            print(f"error: {error}")
        if not result.ok:
            return 1
        print(f"loaded {result.rows} rows with {result.requests} API requests")
        _print_tables(destination)
        _run_models(destination, as_of)
        _print_aging(destination, as_of)
        broken = _print_tie_out(destination)
        if getattr(args, "dagster", False):
            return _dagster_ui(env, destination)
    return 1 if broken else 0


def _dagster_ui(env: dict[str, str], destination) -> int:
    """The Dagster UI on the same sandbox and warehouse, until Ctrl-C. It runs in a process
    of its own (the CLI never imports the Dagster code location)."""
    ui_env = {**current(), **env, "XERO_WAREHOUSE_DESTINATION": destination.url}
    try:
        return subprocess.call([sys.executable, "-m", "dagster_project.ui"], env=ui_env)
    except KeyboardInterrupt:
        return 0


def _run_models(destination, as_of: date) -> None:
    results = run_models(destination=destination.url, as_of=as_of)
    print(f"built {len(results)} reporting models (as of {as_of})")


def _print_tie_out(destination) -> int:
    """The verify summary; the number of broken lines."""
    verification = verify(destination)
    print("\nthe statements against the sandbox's own reports (xero-warehouse verify):")
    print_verification(verification, detail=False)
    print("see every line: select * from reporting.tie_out")
    return len(verification.broken)


def _print_tables(destination) -> None:
    with closing(destination.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = 'xero' "
            "and table_name not like '\\_dlt%' escape '\\' and table_name not like '%\\_\\_%' "
            "escape '\\' order by table_name"
        )
        tables = [table for (table,) in cursor.fetchall()]
        names = organisation_names(cursor, destination)
        print("\nrows per organisation in schema xero:")
        for table in tables:
            cursor.execute(f'select tenant_id, count(*) from xero."{table}" group by 1 order by 1')
            shown = ", ".join(f"{names.get(t, t)}: {n}" for t, n in cursor.fetchall()) or "empty"
            print(f"  {table:<24} {shown}")


def _print_aging(destination, as_of: date) -> None:
    with closing(destination.connect()) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(
                "select tenant_id, base_currency, aging_bucket, sum(amount_due_base) "
                "from reporting.fct_ar_aging group by 1, 2, 3 order by 1, 2, 3"
            )
        except Exception as exc:  # noqa: BLE001 - the models are optional for the demo
            logger.warning("no AR aging to show: %s", str(exc).splitlines()[0])
            return
        rows = cursor.fetchall()
        names = organisation_names(cursor, destination)
    totals: dict[tuple[str, str], dict[str, object]] = {}
    for tenant_id, currency, bucket, amount in rows:
        totals.setdefault((tenant_id, currency or "?"), {})[bucket] = amount
    print(f"\nAR aging as of {as_of} (amount due in each organisation's base currency):")
    print("  " + f"{'organisation':<28}{'ccy':<5}" + "".join(f"{b:>14}" for b in BUCKETS))
    for (tenant_id, currency), buckets in totals.items():
        cells = "".join(f"{buckets.get(b, 0) or 0:>14,.2f}" for b in BUCKETS)
        print(f"  {str(names.get(tenant_id, tenant_id))[:27]:<28}{currency:<5}{cells}")
    print("\nquery it: select * from reporting.fct_ar_aging")
