"""The raw Xero tables as Dagster assets: one asset per dlt resource, partitioned by tenant.

One multi-asset runs `pipelines.runner.sync` for the partition's tenant, which loads through
that tenant's own dlt pipeline (a pipeline shared by tenants would share the incremental
cursor and lose rows). Asset keys are `["xero", <resource>]`. Each materialization carries
the rows loaded, the API requests used and the rate-limit headroom left, and two checks run
in the same step: no duplicate (tenant_id, primary key) and no big drop in row count.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
from dlt.common.normalizers.naming.snake_case import NamingConvention

from assets.partitions import FULL_REFRESH_TAG, RAW_GROUP, TENANT_PARTITIONS, WAREHOUSE_POOL
from assets.resources import XeroWarehouseResource
from pipelines.xero.reports import REPORT_NAMES
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
    """The raw tables: the source's collections, then its report snapshots."""

    naming = NamingConvention()
    tables = []
    for endpoint in COLLECTIONS:
        key = endpoint.primary_key
        column = naming.normalize_identifier(key) if isinstance(key, str) and key else None
        tables.append(XeroTable(resource=endpoint.name, primary_key=column))
    # report snapshots: keyed by (tenant, report date, line), no single-column key to check
    tables.extend(XeroTable(resource=name, primary_key=None) for name in REPORT_NAMES)
    return tables


class SyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every record and mark rows gone from Xero as deleted (`_deleted_at`)."""
    max_row_drop: float = 0.5
    """Warn when a table's live rows for the tenant fall by more than this fraction."""
    from_webhooks: bool = False
    """Re-fetch only the records named by the tenant's pending webhook events."""


def build_xero_assets(tables: list[XeroTable]) -> dg.AssetsDefinition:
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
                description="The tenant's live rows did not fall sharply since the previous sync.",
            ),
        )
    ]
    by_key = {table.asset_key: table for table in tables}

    @dg.multi_asset(
        name="xero_raw",
        specs=specs,
        check_specs=check_specs,
        partitions_def=TENANT_PARTITIONS,
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def xero_raw(
        context: dg.AssetExecutionContext, config: SyncConfig, warehouse: XeroWarehouseResource
    ) -> Iterator:
        tenant_id = context.partition_key
        selected = [by_key[key] for key in by_key if key in context.selected_asset_keys]
        display = SyncDisplay(context.log)
        if config.from_webhooks:
            outcome, result = warehouse.apply_webhook_events(tenant_id, display)
            if outcome is not None and outcome.error:
                raise dg.Failure(
                    description=warehouse.parsed.redact(
                        f"webhook sync of tenant {tenant_id} failed: {outcome.error}"
                    )
                )
            if outcome is None or result is None:
                context.log.info("no pending webhook events for tenant %s", tenant_id)
                return
            touched = set(outcome.ids)
            selected = [table for table in selected if table.resource in touched]
            extra = {
                "webhook_events": dg.MetadataValue.int(outcome.events),
                "records_refetched": dg.MetadataValue.int(sum(map(len, outcome.ids.values()))),
            }
        else:
            full_refresh = config.full_refresh or context.run.tags.get(FULL_REFRESH_TAG) == "true"
            resources = [t.resource for t in selected]
            context.log.info(
                "%s sync of %d tables for tenant %s",
                "full refresh" if full_refresh else "incremental",
                len(selected),
                tenant_id,
            )
            result = warehouse.sync(tenant_id, resources, full_refresh, display)
            extra = {"full_refresh": dg.MetadataValue.bool(full_refresh)}
        failure = sync_failure(result, tenant_id)
        if failure:
            # errors pass through drivers: mask the warehouse password whatever they quote
            raise dg.Failure(
                description=warehouse.parsed.redact(f"sync of tenant {tenant_id} failed: {failure}")
            )
        extra["sync_requests"] = dg.MetadataValue.int(result.requests)
        extra.update(display.headroom())
        for table in selected:
            yield from table_results(context, warehouse, table, result, extra, config)

    return xero_raw


def table_results(
    context: dg.AssetExecutionContext,
    warehouse: XeroWarehouseResource,
    table: XeroTable,
    result,
    extra: dict,
    config: SyncConfig,
) -> Iterator:
    """The table's materialization for this tenant, then its selected checks."""
    tenant_id = context.partition_key
    previous = previous_row_count(context, table.asset_key, tenant_id)
    current = live_row_count(warehouse, table.resource, tenant_id)
    stats = result.tables.get((tenant_id, table.resource))
    yield dg.MaterializeResult(
        asset_key=table.asset_key,
        metadata={
            "rows_loaded": dg.MetadataValue.int(stats.rows if stats else 0),
            "requests": dg.MetadataValue.int(stats.requests if stats else 0),
            TENANT_ROW_COUNT: dg.MetadataValue.int(current),
            **extra,
            # Dagster's standard table metadata: shown as the partition's row count
            "dagster/partition_row_count": dg.MetadataValue.int(current),
            "dagster/table_name": dg.MetadataValue.text(f"{warehouse.dataset}.{table.resource}"),
        },
    )
    if _selected(context, table.asset_key, NO_DUPLICATE_KEYS):
        yield duplicate_keys_check(warehouse, table)
    if _selected(context, table.asset_key, ROW_COUNT_NOT_DROPPED):
        yield row_count_check(table, previous, current, config.max_row_drop)


def _selected(context: dg.AssetExecutionContext, key: dg.AssetKey, check: str) -> bool:
    return dg.AssetCheckKey(key, check) in context.selected_asset_check_keys


def sync_failure(result, tenant_id: str) -> str | None:
    """Why the tenant's sync did not complete, or None. dlt loads a tenant's tables in one
    package, so a failure leaves none of them newly materialized."""
    if result.errors:
        return "; ".join(str(error) for error in result.errors)
    outcome = next((t for t in result.tenants if t.tenant_id == tenant_id), None)
    if outcome is None:
        return f"tenant {tenant_id} is not connected"
    if outcome.status != "ok":
        return outcome.status
    return None


class SyncDisplay:
    """The runner's progress display, sent to the Dagster log. It keeps the client's last
    request counters, which give the rate-limit headroom left after the sync."""

    def __init__(self, log):
        self.log = log
        self._snapshot = None
        self.snapshot: list[tuple] = []

    def tenant_started(self, name: str, tenant_id: str) -> None:
        self.log.info("syncing %s (%s)", name, tenant_id)

    def watch(self, snapshot) -> None:
        self._snapshot = snapshot

    def step(self, message: str) -> None:
        self.log.info(message)

    def tenant_finished(self, name: str, rows: int, requests: int, status: str) -> None:
        self.snapshot = self._snapshot() if self._snapshot else []
        self.log.info("%s: %d rows, %d requests, %s", name, rows, requests, status)

    def close(self) -> None:
        pass

    def headroom(self) -> dict[str, dg.MetadataValue]:
        """X-MinLimit-Remaining and X-DayLimit-Remaining as last seen (None before a call)."""
        metadata = {}
        for row in self.snapshot[:1]:
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
    table: XeroTable, previous: int | None, current: int, max_drop: float
) -> dg.AssetCheckResult:
    drop = 0.0 if not previous else max(0.0, (previous - current) / previous)
    return dg.AssetCheckResult(
        check_name=ROW_COUNT_NOT_DROPPED,
        asset_key=table.asset_key,
        passed=drop <= max_drop,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "previous_rows": previous if previous is not None else "first sync",
            "rows": current,
            "drop": dg.MetadataValue.float(round(drop, 4)),
            "max_drop": dg.MetadataValue.float(max_drop),
        },
    )
