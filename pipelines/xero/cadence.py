"""How often reference collections are read again.

Reference data (tax rates, currencies, tracking categories, branding themes, ...: the
`settings.FULL_REFRESH` collections) has no If-Modified-Since, so each read costs a request
however little changed. It is read again at most every `XERO_REFERENCE_REFRESH_HOURS`
(default 24; 0 reads it every run); `--full-refresh` reads it whatever the cadence. When a
collection was last read is kept in the state of its tenant's resource, committed with the
rows that read loaded, so a read whose rows did not load is not counted as done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipelines.errors import ConfigurationError
from pipelines.xero.limiter import env_number

REFRESH_VARIABLE = "XERO_REFERENCE_REFRESH_HOURS"
DEFAULT_REFRESH_HOURS = 24.0
READ_AT = "reference_read_at"  # key in the resource state: ISO time of the last complete read
# a scheduled run a few minutes early still counts as due, so an hourly schedule re-reads
# once a day instead of drifting an hour later each day
EARLY_TOLERANCE = timedelta(minutes=5)


def utc_now() -> datetime:
    """The time the cadence is measured in; tests replace it to move the clock."""
    return datetime.now(UTC)


def refresh_hours(configured: float | None = None) -> float:
    """Hours between reads of reference data: the configured value, else
    `XERO_REFERENCE_REFRESH_HOURS`, else 24."""
    if configured is None:
        configured = env_number(REFRESH_VARIABLE, float, DEFAULT_REFRESH_HOURS)
    if configured < 0:
        raise ConfigurationError(f"{REFRESH_VARIABLE} must be 0 or more hours, not {configured}")
    return float(configured)


def next_read(state: dict, hours: float) -> datetime | None:
    """When the collection whose resource state is `state` is due again (None: now)."""
    last = state.get(READ_AT)
    if not hours or not last:
        return None
    return datetime.fromisoformat(last) + timedelta(hours=hours) - EARLY_TOLERANCE


def is_due(state: dict, hours: float, now: datetime) -> bool:
    due = next_read(state, hours)
    return due is None or now >= due


def reads_per_day(runs_per_day: float, hours: float) -> float:
    """Reads a day of one reference collection when syncs run `runs_per_day` times (an upper
    bound: a read waits for the first run after it is due)."""
    if not hours:
        return runs_per_day
    return min(runs_per_day, 24.0 / hours)
