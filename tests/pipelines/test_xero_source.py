"""`xero_source` as a plain dlt source: configured from `.dlt/secrets.toml` or dlt's
variables, a cursor per tenant through `dlt.sources.incremental`, and the cursor lookback that
reads writes Xero makes visible late; checked against the sandbox's ground truth."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dlt
import pytest
from test_sync_sandbox import TIME_SCALE, assert_matches_truth, query, served

from pipelines.errors import ConfigurationError
from pipelines.runner import sync
from pipelines.xero import resource_name, xero_source
from pipelines.xero.client import XeroClient
from pipelines.xero.credentials import cursor_lookback
from pipelines.xero.token_store import FileTokenStore
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

EXAMPLE = Path(__file__).parents[2] / "pipelines" / "xero_pipeline.py"


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=11)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def destination(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


def _secrets_toml(env: dict[str, str]) -> str:
    return "\n".join(
        [
            "[sources.xero]",
            f'api_url = "{env["XERO_API_URL"]}"',
            f'identity_url = "{env["XERO_IDENTITY_URL"]}"',
            "",
            "[sources.xero.credentials]",
            f'client_id = "{env["XERO_CLIENT_ID"]}"',
            f'client_secret = "{env["XERO_CLIENT_SECRET"]}"',
            f'refresh_token = "{env["XERO_REFRESH_TOKEN"]}"',
            "",
        ]
    )


def _run_example(project: Path) -> subprocess.CompletedProcess:
    # nothing but .dlt/secrets.toml configures the source: no XERO_* or SOURCES__* variables;
    # only the client's pacing is told that the sandbox's rate-limit windows run faster
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XERO_", "SOURCES__"))}
    env |= {
        "HOME": str(project / "home"),
        "DLT_DATA_DIR": str(project / "dlt"),  # dlt keeps pipelines in /var/dlt for root
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "XERO_RATE_LIMIT_TIME_SCALE": str(TIME_SCALE),
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_example_pipeline_with_only_secrets_toml_loads_ground_truth(monkeypatch, sb, tmp_path):
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    with running_sandbox(sb, time_scale=TIME_SCALE, limits=True) as server:
        seed = server.env["XERO_REFRESH_TOKEN"]
        (project / ".dlt" / "secrets.toml").write_text(_secrets_toml(server.env))
        first = _run_example(project)
        assert first.returncode == 0, first.stderr[-3000:]
        destination = f"duckdb:///{project / 'xero_pipeline.duckdb'}"
        assert_matches_truth(destination, sb)

        # the rotated refresh token is in the token store, not lost with the process
        store = FileTokenStore(project / "home" / ".xero-warehouse" / "tokens.json")
        stored = store.load(server.env["XERO_CLIENT_ID"])
        assert stored is not None and stored.refresh_token not in (None, seed)
        assert server.identity.refresh[seed].successor is not None

        # past the rotated seed's grace and the access token's life: only the stored token works
        contact = next(iter(sb.tenants[0].collection("Contacts").records()))
        sb.tenants[0].update("Contacts", contact["ContactID"], {"Name": "Renamed Later"})
        sb.clock.advance(minutes=45)
        second = _run_example(project)
        assert second.returncode == 0, second.stderr[-3000:]
        assert_matches_truth(destination, sb)
        rows = query(
            destination,
            "select name from xero.contacts where contact_id = %s",
            contact["ContactID"],
        )
        assert rows == [("Renamed Later",)]


def test_each_tenant_reads_from_its_own_cursor(monkeypatch, sb, tmp_path):
    sent: list[tuple[str, datetime | None]] = []
    original = XeroClient.get

    def get(self, path, params=None, *, modified_since=None):
        if path == "/Contacts":
            sent.append((self.tenant_id, modified_since))
        return original(self, path, params, modified_since=modified_since)

    monkeypatch.setattr(XeroClient, "get", get)
    with served(monkeypatch, sb) as server:
        # dlt's own variables instead of XERO_*
        for name in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "API_URL", "IDENTITY_URL"):
            section = "SOURCES__XERO__" + ("" if name.endswith("URL") else "CREDENTIALS__")
            monkeypatch.setenv(section + name, server.env[f"XERO_{name}"])
            monkeypatch.delenv(f"XERO_{name}")
        monkeypatch.setenv("SOURCES__XERO__CURSOR_LOOKBACK_SECONDS", "120")
        pipeline = dlt.pipeline(
            "xero_cursors", destination=dlt.destinations.duckdb(str(tmp_path / "c.duckdb")),
            dataset_name="xero", pipelines_dir=str(tmp_path / "pipelines"),
        )  # fmt: skip
        pipeline.run(xero_source(resources=["contacts"]))
        assert sorted(sent, key=str) == sorted(((t.tenant_id, None) for t in sb.tenants), key=str)
        sent.clear()
        pipeline.run(xero_source(resources=["contacts"]))

    state = pipeline.state["sources"]["xero"]["resources"]
    for tenant in sb.tenants:
        newest = max(r["UpdatedDateUTC"] for r in tenant.collection("Contacts").records())
        cursor = state[resource_name("contacts", tenant.tenant_id)]["incremental"]
        assert cursor["UpdatedDateUTC"]["last_value"] == newest
        since = dict(sent)[tenant.tenant_id]
        assert since == newest - timedelta(seconds=120)
    assert len(sent) == 2
    assert_matches_truth(f"duckdb:///{tmp_path / 'c.duckdb'}", sb, only=("contacts",))


def _sync_after_a_late_write(monkeypatch, sb, destination) -> tuple[dict, dict, dict]:
    """Sync contacts; then Xero shows a write whose UpdatedDateUTC is a minute older than the
    cursor saved, and a fresh one; sync again with one request. The contact names after."""
    tenant = sb.tenants[0]
    with served(monkeypatch, sb) as server:
        assert sync(destination=destination, resources=["contacts"]).ok
        ((cursor,),) = query(
            destination,
            "select max(updated_date_utc) from xero.contacts where tenant_id = %s",
            tenant.tenant_id,
        )
        late, fresh = list(tenant.collection("Contacts").records())[:2]
        sb.clock.freeze(cursor.astimezone(UTC) - timedelta(seconds=60))
        tenant.update("Contacts", late["ContactID"], {"Name": "Visible Late"})
        sb.clock.unfreeze()
        tenant.update("Contacts", fresh["ContactID"], {"Name": "Fresh"})
        server.log.reset()
        assert sync(destination=destination, resources=["contacts"]).ok
        assert server.log.count(tenant_id=tenant.tenant_id, route="/Contacts") == 1
    names = dict(
        query(destination, "select contact_id, name from xero.contacts where tenant_id = %s",
              tenant.tenant_id)
    )  # fmt: skip
    assert names[fresh["ContactID"]] == "Fresh"
    return names, late, fresh


def test_a_write_visible_late_is_read_by_the_next_run(monkeypatch, sb, destination):
    """The default lookback (5 minutes) reads it, without a duplicate row or an extra
    request."""
    names, late, _ = _sync_after_a_late_write(monkeypatch, sb, destination)
    assert names[late["ContactID"]] == "Visible Late"
    duplicates = query(
        destination,
        "select tenant_id, contact_id from xero.contacts group by 1, 2 having count(*) > 1",
    )
    assert duplicates == []
    assert_matches_truth(destination, sb, only=("contacts",))


def test_without_a_lookback_a_write_visible_late_is_missed(monkeypatch, sb, tmp_path):
    monkeypatch.setenv("XERO_CURSOR_LOOKBACK_SECONDS", "0")
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    names, late, _ = _sync_after_a_late_write(monkeypatch, sb, destination)
    assert names[late["ContactID"]] == late["Name"]


def test_a_row_updated_twice_in_the_same_millisecond_is_not_dropped(monkeypatch, sb, tmp_path):
    """dlt's incremental drops rows equal to the cursor that it has seen before; the source
    turns that off (the merge keeps rows single), with and without the lookback."""
    monkeypatch.setenv("XERO_CURSOR_LOOKBACK_SECONDS", "0")
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    contact = next(iter(tenant.collection("Contacts").records()))
    with served(monkeypatch, sb):
        sb.clock.freeze(sb.clock.now() + timedelta(days=1))
        tenant.update("Contacts", contact["ContactID"], {"Name": "First"})
        assert sync(destination=destination, resources=["contacts"]).ok
        tenant.update("Contacts", contact["ContactID"], {"Name": "Second"})
        assert sync(destination=destination, resources=["contacts"]).ok
    rows = query(
        destination, "select name from xero.contacts where contact_id = %s", contact["ContactID"]
    )
    assert rows == [("Second",)]


@pytest.mark.parametrize(
    "configured, variable, expected",
    [(None, None, 300), (None, "45", 45), (90, "45", 90), (0, None, 0)],
)
def test_cursor_lookback_setting(monkeypatch, configured, variable, expected):
    if variable is not None:
        monkeypatch.setenv("XERO_CURSOR_LOOKBACK_SECONDS", variable)
    assert cursor_lookback(configured) == timedelta(seconds=expected)


@pytest.mark.parametrize("variable", ["five", "-1", "1.5"])
def test_a_bad_lookback_is_one_clear_line(monkeypatch, variable):
    monkeypatch.setenv("XERO_CURSOR_LOOKBACK_SECONDS", variable)
    with pytest.raises(ConfigurationError, match="XERO_CURSOR_LOOKBACK_SECONDS must be") as error:
        cursor_lookback()
    assert "\n" not in str(error.value)


def test_no_credentials_anywhere_is_one_clear_line():
    with pytest.raises(Exception, match="no Xero credentials") as error:
        xero_source(resources=["contacts"])
    assert "\n" not in str(error.value)
