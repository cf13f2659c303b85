"""Running one action of the catalogue: the call it makes, Xero's answer checked element by
element, and write-through (the records it touched re-fetched by id into the warehouse).

    result = run_action(client, "invoices.void", record_id=invoice_id)
    write_through(result, client.tenant_id, destination="duckdb:///warehouse.duckdb")
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipelines.actions.catalogue import EMPTY, ENVELOPE, FILE, OBJECT, Action, catalogue
from pipelines.destination import parse_destination
from pipelines.display import PlainProgress
from pipelines.errors import ConfigurationError, XeroWarehouseError
from pipelines.xero import settings
from pipelines.xero.client import (
    XeroAuthError,
    XeroClient,
    XeroForbiddenError,
    element_errors,
)
from pipelines.xero.helpers import DELETED_AT, _snake


class ActionError(XeroWarehouseError):
    """An action was refused: unknown name, missing fields, or Xero rejected elements."""


class ActionRejectedError(ActionError):
    """Xero rejected some elements of a write (`messages`: one line each); the elements it
    accepted are in `result`."""

    def __init__(self, message: str, messages: list[str], result: ActionResult):
        super().__init__(message)
        self.messages = messages
        self.result = result


@dataclass(frozen=True)
class Call:
    """One HTTP call of an action."""

    method: str
    path: str
    params: dict = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    raw: bool = False
    headers: dict = field(default_factory=dict)


@dataclass
class ActionResult:
    action: str
    response: Any  # Xero's JSON ({} for an empty answer), or the bytes of a download
    records: list[dict]  # the records Xero returned (without rejected elements)
    touched: dict[str, list[str]]  # warehouse table -> ids to re-fetch
    synced: Any = None  # the SyncResult of write-through, when it ran


def get_action(name: str) -> Action:
    actions = catalogue()
    if name not in actions:
        close = [n for n in actions if n.split(".")[0] == name.split(".")[0]]
        hint = f"; {name.split('.')[0]} has: {', '.join(close)}" if close else ""
        raise ActionError(f"unknown action {name!r}{hint}; `xero-warehouse actions` lists them")
    return actions[name]


def build_call(action: Action, fields: dict | None, record_id: str | None) -> Call:
    """The HTTP call for `action` with the user's `fields` and record id."""
    fields = dict(fields or {})
    if action.needs_id and not record_id:
        raise ActionError(f"{action.name} needs the record's id (--id)")
    missing = [f for f in action.required if f not in fields and not _has_envelope(action, fields)]
    if missing:
        raise ActionError(f"{action.name} needs the field(s): {', '.join(missing)}")
    path = action.path.replace("{id}", quote(record_id or "", safe=""))
    params = dict(action.params)
    if action.body == FILE:
        return _file_call(action, path, fields, params)
    if "{FileName}" in path:  # a download: Xero wants the file's MIME type
        name = str(fields.pop("FileName"))
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        path = path.replace("{FileName}", quote(name, safe=""))
        return Call(action.method, path, params, raw=True, headers={"contentType": mime_type})
    if action.method in ("GET", "DELETE"):
        params.update({k: str(v) for k, v in fields.items() if k != "out"})
        return Call(action.method, path, params)
    if action.body == EMPTY:
        return Call(action.method, path, params, json={})
    if action.body == OBJECT:
        return Call(action.method, path, params, json={**fields, **action.preset})
    elements = fields[action.envelope] if _has_envelope(action, fields) else [fields]
    body = {action.envelope: [{**element, **action.preset} for element in elements]}
    return Call(action.method, path, params, json=body)


def _has_envelope(action: Action, fields: dict) -> bool:
    return action.body == ENVELOPE and isinstance(fields.get(action.envelope), list)


def _file_call(action: Action, path: str, fields: dict, params: dict) -> Call:
    source = Path(str(fields["file"])).expanduser()
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {source}: {exc.strerror or exc}") from None
    name = str(fields.get("FileName") or source.name)
    if str(fields.get("IncludeOnline", "")).lower() == "true":
        params["IncludeOnline"] = "true"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    path = path.replace("{FileName}", quote(name, safe=""))
    return Call(action.method, path, params, content=content, content_type=content_type)


