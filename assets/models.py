"""The dbt project in `sql/` as Dagster assets: one asset `["reporting", <model>]` per model.

dagster-dbt reads the project's manifest (parsed offline, see `project_manifest`): each model's
description and columns become the asset's description and column schema, its dbt tests its
asset checks, and its sources map to the raw `["xero", <resource>]` assets (a child table like
`invoices__line_items` to its parent's asset), which gives the lineage. The models rebuild by
declarative automation once the raw tables they read have changed and no sync is running.
`fct_ar_aging` also gets a summary per organisation, in that organisation's base currency.
"""

import json
import sys
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from assets.partitions import RAW_GROUP, REPORTING_GROUP, WAREHOUSE_POOL
from assets.resources import XeroWarehouseResource
from pipelines.models import dbt_home, dbt_profile, project_dir

AR_AGING_MODEL = "fct_ar_aging"
AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")


class ModelsConfig(dg.Config):
    as_of: str | None = None
    """Aging date YYYY-MM-DD; default: today (UTC)."""


def model_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([REPORTING_GROUP, name])


def rebuild_after_sync() -> dg.AutomationCondition:
    """Like Dagster's eager condition, but only on a change of what a model reads: a model
    never built is not requested before any raw table loaded, and a tenant that never
    loaded some collection does not hold the reports back."""
    condition = dg.AutomationCondition
    return (
        condition.in_latest_time_window()
        & condition.any_deps_updated().since_last_handled()
        & ~condition.any_deps_in_progress()
        & ~condition.in_progress()
    ).with_label("rebuild_after_sync")


class XeroDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the raw Xero assets (a child table and its parent share one, since
    one sync loads both); models are `reporting/<model>` assets."""

    def __init__(self):
        super().__init__(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([RAW_GROUP, dbt_resource_props["name"].split("__", 1)[0]])
        return model_asset_key(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return REPORTING_GROUP

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        return rebuild_after_sync()


def build_model_assets(manifest: Path) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=XeroDbtTranslator(),
        name="reporting_models",
        pool=WAREHOUSE_POOL,
    )
    def reporting_models(
        context: dg.AssetExecutionContext, config: ModelsConfig, warehouse: XeroWarehouseResource
    ) -> Iterator:
        as_of = date.fromisoformat(config.as_of) if config.as_of else datetime.now(UTC).date()
        held = []  # fct_ar_aging and what follows it: its summary needs the finished build
        for event in dbt_build(context, warehouse, as_of):
            if held or _is_model_output(context, event, AR_AGING_MODEL):
                held.append(event)
            else:
                yield event
        for event in held:
            if _is_model_output(context, event, AR_AGING_MODEL):
                event = event.with_metadata({**event.metadata, **ar_aging_metadata(warehouse)})
            yield event

    return reporting_models


def dbt_build(context: dg.AssetExecutionContext, warehouse: XeroWarehouseResource, as_of: date):
    """`dbt build` of the selected models (with their tests) as Dagster events. dbt runs in
    a subprocess with a private profile; its files go under the state home."""
    dbt_vars = {"dataset": warehouse.dataset, "as_of": as_of.isoformat()}
    with (
        dbt_profile(warehouse.parsed) as profiles_dir,
        tempfile.TemporaryDirectory(prefix="target-", dir=dbt_home()) as target_path,
    ):
        dbt = DbtCliResource(
            project_dir=str(project_dir()),
            profiles_dir=profiles_dir,
            dbt_executable=_dbt_executable(),
        )
        args = ["build", "--vars", json.dumps(dbt_vars), "--log-path", str(dbt_home() / "logs")]
        yield from dbt.cli(args, context=context, target_path=Path(target_path)).stream()


def _dbt_executable() -> str:
    """The dbt installed next to this Python, whatever the PATH of the run."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def _is_model_output(context: dg.AssetExecutionContext, event, model: str) -> bool:
    return isinstance(event, dg.Output) and context.asset_key_for_output(
        event.output_name
    ) == model_asset_key(model)


def aging_by_organisation(warehouse: XeroWarehouseResource) -> list[dict]:
    """Per organisation: the open receivables of each bucket in its base currency."""
    rows = warehouse.query(
        "select aging.tenant_id, max(organisations.organisation_name), aging.base_currency,"
        " aging.aging_bucket, count(*), sum(aging.amount_due_base)"
        " from reporting.fct_ar_aging as aging"
        " left join reporting_staging.stg_xero__organisations as organisations"
        " on aging.tenant_id = organisations.tenant_id"
        " group by aging.tenant_id, aging.base_currency, aging.aging_bucket"
    )
    found: dict[tuple, dict] = {}
    for tenant_id, name, currency, bucket, count, amount in rows:
        organisation = found.setdefault(
            (tenant_id, currency),
            {"organisation": name or tenant_id, "currency": currency or "", "invoices": 0}
            | dict.fromkeys(AGING_BUCKETS, Decimal(0)),
        )
        organisation[bucket] = Decimal(amount or 0)
        organisation["invoices"] += int(count)
    for organisation in found.values():
        organisation["total"] = sum(organisation[bucket] for bucket in AGING_BUCKETS)
    return sorted(found.values(), key=lambda o: (o["organisation"], o["currency"]))


def ar_aging_metadata(warehouse: XeroWarehouseResource) -> dict:
    organisations = aging_by_organisation(warehouse)
    money = [*AGING_BUCKETS, "total"]
    table = dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {key: float(value) if key in money else value for key, value in row.items()}
            )
            for row in organisations
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("organisation", "string"),
                dg.TableColumn("currency", "string", description="the base currency"),
                dg.TableColumn("invoices", "int"),
                *(dg.TableColumn(key, "float") for key in money),
            ]
        ),
    )
    return {
        "aging_by_organisation": table,
        "aging_chart": dg.MetadataValue.md(aging_chart_markdown(organisations)),
    }


def aging_chart_markdown(organisations: list[dict], width: int = 30) -> str:
    """A bar chart per organisation, in its own base currency, scaled to its largest bucket
    (amounts in different currencies are never added or compared)."""
    sections = []
    for organisation in organisations:
        largest = max(organisation[bucket] for bucket in AGING_BUCKETS)
        lines = [
            f"**{organisation['organisation']}** ({organisation['currency']})",
            "",
            f"| bucket | amount due ({organisation['currency']}) | |",
            "|---|---:|---|",
        ]
        for bucket in AGING_BUCKETS:
            amount = organisation[bucket]
            size = int(round(width * amount / largest)) if largest > 0 and amount > 0 else 0
            lines.append(f"| {bucket} | {amount:,.2f} | `{'█' * size or '·'}` |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) or "no open receivables"
