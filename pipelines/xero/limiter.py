"""Client-side pacing for Xero's rate limits, so that 429s stay rare.

Xero counts calls per (app, tenant): 5 in flight, 60 per minute, 5,000 per day (1,000 on the
Starter tier); and per app 10,000 per minute across all tenants. Every response reports what
is left in `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining`.

The pieces:
- `SlidingWindow`: at most `limit` calls in any `window_seconds`; `observe_remaining()` folds
  the server's own count in, so calls made by other processes slow this one down too.
- `TenantLimiter`: the in-flight cap, the per-minute window, pauses after a 429 (Retry-After)
  and the daily stop of one tenant.
- `AppLimiter`: the app-wide window shared by every client of the process (thread-safe).

`RateLimits.from_env()` reads `XERO_RATE_LIMIT_TIME_SCALE` (a local sandbox running its clock
N times faster shortens the minute to 60/N seconds), `XERO_DAY_LIMIT` (the daily quota per
organisation: 5,000, or 1,000 on Xero's Starter tier) and `XERO_DAY_LIMIT_RESERVE` (calls of
the daily quota left unused for other work, default 0) at call time; `env_number` reads any such
numeric setting.

Every wait goes through a `Clock`, so the arithmetic is testable without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from pipelines.environment import setting
from pipelines.errors import ConfigurationError

__all__ = [
    "AppLimiter",
    "Clock",
    "RateLimits",
    "SlidingWindow",
    "SystemClock",
    "TenantLimiter",
    "shared_app_limiter",
    "shared_tenant_limiter",
]


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class RateLimits:
    """Xero's documented limits; `time_scale` > 1 shortens every period for a fast sandbox."""

    max_in_flight: int = 5
    per_minute: int = 60
    app_per_minute: int = 10_000
    day_limit: int = 5_000  # XERO_DAY_LIMIT: 1,000 on Xero's Starter tier
    day_reserve: int = 0
    time_scale: float = 1.0

    @property
    def window_seconds(self) -> float:
        return 60.0 / self.time_scale

    @classmethod
    def from_env(cls, **overrides: object) -> RateLimits:
        values: dict[str, object] = {
            "time_scale": env_number("XERO_RATE_LIMIT_TIME_SCALE", float, 1.0),
            "day_limit": env_number("XERO_DAY_LIMIT", int, cls.day_limit),
            "day_reserve": env_number("XERO_DAY_LIMIT_RESERVE", int, 0),
        }
        values.update(overrides)
        limits = cls(**values)  # type: ignore[arg-type]
        if limits.time_scale <= 0 or limits.max_in_flight < 1 or limits.per_minute < 1:
            raise ConfigurationError(f"invalid Xero rate limits: {limits}")
        if not 0 <= limits.day_reserve < limits.day_limit:
            raise ConfigurationError(
                f"XERO_DAY_LIMIT_RESERVE ({limits.day_reserve}) must be 0 or more and below "
                f"XERO_DAY_LIMIT ({limits.day_limit})"
            )
        return limits


def env_number(name: str, kind: type, default: float) -> float:
    """The numeric environment variable `name` (`kind` int or float), `default` when unset."""
    raw = setting(name)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None


