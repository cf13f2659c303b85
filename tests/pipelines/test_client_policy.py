"""The pure arithmetic of the retry policy and the limiters, on an injected clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from pipelines.errors import ConfigurationError
from pipelines.xero.client import (
    RetryPolicy,
    XeroClient,
    XeroServerError,
    format_if_modified_since,
    parse_retry_after,
    xero_message,
)
from pipelines.xero.limiter import AppLimiter, RateLimits, SlidingWindow, TenantLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_backoff_is_full_jitter_under_a_doubling_cap():
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    rng = random.Random(7)
    for failures, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 30), (20, 30)]:
        delays = [policy.backoff(failures, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # the whole range is used, not a fixed delay


def test_backoff_worst_case_stays_within_the_total_wait_budget():
    policy = RetryPolicy()
    worst = sum(min(policy.max_delay, policy.base_delay * 2 ** (n - 1)) for n in range(1, 6))
    assert worst <= policy.max_total_wait


def test_time_scale_shortens_backoff_and_the_minute():
    policy = RetryPolicy().scaled(60.0)
    assert policy.max_delay == pytest.approx(0.5)
    assert policy.max_attempts == RetryPolicy().max_attempts
    assert RateLimits(time_scale=60.0).window_seconds == pytest.approx(1.0)


def test_rate_limits_from_env(monkeypatch):
    monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", "120")
    monkeypatch.setenv("XERO_DAY_LIMIT_RESERVE", "50")
    limits = RateLimits.from_env(max_in_flight=3)
    assert (limits.time_scale, limits.day_reserve, limits.max_in_flight) == (120.0, 50, 3)
    monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", "fast")
    with pytest.raises(ConfigurationError, match="XERO_RATE_LIMIT_TIME_SCALE"):
        RateLimits.from_env()


def test_sliding_window_allows_the_limit_then_waits_for_the_oldest_call():
    clock = FakeClock()
    window = SlidingWindow(limit=3, window_seconds=60, clock=clock)
    for _ in range(3):
        with window.call():
            clock.now += 1  # the call takes a second; it counts from its completion
        clock.now += 9
    # calls completed at 1001, 1011, 1021; now 1030: the first leaves the window at 1061
    assert window.try_acquire() == pytest.approx(31)
    window.acquire()
    assert clock.now == pytest.approx(1061)
    assert window.in_window() == 3


def test_calls_still_running_hold_their_slots():
    clock = FakeClock()
    window = SlidingWindow(limit=2, window_seconds=60, clock=clock)
    assert window.try_acquire() == 0
    assert window.try_acquire() == 0
    clock.now += 500
    assert window.try_acquire() > 0  # neither call has completed: nothing can expire
    window.complete()
    assert window.try_acquire() > 0  # completed just now: counts for another minute
    clock.now += 60
    assert window.try_acquire() == 0


def test_sliding_window_never_exceeds_the_limit_in_any_span():
    clock = FakeClock()
    window = SlidingWindow(limit=60, window_seconds=60, clock=clock)
    starts = []
    for _ in range(500):
        with window.call():
            starts.append(clock.now)
        clock.now += 0.25
    for i, start in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < start + 60) <= 60


def test_server_remaining_count_slows_the_window_down():
    clock = FakeClock()
    window = SlidingWindow(limit=60, window_seconds=60, clock=clock)
    with window.call():
        pass
    window.observe_remaining(2)  # another process used most of the minute
    assert window.try_acquire() == 0
    assert window.try_acquire() == 0
    window.complete()
    window.complete()
    assert window.try_acquire() == pytest.approx(60)
    window.observe_remaining(50)  # a larger count never frees slots
    assert window.try_acquire() > 0


def test_pause_holds_every_call_until_it_ends():
    clock = FakeClock()
    window = SlidingWindow(limit=60, window_seconds=60, clock=clock)
    window.pause(12.5)
    window.acquire()
    assert clock.slept == [pytest.approx(12.5)]


def test_day_block_expires_after_retry_after():
    clock = FakeClock()
    limiter = TenantLimiter(RateLimits(), clock=clock)
    assert limiter.day_blocked_for() is None
    limiter.block_day(3600)
    assert limiter.day_blocked_for() == pytest.approx(3600)
    clock.now += 3601
    assert limiter.day_blocked_for() is None


def test_day_reserve_stops_before_the_quota_runs_out():
    limiter = TenantLimiter(RateLimits(day_reserve=100), clock=FakeClock())
    assert limiter.take_day_call()  # nothing known yet
    limiter.observe(min_remaining=59, day_remaining=102)
    assert limiter.take_day_call() and limiter.take_day_call()  # 102 -> 101 -> 100
    assert not limiter.take_day_call()  # the next call would cut into the reserve
    limiter.observe(min_remaining=58, day_remaining=100)
    assert not limiter.take_day_call()
    unreserved = TenantLimiter(RateLimits(), clock=FakeClock())
    unreserved.observe(min_remaining=1, day_remaining=0)
    assert unreserved.take_day_call()  # no reserve: Xero's own 429 decides


def test_day_limit_and_reserve_are_read_and_checked(monkeypatch):
    assert RateLimits.from_env().day_limit == 5000
    monkeypatch.setenv("XERO_DAY_LIMIT", "1000")
    monkeypatch.setenv("XERO_DAY_LIMIT_RESERVE", "100")
    assert (RateLimits.from_env().day_limit, RateLimits.from_env().day_reserve) == (1000, 100)
    monkeypatch.setenv("XERO_DAY_LIMIT_RESERVE", "1000")
    with pytest.raises(ConfigurationError, match="below XERO_DAY_LIMIT"):
        RateLimits.from_env()


def test_if_modified_since_is_an_http_date_in_utc_whole_seconds():
    moment = datetime(2026, 3, 1, 23, 30, 5, 999_000, tzinfo=timezone(timedelta(hours=13)))
    assert format_if_modified_since(moment) == "Sun, 01 Mar 2026 10:30:05 GMT"
    assert format_if_modified_since(datetime(2026, 1, 2, tzinfo=UTC)).endswith("00:00:00 GMT")
    with pytest.raises(ValueError, match="naive"):
        format_if_modified_since(datetime(2026, 3, 1, 12, 0))


@pytest.mark.parametrize(
    "header, seconds",
    [("30", 30.0), ("0.25", 0.25), (" 2.5 ", 2.5), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_accepts_fractional_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_retry_after_accepts_an_http_date():
    later = datetime.now(UTC) + timedelta(seconds=120)
    seconds = parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert 100 < seconds <= 120


def test_validation_errors_are_one_line():
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [{"Message": "Invalid\nwhere clause"}]}],
    }
    message = xero_message(httpx.Response(400, json=body))
    assert message == "A validation exception occurred Invalid where clause"
    assert xero_message(httpx.Response(400, content=b"\x00garbage")) == ""


# Policy details the sandbox does not produce (a 503 with Retry-After, a 304, the wait budget):
# an in-process transport stands in for Xero.


def scripted_client(monkeypatch, answers: list[httpx.Response], **options) -> tuple:
    sleeps: list[float] = []
    monkeypatch.setattr("pipelines.xero.client.time.sleep", sleeps.append)
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0)

    client = XeroClient(
        httpx.Auth(),
        "tenant-1",
        api_url="http://xero.test",
        transport=httpx.MockTransport(handler),
        tenant_limiter=TenantLimiter(RateLimits()),
        app_limiter=AppLimiter(RateLimits()),
        rng=random.Random(1),
        **options,
    )
    return client, sleeps


def test_a_503_retry_after_is_waited_at_least(monkeypatch):
    answers = [httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(200, json={})]
    client, sleeps = scripted_client(monkeypatch, answers)
    assert client.get("/Invoices") == {}
    assert sleeps == [7.0]


def test_not_modified_is_an_empty_envelope(monkeypatch):
    client, _ = scripted_client(monkeypatch, [httpx.Response(304)])
    assert client.get("/Invoices", modified_since=datetime.now(UTC)) == {}


def test_backoff_stops_at_the_total_wait_budget(monkeypatch):
    policy = RetryPolicy(max_attempts=50, base_delay=10, max_delay=10, max_total_wait=25)
    client, sleeps = scripted_client(monkeypatch, [httpx.Response(500)] * 50, retry=policy)
    with pytest.raises(XeroServerError, match="HTTP 500"):
        client.get("/Invoices")
    assert sum(sleeps) <= 25
    assert client.stats.requests == len(sleeps) + 1 < 50
