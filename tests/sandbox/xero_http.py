"""A small Xero test client for the sandbox's HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sandbox_fixtures import SANDBOX_ANCHOR

from sandbox.model import Sandbox
from sandbox.server import running_sandbox

API = "/api.xro/2.0"


def refresh_access_token(server) -> dict:
    env = server.env
    answer = httpx.post(
        f"{server.identity_url}/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": env["XERO_REFRESH_TOKEN"]},
        auth=(env["XERO_CLIENT_ID"], env["XERO_CLIENT_SECRET"]),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


class XeroHttp:
    """A thin test client: Xero's headers on every call, one tenant at a time."""

    def __init__(self, server, access_token: str):
        self.server = server
        self.token = access_token
        self.http = httpx.Client(base_url=server.api_url, timeout=30)
        self.tenant_id = server.sandbox.tenants[0].tenant_id

    def headers(self, tenant_id: str | None = None, **extra) -> dict:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "xero-tenant-id": tenant_id or self.tenant_id,
        }
        headers.update(extra)
        return headers

    def get(
        self,
        path: str,
        params: dict | None = None,
        *,
        tenant_id: str | None = None,
        headers: dict | None = None,
    ) -> httpx.Response:
        return self.http.get(
            API + path, params=params, headers={**self.headers(tenant_id), **(headers or {})}
        )

    def ok(self, path: str, params: dict | None = None, **kwargs) -> dict:
        answer = self.get(path, params, **kwargs)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
        return answer.json()

    def send(
        self, method: str, path: str, body: dict, *, tenant_id: str | None = None
    ) -> httpx.Response:
        return self.http.request(method, API + path, json=body, headers=self.headers(tenant_id))

    def close(self) -> None:
        self.http.close()


@contextmanager
def connected(server) -> Iterator[XeroHttp]:
    """A client on a running sandbox, holding a fresh access token for every tenant."""
    client = XeroHttp(server, refresh_access_token(server)["access_token"])
    try:
        yield client
    finally:
        client.close()


@contextmanager
def open_sandbox_client() -> Iterator[XeroHttp]:
    """A client on a sandbox of its own (two small tenants, the fixtures' seed and anchor)
    served with rate limits off: one per module of read-only tests."""
    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)
    with running_sandbox(sandbox, limits=False) as server, connected(server) as client:
        yield client
