"""The Dagster code location: `dagster dev -m dagster_project.definitions`.

Everything is listed explicitly. Building the definitions reads the endpoint table and the
dbt project's manifest (parsed offline under the state home, once per project change); the
environment is read only when the code location loads (the cron overrides) and when runs
launch (resources), never at import.
"""

from __future__ import annotations

import dagster as dg

from assets.checks import build_ar_aging_tie_check, build_freshness_checks, build_tie_out_checks
from assets.models import build_model_assets
from assets.partitions import DEFAULT_TENANTS_PER_RUN
from assets.reports import build_report_assets
from assets.xero import XeroTable, build_xero_assets, xero_tables
from dagster_project.executors import executor_from_settings
from dagster_project.jobs import (
    XERO_FRESHNESS_JOB,
    XERO_FULL_REFRESH_JOB,
    XERO_REPORTS_JOB,
    XERO_SYNC_JOB,
    XERO_WEBHOOK_JOB,
    build_jobs,
)
from dagster_project.resources import build_resources
from dagster_project.schedules import (
    DEFAULT_RECONCILE_CRON,
    DEFAULT_REPORTS_CRON,
    DEFAULT_SYNC_CRON,
    build_schedules,
)
from dagster_project.sensors import (
    build_reporting_automation_sensor,
    build_tenants_sensor,
    build_webhook_sensor,
)
from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.models import project_manifest
from pipelines.xero.limiter import env_number


def build_definitions(
    sync_cron: str = DEFAULT_SYNC_CRON,
    reconcile_cron: str = DEFAULT_RECONCILE_CRON,
    reports_cron: str = DEFAULT_REPORTS_CRON,
    tables: list[XeroTable] | None = None,
    tenants_per_run: int = DEFAULT_TENANTS_PER_RUN,
    executor: dg.ExecutorDefinition = dg.in_process_executor,
) -> dg.Definitions:
    tables = xero_tables() if tables is None else tables
    raw_assets = build_xero_assets(tables, tenants_per_run)
    report_assets = build_report_assets(tenants_per_run)
    model_assets = build_model_assets(project_manifest())
    freshness_checks = build_freshness_checks([table.asset_key for table in tables])
    tie_out_checks = build_tie_out_checks({key.path[-1] for key in model_assets.keys})
    return dg.Definitions(
        assets=[raw_assets, report_assets, model_assets],
        asset_checks=[freshness_checks, build_ar_aging_tie_check(), tie_out_checks],
        jobs=build_jobs(raw_assets, report_assets, model_assets, freshness_checks),
        schedules=build_schedules(
            XERO_SYNC_JOB,
            XERO_FULL_REFRESH_JOB,
            XERO_REPORTS_JOB,
            XERO_FRESHNESS_JOB,
            sync_cron,
            reconcile_cron,
            reports_cron,
            tenants_per_run,
        ),
        sensors=[
            build_tenants_sensor(XERO_SYNC_JOB, tenants_per_run),
            build_webhook_sensor(XERO_WEBHOOK_JOB),
            build_reporting_automation_sensor(model_assets),
        ],
        resources=build_resources(),
        # by default one process per run: DuckDB allows one writing process per file
        executor=executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(
        sync_cron=setting("XERO_SYNC_CRON") or DEFAULT_SYNC_CRON,
        reconcile_cron=setting("XERO_RECONCILE_CRON") or DEFAULT_RECONCILE_CRON,
        reports_cron=setting("XERO_REPORTS_CRON") or DEFAULT_REPORTS_CRON,
        tenants_per_run=tenants_per_run_setting(),
        executor=executor_from_settings(),
    )


def tenants_per_run_setting() -> int:
    """`XERO_TENANTS_PER_RUN`: how many tenants a backfill or schedule run syncs together."""
    count = int(env_number("XERO_TENANTS_PER_RUN", int, DEFAULT_TENANTS_PER_RUN))
    if count < 1:
        raise ConfigurationError(f"XERO_TENANTS_PER_RUN must be 1 or more, not {count}")
    return count
