"""What every test runs inside: no developer credentials or dlt config, all state under one
folder (the autouse fixture in conftest.py; module-scoped fixtures call it themselves)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def isolate_environment(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Hide the developer's Xero credentials and dlt config; keep all state under `root`."""
    for name in list(os.environ):
        if name.startswith(("XERO_", "SOURCES__", "DESTINATION__", "XW_STATE")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(root / "dlt_data"))
    monkeypatch.setenv("XERO_WAREHOUSE_HOME", str(root / "home"))
    monkeypatch.chdir(root)