class SlidingWindow:
    """At most `limit` calls in any span of `window_seconds`. Thread-safe.

    A call counts from the moment it is let through until `window_seconds` after it
    completed: the server counts it somewhere in between, so it has left the server's window
    before it leaves ours."""

    def __init__(self, limit: int, window_seconds: float, clock: Clock = SYSTEM_CLOCK):
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._done: deque[float] = deque()  # completion times, ascending
        self._open = 0  # calls let through and not yet completed
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Let one call through now and return 0, or return the seconds to wait before
        asking again. Every call let through must be `complete()`d."""
        with self._lock:
            now = self._clock.monotonic()
            self._expire(now)
            if self._paused_until > now:
                return self._paused_until - now
            if len(self._done) + self._open < self.limit:
                self._open += 1
                return 0.0
            if self._done:
                return self._done[0] + self.window_seconds - now
            return self.window_seconds / 50  # every slot is held by a call still running

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._clock.sleep(wait)

    def complete(self) -> None:
        with self._lock:
            self._open = max(self._open - 1, 0)
            self._done.append(self._clock.monotonic())

    @contextmanager
    def call(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.complete()

    def pause(self, seconds: float) -> None:
        """Let no calls through for `seconds` (a 429's Retry-After)."""
        with self._lock:
            until = self._clock.monotonic() + max(seconds, 0.0)
            self._paused_until = max(self._paused_until, until)

    def observe_remaining(self, remaining: int) -> None:
        """The server says only `remaining` calls are left in its window: never believe in
        more free slots than that. The missing slots count as used now, the worst case for
        when they free up again."""
        with self._lock:
            now = self._clock.monotonic()
            self._expire(now)
            surplus = self.limit - len(self._done) - self._open - max(remaining, 0)
            self._done.extend([now] * max(surplus, 0))

    def in_window(self) -> int:
        with self._lock:
            self._expire(self._clock.monotonic())
            return len(self._done) + self._open

    def _expire(self, now: float) -> None:
        horizon = now - self.window_seconds
        while self._done and self._done[0] <= horizon:
            self._done.popleft()


class AppLimiter:
    """The app-wide limit (10,000 calls a minute across all tenants), shared by clients."""

    def __init__(self, limits: RateLimits | None = None, clock: Clock = SYSTEM_CLOCK):
        limits = limits or RateLimits()
        self.window = SlidingWindow(limits.app_per_minute, limits.window_seconds, clock)

    def pause(self, seconds: float) -> None:
        self.window.pause(seconds)

    def observe(self, app_min_remaining: int | None) -> None:
        if app_min_remaining is not None:
            self.window.observe_remaining(app_min_remaining)


class TenantLimiter:
    """One tenant's limits: `max_in_flight` concurrent calls, `per_minute` in any minute,
    and a stop once the daily quota (less `day_reserve`) is used up."""

    def __init__(self, limits: RateLimits | None = None, clock: Clock = SYSTEM_CLOCK):
        self.limits = limits or RateLimits()
        self._clock = clock
        self._in_flight = threading.BoundedSemaphore(self.limits.max_in_flight)
        self.window = SlidingWindow(self.limits.per_minute, self.limits.window_seconds, clock)
        self._day_blocked_until: float | None = None
        self._day_remaining: int | None = None
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, app: AppLimiter | None = None) -> Iterator[None]:
        """Hold one of the in-flight slots for the duration of a call, once both the tenant
        and the app windows allow one more call."""
        with self._in_flight, self.window.call():
            if app is None:
                yield
            else:
                with app.window.call():
                    yield

    def pause(self, seconds: float) -> None:
        self.window.pause(seconds)

    def observe(self, min_remaining: int | None, day_remaining: int | None) -> None:
        if min_remaining is not None:
            self.window.observe_remaining(min_remaining)
        if day_remaining is not None:
            with self._lock:
                self._day_remaining = day_remaining

    def block_day(self, retry_after: float | None) -> None:
        """Xero answered 429 `day`: no more calls for this tenant until Retry-After."""
        with self._lock:
            if retry_after is None:
                self._day_blocked_until = float("inf")
            else:
                self._day_blocked_until = self._clock.monotonic() + retry_after

    def day_blocked_for(self) -> float | None:
        """Seconds until the tenant may call again after a 429 `day` (inf when Xero did not
        say), or None when it is not blocked."""
        with self._lock:
            if self._day_blocked_until is None:
                return None
            left = self._day_blocked_until - self._clock.monotonic()
            if left > 0:
                return left
            self._day_blocked_until = None
            self._day_remaining = None
            return None

    def take_day_call(self) -> bool:
        """Count one more call against what is left of the day, or refuse (False) when that
        would cut into `day_reserve`. Between two responses the count goes down by the calls
        let through, so concurrent calls cannot all pass on the same stale number."""
        with self._lock:
            if self.limits.day_reserve <= 0 or self._day_remaining is None:
                return True
            if self._day_remaining <= self.limits.day_reserve:
                return False
            self._day_remaining -= 1
            return True


_shared: dict[tuple, object] = {}
_shared_lock = threading.Lock()


def shared_app_limiter(limits: RateLimits | None = None) -> AppLimiter:
    """The process-wide app limiter for these limits (one per distinct configuration)."""
    limits = limits or RateLimits()
    key = ("app", limits.app_per_minute, limits.time_scale)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = AppLimiter(limits)
    return limiter  # type: ignore[return-value]


def shared_tenant_limiter(
    api_url: str, tenant_id: str | None, limits: RateLimits | None = None
) -> TenantLimiter:
    """The process-wide limiter of one tenant at one API, so that several clients of the
    same tenant still keep to its limits together."""
    limits = limits or RateLimits()
    key = ("tenant", api_url, tenant_id, limits)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = TenantLimiter(limits)
    return limiter  # type: ignore[return-value]
