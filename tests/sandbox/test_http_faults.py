"""Injected faults over real HTTP, programmatic and through the /_sandbox control endpoints."""

from __future__ import annotations

import json

import httpx
import pytest


def test_server_errors_by_count(open_xero):
    open_xero.server.faults.add("status", status=503, count=2)
    statuses = [open_xero.get("/Organisation").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_faults_limited_to_a_tenant_and_a_path(open_xero):
    first, second = (t.tenant_id for t in open_xero.server.sandbox.tenants)
    open_xero.server.faults.add(
        "status", status=500, count=None, tenant_id=second, path="/Contacts"
    )
    assert open_xero.get("/Contacts", {"page": 1}, tenant_id=first).status_code == 200
    assert open_xero.get("/Invoices", {"page": 1}, tenant_id=second).status_code == 200
    assert open_xero.get("/Contacts", {"page": 1}, tenant_id=second).status_code == 500
    assert open_xero.get("/contacts/x", tenant_id=second).status_code == 500


def test_probability_and_after(open_xero):
    faults = open_xero.server.faults
    never = faults.add("status", count=None, probability=0.0)
    assert all(open_xero.get("/Organisation").status_code == 200 for _ in range(5))
    faults.remove(never.id)
    faults.add("status", status=500, after=2)
    statuses = [open_xero.get("/Organisation").status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]


def test_connection_reset(open_xero):
    open_xero.server.faults.add("reset")
    with pytest.raises(httpx.TransportError):
        open_xero.get("/Organisation")
    assert open_xero.get("/Organisation").status_code == 200
    assert open_xero.server.log.count(route="/Organisation", status=0) == 1


def test_truncated_bodies(open_xero):
    open_xero.server.faults.add("truncate", mode="short")
    with pytest.raises(httpx.TransportError):
        open_xero.get("/Invoices", {"page": 1})
    open_xero.server.faults.add("truncate", mode="cut")
    cut = open_xero.get("/Invoices", {"page": 1})
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    assert open_xero.ok("/Invoices", {"page": 1})["Invoices"]


def test_token_expiry_mid_run(open_xero):
    from xero_http import refresh_access_token

    open_xero.server.faults.add("expire_token")
    answer = open_xero.get("/Organisation")
    assert answer.status_code == 401
    assert open_xero.get("/Organisation").status_code == 401
    open_xero.token = refresh_access_token(open_xero.server)["access_token"]
    assert open_xero.get("/Organisation").status_code == 200


def test_daily_quota_exhausted_and_429_storm(open_xero):
    first, second = (t.tenant_id for t in open_xero.server.sandbox.tenants)
    open_xero.server.faults.add("rate_limit", count=3, seconds=2)
    storm = [open_xero.get("/Organisation") for _ in range(4)]
    assert [a.status_code for a in storm] == [429, 429, 429, 200]
    assert storm[0].headers["X-Rate-Limit-Problem"] == "minute"
    assert storm[0].headers["Retry-After"] == "2"
    open_xero.server.faults.add("day_quota", tenant_id=second)
    for _ in range(2):
        refused = open_xero.get("/Organisation", tenant_id=second)
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "day"
        assert refused.headers["X-DayLimit-Remaining"] == "0"
    assert open_xero.get("/Organisation", tenant_id=first).status_code == 200


def test_latency_holds_the_request(open_xero):
    open_xero.server.faults.add("latency", seconds=0.2)
    assert open_xero.get("/Organisation").status_code == 200
    entry = [e for e in open_xero.server.log.entries if e.route == "/Organisation"][-1]
    assert entry.duration_ms >= 200


def test_control_endpoints(open_xero):
    server = open_xero.server
    control = httpx.Client(base_url=f"{server.api_url}/_sandbox", timeout=30)
    info = control.get("").json()
    assert [t["tenant_id"] for t in info["tenants"]] == [
        t.tenant_id for t in server.sandbox.tenants
    ]

    added = control.post("/faults", json={"kind": "status", "status": 500, "count": 1})
    assert added.status_code == 201 and added.json()["id"]
    assert len(control.get("/faults").json()["faults"]) == 1
    assert open_xero.get("/Organisation").status_code == 500
    assert control.get("/faults").json()["faults"] == []
    assert control.post("/faults", json={"kind": "nonsense"}).status_code == 400
    control.post("/faults", json={"kind": "status", "count": None})
    assert control.delete("/faults").json() == {"faults": []}

    before = control.get("/clock").json()["now"]
    after = control.post("/clock", json={"advance_seconds": 3600}).json()["now"]
    assert after > before
    control.post("/clock", json={"unfreeze": True})

    assert control.post("/tokens/expire").json()["expired"] >= 1
    assert open_xero.get("/Organisation").status_code == 401

    log = control.get("/log").json()
    assert log["total"] >= 3
    tenant = open_xero.tenant_id
    assert control.get(
        "/log", params={"tenant_id": tenant, "route": "/Organisation", "status": 500}
    ).json() == {"count": 1}
    control.delete("/log")
    assert control.get("/log").json()["total"] == 0

    truth = control.get(f"/truth/{tenant}/Invoices")
    assert truth.status_code == 200
    assert truth.json()["count"] == len(truth.json()["ids"]) > 0
    assert control.get("/truth/nope/Invoices").status_code == 404
    control.close()


def test_identity_faults_only_when_their_path_is_named(open_xero):
    from xero_http import refresh_access_token

    server = open_xero.server
    server.faults.add("status", status=503, count=1)
    refresh_access_token(server)  # an unscoped fault is left for the Accounting API
    assert open_xero.get("/Organisation").status_code == 503
    server.faults.add("status", status=503, count=1, path="/connect/token")
    env = server.env
    failed = httpx.post(
        f"{server.identity_url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": env["XERO_CLIENT_ID"],
            "client_secret": env["XERO_CLIENT_SECRET"],
        },
    )
    assert failed.status_code == 503
    refresh_access_token(server)
    assert server.log.count(route="/connect/token", status=503) == 1
