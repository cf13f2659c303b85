"""Turning Xero JSON into typed rows, column hints for dlt, and per-run bookkeeping."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.hints import make_nested_hints

from pipelines.xero.spec_fields import load_fields

# MS-JSON dates: /Date(1573755038314+0000)/ or /Date(1573755038314)/
MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DELETED_AT = "_deleted_at"
TENANT_ID = "tenant_id"


def _offset(sign_hhmm: str | None) -> timedelta:
    if not sign_hhmm:
        return timedelta(0)
    sign = -1 if sign_hhmm[0] == "-" else 1
    return sign * timedelta(hours=int(sign_hhmm[1:3]), minutes=int(sign_hhmm[3:5]))


def parse_datetime(value):
    """An MS-JSON or ISO timestamp as an aware UTC datetime; anything else is returned as is."""
    if not isinstance(value, str):
        return value
    if match := MSDATE.match(value):
        return EPOCH + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value):
    """An MS-JSON date (local midnight, offset applied) or ISO date as a `date`."""
    if not isinstance(value, str):
        return value
    if match := MSDATE.match(value):
        instant = EPOCH + timedelta(milliseconds=int(match.group(1)))
        return (instant + _offset(match.group(2))).date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return value


def to_decimal(value):
    if isinstance(value, bool) or value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


@dataclass(frozen=True)
class _SchemaFields:
    dates: frozenset[str]
    datetimes: frozenset[str]
    decimals: frozenset[str]
    nested: dict  # property -> schema name (objects and arrays)


@cache
def _schema(name: str) -> _SchemaFields | None:
    entry = load_fields()["schemas"].get(name)
    if entry is None:
        return None
    return _SchemaFields(
        frozenset(entry.get("date", ())),
        frozenset(entry.get("datetime", ())),
        frozenset(entry.get("decimal", ())),
        {**entry.get("objects", {}), **entry.get("arrays", {})},
    )


def item_schema(envelope: str) -> str:
    return load_fields()["collections"][envelope]


def convert(record: dict, schema_name: str) -> dict:
    """Parse the spec's date, timestamp and number fields in place, recursively."""
    fields = _schema(schema_name)
    if fields is None:
        return record
    for key, value in record.items():
        if value is None:
            continue
        if key in fields.datetimes:
            record[key] = parse_datetime(value)
        elif key in fields.dates:
            record[key] = parse_date(value)
        elif key in fields.decimals:
            record[key] = to_decimal(value)
        elif key in fields.nested:
            child = fields.nested[key]
            if isinstance(value, dict):
                convert(value, child)
            elif isinstance(value, list):
                for element in value:
                    if isinstance(element, dict):
                        convert(element, child)
    return record


# -- dlt column hints -------------------------------------------------------------------------

DECIMAL_HINT = {"data_type": "decimal", "precision": 38, "scale": 9}


def _snake(name: str) -> str:
    return NamingConvention().normalize_identifier(name)


def _typed_columns(schema_name: str, prefix: str = "", depth: int = 0) -> dict[str, dict]:
    """Column hints for a schema's own fields and the fields of nested objects, which dlt
    flattens into the same table as `parent__child`."""
    fields = _schema(schema_name)
    columns: dict[str, dict] = {}
    if fields is None or depth > 2:
        return columns
    for name in fields.dates:
        columns[prefix + _snake(name)] = {"data_type": "date", "nullable": True}
    for name in fields.datetimes:
        columns[prefix + _snake(name)] = {
            "data_type": "timestamp",
            "timezone": True,
            "nullable": True,
        }
    for name in fields.decimals:
        columns[prefix + _snake(name)] = {**DECIMAL_HINT, "nullable": True}
    objects = load_fields()["schemas"][schema_name].get("objects", {})
    for name, child in objects.items():
        columns.update(_typed_columns(child, f"{prefix}{_snake(name)}__", depth + 1))
    return columns


def root_columns(envelope: str, cursor: str | None, primary_key: str | None) -> dict[str, dict]:
    columns = _typed_columns(item_schema(envelope))
    if primary_key:
        columns[_snake(primary_key)] = {"data_type": "text", "nullable": False}
    columns[TENANT_ID] = {"data_type": "text", "nullable": False}
    columns[DELETED_AT] = {"data_type": "timestamp", "timezone": True, "nullable": True}
    if cursor == "UpdatedDateUTC":
        columns["updated_date_utc"]["dedup_sort"] = "desc"
    return columns


def nested_hints(envelope: str) -> dict[tuple[str, ...], dict]:
    """Column hints for the child tables (arrays), keyed by path from the root table."""

    hints: dict[tuple[str, ...], dict] = {}

    def walk(schema_name: str, path: tuple[str, ...], depth: int) -> None:
        entry = load_fields()["schemas"].get(schema_name, {})
        for name, child in entry.get("arrays", {}).items():
            child_path = (*path, _snake(name))
            if depth > 2:
                continue
            columns = _typed_columns(child)
            # every level gets an entry: dlt needs the intermediate tables declared too
            hints[child_path] = make_nested_hints(
                columns=[{"name": k, **v} for k, v in columns.items()]
            )
            walk(child, child_path, depth + 1)

    walk(item_schema(envelope), (), 0)
    return hints


# -- bookkeeping ------------------------------------------------------------------------------


@dataclass
class ResourceProgress:
    rows: int = 0
    requests: int = 0
    done: bool = False
    skipped: str | None = None  # why a resource was skipped (optional, not permitted)
    error: str | None = None


@dataclass
class SyncTracker:
    """What one tenant's extraction did: rows and requests per resource, the ids a complete
    read saw (for finding hard deletes), errors, and whether the tenant had to stop."""

    tenant_id: str
    resources: dict[str, ResourceProgress] = field(default_factory=dict)
    seen_ids: dict[str, set] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None  # reason the tenant stopped early (daily limit, auth)
    resume_after_seconds: float | None = None
    resume_at: datetime | None = None  # when a tenant stopped for the day can go on
    resume_basis: str | None = None  # what `resume_at` rests on (Retry-After or an estimate)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def resource(self, name: str) -> ResourceProgress:
        with self.lock:
            return self.resources.setdefault(name, ResourceProgress())

    def stop_for_day(self, exc) -> None:
        """Stop the tenant on a `XeroDailyLimitError`: its quota is used up, or only the
        reserve is left."""
        self.stopped = (
            "daily API limit reserve reached (XERO_DAY_LIMIT_RESERVE)"
            if exc.reserve
            else "daily API limit reached"
        )
        self.resume_after_seconds = exc.retry_after_seconds
        self.resume_at, self.resume_basis = exc.resume_at, exc.resume_basis

    def add(self, name: str, rows: int = 0, requests: int = 0) -> None:
        progress = self.resource(name)
        with self.lock:
            progress.rows += rows
            progress.requests += requests


def resource_name(collection: str, tenant_id: str) -> str:
    """`invoices_<tenant id>`: dlt keeps a cursor in the state of its resource, so each tenant
    gets resources of its own (one cursor shared by two tenants skips rows)."""
    return f"{collection}_{tenant_id.replace('-', '_')}"
