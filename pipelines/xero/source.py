"""The dlt source for the Xero Accounting API: one resource per collection and tenant.

Use it in any dlt pipeline; credentials resolve like every verified source's (see
`credentials.py`):

    pipeline = dlt.pipeline("xero", destination="duckdb", dataset_name="xero")
    pipeline.run(xero_source())                      # every connected tenant
    pipeline.run(xero_source(tenant_id="...", resources=["invoices", "contacts"]))

Rows are the records as Xero returns them (PascalCase keys, dates parsed, numbers as Decimal)
plus `tenant_id`; dlt merges them on (tenant_id, primary key). Collections with a cursor read
through `dlt.sources.incremental`: its start value, less the lookback, goes to Xero as
If-Modified-Since (Journals: as `offset`). dlt keeps each cursor in the state of its resource
and commits it with the load package that holds the rows, so a cursor never moves past rows
that did not load; every tenant has its own resources (`resource_name`), so no two tenants
share a cursor. A collection stopped part-way keeps its cursor where it was. Rows read again
exactly as loaded are left out (`unchanged.py`); reference data is read on its own cadence
(`cadence.py`). How each collection is read is set in `settings.COLLECTIONS`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import zip_longest

import dlt
import dlt.common.jsonpath as dlt_jsonpath
import httpx
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.exceptions import PipelineStateNotAvailable, SourceSectionNotAvailable
from dlt.common.schema.utils import has_table_seen_data, new_table
from dlt.extract import DltResource, materialize_schema_item

from pipelines.errors import ConfigurationError
from pipelines.xero import cadence, reports, settings
from pipelines.xero.client import (
    XeroAuthError,
    XeroClient,
    XeroDailyLimitError,
    XeroError,
    XeroForbiddenError,
    XeroNotFoundError,
    list_connections,
)
from pipelines.xero.credentials import XeroCredentials, cursor_lookback, xero_auth
from pipelines.xero.helpers import (
    TENANT_ID,
    SyncTracker,
    _snake,
    convert,
    item_schema,
    nested_hints,
    resource_name,
    root_columns,
)
from pipelines.xero.settings import Collection
from pipelines.xero.unchanged import UnchangedRows

logger = logging.getLogger(__name__)

__all__ = ["XeroCredentials", "resource_name", "xero_source"]


@dlt.source(name="xero", section="xero", max_table_nesting=3, root_key=True)
def xero_source(
    tenant_id: str | None = None,
    resources: list[str] | None = None,
    full_refresh: bool = False,
    credentials: XeroCredentials = dlt.secrets.value,
    api_url: str | None = None,
    identity_url: str | None = None,
    cursor_lookback_seconds: int | None = None,
    reference_refresh_hours: float | None = None,
    ids: dict[str, list[str]] | None = None,
    clients: list[XeroClient] | None = None,
    trackers: dict[str, SyncTracker] | None = None,
) -> list[DltResource]:
    """The Xero collections of one tenant, or of every tenant the credentials reach.

    Args:
        tenant_id: the organisation to read (default: every connected one).
        resources: collection names, e.g. ["invoices"] (default: all of them).
        full_refresh: read everything, cursors neither used nor moved.
        credentials: `[sources.xero.credentials]`; the `XERO_*` variables when not set.
        api_url, identity_url: `[sources.xero]`; else `XERO_API_URL` / `XERO_IDENTITY_URL`,
            else Xero's.
        cursor_lookback_seconds: how far before the saved cursor to read again; else
            `XERO_CURSOR_LOOKBACK_SECONDS`, else 300.
        reference_refresh_hours: read reference data (no If-Modified-Since) again at most
            this often; else `XERO_REFERENCE_REFRESH_HOURS`, else 24; 0: every run.
        ids: {"invoices": [...], ...}: fetch only these records (cursors untouched).
        clients: one `XeroClient` per tenant to read through (credentials and tenant_id unused).
        trackers: a `SyncTracker` per tenant id. With one, a collection that fails is recorded
            on it and the others go on (the caller reports); without, the error fails the
            extract, as in any dlt source.

    The tenants' collections are read concurrently (`parallelized`), listed collection by
    collection so that dlt's round robin takes turns between tenants.
    """
    _parse_cursor_paths_once()
    names = _selected(resources, ids)
    lookback = cursor_lookback(cursor_lookback_seconds)
    refresh = cadence.refresh_hours(reference_refresh_hours)
    trackers = trackers or {}
    if clients is None:
        auth = xero_auth(credentials, identity_url)
        tenants = [tenant_id] if tenant_id else connected_tenants(auth, api_url)
        clients = [XeroClient(auth, tenant, api_url=api_url) for tenant in tenants]
    readers = [
        _Reader(client, client.tenant_id, full_refresh, trackers.get(client.tenant_id), refresh)
        for client in clients
    ]
    selected = [settings.BY_NAME[name] for name in names if name in settings.BY_NAME]
    _declare_columns(dlt.current.source_schema(), selected)
    committed = _committed_resource_states() if _cadence_applies(selected, ids) else {}
    collections = [
        resource
        for c in selected
        for resource in collection_resources(c, readers, lookback, ids, committed)
    ]
    report_snapshots = [
        reports.report_resources(r.client, r.tenant_id, names, r.full_refresh, r.tracker)
        for r in readers
    ]
    return collections + [r for turn in zip_longest(*report_snapshots) for r in turn if r]


def _declare_columns(schema, collections: list[Collection]) -> None:
    """The typed columns of each collection's table, declared once in the source's schema
    rather than as a hint of every tenant's resource: dlt writes each resource's hints into
    its run metrics, which for thousands of resources took a third of a run with nothing to
    load."""
    for c in collections:
        columns = root_columns(c.envelope, c.cursor, c.primary_key)
        table = new_table(c.name, columns=[{"name": k, **v} for k, v in columns.items()])
        schema.update_table(table)


def _parse_cursor_paths_once() -> None:
    """dlt parses an incremental's cursor path with a new JSONPath parser for every
    incremental (milliseconds each); a source over hundreds of tenants makes thousands of
    them, for the same few paths. Parse each path once per process (the parsed path is only
    read)."""
    if not hasattr(dlt_jsonpath._parse, "cache_info"):
        dlt_jsonpath._parse = functools.lru_cache(maxsize=64)(dlt_jsonpath._parse)


def _selected(resources: list[str] | None, ids: dict[str, list[str]] | None) -> list[str]:
    names = list(ids) if ids else list(resources or settings.RESOURCE_NAMES)
    unknown = sorted(set(names) - set(settings.BY_NAME) - set(reports.REPORT_NAMES))
    if unknown:
        raise ConfigurationError(
            f"unknown resource {', '.join(unknown)}; valid: {', '.join(settings.RESOURCE_NAMES)}"
        )
    return names


def connected_tenants(auth: httpx.Auth, api_url: str | None = None) -> list[str]:
    """The ids of the organisations the credentials may read."""
    connections = list_connections(auth, api_url)
    organisations = [
        c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"
    ]
    tenants = [c["tenantId"] for c in organisations or connections]
    if not tenants:
        raise ConfigurationError(
            "no organisations are connected to these credentials; run `xero-warehouse auth login`"
        )
    return tenants


def collection_resources(
    c: Collection,
    readers: list[_Reader],
    lookback: timedelta,
    ids: dict[str, list[str]] | None,
    committed: dict,
) -> list[DltResource]:
    """Collection `c` of each tenant: one resource per tenant (its own cursor), named with
    `resource_name`. The resource is declared once and bound per tenant: declaring it is
    most of the cost, and a run may hold thousands of them. `committed`: the resources'
    states as the pipeline holds them."""
    primary_key = (TENANT_ID,)
    if c.primary_key:
        primary_key = (TENANT_ID, _snake(c.primary_key))
    declare = dlt.resource(
        name=_tenant_resource_name,
        table_name=c.name,
        write_disposition="merge",
        primary_key=primary_key,
        nested_hints=nested_hints(c.envelope),
        parallelized=True,
        spec=_PassedArguments,
    )
    if ids:
        rows = declare(_rows_by_id)
        return [rows(reader, c, ids[c.name]) for reader in readers]
    if c.reference:  # a tenant whose reference data is not due gets no resource at all
        rows = declare(_reference_rows)
        now = cadence.utc_now()
        due = [
            r
            for r in readers
            if _reference_due(r, c, committed.get(resource_name(c.name, r.tenant_id), {}), now)
        ]
        return [rows(reader, c) for reader in due]
    if any(reader.full_refresh for reader in readers) or c.cursor is None:
        rows = declare(_all_rows)
        return [rows(reader, c) for reader in readers]
    rows = declare(_changed_rows)
    # dlt loses `parallelized` when it binds a resource with an incremental argument (dlt
    # 1.31): parallelized again, or every tenant's collections are read one call at a time
    return [
        rows(reader, c, lookback, _cursor(c, lookback)).parallelize().add_map(_rewind_cursor)
        for reader in readers
    ]


@configspec
class _PassedArguments(BaseConfiguration):
    """The config of a collection resource: none. The source passes every argument, so dlt
    need not look each one up in its config providers, which for thousands of resources
    was most of an extract's time."""


