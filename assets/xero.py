"""The raw Xero tables as Dagster assets: one asset per dlt resource, partitioned by tenant.

One multi-asset runs `pipelines.runner.sync` once for all the tenants of the run: a single
partition, or a batch of them (a backfill or schedule puts up to `tenants_per_run` tenants in
one run, so the sync's fixed cost is paid once per batch). Cursors stay per tenant in the
runner. Asset keys are `["xero", <resource>]`. Each tenant that synced gets a materialization
of its partition carrying the rows loaded, the API requests used and the rate-limit headroom
left; two checks run in the same step: no duplicate (tenant_id, primary key) and no big drop
in any tenant's row count. A tenant that failed is left unmaterialized and named when the
step fails, after the others' results are recorded.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
from dlt.common.normalizers.naming.snake_case import NamingConvention

from assets.partitions import (
    DEFAULT_TENANTS_PER_RUN,
    FULL_REFRESH_TAG,
    RAW_GROUP,
    TENANT_PARTITIONS,
    WAREHOUSE_POOL,
)
from assets.resources import XeroWarehouseResource
from pipelines.xero.settings import COLLECTIONS

NO_DUPLICATE_KEYS = "no_duplicate_keys"
ROW_COUNT_NOT_DROPPED = "row_count_not_dropped"
TENANT_ROW_COUNT = "tenant_row_count"  # metadata key the row-count check compares against


@dataclass(frozen=True)
class XeroTable:
    resource: str  # dlt resource = raw table name, e.g. "invoices"
    primary_key: str | None  # warehouse column, e.g. "invoice_id"; None for keyless collections

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([RAW_GROUP, self.resource])


def xero_tables() -> list[XeroTable]:
    """The raw tables, from the source's endpoint table."""

    naming = NamingConvention()
    tables = []
    for endpoint in COLLECTIONS:
        key = endpoint.primary_key
        column = naming.normalize_identifier(key) if isinstance(key, str) and key else None
        tables.append(XeroTable(resource=endpoint.name, primary_key=column))
    return tables


class SyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every record and mark rows gone from Xero as deleted (`_deleted_at`)."""
    max_row_drop: float = 0.5
    """Warn when a table's live rows for the tenant fall by more than this fraction."""
    from_webhooks: bool = False
    """Re-fetch only the records named by the tenant's pending webhook events."""


