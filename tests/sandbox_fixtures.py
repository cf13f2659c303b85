"""Pytest fixtures for the local Xero sandbox: `sandbox` (two small organisations, fixed
seed and anchor date) and `sandbox_server` (it served over real HTTP, rate limits on, with
windows 60 times faster than Xero's: a "minute" lasts one second)."""

from __future__ import annotations

from datetime import date

import pytest

SANDBOX_ANCHOR = date(2026, 10, 31)
SANDBOX_TIME_SCALE = 60.0


@pytest.fixture
def sandbox():
    from sandbox.model import Sandbox

    return Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)


@pytest.fixture
def sandbox_server(sandbox):
    from sandbox.server import running_sandbox

    with running_sandbox(sandbox, time_scale=SANDBOX_TIME_SCALE, limits=True) as server:
        yield server
