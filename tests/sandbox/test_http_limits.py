"""Xero's rate limits in the sandbox: headers on every answer, 429 with Retry-After and
X-Rate-Limit-Problem for the minute, day, app-minute and concurrency limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from xero_http import XeroHttp, refresh_access_token

from sandbox.limits import LimitConfig, Limiter, format_retry_after
from sandbox.server import running_sandbox


@pytest.fixture
def limited(sandbox, request):
    config = request.param
    with running_sandbox(sandbox, limits=config) as server:
        client = XeroHttp(server, refresh_access_token(server)["access_token"])
        yield client
        client.close()


SLOW_MINUTE = LimitConfig(per_minute=20, time_scale=6.0)  # a "minute" lasts 10 s


@pytest.mark.parametrize("limited", [SLOW_MINUTE], indirect=True)
def test_minute_limit_answers_429_with_retry_after(limited):
    remaining = []
    for _ in range(20):
        answer = limited.get("/Organisation")
        assert answer.status_code == 200
        remaining.append(int(answer.headers["X-MinLimit-Remaining"]))
        assert int(answer.headers["X-AppMinLimit-Remaining"]) > 0
    assert remaining == list(range(19, -1, -1))
    refused = limited.get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 0 < float(refused.headers["Retry-After"]) <= 10.0
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    other = limited.get("/Organisation", tenant_id=limited.server.sandbox.tenants[1].tenant_id)
    assert other.status_code == 200, "limits are per tenant"


@pytest.mark.parametrize("limited", [LimitConfig(per_day=5, time_scale=6.0)], indirect=True)
def test_daily_quota_answers_429_day(limited):
    days = [int(limited.get("/Organisation").headers["X-DayLimit-Remaining"]) for _ in range(5)]
    assert days == [4, 3, 2, 1, 0]
    refused = limited.get("/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert float(refused.headers["Retry-After"]) > 10 * 60 / 6.0


@pytest.mark.parametrize("limited", [LimitConfig(app_per_minute=3, time_scale=6.0)], indirect=True)
def test_app_wide_minute_limit_spans_tenants(limited):
    first, second = (t.tenant_id for t in limited.server.sandbox.tenants)
    assert limited.get("/Organisation", tenant_id=first).status_code == 200
    assert limited.get("/Organisation", tenant_id=second).status_code == 200
    assert limited.get("/Organisation", tenant_id=first).status_code == 200
    refused = limited.get("/Organisation", tenant_id=second)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"


def test_more_than_five_concurrent_calls_are_refused(xero):
    xero.server.faults.add("latency", seconds=1.0, count=5)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: xero.get("/Organisation"), range(6)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 5 and statuses.count(429) == 1
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert xero.get("/Organisation").status_code == 200


def test_limits_off_still_send_the_headers(open_server):
    client = XeroHttp(open_server, refresh_access_token(open_server)["access_token"])
    answer = client.get("/Organisation")
    assert answer.status_code == 200
    assert answer.headers["X-MinLimit-Remaining"] == "60"
    assert answer.headers["X-DayLimit-Remaining"] == "5000"
    client.close()


def test_windows_slide_on_the_scaled_clock():
    now = [1000.0]
    limiter = Limiter(LimitConfig(per_minute=2, time_scale=60.0), clock=lambda: now[0])
    tenant = "t"
    for _ in range(2):
        assert limiter.acquire(tenant).allowed
        limiter.release(tenant)
    refused = limiter.acquire(tenant)
    assert not refused.allowed and refused.problem == "minute"
    assert refused.retry_after == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.acquire(tenant).allowed


def test_retry_after_is_whole_seconds_at_real_speed_and_decimal_when_scaled():
    assert format_retry_after(0.2, 1.0) == "1"
    assert format_retry_after(41.3, 1.0) == "42"
    assert format_retry_after(0.7341, 60.0) == "0.735"