def _tenant_resource_name(arguments: dict) -> str:
    return resource_name(arguments["c"].name, arguments["reader"].tenant_id)


def _cursor(c: Collection, lookback: timedelta) -> dlt.sources.incremental:
    """The incremental of a collection. primary_key=() turns off dlt's dedup of rows equal to
    the cursor: a row updated again within the same millisecond would be dropped, while the
    merge on (tenant_id, primary key) already keeps re-read rows single. A row without a
    cursor value is kept, not failed on."""
    if c.strategy == settings.JOURNALS:
        # append-only and numbered: `offset` is exclusive, so no lookback is needed
        return dlt.sources.incremental[int](
            c.cursor, primary_key=(), on_cursor_value_missing="include"
        )
    lag = lookback.total_seconds() or None
    return dlt.sources.incremental[datetime](
        c.cursor, lag=lag, primary_key=(), on_cursor_value_missing="include"
    )


def _changed_rows(
    reader: _Reader,
    c: Collection,
    lookback: timedelta,
    # dlt finds the cursor argument by its default; `_cursor` gives each collection its own
    cursor: dlt.sources.incremental = dlt.sources.incremental("UpdatedDateUTC"),  # noqa: B008
) -> Iterator[list[dict]]:
    # start_value is the saved cursor less the lag (the lookback); dlt drops rows before it
    state = dlt.current.resource_state(resource_name(c.name, reader.tenant_id))
    saved = state.get("incremental", {}).get(c.cursor, {}).get("last_value")
    if c.strategy == settings.JOURNALS:  # append-only, `offset` exclusive: nothing comes twice
        yield from reader.read(c, cursor.start_value)
        return
    unchanged = UnchangedRows(state, c.primary_key, c.cursor, lookback)
    for rows in reader.read(c, cursor.start_value):
        rows = unchanged.changed(rows) if isinstance(rows, list) else rows
        if rows:
            yield rows
    progress = reader.tracker.resource(c.name)
    reader.tracker.add(c.name, rows=-unchanged.dropped)  # count what loads
    unchanged.save(complete=progress.done)
    if not progress.done:
        # stopped part-way (daily limit, an error): the rows read so far load, but pages are
        # not in cursor order, so the cursor stays where it was and the next run reads the
        # rest (the merge keeps re-read rows single)
        yield _CursorRewind(state["incremental"][c.cursor], saved)


