"""Bad input to `xero-warehouse sync` ends in one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_unknown_resource_lists_the_valid_names():
    result = run_cli("sync", "--resource", "invoicez")
    line = assert_one_line_error(result, "invoicez", "invoices", "journals")
    assert "credit_notes" in line


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/x", "duckdb://", "postgresql://127.0.0.1", "nonsense"],
)
def test_bad_destination_url(url):
    assert_one_line_error(run_cli("sync", "--destination", url), "destination")


def test_unreachable_database():
    result = run_cli("sync", "--destination", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert_one_line_error(result, "cannot connect")


def test_no_credentials():
    result = run_cli("sync", "--destination", "duckdb:///w.duckdb")
    assert_one_line_error(result, "credentials")
