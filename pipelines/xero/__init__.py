"""The dlt source for the Xero Accounting API: one resource per collection.

`xero_source(client, tenant_id)` yields the records as Xero returns them (PascalCase keys,
dates parsed, numbers as Decimal) plus `tenant_id`; dlt merges them on (tenant_id, primary
key). Each resource keeps its cursor in dlt resource state, which dlt commits together with
the load package that holds the rows: a cursor never moves past rows that did not load.
How each collection is read is set in `settings.COLLECTIONS`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime

from pipelines.xero import settings
from pipelines.xero.settings import Collection

logger = logging.getLogger(__name__)

__all__ = ["xero_source"]


def xero_source(
    client,
    tenant_id: str,
    resources: list[str] | None = None,
    full_refresh: bool = False,
    ids: dict[str, list[str]] | None = None,
    tracker=None,
):
    """The dlt source for one tenant.

    client: a `XeroClient` for that tenant. resources: resource names (default: all).
    full_refresh: ignore cursors, read everything, and record every id seen so the runner
    can mark rows deleted in Xero. ids: {"invoices": [...], ...} fetch only these records
    (cursors untouched). tracker: a `helpers.SyncTracker` that collects rows, requests,
    errors and seen ids; one is made when not given (available as `source.tracker`).
    """
    import dlt

    from pipelines.xero import reports
    from pipelines.xero.helpers import SyncTracker

    names = list(ids) if ids else list(resources or settings.RESOURCE_NAMES)
    unknown = sorted(set(names) - set(settings.BY_NAME) - set(reports.REPORT_NAMES))
    if unknown:
        from pipelines.errors import ConfigurationError

        raise ConfigurationError(
            f"unknown resource {', '.join(unknown)}; valid: {', '.join(settings.RESOURCE_NAMES)}"
        )
    tracker = tracker or SyncTracker(tenant_id)
    reader = _Reader(client, tenant_id, full_refresh, tracker)

    def build():
        return [
            _resource(settings.BY_NAME[name], reader, (ids or {}).get(name) if ids else None)
            for name in names
            if name in settings.BY_NAME
        ] + reports.report_resources(client, tenant_id, names, full_refresh, tracker)

    source = dlt.source(name="xero", max_table_nesting=3, root_key=True)(build)()
    source.tracker = tracker
    return source


def _resource(collection: Collection, reader: _Reader, ids: list[str] | None):
    import dlt

    from pipelines.xero.helpers import TENANT_ID, _snake, nested_hints, root_columns

    primary_key = (TENANT_ID,)
    if collection.primary_key:
        primary_key = (TENANT_ID, _snake(collection.primary_key))
    data = reader.read(collection) if ids is None else reader.by_ids(collection, ids)
    return dlt.resource(
        data,
        name=collection.name,
        table_name=collection.name,
        write_disposition="merge",
        primary_key=primary_key,
        columns=root_columns(collection.envelope, collection.cursor, collection.primary_key),
        nested_hints=nested_hints(collection.envelope),
    )


class _Reader:
    """Generators reading each collection by its strategy. Errors of one collection are
    recorded on the tracker and end that collection only; a daily-limit or credentials
    error stops the tenant's remaining collections."""

    def __init__(self, client, tenant_id: str, full_refresh: bool, tracker):
        self.client = client
        self.tenant_id = tenant_id
        self.full_refresh = full_refresh
        self.tracker = tracker

    # entry points

    def read(self, c: Collection) -> Iterator[list[dict]]:
        return self._guarded(c, lambda: self._strategy(c))

    def _strategy(self, c: Collection) -> Iterator[list[dict]]:
        return {
            settings.PAGED_IMS: self._paged_ims,
            settings.UNPAGED_IMS: self._unpaged_ims,
            settings.JOURNALS: self._journals,
            settings.PAGED_CLIENT_FILTER: self._paged_client_filter,
            settings.FULL_REFRESH: self._full_refresh,
        }[c.strategy](c)

    def by_ids(self, c: Collection, ids: list[str]) -> Iterator[list[dict]]:
        return self._guarded(c, lambda: self._by_ids(c, ids))

    # bookkeeping around every collection

    def _guarded(self, c: Collection, body: Callable[[], Iterator[list[dict]]]):
        from pipelines.xero.client import (
            XeroAuthError,
            XeroDailyLimitError,
            XeroError,
            XeroForbiddenError,
        )

        progress = self.tracker.resource(c.name)
        if self.tracker.stopped:
            progress.skipped = self.tracker.stopped
            return
        try:
            yield from body()
            progress.done = True
            if progress.rows == 0 and not _table_created(c.name):
                from dlt.extract import materialize_schema_item

                yield materialize_schema_item()  # an empty table, so queries on it work
        except XeroDailyLimitError as exc:
            self.tracker.stopped = "daily API limit reached"
            self.tracker.resume_after_seconds = exc.retry_after_seconds
            progress.error = str(exc)
            self.tracker.errors.append(f"{c.name}: {exc}")
        except (XeroForbiddenError, XeroAuthError) as exc:
            if c.optional:
                logger.warning("skipping %s for tenant %s: %s", c.name, self.tenant_id, exc)
                progress.skipped = f"not permitted: {exc}"
                return
            progress.error = str(exc)
            self.tracker.errors.append(f"{c.name}: {exc}")
            if isinstance(exc, XeroAuthError):
                self.tracker.stopped = "credentials refused"
        except XeroError as exc:
            progress.error = str(exc)
            self.tracker.errors.append(f"{c.name}: {exc}")

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
        from pipelines.xero.helpers import TENANT_ID, convert, item_schema

        rows = payload.get(c.envelope) or []
        schema = item_schema(c.envelope)
        for row in rows:
            convert(row, schema)
            row[TENANT_ID] = self.tenant_id
        self.tracker.add(c.name, rows=len(rows))
        return rows

    def _state(self, c: Collection) -> dict:
        import dlt

        return dlt.current.resource_state(c.name)

    def _since(self, c: Collection) -> datetime | None:
        """If-Modified-Since for this run: the cursor cut to the second, so the boundary
        second is read again (merged, not duplicated) instead of skipped."""
        if self.full_refresh:
            return None
        cursor = self._state(c).get("cursor")
        if not cursor:
            return None
        return datetime.fromisoformat(cursor).replace(microsecond=0)

    def _advance(self, c: Collection, newest: datetime | None) -> None:
        if newest is None:
            return
        state = self._state(c)
        current = state.get("cursor")
        if current is None or newest > datetime.fromisoformat(current):
            state["cursor"] = newest.isoformat()

    def _seen(self, c: Collection, ids: set) -> None:
        if c.primary_key:
            self.tracker.seen_ids[c.name] = ids

    # strategies

    def _paged_ims(self, c: Collection):
        since = self._since(c)
        params = {**dict(c.params), "page": 1}
        if c.page_size:
            params["pageSize"] = c.page_size
        seen: set = set()
        newest = None
        for attempt in range(3):
            seen.clear()
            expected = None
            for rows, pagination in self._pages(c, params, since):
                if pagination:
                    expected = pagination.get("itemCount")
                for row in rows:
                    seen.add(row.get(c.primary_key))
                    value = row.get(c.cursor)
                    if isinstance(value, datetime) and (newest is None or value > newest):
                        newest = value
                yield rows
            # rows updated while the pages were read can shift between pages: read again
            if expected is None or len(seen) >= int(expected) or attempt == 2:
                break
            logger.info(
                "%s: %d ids for %s items, reading the pages again", c.name, len(seen), expected
            )
        if self.full_refresh:
            self._seen(c, set(seen))
        self._advance(c, newest)

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

    def _unpaged_ims(self, c: Collection):
        # one call either way: where Xero deletes outright, read it all so every run sees
        # the deletions (If-Modified-Since never shows them)
        complete = self.full_refresh or c.hard_deletes
        since = None if complete else self._since(c)
        rows = self._rows(c, self._get(c, c.path, dict(c.params), since))
        yield rows
        if complete:
            self._seen(c, {row.get(c.primary_key) for row in rows})
        self._advance(c, _newest(rows, c.cursor))

    def _journals(self, c: Collection):
        state = self._state(c)
        offset = 0 if self.full_refresh else int(state.get("offset", 0))
        while True:
            rows = self._rows(c, self._get(c, c.path, {"offset": offset}, None))
            if rows:
                yield rows
                offset = max(int(row["JournalNumber"]) for row in rows)
                state["offset"] = offset
            if len(rows) < settings.JOURNALS_PER_CALL:
                break

    def _paged_client_filter(self, c: Collection):
        since = self._since(c)
        seen: set = set()
        newest = None
        page = 1
        while True:
            rows = self._rows(c, self._get(c, c.path, {**dict(c.params), "page": page}, None))
            seen.update(row.get(c.primary_key) for row in rows)
            changed = [row for row in rows if _changed_since(row.get(c.cursor), since)]
            newest = max(filter(None, [newest, _newest(rows, c.cursor)]), default=None)
            if changed:
                yield changed
            if len(rows) < settings.DEFAULT_PAGE_SIZE:
                break
            page += 1
        self._seen(c, seen)
        self._advance(c, newest)

    def _full_refresh(self, c: Collection):
        rows = self._rows(c, self._get(c, c.path, dict(c.params), None))
        yield rows
        if c.primary_key:
            self._seen(c, {row.get(c.primary_key) for row in rows})

    def _by_ids(self, c: Collection, ids: list[str]):
        from pipelines.xero.client import XeroNotFoundError

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
            yield from self._strategy(c)
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
    import json

    if _GUID.match(record_id):
        return f'{key}==Guid("{record_id}")'
    return f"{key}=={json.dumps(record_id)}"


def where_batches(key: str, ids: list[str], params: dict | None = None) -> Iterator[str]:
    """`where` expressions matching the ids, OR-ed together: as many per expression as keep
    the encoded query string (with `params`) under MAX_QUERY_CHARS, at most
    MAX_IDS_PER_REQUEST."""
    import httpx

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
    import dlt
    from dlt.common.schema.utils import has_table_seen_data

    table = dlt.current.source_schema().tables.get(name)
    return table is not None and has_table_seen_data(table)


def _newest(rows: list[dict], cursor: str | None) -> datetime | None:
    values = [row.get(cursor) for row in rows]
    return max((v for v in values if isinstance(v, datetime)), default=None)


def _changed_since(value, since: datetime | None) -> bool:
    if since is None or not isinstance(value, datetime):
        return True
    return value >= since


def _batches(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
