"""Fixtures for the sandbox's HTTP tests: the shared `sandbox`/`sandbox_server` fixtures and
an httpx client holding a valid token for every tenant."""

from __future__ import annotations

import pytest
import sandbox_fixtures
from xero_http import XeroHttp, refresh_access_token

sandbox = sandbox_fixtures.sandbox
sandbox_server = sandbox_fixtures.sandbox_server


@pytest.fixture
def xero(sandbox_server):
    client = XeroHttp(sandbox_server, refresh_access_token(sandbox_server)["access_token"])
    yield client
    client.close()


@pytest.fixture
def open_server(sandbox):
    """The sandbox served with rate limits off (for tests that make many calls)."""
    from sandbox.server import running_sandbox

    with running_sandbox(sandbox, limits=False) as server:
        yield server


@pytest.fixture
def open_xero(open_server):
    client = XeroHttp(open_server, refresh_access_token(open_server)["access_token"])
    yield client
    client.close()
