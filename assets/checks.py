"""Checks beyond the sync's own (assets/xero.py) and the dbt tests (assets/models.py).

- `fresh` on each raw table: every tenant partition materialized within `max_age_hours`.
  Dagster's FreshnessPolicy judges an asset by its latest materialization, not per tenant
  partition, so this reads the event log itself, on its own schedule.
- `ar_aging_ties_to_open_invoices` on fct_ar_aging: its total equals the amount due on the
  open receivable invoices in the raw table, per tenant.
- `ties_to_xero` on each statement: no `broken` line in `reporting.tie_out` for the report it
  is compared with (explained lines pass and are counted).
"""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg

from assets.models import AR_AGING_MODEL, model_asset_key
from assets.partitions import TENANT_PARTITIONS
from assets.resources import XeroWarehouseResource
from pipelines.errors import ConfigurationError
from pipelines.verify import STATUSES, TieOutLine, verify

FRESH = "fresh"
AR_AGING_TIES = "ar_aging_ties_to_open_invoices"
TIE_TOLERANCE = Decimal("0.005")
TIES_TO_XERO = "ties_to_xero"
TIE_OUT_MODEL = "tie_out"
# statement model -> the tie-out checks (reporting.tie_out.check_name) that judge it
STATEMENT_CHECKS = {
    "fct_trial_balance": ("trial_balance",),
    "rpt_profit_and_loss": ("profit_and_loss",),
    "rpt_balance_sheet": ("balance_sheet", "bank_summary"),
    "rpt_aged_receivables_summary": ("aged_receivables",),
    "rpt_aged_payables_summary": ("aged_payables",),
}
BROKEN_SHOWN = 10


class FreshnessConfig(dg.Config):
    max_age_hours: float = 3.0
    """Stale when a tenant's last sync of the table is older than this."""


def build_freshness_checks(asset_keys: list[dg.AssetKey]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="xero_freshness_checks",
        specs=[
            dg.AssetCheckSpec(
                FRESH, asset=key, description="Every tenant synced within max_age_hours."
            )
            for key in asset_keys
        ],
        can_subset=True,
    )
    def xero_freshness_checks(
        context: dg.AssetCheckExecutionContext, config: FreshnessConfig
    ) -> Iterator[dg.AssetCheckResult]:
        tenants = set(context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name))
        since = time.time() - config.max_age_hours * 3600
        for check_key in context.selected_asset_check_keys:
            fresh = partitions_materialized_since(context.instance, check_key.asset_key, since)
            yield freshness_result(check_key.asset_key, tenants, fresh, config.max_age_hours)

    return xero_freshness_checks


def partitions_materialized_since(
    instance: dg.DagsterInstance, key: dg.AssetKey, since: float
) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_timestamp=since), limit=1000, cursor=cursor
        )
        found.update(r.partition_key for r in page.records if r.partition_key)
        if not page.has_more:
            return found
        cursor = page.cursor


def freshness_result(
    key: dg.AssetKey, tenants: set[str], fresh: set[str], max_age_hours: float
) -> dg.AssetCheckResult:
    stale = sorted(tenants - fresh)
    return dg.AssetCheckResult(
        check_name=FRESH,
        asset_key=key,
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(stale)} of {len(tenants)} tenants not synced in the last {max_age_hours:g} h"
            if stale
            else f"all {len(tenants)} tenants synced in the last {max_age_hours:g} h"
        ),
        metadata={"stale_tenants": stale[:50], "tenants": len(tenants)},
    )


def build_ar_aging_tie_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=model_asset_key(AR_AGING_MODEL),
        name=AR_AGING_TIES,
        description="Sum of fct_ar_aging.amount_due equals the amount due on open AUTHORISED "
        "ACCREC invoices, per tenant (when the aging is built as of today).",
    )
    def ar_aging_ties_to_open_invoices(warehouse: XeroWarehouseResource) -> dg.AssetCheckResult:
        return ar_aging_tie_check(warehouse, today=datetime.now(UTC).date())

    return ar_aging_ties_to_open_invoices


