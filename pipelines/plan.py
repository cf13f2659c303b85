"""`xero-warehouse plan`: the requests a day each tenant's schedules will spend, against its
daily budget (`XERO_DAY_LIMIT` less `XERO_DAY_LIMIT_RESERVE`).

`build_plan` is pure: it takes the collections table, each tenant's row counts and the
schedules, and returns the projection. The numbers follow how the source reads each
collection (`settings.py`):

- an incremental run with nothing changed: one call per collection with If-Modified-Since
  (and per Journals offset), every page of the collections without it (LinkedTransactions);
  rows that changed add their pages on top;
- reference data: one call per collection each time its cadence makes it due
  (`XERO_REFERENCE_REFRESH_HOURS`);
- a full refresh (the reconcile schedule): every page of every collection,
  pages = ceil(rows / page size), plus the short last page where Xero gives no page count;
- report snapshots, when scheduled: the organisation, the last `reread_months` of the four
  monthly reports per run, and the day's aged-by-contact budget with its invoice listing.

Row counts come from the warehouse; a tenant without rows there gets the floor (no rows: one
request per collection). The peak day is the worst UTC day of a four-week window (the day
the weekly reconcile runs), and the headroom is measured on it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from croniter import croniter

from pipelines.destination import Destination
from pipelines.errors import ConfigurationError
from pipelines.warehouse import organisation_names
from pipelines.xero import cadence, settings
from pipelines.xero.reports import AGED, REPORTS, ReportSettings
from pipelines.xero.settings import Collection

WINDOW_DAYS = 28
DEFAULT_SYNC_CRON = "0 * * * *"  # hourly
DEFAULT_RECONCILE_CRON = "0 3 * * 0"  # Sundays 03:00 UTC, a full refresh
DEFAULT_REPORTS_CRON = "30 4 * * *"  # daily 04:30 UTC: a day's budget of report calls
OPEN_INVOICES_PAGE = 1000  # the aged reports list open invoices 1,000 a page


@dataclass(frozen=True)
class Schedules:
    """Runs on each UTC day of the window, per kind of run."""

    sync: tuple[int, ...]
    reconcile: tuple[int, ...]
    reports: tuple[int, ...]  # all 0 when report snapshots are not scheduled
    reference_hours: float = cadence.DEFAULT_REFRESH_HOURS
    reports_settings: ReportSettings = field(default_factory=ReportSettings)


@dataclass(frozen=True)
class TenantRows:
    tenant_id: str
    name: str
    rows: dict[str, int] | None  # collection -> rows in the warehouse; None: not loaded yet


@dataclass(frozen=True)
class PlanLine:
    what: str
    average: float  # requests on an average day
    peak: int  # requests on the peak day


@dataclass(frozen=True)
class TenantPlan:
    tenant_id: str
    name: str
    from_warehouse: bool  # False: the floor (one request per collection)
    lines: tuple[PlanLine, ...]
    peak: int  # requests on the peak day
    available: int  # XERO_DAY_LIMIT less XERO_DAY_LIMIT_RESERVE

    @property
    def average(self) -> float:
        return sum(line.average for line in self.lines)

    @property
    def headroom(self) -> int:
        return self.available - self.peak

    @property
    def over_budget(self) -> bool:
        return self.headroom < 0


# --- what one run costs ---------------------------------------------------------------------


def _pages(rows: int, page_size: int, counted: bool) -> int:
    """Pages of `rows`; without a page count from Xero the reader stops at a short page, so
    a full last page costs one more call."""
    if counted:
        return max(1, math.ceil(rows / page_size))
    return rows // page_size + 1


def incremental_requests(c: Collection, rows: int) -> int:
    """Calls of one incremental run with nothing changed (0 for reference data)."""
    if c.reference:
        return 0
    if c.strategy == settings.PAGED_CLIENT_FILTER:
        return _pages(rows, settings.DEFAULT_PAGE_SIZE, counted=False)
    return 1


def full_refresh_requests(c: Collection, rows: int) -> int:
    """Calls of one full read of the collection."""
    if c.strategy == settings.PAGED_IMS:
        return _pages(rows, c.page_size or settings.DEFAULT_PAGE_SIZE, c.page_size is not None)
    if c.strategy == settings.JOURNALS:
        return _pages(rows, settings.JOURNALS_PER_CALL, counted=False)
    if c.strategy == settings.PAGED_CLIENT_FILTER:
        return _pages(rows, settings.DEFAULT_PAGE_SIZE, counted=False)
    return 1


def report_run_requests(reports: ReportSettings) -> int:
    """Calls of one run of the report snapshots: the organisation (financial year end) and
    the re-read months of each monthly report."""
    monthly = [r for r in REPORTS if r.cadence != AGED]
    return 1 + len(monthly) * reports.reread_months


def report_daily_requests(reports: ReportSettings, invoices: int) -> int:
    """Calls a day of the aged-by-contact reports: one listing of open invoices, then the
    day's contact budget per report."""
    aged = [r for r in REPORTS if r.cadence == AGED]
    listing = _pages(invoices, OPEN_INVOICES_PAGE, counted=True)
    return listing + len(aged) * reports.aged_contacts_per_day


