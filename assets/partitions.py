"""Names shared by the assets, jobs, schedules and sensors."""

from __future__ import annotations

import dagster as dg

# One partition per connected Xero organisation; the key is the tenant id.
TENANT_PARTITIONS = dg.DynamicPartitionsDefinition(name="tenants")

# Every step that writes to (or reads from) the warehouse takes a slot in this pool.
# DuckDB allows one writing process per file, so the committed dagster.yaml gives pools
# one slot; on PostgreSQL raise it: `dagster instance concurrency set xero_warehouse 8`.
WAREHOUSE_POOL = "xero_warehouse"

# Run tag that turns a run of the raw assets into a full refresh (handy for UI backfills,
# where a tag is easier to add than run config). Same effect as `full_refresh: true`.
FULL_REFRESH_TAG = "xero/full_refresh"

# How many tenants one run of a backfill or schedule syncs together (XERO_TENANTS_PER_RUN):
# one sync of a batch pays dlt's fixed cost once for all of them.
DEFAULT_TENANTS_PER_RUN = 25

RAW_GROUP = "xero"
REPORTING_GROUP = "reporting"
