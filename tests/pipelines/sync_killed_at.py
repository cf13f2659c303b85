"""Run `xero-warehouse ARGS...` in this process and kill it (os._exit, as kill -9 would: no
cleanup, no flush) at a named moment of the sync. Test-only.

    python sync_killed_at.py POINT TENANT_ID -- sync --destination ...

POINT (for the pipeline of TENANT_ID's group only; other groups sync normally):
- extract: after the tenant's 5th API request
- normalize: when normalize starts
- initialized: after the loader applied the schema and emptied the staging tables, before any
  copy job ran
- staged: when the copy of `invoices` into the staging dataset has committed but before dlt
  recorded it (the moment a resumed package would copy the file twice)
- merged: when the merge of `invoices` into the final table has committed, before it was recorded
- completing: when every job is done, before the load is recorded
- outage: like staged, but instead of dying, cut the PostgreSQL database off (terminate its
  connections and refuse new ones) and let the run go on
"""

from __future__ import annotations

import os
import sys

KILLED = 99


def die() -> None:
    sys.stdout.flush()
    os._exit(KILLED)


def ours(path: str, tenant_id: str) -> bool:
    from pipelines.runner import pipeline_name, tenant_group

    return pipeline_name(tenant_group(tenant_id)) in str(path)


def cut_database_off() -> None:
    import psycopg2

    from pipelines.destination import parse_destination

    target = parse_destination(os.environ["XW_KILL_DESTINATION"])
    database = target.postgres_dsn.rsplit("/", 1)[1]
    admin = psycopg2.connect(target.postgres_dsn.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'alter database "{database}" allow_connections false')
        cursor.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
            (database,),
        )
    admin.close()


def install(point: str, tenant_id: str) -> None:
    import dlt
    from dlt.common.storages.load_package import PackageStorage
    from dlt.load import Load

    from pipelines.xero.client import XeroClient

    if point == "extract":
        original_get = XeroClient.get
        calls = {"n": 0}

        def get(self, *args, **kwargs):
            if self.tenant_id == tenant_id:
                calls["n"] += 1
                if calls["n"] > 5:
                    die()
            return original_get(self, *args, **kwargs)

        XeroClient.get = get
    elif point == "normalize":
        original_normalize = dlt.Pipeline.normalize

        def normalize(self, *args, **kwargs):
            if ours(self.pipeline_name, tenant_id):
                die()
            return original_normalize(self, *args, **kwargs)

        dlt.Pipeline.normalize = normalize
    elif point in ("initialized", "completing"):
        name = "resume_started_jobs" if point == "initialized" else "complete_package"
        original = getattr(Load, name)

        def step(self, *args, **kwargs):
            if ours(self.load_storage.storage.storage_path, tenant_id):
                die()
            return original(self, *args, **kwargs)

        setattr(Load, name, step)
    else:
        original_save = PackageStorage.save_pending_transition
        suffix = ".sql" if point == "merged" else ""
        done = {"cut": False}

        def save_pending_transition(self, load_id, file_name, *args, **kwargs):
            if (
                ours(self.storage.storage_path, tenant_id)
                and file_name.startswith("invoices.")
                and file_name.endswith(suffix)
                and not done["cut"]
            ):
                if point != "outage":
                    die()
                done["cut"] = True
                cut_database_off()
            return original_save(self, load_id, file_name, *args, **kwargs)

        PackageStorage.save_pending_transition = save_pending_transition


if __name__ == "__main__":
    point, tenant, separator, *argv = sys.argv[1:]
    assert separator == "--"
    install(point, tenant)
    from pipelines.cli import main

    main(argv)
