"""The SQL models in `sql/` as Dagster assets `["reporting", <model>]`.

Lineage comes from each model's table references: a raw table (or one of its child tables,
`invoices__line_items`) maps to its `["xero", <resource>]` asset, another model to its
reporting asset. The runner builds every model in dependency order in one step, so the
assets materialize together. `fct_ar_aging` gets a bucket summary table, a bar chart and a
check that its total ties to the open receivable invoices.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg

from assets.partitions import RAW_GROUP, REPORTING_GROUP, WAREHOUSE_POOL
from assets.resources import XeroWarehouseResource

AR_AGING_MODEL = "fct_ar_aging"
AR_AGING_TIES = "ar_aging_ties_to_open_invoices"
AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
TIE_TOLERANCE = Decimal("0.005")


class ModelsConfig(dg.Config):
    as_of: str | None = None
    """Aging date YYYY-MM-DD; default: today (UTC)."""


def model_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([REPORTING_GROUP, name])


def upstream_key(reference: str, model_names: set[str], raw_tables: set[str]) -> dg.AssetKey | None:
    """The asset a table reference like `xero.invoices__line_items` or `stg_xero__invoices`
    stands for, or None when it is neither a model nor a raw table."""
    name = reference.strip('"').split(".")[-1].strip('"').lower()
    if name in model_names:
        return model_asset_key(name)
    if name in raw_tables:
        return dg.AssetKey([RAW_GROUP, name])
    parent = name.split("__", 1)[0]
    if parent in raw_tables:
        return dg.AssetKey([RAW_GROUP, parent])
    return None


def build_model_assets(models: list, raw_tables: set[str]) -> dg.AssetsDefinition:
    names = {model.name for model in models}
    specs = []
    for model in models:
        deps = {upstream_key(ref, names, raw_tables) for ref in model.depends_on}
        deps.discard(None)
        deps.discard(model_asset_key(model.name))
        specs.append(
            dg.AssetSpec(
                key=model_asset_key(model.name),
                group_name=REPORTING_GROUP,
                deps=sorted(deps, key=lambda key: key.to_user_string()),
                description=f"{model.layer} model, sql/{model.layer}/{model.path.name}",
                kinds={"sql"},
            )
        )
    check_specs = []
    if AR_AGING_MODEL in names:
        check_specs.append(
            dg.AssetCheckSpec(
                AR_AGING_TIES,
                asset=model_asset_key(AR_AGING_MODEL),
                description="Sum of fct_ar_aging.amount_due equals the amount due on open "
                "AUTHORISED ACCREC invoices, per tenant.",
            )
        )

    @dg.multi_asset(
        name="reporting_models", specs=specs, check_specs=check_specs, pool=WAREHOUSE_POOL
    )
    def reporting_models(
        context: dg.AssetExecutionContext, config: ModelsConfig, warehouse: XeroWarehouseResource
    ) -> Iterator:
        as_of = date.fromisoformat(config.as_of) if config.as_of else datetime.now(UTC).date()
        results = {getattr(r, "name", None): r for r in warehouse.run_models(as_of=as_of) or []}
        for model in models:
            metadata = model_metadata(results.get(model.name))
            if model.name == AR_AGING_MODEL:
                metadata.update(ar_aging_metadata(warehouse, as_of))
            metadata["as_of"] = as_of.isoformat()
            yield dg.MaterializeResult(asset_key=model_asset_key(model.name), metadata=metadata)
        if check_specs:
            yield ar_aging_tie_check(warehouse, as_of, today=datetime.now(UTC).date())

    return reporting_models


def model_metadata(result) -> dict:
    metadata: dict = {}
    rows = getattr(result, "rows", None)
    if rows is not None:
        metadata["dagster/row_count"] = dg.MetadataValue.int(int(rows))
    seconds = getattr(result, "seconds", None)
    if seconds is not None:
        metadata["build_seconds"] = dg.MetadataValue.float(float(seconds))
    return metadata


def aging_buckets(warehouse: XeroWarehouseResource, as_of: date) -> list[tuple[str, int, Decimal]]:
    """(bucket, invoices, amount due) for every bucket, in bucket order."""
    rows = warehouse.query(
        "select aging_bucket, count(*), sum(amount_due) from reporting.fct_ar_aging"
        " where as_of_date = ? group by 1",
        (as_of,),
    )
    found = {row[0]: (int(row[1]), Decimal(row[2] or 0)) for row in rows}
    return [(bucket, *found.get(bucket, (0, Decimal(0)))) for bucket in AGING_BUCKETS]


def ar_aging_metadata(warehouse: XeroWarehouseResource, as_of: date) -> dict:
    buckets = aging_buckets(warehouse, as_of)
    table = dg.MetadataValue.table(
        records=[
            dg.TableRecord({"bucket": bucket, "invoices": count, "amount_due": float(amount)})
            for bucket, count, amount in buckets
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("bucket", "string"),
                dg.TableColumn("invoices", "int"),
                dg.TableColumn("amount_due", "float"),
            ]
        ),
    )
    return {
        "aging_buckets": table,
        "aging_chart": dg.MetadataValue.md(aging_chart_markdown(buckets)),
        "aging_vega_lite": dg.MetadataValue.json(aging_vega_lite(buckets)),
        "amount_due_total": dg.MetadataValue.float(float(sum(b[2] for b in buckets))),
    }


def aging_chart_markdown(buckets: list[tuple[str, int, Decimal]], width: int = 30) -> str:
    """A bar per bucket, scaled to the largest amount (amounts summed across currencies)."""
    largest = max((amount for _, _, amount in buckets), default=Decimal(0))
    lines = ["| bucket | invoices | amount due | |", "|---|---:|---:|---|"]
    for bucket, count, amount in buckets:
        size = int(round(width * amount / largest)) if largest > 0 and amount > 0 else 0
        lines.append(f"| {bucket} | {count} | {amount:,.2f} | `{'█' * size or '·'}` |")
    return "\n".join(lines)


def aging_vega_lite(buckets: list[tuple[str, int, Decimal]]) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {
            "values": [{"bucket": b, "amount_due": float(amount)} for b, _, amount in buckets]
        },
        "mark": "bar",
        "encoding": {
            "x": {"field": "bucket", "type": "nominal", "sort": list(AGING_BUCKETS)},
            "y": {"field": "amount_due", "type": "quantitative"},
        },
    }


def ar_aging_tie_check(
    warehouse: XeroWarehouseResource, as_of: date, today: date | None = None
) -> dg.AssetCheckResult:
    """Per tenant: aging total as of `as_of` vs amount due on open receivable invoices.
    Invoices carry today's amount due, so a point-in-time build of a past date is not
    compared."""
    if today is not None and as_of != today:
        return dg.AssetCheckResult(
            check_name=AR_AGING_TIES,
            asset_key=model_asset_key(AR_AGING_MODEL),
            passed=True,
            description=f"not compared: aging built as of {as_of}, invoices hold today's amounts",
            metadata={"as_of": as_of.isoformat(), "skipped": True},
        )
    aging = dict(
        warehouse.query(
            "select tenant_id, sum(amount_due) from reporting.fct_ar_aging"
            " where as_of_date = ? group by 1",
            (as_of,),
        )
    )
    invoices = open_receivables(warehouse, as_of)
    differences = {
        tenant: Decimal(aging.get(tenant) or 0) - Decimal(invoices.get(tenant) or 0)
        for tenant in set(aging) | set(invoices)
    }
    off = {tenant: diff for tenant, diff in differences.items() if abs(diff) > TIE_TOLERANCE}
    return dg.AssetCheckResult(
        check_name=AR_AGING_TIES,
        asset_key=model_asset_key(AR_AGING_MODEL),
        passed=not off,
        metadata={
            "as_of": as_of.isoformat(),
            "aging_total": dg.MetadataValue.float(
                float(sum(Decimal(v or 0) for v in aging.values()))
            ),
            "open_invoices_total": dg.MetadataValue.float(
                float(sum(Decimal(v or 0) for v in invoices.values()))
            ),
            "tenants_off": {tenant: str(diff) for tenant, diff in off.items()},
        },
    )


def open_receivables(warehouse: XeroWarehouseResource, as_of: date) -> dict[str, Decimal]:
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
