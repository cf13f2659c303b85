"""The Xero client against the local sandbox over real HTTP: pages, headers, the retry policy
on injected faults, rate limits and token expiry."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sandbox_fixtures import SANDBOX_TIME_SCALE, sandbox, sandbox_server  # noqa: F401

from pipelines.errors import ConfigurationError
from pipelines.xero.auth import XeroAuth, auth_from_env
from pipelines.xero.client import (
    XeroAuthError,
    XeroClient,
    XeroDailyLimitError,
    XeroError,
    XeroForbiddenError,
    XeroNotFoundError,
    XeroServerError,
    list_connections,
)
from pipelines.xero.limiter import AppLimiter, RateLimits, TenantLimiter


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP, keeping a copy of every request's headers."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def server(sandbox_server, monkeypatch):  # noqa: F811
    for name, value in sandbox_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(SANDBOX_TIME_SCALE))
    return sandbox_server


@pytest.fixture
def auth(server) -> XeroAuth:
    return auth_from_env()


@pytest.fixture
def tenant(server):
    return server.sandbox.tenants[0]


@pytest.fixture
def client(auth, tenant):
    with XeroClient(auth, tenant.tenant_id) as xero:
        yield xero


def model_ids(collection, key: str) -> list[str]:
    return [record[key] for record in collection.records()]


def api_calls(server, tenant_id: str, status: int | None = None) -> int:
    return server.log.count(tenant_id=tenant_id, status=status)


def test_pages_carry_xeros_headers_and_exact_decimals(auth, tenant, server):
    transport = RecordingTransport()
    invoices = []
    with XeroClient(auth, tenant.tenant_id, transport=transport) as xero:
        page = 1
        while True:
            body = xero.get("/Invoices", {"page": page, "pageSize": 30, "unitdp": 4})
            invoices.extend(body["Invoices"])
            if page >= body["pagination"]["pageCount"]:
                break
            page += 1
        stats = xero.stats

    model = tenant.collection("Invoices")
    assert sorted(i["InvoiceID"] for i in invoices) == sorted(
        r["InvoiceID"] for r in model.records()
    )
    assert page == 4  # 100 invoices, 30 a page
    for invoice in invoices:
        assert isinstance(invoice["Total"], Decimal)
        assert invoice["Total"] == model.get(invoice["InvoiceID"])["Total"]

    assert stats.requests == page == len(transport.sent)
    assert stats.paths == {"/Invoices": page}
    assert stats.retries == stats.throttled == 0
    assert stats.min_remaining is not None and stats.day_remaining is not None
    assert api_calls(server, tenant.tenant_id, status=200) == page
    for request in transport.sent:
        assert request.url.path == "/api.xro/2.0/Invoices"
        assert request.headers["xero-tenant-id"] == tenant.tenant_id
        assert request.headers["accept"] == "application/json"
        assert request.headers["user-agent"].startswith("xero-warehouse/")
        assert request.headers["authorization"].startswith("Bearer ")
        assert "if-modified-since" not in request.headers


def test_modified_since_returns_what_changed_since_that_second(auth, tenant):
    model = tenant.collection("Contacts")
    stamps = sorted(r["UpdatedDateUTC"] for r in model.records())
    cutoff = stamps[len(stamps) // 2] + timedelta(microseconds=654_321)
    expected = {r["ContactID"] for r in model.modified_since(cutoff)}
    assert 0 < len(expected) < len(model)

    transport = RecordingTransport()
    with XeroClient(auth, tenant.tenant_id, transport=transport) as xero:
        params = {"page": 1, "pageSize": 1000, "includeArchived": "true"}
        body = xero.get("/Contacts", params, modified_since=cutoff)

    assert {c["ContactID"] for c in body["Contacts"]} == expected
    header = transport.sent[0].headers["if-modified-since"]
    assert header == cutoff.strftime("%a, %d %b %Y %H:%M:%S GMT")
    with pytest.raises(ValueError, match="naive"):
        XeroClient(auth, tenant.tenant_id).get(
            "/Contacts", modified_since=cutoff.replace(tzinfo=None)
        )


def test_minute_limit_storm_is_waited_out(client, tenant, server):
    server.faults.add(
        "rate_limit", count=8, problem="minute", seconds=6, tenant_id=tenant.tenant_id
    )
    calls = [("/Contacts", {"page": n, "pageSize": 10}, None) for n in range(1, 13)]
    pages = list(client.get_concurrently(calls))

    assert [len(p["Contacts"]) for p in pages] == [
        len(client.get("/Contacts", {"page": n, "pageSize": 10})["Contacts"]) for n in range(1, 13)
    ]
    stats = client.stats
    assert stats.throttled == 8 == api_calls(server, tenant.tenant_id, status=429)
    assert stats.retries == 8


def test_app_minute_limit_is_waited_out(client, server):
    server.faults.add("rate_limit", count=2, problem="appminute", seconds=3)
    assert "Organisations" in client.get("/Organisation")
    assert client.stats.throttled == 2


def test_daily_limit_stops_the_tenant_until_retry_after(client, tenant, server):
    server.faults.add("day_quota", tenant_id=tenant.tenant_id)
    with pytest.raises(XeroDailyLimitError) as raised:
        client.get("/Invoices", {"page": 1})
    error = raised.value
    day = 86400 / SANDBOX_TIME_SCALE
    assert day * 0.9 < error.retry_after_seconds <= day
    assert error.resume_at is not None
    assert "daily API limit" in str(error) and "\n" not in str(error)
    assert client.stats.throttled == 1

    calls = api_calls(server, tenant.tenant_id)
    with pytest.raises(XeroDailyLimitError):  # known: no call is spent on it
        client.get("/Contacts")
    assert api_calls(server, tenant.tenant_id) == calls


def test_day_reserve_stops_before_the_quota_is_gone(auth, tenant, server, monkeypatch):
    monkeypatch.setenv("XERO_DAY_LIMIT_RESERVE", "4997")  # the sandbox allows 5,000 a day
    with XeroClient(auth, tenant.tenant_id) as xero:
        for _ in range(3):
            xero.get("/Currencies")
        with pytest.raises(XeroDailyLimitError, match="XERO_DAY_LIMIT_RESERVE") as raised:
            xero.get("/Currencies")
    assert raised.value.retry_after_seconds is None
    assert raised.value.reserve
    assert "next UTC midnight, an estimate" in str(raised.value)
    assert api_calls(server, tenant.tenant_id) == 3


@pytest.mark.parametrize(
    "kind, options",
    [
        ("status", {"status": 503}),
        ("status", {"status": 500}),
        ("reset", {}),
        ("truncate", {"mode": "short"}),
        ("truncate", {"mode": "cut"}),
        ("latency", {"seconds": 2.5}),
    ],
    ids=["503", "500", "reset", "short-body", "cut-json", "timeout"],
)
def test_transient_failures_are_retried(auth, tenant, server, kind, options):
    server.faults.add(kind, count=2, tenant_id=tenant.tenant_id, path="/Accounts", **options)
    with XeroClient(auth, tenant.tenant_id, timeout=1.0) as xero:
        accounts = xero.get("/Accounts")["Accounts"]
        stats = xero.stats
    assert len(accounts) == len(tenant.collection("Accounts"))
    assert stats.retries == 2
    assert stats.requests == 3


def test_persistent_server_errors_give_up_after_bounded_attempts(client, tenant, server):
    server.faults.add("status", count=None, status=502, tenant_id=tenant.tenant_id)
    with pytest.raises(XeroServerError) as raised:
        client.get("/Invoices")
    message = str(raised.value)
    assert "\n" not in message and "HTTP 502" in message and "6 attempts" in message
    assert api_calls(server, tenant.tenant_id, status=502) == client.retry.max_attempts == 6


def hammer(clients: list[XeroClient], threads: int, calls_each: int) -> list[Exception]:
    errors: list[Exception] = []

    def work(xero: XeroClient) -> None:
        try:
            for _ in range(calls_each):
                xero.get("/Currencies")
        except Exception as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    workers = [
        threading.Thread(target=work, args=(clients[i % len(clients)],)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_tenant_concurrency_stays_within_five(auth, tenant, server):
    # every call holds its slot for 50 ms; 12 threads over two clients of one tenant
    server.faults.add("latency", count=None, seconds=0.05, tenant_id=tenant.tenant_id)
    clients = [XeroClient(auth, tenant.tenant_id) for _ in range(2)]
    assert hammer(clients, threads=12, calls_each=4) == []
    assert api_calls(server, tenant.tenant_id, status=200) == 48
    assert api_calls(server, tenant.tenant_id, status=429) == 0

    # the same load without the cap is refused by the sandbox ("concurrent"), then retried
    loose = RateLimits(max_in_flight=12, time_scale=SANDBOX_TIME_SCALE)
    unbounded = XeroClient(auth, tenant.tenant_id, tenant_limiter=TenantLimiter(loose))
    assert hammer([unbounded], threads=12, calls_each=4) == []
    assert unbounded.stats.throttled > 0
    assert any(e.problem == "concurrent" for e in server.log.entries)
    for xero in [*clients, unbounded]:
        xero.close()


def test_pacing_keeps_a_busy_tenant_clear_of_429s(client, tenant, server):
    # 150 calls are 2.5 minutes of the tenant's minute limit
    calls = [("/Currencies", None, None)] * 150
    assert sum(1 for _ in client.get_concurrently(calls)) == 150
    assert api_calls(server, tenant.tenant_id, status=200) == 150
    assert api_calls(server, tenant.tenant_id, status=429) == 0
    assert client.stats.throttled == 0


def test_two_processes_on_one_tenant_share_its_minute(auth, tenant, server):
    # separate limiters stand for separate processes: only the server's headers and 429s
    # tell each about the other
    limits = RateLimits(time_scale=SANDBOX_TIME_SCALE)
    clients = [
        XeroClient(
            auth,
            tenant.tenant_id,
            tenant_limiter=TenantLimiter(limits),
            app_limiter=AppLimiter(limits),
        )
        for _ in range(2)
    ]
    results = []

    def run(xero: XeroClient) -> None:
        results.append(sum(1 for _ in xero.get_concurrently([("/Currencies", None, None)] * 120)))

    workers = [threading.Thread(target=run, args=(xero,)) for xero in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    throttled = sum(xero.stats.throttled for xero in clients)
    for xero in clients:
        xero.close()

    assert results == [120, 120]
    assert api_calls(server, tenant.tenant_id, status=200) == 240
    assert throttled == api_calls(server, tenant.tenant_id, status=429)
    assert throttled < 120  # without the retry jitter about 60% of the calls met a 429


def test_token_expiry_mid_run_refreshes_once(auth, client, server):
    client.get("/Currencies")
    before = auth.refreshes
    server.faults.add("expire_token")
    assert "Currencies" in client.get("/Currencies")
    assert auth.refreshes == before + 1
    assert client.stats.retries == 0


def test_rejected_static_token_says_how_to_log_in(tenant, server):
    with (
        XeroClient(
            XeroAuth("static", access_token="not-a-real-token-x1"), tenant.tenant_id
        ) as xero,
        pytest.raises(XeroAuthError) as raised,
    ):
        xero.get("/Invoices")
    message = str(raised.value)
    assert "xero-warehouse auth login" in message
    assert "not-a-real-token-x1" not in message and "\n" not in message


def test_client_errors_are_not_retried(client, auth, tenant, server):
    with pytest.raises(XeroNotFoundError):
        client.get(f"/Invoices/{uuid.uuid4()}")
    with pytest.raises(XeroError) as raised:
        client.get("/Invoices", {"where": 'Status=="AUTHORISED" &&& nonsense'})
    assert raised.value.status_code == 400
    assert not isinstance(raised.value, XeroServerError)
    with XeroClient(auth, str(uuid.uuid4())) as stranger, pytest.raises(XeroForbiddenError):
        stranger.get("/Invoices")
    assert client.stats.retries == 0
    assert client.stats.requests == 2


def test_list_connections_lists_every_tenant(auth, server):
    connections = list_connections(auth)
    assert {c["tenantId"] for c in connections} == {t.tenant_id for t in server.sandbox.tenants}
    assert all(c["tenantType"] == "ORGANISATION" for c in connections)


def _refresh_in_another_process(rejected: str) -> None:
    """A sibling `sync` on the same token store rotates the token (a real process)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pipelines.xero.auth import auth_from_env; "
        "auth = auth_from_env(); auth.access_token(rejected=sys.argv[1]); "
        "assert auth.refreshes == 1"
    )
    subprocess.run(
        [sys.executable, "-c", code, rejected], check=True, env=dict(os.environ), timeout=60
    )