def run_action(
    client: XeroClient,
    name: str,
    fields: dict | None = None,
    record_id: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> ActionResult:
    """Run one action on the client's tenant. A write carries `idempotency_key` (a new one
    unless given), so a retried call never writes twice. Raises ActionRejectedError when
    Xero rejected elements (those it accepted are in the error's `result`)."""
    action = get_action(name)
    call = build_call(action, fields, record_id)
    response = _send(client, action, call, idempotency_key)
    if call.raw:
        _save_download(response, (fields or {}).get("out"))
        return ActionResult(name, response, [], {})
    records = _records(action, response)
    accepted = [r for r in records if not r.get("ValidationErrors")]
    result = ActionResult(name, response, accepted, touched_ids(action, accepted, record_id))
    messages = element_errors(records)
    if messages:
        done = f"; {len(accepted)} written" if accepted else "; nothing written"
        raise ActionRejectedError(
            f"Xero rejected {name}: {' | '.join(messages)}{done}", messages, result
        )
    return result


def _send(client: XeroClient, action: Action, call: Call, key: str | None) -> Any:
    try:
        return client.request(
            call.method,
            call.path,
            call.params or None,
            call.json,
            content=call.content,
            content_type=call.content_type,
            idempotency_key=key,
            raw=call.raw,
            headers=call.headers,
        )
    except (XeroForbiddenError, XeroAuthError) as exc:
        if not action.scope:
            raise
        raise type(exc)(
            f"{action.name} needs the scope {action.scope}, which these credentials may lack "
            f"(Xero answered {exc.status_code}); run `xero-warehouse auth login --scopes "
            f"'offline_access {action.scope} ...'`",
            exc.status_code,
        ) from None


def _save_download(content: bytes, out: str | None) -> None:
    if out:
        target = Path(out).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _records(action: Action, response: Any) -> list[dict]:
    if isinstance(response, list):
        return [r for r in response if isinstance(r, dict)]
    if not isinstance(response, dict) or not action.envelope:
        return []
    return [r for r in response.get(action.envelope) or [] if isinstance(r, dict)]


def touched_ids(action: Action, records: list[dict], record_id: str | None) -> dict[str, list]:
    """Warehouse table -> the ids a write changed (what write-through re-fetches)."""
    if not action.writes:
        return {}
    touched: dict[str, list[str]] = {}
    for table, where in action.touches:
        if where == "{id}":
            found = [record_id] if record_id else []
        else:
            found = [_value_at(record, where) for record in records]
        ids = [str(i) for i in found if i]
        if ids:
            touched.setdefault(table, [])
            touched[table] += [i for i in ids if i not in touched[table]]
    return touched


def _value_at(record: dict, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def write_through(
    result: ActionResult,
    tenant_id: str,
    destination: str | None = None,
    dataset: str = "xero",
    *,
    auth=None,
    progress_stream=None,
):
    """Re-fetch by id what the action touched and merge it into the warehouse (a targeted
    sync: cursors untouched). Returns the SyncResult, or None when nothing was touched.
    The sync's progress lines go to `progress_stream` (default: nowhere)."""
    from pipelines.runner import sync  # loads dlt: only when a write is merged into the warehouse

    if not result.touched:
        return None
    if get_action(result.action).method == "DELETE":  # gone from Xero: nothing to re-fetch
        mark_deleted(destination, dataset, tenant_id, result.touched)
        return None
    display = PlainProgress(progress_stream or io.StringIO())
    synced = sync(
        destination, dataset, tenants=[tenant_id], ids=result.touched, auth=auth, display=display
    )
    result.synced = synced
    if not synced.ok:
        raise ActionError(
            f"{result.action} was written to Xero, but the warehouse was not updated: "
            f"{'; '.join(synced.errors)}; the next sync will bring it"
        )
    return synced


def mark_deleted(destination: str | None, dataset: str, tenant_id: str, ids: dict) -> int:
    """Set `_deleted_at` on the warehouse rows of records deleted outright in Xero (as a
    full refresh would); returns how many rows were marked."""

    check_dataset(dataset)
    target = parse_destination(destination)
    mark = target.placeholder
    marked = 0
    connection = target.connect()
    try:
        cursor = connection.cursor()
        for table, record_ids in ids.items():
            key = _snake(settings.BY_NAME[table].primary_key)
            if key not in table_columns(cursor, dataset, table):
                continue
            cursor.execute(
                f"update {dataset}.{table} set {DELETED_AT} = {mark} where tenant_id = {mark}"
                f" and {DELETED_AT} is null and {key} in ({', '.join([mark] * len(record_ids))})",
                (datetime.now(UTC), tenant_id, *record_ids),
            )
            marked += max(cursor.rowcount or 0, 0)
        connection.commit()
    finally:
        connection.close()
    return marked


def table_columns(cursor, dataset: str, table: str) -> set[str]:
    """The columns of `dataset.table` (empty when it does not exist yet)."""
    cursor.execute(
        "select column_name from information_schema.columns "
        f"where table_schema = '{dataset}' and table_name = '{table}'"
    )
    return {row[0] for row in cursor.fetchall()}


def check_dataset(dataset: str) -> None:
    if not dataset or not dataset.replace("_", "").isalnum():
        raise ConfigurationError(f"bad dataset name {dataset!r}: use letters, digits and _")
