"""Fixtures for the action tests: the sandbox served over real HTTP (`xero`), its first
organisation (`org`), a client on it and the typed API over that client."""

from __future__ import annotations

import pytest


@pytest.fixture
def org(xero):
    return xero.sandbox.tenants[0]


@pytest.fixture
def client(xero, org):
    from pipelines.xero.auth import auth_from_env
    from pipelines.xero.client import XeroClient

    with XeroClient(auth_from_env(), org.tenant_id) as client:
        yield client


@pytest.fixture
def xero_actions(client):
    from pipelines.actions import XeroActions

    return XeroActions(client)