def ar_aging_tie_check(warehouse: XeroWarehouseResource, today) -> dg.AssetCheckResult:
    """Per tenant: aging total vs amount due on open receivable invoices. Invoices carry
    today's amount due, so an aging built as of another date is not compared."""
    [(as_of,)] = warehouse.query("select max(as_of_date) from reporting.fct_ar_aging")
    if as_of is not None and as_of != today:
        return dg.AssetCheckResult(
            passed=True,
            description=f"not compared: aging built as of {as_of}, invoices hold today's amounts",
            metadata={"as_of": str(as_of), "skipped": True},
        )
    aging = dict(
        warehouse.query(
            "select tenant_id, sum(amount_due) from reporting.fct_ar_aging group by tenant_id"
        )
    )
    invoices = open_receivables(warehouse, today)
    differences = {
        tenant: Decimal(aging.get(tenant) or 0) - Decimal(invoices.get(tenant) or 0)
        for tenant in set(aging) | set(invoices)
    }
    off = {tenant: str(diff) for tenant, diff in differences.items() if abs(diff) > TIE_TOLERANCE}
    return dg.AssetCheckResult(
        passed=not off,
        description=f"{len(off)} tenants off" if off else "every tenant ties",
        metadata={"as_of": str(today), "tenants_off": off},
    )


def open_receivables(warehouse: XeroWarehouseResource, as_of) -> dict[str, Decimal]:
    columns = warehouse.table_columns(warehouse.dataset, "invoices")
    if not columns:
        return {}
    live = " and _deleted_at is null" if "_deleted_at" in columns else ""
    rows = warehouse.query(
        f'select tenant_id, sum(amount_due) from "{warehouse.dataset}".invoices'
        f" where type = 'ACCREC' and status = 'AUTHORISED' and date <= ?{live} group by 1",
        (as_of,),
    )
    return {tenant: Decimal(total or 0) for tenant, total in rows}


def build_tie_out_checks(models: set[str]) -> dg.AssetChecksDefinition:
    """`ties_to_xero` on each statement among `models` (the dbt project's model names). The
    checks run after `tie_out` is built and read it once."""
    statements = [model for model in STATEMENT_CHECKS if model in models]

    @dg.multi_asset_check(
        name="xero_tie_out_checks",
        specs=[
            dg.AssetCheckSpec(
                TIES_TO_XERO,
                asset=model_asset_key(model),
                additional_deps=[model_asset_key(TIE_OUT_MODEL)],
                description="No broken line in reporting.tie_out for "
                + ", ".join(STATEMENT_CHECKS[model])
                + " (Xero's own report, snapshot by the sync).",
            )
            for model in statements
        ],
        can_subset=True,
    )
    def xero_tie_out_checks(
        context: dg.AssetCheckExecutionContext, warehouse: XeroWarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        lines, missing = [], None
        try:
            lines = verify(warehouse.parsed, dataset=warehouse.dataset).lines
        except ConfigurationError as exc:  # no tie-out yet: nothing was compared
            missing = str(exc)
        for check_key in context.selected_asset_check_keys:
            checks = STATEMENT_CHECKS[check_key.asset_key.path[-1]]
            judged = [line for line in lines if line.check_name in checks]
            yield tie_out_result(check_key.asset_key, judged, missing)

    return xero_tie_out_checks


def tie_out_result(
    key: dg.AssetKey, lines: list[TieOutLine], missing: str | None = None
) -> dg.AssetCheckResult:
    """Fails (ERROR) on a broken line; warns when nothing was compared."""
    counts = Counter(line.status for line in lines)
    counts = {status: counts[status] for status in STATUSES}
    broken = [line for line in lines if line.status == "broken"]
    if not lines:
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=TIES_TO_XERO,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=missing or "nothing compared: no report snapshot for this statement",
        )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=TIES_TO_XERO,
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{counts['tied']} tied, {counts['explained']} explained, "
        f"{counts['broken']} broken",
        metadata={
            **counts,
            "broken_lines": dg.MetadataValue.md(_broken_markdown(broken[:BROKEN_SHOWN])),
        },
    )


def _broken_markdown(lines: list[TieOutLine]) -> str:
    if not lines:
        return "none"
    rows = [
        f"| {line.tenant_id} | {line.period_end} | {line.subject_name or line.subject_id} "
        f"| {line.measure} | {line.warehouse_value:,.2f} | {line.xero_value:,.2f} "
        f"| {line.difference:+,.2f} |"
        for line in lines
    ]
    header = "| tenant | date | line | measure | warehouse | Xero | difference |\n"
    return header + "|---|---|---|---|---:|---:|---:|\n" + "\n".join(rows)
