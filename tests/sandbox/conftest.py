"""Fixtures for the sandbox's HTTP tests (`sandbox` and `sandbox_server` come from
tests/sandbox_fixtures.py): an httpx client holding a valid token for every tenant."""

from __future__ import annotations

import pytest
from xero_http import connected


@pytest.fixture
def xero(sandbox_server):
    with connected(sandbox_server) as client:
        yield client


@pytest.fixture
def open_server(sandbox):
    """The sandbox served with rate limits off (for tests that make many calls)."""
    from sandbox.server import running_sandbox

    with running_sandbox(sandbox, limits=False) as server:
        yield server


@pytest.fixture
def open_xero(open_server):
    with connected(open_server) as client:
        yield client
