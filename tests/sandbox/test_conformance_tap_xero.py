"""singer-io's tap-xero 2.6.0, a Xero client written outside this project, runs discovery and
a full sync of every stream against the sandbox, and what it emits equals the ground truth.

tap-xero pins libraries that clash with this project's, so it runs in a virtual environment
of its own, built once by uv and kept under ~/.cache/xero-warehouse (XW_TAP_XERO_ENV moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR

from sandbox import ground_truth, spec
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

pytestmark = pytest.mark.slow

TAP_XERO = "tap-xero==2.6.0"
TAP_EXTRAS = ("six==1.17.0",)  # tap-xero imports six without declaring it
LAUNCHER = Path(__file__).parent / "clients" / "tap_xero_launcher.py"
STREAMS = 23


def _environment() -> Path:
    default = Path.home() / ".cache" / "xero-warehouse" / TAP_XERO.replace("==", "-")
    return Path(os.environ.get("XW_TAP_XERO_ENV") or default)


@pytest.fixture(scope="module")
def tap_python() -> Path:
    """tap-xero's own interpreter, installed on first use."""
    root = _environment()
    python, ready = root / "bin" / "python", root / ".installed"
    if not ready.exists():
        uv = shutil.which("uv")
        assert uv, "uv (on PATH) builds tap-xero's own environment"
        subprocess.run([uv, "venv", "-q", "--clear", "--python", "3.11", str(root)], check=True)
        install = [uv, "pip", "install", "-q", "--python", str(python), TAP_XERO, *TAP_EXTRAS]
        subprocess.run(install, check=True)
        ready.touch()
    return python


@pytest.fixture(scope="module")
def server():
    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)
    with running_sandbox(sandbox, limits=False) as running:
        yield running


def run_tap(tap_python: Path, server, workdir: Path, *args: str) -> str:
    """One tap-xero run; its stdout."""
    env = {**os.environ, "XERO_API_URL": server.api_url, "XERO_IDENTITY_URL": server.identity_url}
    command = [str(tap_python), str(LAUNCHER), "--config", str(workdir / "config.json"), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def select_everything(catalog: dict) -> dict:
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = True
    return catalog


def visible_ids(tenant, collection: str, include_archived: bool) -> set[str]:
    """The ids Xero returns to a client that does not ask for archived or deleted records
    (tap-xero asks includeArchived on contacts only)."""
    endpoint = spec.BY_KEY[collection]
    hidden = [f for f in (endpoint.deleted, None if include_archived else endpoint.archived) if f]
    coll = tenant.collection(collection)
    return {
        coll._record_id(r)
        for r in coll.records()
        if not any(r.get(field) == value for field, value in hidden)
    }


def test_tap_xero_discovers_and_syncs_every_stream_equal_to_the_ground_truth(
    tap_python, server, tmp_path
):
    tenant = server.sandbox.tenants[0]
    config = {
        "client_id": server.env["XERO_CLIENT_ID"],
        "client_secret": server.env["XERO_CLIENT_SECRET"],
        "refresh_token": server.env["XERO_REFRESH_TOKEN"],
        "tenant_id": tenant.tenant_id,
        "start_date": "2000-01-01T00:00:00Z",
        "include_archived_contacts": True,
        "user_agent": "xero-warehouse conformance test",
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    catalog = json.loads(run_tap(tap_python, server, tmp_path, "--discover"))
    assert len(catalog["streams"]) == STREAMS
    (tmp_path / "catalog.json").write_text(json.dumps(select_everything(catalog)))
    output = run_tap(tap_python, server, tmp_path, "--catalog", str(tmp_path / "catalog.json"))
    messages = [json.loads(line, parse_float=Decimal) for line in output.splitlines() if line]

    records = records_by_stream(messages)
    keys = {s["tap_stream_id"]: s["key_properties"][0] for s in catalog["streams"]}
    assert set(records) == set(keys)
    for stream, rows in records.items():
        collection = stream.title().replace("_", "")
        ids = [str(row[keys[stream]]) for row in rows]
        expected = visible_ids(tenant, collection, include_archived=stream == "contacts")
        assert len(ids) == len(set(ids)) and set(ids) == expected, stream
        truth = ground_truth.collection_truth(tenant, collection)
        if expected == truth.ids:
            assert _money(rows, ground_truth.MONEY_FIELDS.get(collection, ())) == truth.money

    # an incremental run from the state it emitted re-reads only the bookmarks' last second
    state = next(m["value"] for m in reversed(messages) if m["type"] == "STATE")
    (tmp_path / "state.json").write_text(json.dumps(state))
    again = run_tap(
        tap_python,
        server,
        tmp_path,
        "--catalog",
        str(tmp_path / "catalog.json"),
        "--state",
        str(tmp_path / "state.json"),
    )
    rerun = records_by_stream(
        [json.loads(line, parse_float=Decimal) for line in again.splitlines()]
    )
    for stream in ("invoices", "contacts", "payments", "accounts", "items"):
        assert 1 <= len(rerun[stream]) < len(records[stream]), stream


def records_by_stream(messages: list[dict]) -> dict[str, list[dict]]:
    records: dict[str, list[dict]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
    return records


def _money(rows: list[dict], fields: tuple[str, ...]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        for field in fields:
            if row.get(field) is not None:
                sums[field] = sums.get(field, Decimal("0.00")) + Decimal(str(row[field]))
    return sums