def build_xero_assets(
    tables: list[XeroTable], tenants_per_run: int = DEFAULT_TENANTS_PER_RUN
) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=table.asset_key,
            group_name=RAW_GROUP,
            description=f"Raw Xero `{table.resource}`, merged on (tenant_id, {table.primary_key}).",
            kinds={"dlt", "xero"},
            metadata={"primary_key": ["tenant_id", table.primary_key or "(none)"]},
            skippable=True,  # a webhook run materializes only the tables it touched
        )
        for table in tables
    ]
    check_specs = [
        spec
        for table in tables
        for spec in (
            dg.AssetCheckSpec(
                NO_DUPLICATE_KEYS,
                asset=table.asset_key,
                description="No two rows share (tenant_id, primary key).",
            ),
            dg.AssetCheckSpec(
                ROW_COUNT_NOT_DROPPED,
                asset=table.asset_key,
                description="The run's tenants' live rows did not fall sharply since their "
                "previous sync.",
            ),
        )
    ]
    by_key = {table.asset_key: table for table in tables}

    @dg.multi_asset(
        name="xero_raw",
        specs=specs,
        check_specs=check_specs,
        partitions_def=TENANT_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.multi_run(tenants_per_run),
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def xero_raw(
        context: dg.AssetExecutionContext, config: SyncConfig, warehouse: XeroWarehouseResource
    ) -> Iterator:
        selected = [by_key[key] for key in by_key if key in context.selected_asset_keys]
        if config.from_webhooks:
            yield from webhook_results(context, config, warehouse, selected)
        else:
            yield from sync_results(context, config, warehouse, selected, len(tables))

    return xero_raw


def sync_results(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    warehouse: XeroWarehouseResource,
    selected: list[XeroTable],
    table_count: int,
) -> Iterator:
    """One sync of every tenant of the run; the tenants that succeeded are materialized and
    checked, then the step fails naming the tenants that did not."""
    tenant_ids = list(context.partition_keys)
    full_refresh = config.full_refresh or context.run.tags.get(FULL_REFRESH_TAG) == "true"
    resources = None if len(selected) == table_count else [t.resource for t in selected]
    context.log.info(
        "%s sync of %d tables for %d tenants: %s",
        "full refresh" if full_refresh else "incremental",
        len(selected),
        len(tenant_ids),
        ", ".join(tenant_ids),
    )
    display = SyncDisplay(context.log)
    result = warehouse.sync(tenant_ids, resources, full_refresh, display)
    failures = tenant_failures(result, tenant_ids)
    synced = [tenant for tenant in tenant_ids if tenant not in failures]
    extras = {
        tenant: {
            "full_refresh": dg.MetadataValue.bool(full_refresh),
            "sync_requests": dg.MetadataValue.int(tenant_requests(result, tenant)),
            **display.headroom(tenant),
        }
        for tenant in synced
    }
    for table in selected:
        yield from table_results(context, warehouse, table, result, extras, config)
    raise_for_failures(warehouse, "sync", failures)


def webhook_results(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    warehouse: XeroWarehouseResource,
    selected: list[XeroTable],
) -> Iterator:
    """Each tenant's pending webhook events applied in turn (a targeted sync per tenant);
    the tables they touched are materialized, then the step fails naming failed tenants."""
    failures = {}
    for tenant in context.partition_keys:
        display = SyncDisplay(context.log)
        outcome, result = warehouse.apply_webhook_events(tenant, display)
        if outcome is not None and outcome.error:
            failures[tenant] = outcome.error
            continue
        if outcome is None or result is None:
            context.log.info("no pending webhook events for tenant %s", tenant)
            continue
        extra = {
            "webhook_events": dg.MetadataValue.int(outcome.events),
            "records_refetched": dg.MetadataValue.int(sum(map(len, outcome.ids.values()))),
            "sync_requests": dg.MetadataValue.int(result.requests),
            **display.headroom(tenant),
        }
        touched = [table for table in selected if table.resource in outcome.ids]
        for table in touched:
            yield from table_results(context, warehouse, table, result, {tenant: extra}, config)
    raise_for_failures(warehouse, "webhook sync", failures)


def raise_for_failures(
    warehouse: XeroWarehouseResource, what: str, failures: dict[str, str]
) -> None:
    if not failures:
        return
    lines = [f"{what} of tenant {tenant} failed: {why}" for tenant, why in failures.items()]
    if len(failures) > 1:
        lines.insert(0, f"{len(failures)} tenants failed: {', '.join(failures)}")
    # errors pass through drivers: mask the warehouse password whatever they quote
    raise dg.Failure(description=warehouse.parsed.redact("\n".join(lines)))


def table_results(
    context: dg.AssetExecutionContext,
    warehouse: XeroWarehouseResource,
    table: XeroTable,
    result,
    extras: dict[str, dict],
    config: SyncConfig,
) -> Iterator:
    """The table's materialization for each tenant in `extras` (the ones that synced), then
    its selected checks over those tenants."""
    if not extras:
        return
    counts = {}
    for tenant_id, extra in extras.items():
        previous = previous_row_count(context, table.asset_key, tenant_id)
        current = live_row_count(warehouse, table.resource, tenant_id)
        counts[tenant_id] = (previous, current)
        stats = result.tables.get((tenant_id, table.resource))
        yield dg.AssetMaterialization(
            asset_key=table.asset_key,
            partition=tenant_id,
            metadata={
                "rows_loaded": dg.MetadataValue.int(stats.rows if stats else 0),
                "requests": dg.MetadataValue.int(stats.requests if stats else 0),
                TENANT_ROW_COUNT: dg.MetadataValue.int(current),
                **extra,
                # Dagster's standard table metadata: shown as the partition's row count
                "dagster/partition_row_count": dg.MetadataValue.int(current),
                "dagster/table_name": dg.MetadataValue.text(
                    f"{warehouse.dataset}.{table.resource}"
                ),
            },
        )
    if _selected(context, table.asset_key, NO_DUPLICATE_KEYS):
        yield duplicate_keys_check(warehouse, table)
    if _selected(context, table.asset_key, ROW_COUNT_NOT_DROPPED):
        yield row_count_check(table, counts, config.max_row_drop)


def _selected(context: dg.AssetExecutionContext, key: dg.AssetKey, check: str) -> bool:
    return dg.AssetCheckKey(key, check) in context.selected_asset_check_keys


def tenant_failures(result, tenant_ids: list[str]) -> dict[str, str]:
    """Why each tenant of the run that did not complete failed, by tenant id. dlt loads a
    tenant's tables together, so a failed tenant has none of them newly materialized; a
    failure of the whole run is in every tenant's outcome."""
    outcomes = {outcome.tenant_id: outcome for outcome in result.tenants}
    failures = {}
    for tenant_id in tenant_ids:
        outcome = outcomes.get(tenant_id)
        if outcome is None:
            failures[tenant_id] = f"tenant {tenant_id} is not connected"
        elif outcome.status != "ok":
            failures[tenant_id] = "; ".join(outcome.errors) or outcome.status
    return failures


def tenant_requests(result, tenant_id: str) -> int:
    """API requests the sync spent on the tenant."""
    return next((o.requests for o in result.tenants if o.tenant_id == tenant_id), 0)


class SyncDisplay:
    """The runner's progress display, sent to the Dagster log. It keeps each tenant's last
    request counters, which give the rate-limit headroom left after the sync."""

    def __init__(self, log):
        self.log = log
        self._snapshot = None
        self._tenant_ids: dict[str, str] = {}  # tenant name -> id
        self.snapshots: dict[str, list[tuple]] = {}  # tenant id -> last counters

    def tenant_started(self, name: str, tenant_id: str) -> None:
        self._tenant_ids[name] = tenant_id
        self.log.info("syncing %s (%s)", name, tenant_id)

    def watch(self, snapshot) -> None:
        self._snapshot = snapshot

    def step(self, message: str) -> None:
        self.log.info(message)

    def tenant_finished(self, name: str, rows: int, requests: int, status: str) -> None:
        tenant_id = self._tenant_ids.get(name, name)
        self.snapshots[tenant_id] = self._snapshot() if self._snapshot else []
        self.log.info("%s: %d rows, %d requests, %s", name, rows, requests, status)

    def close(self) -> None:
        pass

    def headroom(self, tenant_id: str) -> dict[str, dg.MetadataValue]:
        """The tenant's X-MinLimit-Remaining and X-DayLimit-Remaining as last seen (none
        before a call)."""
        metadata = {}
        for row in self.snapshots.get(tenant_id, [])[:1]:
            minute, day = row[4], row[5]
            if minute is not None:
                metadata["rate_limit_min_remaining"] = dg.MetadataValue.int(int(minute))
            if day is not None:
                metadata["rate_limit_day_remaining"] = dg.MetadataValue.int(int(day))
        return metadata


def live_row_count(warehouse: XeroWarehouseResource, table: str, tenant_id: str) -> int:
    """Rows of the tenant in the raw table that Xero still has (not marked deleted)."""
    columns = warehouse.table_columns(warehouse.dataset, table)
    if not columns:
        return 0
    live = " and _deleted_at is null" if "_deleted_at" in columns else ""
    sql = f'select count(*) from "{warehouse.dataset}"."{table}" where tenant_id = ?{live}'
    return int(warehouse.query(sql, (tenant_id,))[0][0])


def previous_row_count(
    context: dg.AssetExecutionContext, key: dg.AssetKey, tenant_id: str
) -> int | None:
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[tenant_id]), limit=1
    ).records
    if not records:
        return None
    value = records[0].asset_materialization.metadata.get(TENANT_ROW_COUNT)
    return None if value is None else int(value.value)