# --- the plan -------------------------------------------------------------------------------


def build_plan(
    tenants: list[TenantRows],
    schedules: Schedules,
    day_limit: int,
    reserve: int,
    collections: tuple[Collection, ...] = settings.COLLECTIONS,
) -> list[TenantPlan]:
    """The projected requests per day of each tenant, and its headroom on the peak day."""
    return [_tenant_plan(tenant, schedules, day_limit - reserve, collections) for tenant in tenants]


def _tenant_plan(
    tenant: TenantRows, schedules: Schedules, available: int, collections
) -> TenantPlan:
    rows = tenant.rows or {}
    incremental = sum(incremental_requests(c, rows.get(c.name, 0)) for c in collections)
    full = sum(full_refresh_requests(c, rows.get(c.name, 0)) for c in collections)
    references = sum(1 for c in collections if c.reference)
    per_day = {
        f"incremental syncs ({incremental} requests a run)": [
            runs * incremental for runs in schedules.sync
        ],
        f"reference data ({references} collections, every {_hours(schedules.reference_hours)})": [
            math.ceil(cadence.reads_per_day(runs, schedules.reference_hours)) * references
            for runs in schedules.sync
        ],
        f"full refresh / reconcile ({full} requests a run)": [
            runs * full for runs in schedules.reconcile
        ],
        "report snapshots": _report_days(schedules, rows.get("invoices", 0)),
    }
    lines = tuple(
        PlanLine(what, sum(days) / len(days), max(days)) for what, days in per_day.items()
    )
    totals = [sum(day) for day in zip(*per_day.values(), strict=True)]
    return TenantPlan(
        tenant.tenant_id, tenant.name, tenant.rows is not None, lines, max(totals), available
    )


def _report_days(schedules: Schedules, invoices: int) -> list[int]:
    run = report_run_requests(schedules.reports_settings)
    daily = report_daily_requests(schedules.reports_settings, invoices)
    return [runs * run + (daily if runs else 0) for runs in schedules.reports]


def _hours(hours: float) -> str:
    return "run" if not hours else f"{hours:g} h"


# --- schedules ------------------------------------------------------------------------------


def runs_per_day(cron: str | None, start: datetime, days: int = WINDOW_DAYS) -> tuple[int, ...]:
    """How many times `cron` fires on each UTC day from `start` (midnight); zeros for None."""
    if not cron:
        return (0,) * days
    if not croniter.is_valid(cron):
        raise ConfigurationError(f"not a cron expression: {cron!r}")
    end = start + timedelta(days=days)
    counts = [0] * days
    fires = croniter(cron, start - timedelta(seconds=1))
    while (moment := fires.get_next(datetime)) < end:
        counts[(moment - start).days] += 1
    return tuple(counts)


def window_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of today: where the four-week window starts."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today, datetime.min.time(), UTC)


# --- the tenants' rows in the warehouse -----------------------------------------------------


def warehouse_rows(target: Destination, dataset: str) -> list[TenantRows]:
    """Each tenant in the warehouse with its rows per collection (rows marked deleted left
    out); [] when there is no warehouse or dataset yet."""
    if not target.has_warehouse():
        return []
    connection = target.connect()
    try:
        cursor = connection.cursor()
        columns = _columns(cursor, target, dataset)
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for c in settings.COLLECTIONS:
            if "tenant_id" not in columns.get(c.name, ()):
                continue
            live = " where _deleted_at is null" if "_deleted_at" in columns[c.name] else ""
            cursor.execute(
                f"select tenant_id, count(*) from {dataset}.{c.name}{live} group by tenant_id"
            )
            for tenant_id, rows in cursor.fetchall():
                counts[str(tenant_id)][c.name] = int(rows)
        names = organisation_names(cursor, target, dataset)
    finally:
        connection.close()
    return [TenantRows(t, names.get(t, t), rows) for t, rows in sorted(counts.items())]


def _columns(cursor, target: Destination, dataset: str) -> dict[str, set[str]]:
    marker = target.placeholder
    cursor.execute(
        "select table_name, column_name from information_schema.columns"
        f" where table_schema = {marker}",
        (dataset,),
    )
    columns: dict[str, set[str]] = defaultdict(set)
    for table, column in cursor.fetchall():
        columns[table].add(column)
    return columns
