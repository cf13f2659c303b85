"""`xero-warehouse api`, `actions` and `action`: the raw request, the catalogue, one action.

Xero's JSON goes to stdout; what happened (written, warehouse updated) to stderr, so the
output can be piped into `jq`."""

from __future__ import annotations

import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipelines.actions.catalogue import FILE, catalogue
from pipelines.actions.run import ActionRejectedError, get_action, run_action, write_through
from pipelines.errors import ConfigurationError
from pipelines.runner import select_tenants
from pipelines.xero.auth import auth_from_env
from pipelines.xero.client import (
    XeroClient,
    XeroServerError,
    XeroValidationError,
    encode_json,
    list_connections,
)


def api_command(args) -> int:
    """`api METHOD PATH [--tenant T] [--param k=v]... [--data @file.json | JSON]`."""

    params = dict(_pair(p, "--param") for p in args.param or [])
    body = _load_json(args.data, "--data") if args.data else None
    auth = auth_from_env()
    needs_tenant = args.path.lower().strip("/") != "connections"
    tenant_id = _tenant_id(auth, args.tenant) if needs_tenant else None
    with XeroClient(auth, tenant_id) as client:
        answer = client.request(args.method, args.path, params or None, body)
    _print_json(answer)
    return 0


def actions_command(args) -> int:
    """`actions`: name, what it does, the fields it takes (* required) and its write scope."""
    for action in catalogue().values():
        fields = [f"{f}*" if f in action.required else f for f in action.fields]
        if action.needs_id:
            fields.insert(0, "--id*")
        scope = f"  [{action.scope}]" if action.scope else ""
        print(f"{action.name:34} {action.summary}{scope}")
        if fields:
            print(f"{'':34}   fields: {', '.join(fields)}")
    return 0


def action_command(args) -> int:
    """`action NAME --tenant T [--json @file | --field k=v ...] [--id ID] [--destination URL]
    [--no-sync]`: run it, then merge what it touched into the warehouse."""

    action = get_action(args.name)
    fields = _fields(args, action)
    auth = auth_from_env()
    tenant_id = _tenant_id(auth, args.tenant)
    try:
        result, rejected = _run(auth, tenant_id, action, fields, args.id, args.idempotency_key)
    except XeroValidationError as exc:  # rejected as a whole: nothing written
        _print_errors(action.name, exc.messages)
        return 1
    _print_answer(action, result, fields.get("out"))
    synced = ""
    if result.touched and not args.no_sync:
        write_through(result, tenant_id, args.destination, args.dataset, auth=auth,
                      progress_stream=sys.stderr)  # fmt: skip
        counts = ", ".join(f"{table} {len(ids)}" for table, ids in result.touched.items())
        synced = f"; warehouse updated ({counts})"
    if rejected is None:
        if action.writes:
            print(f"{action.name}: done{synced}", file=sys.stderr)
        return 0
    _print_errors(action.name, rejected.messages)
    print(f"error: {action.name}: {len(result.records)} element(s) written{synced}, "
          f"{len(rejected.messages)} rejected", file=sys.stderr)  # fmt: skip
    return 1


def _run(auth, tenant_id: str, action, fields: dict, record_id, key: str | None):
    """(result, the ActionRejectedError or None); a write that kept failing names its key."""
    key = key or str(uuid.uuid4())
    with XeroClient(auth, tenant_id) as client:
        try:
            return run_action(client, action.name, fields, record_id, idempotency_key=key), None
        except ActionRejectedError as exc:
            return exc.result, exc
        except XeroServerError as exc:
            if not action.writes:
                raise
            raise XeroServerError(
                f"{exc}; Xero may have written it: run the same command with "
                f"--idempotency-key {key} to finish it without a duplicate",
                exc.status_code,
            ) from None


def _print_answer(action, result, out: str | None) -> None:
    if not isinstance(result.response, bytes):
        _print_json(result.records if action.envelope else result.response)
        return
    where = f" saved to {out}" if out else " (add --field out=PATH to save them)"
    print(f"{action.name}: {len(result.response)} bytes{where}", file=sys.stderr)


def _print_errors(name: str, messages: list[str]) -> None:
    for message in messages:
        print(f"error: {name}: {message}", file=sys.stderr)


def _fields(args, action) -> dict:
    if args.json and args.field:
        raise ConfigurationError("give either --json or --field, not both")
    if args.json:
        fields = _load_json(args.json, "--json")
        if not isinstance(fields, dict):
            raise ConfigurationError("--json must hold a JSON object")
        return fields
    fields: dict = {}
    for text in args.field or []:
        key, raw = _pair(text, "--field")
        value = raw if action.body == FILE or key in ("out", "FileName") else _value(raw)
        _set_path(fields, key, value)
    return fields


def _pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigurationError(f"{option} takes key=value, got {text!r}")
    return key.strip(), value


def _value(raw: str) -> Any:
    """A field's value: JSON when it parses (12.50, true, {"Name": "Acme"}), else the text."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        return raw


def _set_path(fields: dict, key: str, value: Any) -> None:
    """`Contact.Name=Acme` -> {"Contact": {"Name": "Acme"}}."""
    *parents, last = key.split(".")
    target = fields
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise ConfigurationError(f"--field {key}: {part} is already a value")
    target[last] = value


def _load_json(text: str, option: str) -> Any:
    source = text
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"{option}: cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(source, parse_float=Decimal)
    except ValueError as exc:
        raise ConfigurationError(f"{option}: not valid JSON ({exc})") from None


def _tenant_id(auth, wanted: str | None) -> str:
    chosen = select_tenants(list_connections(auth), [wanted] if wanted else None)
    if len(chosen) > 1:
        names = ", ".join(repr(c.get("tenantName") or c["tenantId"]) for c in chosen)
        raise ConfigurationError(f"several organisations are connected ({names}): pick one "
                                 f"with --tenant")  # fmt: skip
    return chosen[0]["tenantId"]


def _print_json(value: Any) -> None:
    print(json.dumps(json.loads(encode_json(value)), indent=2))