def duplicate_keys_check(warehouse: XeroWarehouseResource, table: XeroTable) -> dg.AssetCheckResult:
    columns = warehouse.table_columns(warehouse.dataset, table.resource)
    if table.primary_key is None or table.primary_key not in columns:
        reason = "no primary key" if table.primary_key is None else "table not loaded yet"
        return dg.AssetCheckResult(
            check_name=NO_DUPLICATE_KEYS,
            asset_key=table.asset_key,
            passed=True,
            metadata={"skipped": reason},
        )
    sql = (
        f'select tenant_id, "{table.primary_key}", count(*) from'
        f' "{warehouse.dataset}"."{table.resource}" group by 1, 2 having count(*) > 1'
    )
    duplicates = warehouse.query(sql)
    return dg.AssetCheckResult(
        check_name=NO_DUPLICATE_KEYS,
        asset_key=table.asset_key,
        passed=not duplicates,
        metadata={
            "duplicate_keys": len(duplicates),
            "examples": [f"{row[0]}/{row[1]} x{row[2]}" for row in duplicates[:10]],
        },
    )


def row_count_check(
    table: XeroTable, counts: dict[str, tuple[int | None, int]], max_drop: float
) -> dg.AssetCheckResult:
    """Warns when any tenant's live rows fell by more than `max_drop` since its previous
    sync. `counts`: tenant id -> (rows at the previous sync or None, rows now)."""
    drops = {tenant: row_drop(previous, current) for tenant, (previous, current) in counts.items()}
    dropped = sorted(tenant for tenant, drop in drops.items() if drop > max_drop)
    known = [previous for previous, _ in counts.values() if previous is not None]
    return dg.AssetCheckResult(
        check_name=ROW_COUNT_NOT_DROPPED,
        asset_key=table.asset_key,
        passed=not dropped,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "tenants": len(counts),
            "previous_rows": sum(known) if known else "first sync",
            "rows": sum(current for _, current in counts.values()),
            "drop": dg.MetadataValue.float(round(max(drops.values(), default=0.0), 4)),
            "max_drop": dg.MetadataValue.float(max_drop),
            "tenants_dropped": [
                f"{tenant}: {counts[tenant][0]} -> {counts[tenant][1]}" for tenant in dropped
            ],
        },
    )


def row_drop(previous: int | None, current: int) -> float:
    """The fraction of rows gone since the previous sync (0 when rows grew or none were)."""
    return 0.0 if not previous else max(0.0, (previous - current) / previous)