def test_a_dead_token_borrowed_from_the_store_earns_a_refresh_of_our_own(auth, client, server):
    client.get("/Currencies")
    ours = auth.access_token()
    _refresh_in_another_process(rejected=ours)
    server.identity.expire_access_tokens()  # ours and the sibling's stored one both die
    assert "Currencies" in client.get("/Currencies")
    assert auth.refreshes == 2  # the first grant, then one of our own after the borrowed 401
    assert server.log.count(route="/Currencies", status=401) == 2  # ours, then the borrowed one


def test_a_401_right_after_our_own_refresh_asks_for_a_login(auth, client, server, tenant):
    client.get("/Currencies")
    before = auth.refreshes
    server.faults.add("expire_token", count=2, tenant_id=tenant.tenant_id)
    with pytest.raises(XeroAuthError) as raised:
        client.get("/Currencies")
    assert auth.refreshes == before + 1  # no second refresh on a token we just got
    message = str(raised.value)
    assert "401" in message and "xero-warehouse auth login" in message and "\n" not in message


def test_a_long_429_burst_is_waited_out_whatever_the_count(client, tenant, server):
    """45 short 429s in a row (the attack's burst) add up to far less than the time budget."""
    server.faults.add(
        "rate_limit", count=45, problem="minute", seconds=1, tenant_id=tenant.tenant_id
    )
    assert "Accounts" in client.get("/Accounts")
    assert client.stats.throttled == 45 == api_calls(server, tenant.tenant_id, status=429)


def test_429s_stop_at_the_configured_total_wait(auth, tenant, server, monkeypatch):
    monkeypatch.setenv("XERO_RATE_LIMIT_MAX_WAIT", "120")  # 2 s of real time at scale 60
    server.faults.add(
        "rate_limit", count=None, problem="minute", seconds=10, tenant_id=tenant.tenant_id
    )
    with XeroClient(auth, tenant.tenant_id) as xero, pytest.raises(XeroError) as raised:
        xero.get("/Accounts")
    message = str(raised.value)
    assert "kept rate-limiting GET /Accounts" in message and "XERO_RATE_LIMIT_MAX_WAIT" in message
    assert raised.value.status_code == 429 and "\n" not in message
    # each wait is 10 Xero-seconds: the budget of 120 allows about a dozen, never 20 or more
    assert 2 <= api_calls(server, tenant.tenant_id, status=429) < 20


def test_a_bad_max_wait_setting_is_one_line(auth, tenant, server, monkeypatch):
    monkeypatch.setenv("XERO_RATE_LIMIT_MAX_WAIT", "ten minutes")
    with pytest.raises(ConfigurationError, match="XERO_RATE_LIMIT_MAX_WAIT must be a number"):
        XeroClient(auth, tenant.tenant_id)