class _CursorRewind:
    """Puts a cursor back, as the last item of a collection read part-way. `_changed_rows`
    runs in a worker thread, while dlt's incremental step moves the cursor over each page in
    the extracting thread, possibly after `_changed_rows` has ended; so the cursor is put
    back by `_rewind_cursor`, a step in the extracting thread, after the pages before it."""

    def __init__(self, cursor_state: dict, last_value):
        self.cursor_state = cursor_state
        self.last_value = last_value


def _rewind_cursor(item):
    """The step before dlt's incremental step: pages pass, a `_CursorRewind` is applied and
    dropped (dlt hands a resource's items to its steps in the order they were yielded)."""
    if isinstance(item, _CursorRewind):
        item.cursor_state["last_value"] = item.last_value
        return None
    return item


def _all_rows(reader: _Reader, c: Collection) -> Iterator[list[dict]]:
    yield from reader.read(c, None)


def _reference_rows(reader: _Reader, c: Collection) -> Iterator[list[dict]]:
    """Reference data, read when its cadence says so (or on a full refresh); the time of a
    complete read goes into the resource state, committed with its rows."""
    state = dlt.current.resource_state(resource_name(c.name, reader.tenant_id))
    now = cadence.utc_now()
    if not _reference_due(reader, c, state, now):
        return
    yield from reader.read(c, None)
    if reader.tracker.resource(c.name).done:
        state[cadence.READ_AT] = now.isoformat()


