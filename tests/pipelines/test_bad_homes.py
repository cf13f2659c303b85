"""A broken `XERO_WAREHOUSE_HOME` or `tokens.json` ends every command that touches it in one
clear line and exit 1, never a traceback.

The tests run as root, which reads and writes through file modes. So "unreadable" is a
`tokens.json` that is a directory or a FIFO (nothing a plain read can use), and "read-only"
is a home with the immutable attribute (`chattr +i`), which root cannot write either.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _garbage(home: Path) -> None:
    home.mkdir()
    (home / "tokens.json").write_bytes(b"\x93\xff\x00" + os.urandom(64))


def _directory(home: Path) -> None:
    (home / "tokens.json").mkdir(parents=True)


def _fifo(home: Path) -> None:
    home.mkdir()
    os.mkfifo(home / "tokens.json")


def _wrong_types(home: Path) -> None:
    home.mkdir()
    (home / "tokens.json").write_text('{"tokens": ["not", "rows"]}')


def _a_file(home: Path) -> None:
    home.write_text("not a directory")


def _read_only(home: Path) -> None:
    """A home holding a token (as after a login) that cannot be written any more."""
    from pipelines.xero.token_store import FileTokenStore, StoredToken
    from sandbox.identity import DEFAULT_CLIENT_ID

    store = FileTokenStore(home / "tokens.json")
    with store.transaction(DEFAULT_CLIENT_ID) as tx:
        tx.save(StoredToken(DEFAULT_CLIENT_ID, refresh_token="stored-refresh-token"))
    if subprocess.run(["chattr", "+i", str(home)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")


BROKEN_HOMES = {
    "tokens.json of random bytes": (_garbage, "not readable"),
    "tokens.json a directory": (_directory, "cannot read the token store"),
    "tokens.json a FIFO": (_fifo, "cannot read the token store"),
    "tokens.json of wrong types": (_wrong_types, "not readable"),
    "home a regular file": (_a_file, "token store"),
    "home read-only": (_read_only, "cannot write the token store"),
}

COMMANDS = {
    "sync": ["sync", "--destination", "duckdb:///w.duckdb", "--no-progress",
             "--resource", "currencies"],
    "auth status": ["auth", "status"],
    "auth logout": ["auth", "logout"],
    "auth login": ["auth", "login", "--no-browser", "--timeout", "1", "--port", "0"],
    "tenants": ["tenants"],
}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox_env():
    from sandbox.model import Sandbox
    from sandbox.server import running_sandbox

    with running_sandbox(Sandbox(tenants=1, scale="small", seed=5), time_scale=1000.0) as server:
        yield {**server.env, "XERO_RATE_LIMIT_TIME_SCALE": "1000"}


@pytest.fixture
def broken_home(request, tmp_path):
    make, expected = BROKEN_HOMES[request.param]
    home = tmp_path / "home"
    make(home)
    yield home, expected
    subprocess.run(["chattr", "-i", str(home)], capture_output=True)


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("broken_home", BROKEN_HOMES, indirect=True)
def test_a_broken_home_is_one_clear_line(command, broken_home, sandbox_env):
    home, expected = broken_home
    result = _run(COMMANDS[command], {**sandbox_env, "XERO_WAREHOUSE_HOME": str(home)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0] and str(home) in errors[0]
    assert sandbox_env["XERO_REFRESH_TOKEN"] not in result.stdout + result.stderr


@pytest.mark.parametrize("broken_home", ["home a regular file", "home read-only"], indirect=True)
def test_webhook_commands_with_a_broken_home(broken_home, sandbox_env):
    home, _ = broken_home
    env = {**sandbox_env, "XERO_WAREHOUSE_HOME": str(home), "XERO_WEBHOOK_KEY": "k" * 32}
    for args in (["webhooks", "serve", "--port", "0"], ["sync", "--from-webhooks"]):
        result = _run(args, env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and str(home) in errors[0], result.stderr


def test_bad_ipv6_destination_is_one_line():
    result = _run(["sync", "--destination", "postgresql://u:p@[::1/db"], {})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: bad destination: an IPv6 host needs its closing ], e.g. postgresql://user@[::1]/db"
    ]


def test_a_read_only_home_under_client_credentials(tmp_path, sandbox_env):
    """No token store write is needed here: the sync first fails on its pipeline folder."""
    home = tmp_path / "empty-home"
    home.mkdir()
    if subprocess.run(["chattr", "+i", str(home)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")
    env = {**sandbox_env, "XERO_WAREHOUSE_HOME": str(home), "XERO_REFRESH_TOKEN": ""}
    try:
        result = _run(COMMANDS["sync"], env)
    finally:
        subprocess.run(["chattr", "-i", str(home)], capture_output=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"cannot use {home}" in errors[0], result.stderr
