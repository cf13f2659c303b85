"""`xero-warehouse plan`: the projected requests a day per tenant and the headroom left, as
computed by `pipelines.plan`; this module gathers the inputs and prints."""

from __future__ import annotations

from pipelines.destination import parse_destination
from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.plan import (
    DEFAULT_RECONCILE_CRON,
    DEFAULT_REPORTS_CRON,
    DEFAULT_SYNC_CRON,
    Schedules,
    TenantPlan,
    TenantRows,
    build_plan,
    runs_per_day,
    warehouse_rows,
    window_start,
)
from pipelines.xero import cadence
from pipelines.xero.auth import auth_from_env
from pipelines.xero.client import list_connections
from pipelines.xero.limiter import RateLimits
from pipelines.xero.reports import ReportSettings


def plan_command(args) -> int:
    limits = RateLimits.from_env()
    crons = _crons(args)
    start = window_start()
    schedules = Schedules(
        sync=runs_per_day(crons["sync"], start),
        reconcile=runs_per_day(crons["reconcile"], start),
        reports=runs_per_day(crons["reports"], start),
        reference_hours=cadence.refresh_hours(),
        reports_settings=ReportSettings.from_env(),
    )
    tenants = _chosen(_tenants(args.destination, args.dataset), args.tenant)
    plans = build_plan(tenants, schedules, limits.day_limit, limits.day_reserve)
    for line in plan_lines(plans, crons, limits.day_limit, limits.day_reserve):
        print(line)
    return 0


def _crons(args) -> dict[str, str | None]:
    """The schedules: the options, else the variables Dagster's schedules read, else theirs."""
    sync = args.sync_cron or setting("XERO_SYNC_CRON") or DEFAULT_SYNC_CRON
    reconcile = args.reconcile_cron or setting("XERO_RECONCILE_CRON") or DEFAULT_RECONCILE_CRON
    reports = args.report_cron or setting("XERO_REPORTS_CRON") or DEFAULT_REPORTS_CRON
    return {"sync": sync, "reconcile": reconcile, "reports": reports}


def _tenants(destination: str | None, dataset: str) -> list[TenantRows]:
    """The tenants in the warehouse, else the connected ones (counted at the floor)."""
    tenants = warehouse_rows(parse_destination(destination), dataset)
    if tenants:
        return tenants
    connections = list_connections(auth_from_env())
    organisations = [
        c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"
    ]
    return [
        TenantRows(c["tenantId"], c.get("tenantName") or c["tenantId"], None) for c in organisations
    ]


def _chosen(tenants: list[TenantRows], wanted: list[str] | None) -> list[TenantRows]:
    if not wanted:
        return tenants
    chosen = [t for t in tenants if t.tenant_id in wanted or t.name in wanted]
    found = {t.tenant_id for t in chosen} | {t.name for t in chosen}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        known = ", ".join(repr(t.name) for t in tenants) or "none"
        raise ConfigurationError(f"unknown tenant {', '.join(unknown)} (known: {known})")
    return chosen


def plan_lines(
    plans: list[TenantPlan], crons: dict[str, str | None], day_limit: int, reserve: int
) -> list[str]:
    """The printed plan: the budget and schedules, then a block per tenant."""
    lines = [
        f"daily budget per organisation: {day_limit} (XERO_DAY_LIMIT) - {reserve} reserve "
        f"(XERO_DAY_LIMIT_RESERVE) = {day_limit - reserve} requests",
        "schedules: "
        + ", ".join(f"{kind} {cron or 'not scheduled'}" for kind, cron in crons.items()),
        "",
    ]
    for plan in plans:
        source = "rows from the warehouse" if plan.from_warehouse else "floor: no rows yet"
        lines.append(f"{plan.name} ({plan.tenant_id}), {source}")
        lines.append(f"  {'':<52} {'a day':>9} {'peak day':>9}")
        for line in plan.lines:
            lines.append(f"  {line.what:<52} {line.average:>9.1f} {line.peak:>9}")
        verdict = "ok" if not plan.over_budget else f"OVER BUDGET by {-plan.headroom}"
        lines.append(f"  {'total':<52} {plan.average:>9.1f} {plan.peak:>9}")
        lines.append(f"  headroom on the peak day: {plan.headroom} of {plan.available} ({verdict})")
        lines.append("")
    over = [p.name for p in plans if p.over_budget]
    if over:
        lines.append(f"over budget: {', '.join(over)}")
    return lines