def _reference_due(reader: _Reader, c: Collection, state: dict, now: datetime) -> bool:
    """Whether the tenant's reference collection is read this run; if not, its progress says
    when it will be."""
    if reader.full_refresh or cadence.is_due(state, reader.reference_hours, now):
        return True
    due = f"{cadence.next_read(state, reader.reference_hours):%Y-%m-%d %H:%M} UTC"
    reader.tracker.resource(c.name).skipped = f"reference data, next read after {due}"
    return False


def _cadence_applies(selected: list[Collection], ids: dict[str, list[str]] | None) -> bool:
    """Whether any collection is read on its cadence (reference data, not a targeted sync):
    only then is the committed state needed before the extract."""
    return not ids and any(c.reference for c in selected)


def _committed_resource_states() -> dict:
    """The state of every resource as the pipeline holds it, read in the source function
    (where dlt discards changes); empty outside a pipeline, and each resource then decides
    when it runs."""
    try:
        return dlt.current.source_state().get("resources", {})
    except (PipelineStateNotAvailable, SourceSectionNotAvailable):
        return {}


def _rows_by_id(reader: _Reader, c: Collection, ids: list[str]) -> Iterator[list[dict]]:
    yield from reader.by_ids(c, ids)


class _Reader:
    """Reads one tenant's collections by their strategy. With a tracker from the caller, the
    errors of one collection are recorded on it and end that collection only (a daily-limit
    or credentials error stops the tenant's remaining collections); without, they are raised
    once recorded."""

    def __init__(
        self,
        client: XeroClient,
        tenant_id: str,
        full_refresh: bool,
        tracker: SyncTracker | None,
        reference_hours: float = cadence.DEFAULT_REFRESH_HOURS,
    ):
        self.client = client
        self.reference_hours = reference_hours
        self.tenant_id = tenant_id
        self.full_refresh = full_refresh
        self.raise_errors = tracker is None
        self.tracker = tracker or SyncTracker(tenant_id)

    # entry points

    def read(self, c: Collection, since) -> Iterator[list[dict]]:
        """Rows changed since `since` (a datetime, or a JournalNumber for Journals; None:
        everything)."""
        return self._guarded(c, lambda: self._strategy(c, since))

    def _strategy(self, c: Collection, since) -> Iterator[list[dict]]:
        return {
            settings.PAGED_IMS: self._paged_ims,
            settings.UNPAGED_IMS: self._unpaged_ims,
            settings.JOURNALS: self._journals,
            settings.PAGED_CLIENT_FILTER: self._paged_client_filter,
            settings.FULL_REFRESH: self._full_refresh,
        }[c.strategy](c, since)

    def by_ids(self, c: Collection, ids: list[str]) -> Iterator[list[dict]]:
        return self._guarded(c, lambda: self._by_ids(c, ids))

    # bookkeeping around every collection

    def _guarded(self, c: Collection, body: Callable[[], Iterator[list[dict]]]):
        progress = self.tracker.resource(c.name)
        if self.tracker.stopped:
            progress.skipped = self.tracker.stopped
            return
        try:
            yield from body()
            progress.done = True
            if progress.rows == 0 and not _table_created(c.name):
                yield materialize_schema_item()  # an empty table, so queries on it work
        except XeroDailyLimitError as exc:
            self.tracker.stop_for_day(exc)
            if exc.reserve and not self.raise_errors:
                progress.skipped = self.tracker.stopped  # a planned stop, not a failure
                return
            self._failed(c, exc)
        except (XeroForbiddenError, XeroAuthError) as exc:
            if c.optional:
                logger.warning("skipping %s for tenant %s: %s", c.name, self.tenant_id, exc)
                progress.skipped = f"not permitted: {exc}"
                return
            if isinstance(exc, XeroAuthError):
                self.tracker.stopped = "credentials refused"
            self._failed(c, exc)
        except XeroError as exc:
            self._failed(c, exc)

    def _failed(self, c: Collection, exc: XeroError) -> None:
        self.tracker.resource(c.name).error = str(exc)
        self.tracker.errors.append(f"{c.name}: {exc}")
        if self.raise_errors:
            raise exc

    def _get(self, c: Collection, path: str, params: dict, since: datetime | None) -> dict:
        self.tracker.add(c.name, requests=1)
        return self.client.get(path, params, modified_since=since)

    def _get_many(self, c: Collection, calls: list) -> Iterator[dict]:
        # in groups of the concurrency limit: no more pages than that wait in memory
        size = max(1, getattr(getattr(self.client, "limits", None), "max_in_flight", 5))
        for start in range(0, len(calls), size):
            for payload in self.client.get_concurrently(calls[start : start + size]):
                self.tracker.add(c.name, requests=1)
                yield payload

    def _rows(self, c: Collection, payload: dict) -> list[dict]:
        rows = payload.get(c.envelope) or []
        schema = item_schema(c.envelope)
        for row in rows:
            convert(row, schema)
            row[TENANT_ID] = self.tenant_id
        self.tracker.add(c.name, rows=len(rows))
        return rows

    def _seen(self, c: Collection, ids: set) -> None:
        if c.primary_key:
            self.tracker.seen_ids[c.name] = ids

    # strategies

    def _paged_ims(self, c: Collection, since: datetime | None):
        params = {**dict(c.params), "page": 1}
        if c.page_size:
            params["pageSize"] = c.page_size
        seen: set = set()
        for attempt in range(3):
            seen.clear()
            expected = None
            for rows, pagination in self._pages(c, params, since):
                if pagination:
                    expected = pagination.get("itemCount")
                seen.update(row.get(c.primary_key) for row in rows)
                yield rows
            # rows updated while the pages were read can shift between pages: read again
            if expected is None or len(seen) >= int(expected) or attempt == 2:
                break
            logger.info(
                "%s: %d ids for %s items, reading the pages again", c.name, len(seen), expected
            )
        if self.full_refresh:
            self._seen(c, set(seen))

    def _pages(self, c: Collection, params: dict, since: datetime | None):
        """(rows, pagination) per page: page 1, then the rest concurrently when the envelope
        tells the page count, else one by one until a short page."""
        first = self._get(c, c.path, params, since)
        pagination = first.get("pagination")
        rows = self._rows(c, first)
        yield rows, pagination
        if pagination and pagination.get("pageCount") is not None:
            calls = [
                (c.path, {**params, "page": page}, since)
                for page in range(2, int(pagination["pageCount"]) + 1)
            ]
            for payload in self._get_many(c, calls):
                yield self._rows(c, payload), None
            return
        page = 1
        while len(rows) >= settings.DEFAULT_PAGE_SIZE:
            page += 1
            rows = self._rows(c, self._get(c, c.path, {**params, "page": page}, since))
            yield rows, None

    def _unpaged_ims(self, c: Collection, since: datetime | None):
        # one call either way: where Xero deletes outright, read it all so every run sees
        # the deletions (If-Modified-Since never shows them)
        complete = self.full_refresh or c.hard_deletes
        rows = self._rows(c, self._get(c, c.path, dict(c.params), None if complete else since))
        yield rows
        if complete:
            self._seen(c, {row.get(c.primary_key) for row in rows})

    def _journals(self, c: Collection, since: int | None):
        offset = int(since or 0)
        while True:
            rows = self._rows(c, self._get(c, c.path, {"offset": offset}, None))
            if rows:
                yield rows
                offset = max(int(row["JournalNumber"]) for row in rows)
            if len(rows) < settings.JOURNALS_PER_CALL:
                break

    def _paged_client_filter(self, c: Collection, since: datetime | None):
        # no If-Modified-Since here: every page is read (so every run sees every id) and the
        # cursor's filter keeps the changed rows
        seen: set = set()
        page = 1
        while True:
            rows = self._rows(c, self._get(c, c.path, {**dict(c.params), "page": page}, None))
            seen.update(row.get(c.primary_key) for row in rows)
            if rows:
                yield rows
            if len(rows) < settings.DEFAULT_PAGE_SIZE:
                break
            page += 1
        self._seen(c, seen)

    def _full_refresh(self, c: Collection, since: None):
        rows = self._rows(c, self._get(c, c.path, dict(c.params), None))
        yield rows
        if c.primary_key:
            self._seen(c, {row.get(c.primary_key) for row in rows})

    def _by_ids(self, c: Collection, ids: list[str]):
        unique = list(dict.fromkeys(ids))
        if c.ids_param or (c.primary_key and c.where):
            params = dict(c.params)
            if c.strategy in (settings.PAGED_IMS, settings.PAGED_CLIENT_FILTER):
                params["page"] = 1  # paged endpoints return line items only on a page
            batches = (
                _batches(unique, settings.MAX_IDS_PER_REQUEST)
                if c.ids_param
                else where_batches(c.primary_key, unique, params)
            )
            calls = [(c.path, {**params, **batch}, None) for batch in _id_params(c, batches)]
            for payload in self._get_many(c, calls):
                yield self._rows(c, payload)
            return
        if not c.by_id:  # small reference data: read it whole
            yield from self._strategy(c, None)
            return
        params = {k: v for k, v in c.params if k == "unitdp"}
        for record_id in unique:
            try:
                payload = self._get(c, f"{c.path}/{record_id}", params, None)
            except XeroNotFoundError:
                logger.info("%s %s not found in Xero", c.name, record_id)
                continue
            yield self._rows(c, payload)


# Xero's query strings end at 2,048 characters (53 GUIDs in IDs= already fail with a 404);
# stay clear of that with room for the other parameters.
MAX_QUERY_CHARS = 1900


def _id_params(c: Collection, batches) -> Iterator[dict]:
    for batch in batches:
        if c.ids_param:
            yield {c.ids_param: ",".join(batch)}
        else:
            yield {"where": batch}


def where_match(key: str, record_id: str) -> str:
    """`CreditNoteID==Guid("…")` for a GUID, `TaxType=="…"` for any other key."""
    if _GUID.match(record_id):
        return f'{key}==Guid("{record_id}")'
    return f"{key}=={json.dumps(record_id)}"


def where_batches(key: str, ids: list[str], params: dict | None = None) -> Iterator[str]:
    """`where` expressions matching the ids, OR-ed together: as many per expression as keep
    the encoded query string (with `params`) under MAX_QUERY_CHARS, at most
    MAX_IDS_PER_REQUEST."""
    base = len(str(httpx.QueryParams({**(params or {}), "where": ""})))
    separator = len(str(httpx.QueryParams({"w": " OR "}))) - 2
    batch: list[str] = []
    size = base
    for record_id in ids:
        term = where_match(key, record_id)
        grow = len(str(httpx.QueryParams({"w": term}))) - 2 + (separator if batch else 0)
        if batch and (size + grow > MAX_QUERY_CHARS or len(batch) >= settings.MAX_IDS_PER_REQUEST):
            yield " OR ".join(batch)
            batch, size = [], base
            grow -= separator
        batch.append(term)
        size += grow
    if batch:
        yield " OR ".join(batch)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _table_created(name: str) -> bool:
    table = dlt.current.source_schema().tables.get(name)
    return table is not None and has_table_seen_data(table)


def _batches(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
