"""Xero's API rate limits: per tenant 5 concurrent calls, 60 a minute and a daily quota
(5,000, or 1,000 on the Starter tier), 10,000 a minute across the app.

Windows slide over real (monotonic) time divided by `time_scale`: with time_scale=60 a
"minute" lasts one second and a "day" 24 minutes. `Retry-After` is in scaled seconds: an
integer (rounded up, at least 1) when time_scale is 1, as Xero sends it; otherwise a decimal
string with millisecond precision (e.g. "0.734"), so clients must parse it as a float.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

MINUTE = 60.0
DAY = 86400.0


@dataclass(frozen=True)
class LimitConfig:
    concurrent: int = 5
    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10000
    time_scale: float = 1.0
    enabled: bool = True


@dataclass
class Decision:
    allowed: bool
    problem: str | None = None  # concurrent | minute | day | appminute
    retry_after: float = 0.0  # real seconds


@dataclass
class _TenantState:
    in_flight: int = 0
    minute: deque = field(default_factory=deque)
    day: deque = field(default_factory=deque)


class Limiter:
    def __init__(self, config: LimitConfig = LimitConfig(), clock=time.monotonic):
        self.config = config
        self._clock = clock
        self._tenants: dict[str, _TenantState] = {}
        self._app_minute: deque = deque()
        self._lock = threading.Lock()

    @property
    def minute_window(self) -> float:
        return MINUTE / self.config.time_scale

    @property
    def day_window(self) -> float:
        return DAY / self.config.time_scale

    def _state(self, tenant_id: str) -> _TenantState:
        state = self._tenants.get(tenant_id)
        if state is None:
            state = self._tenants[tenant_id] = _TenantState()
        return state

    def _trim(self, now: float, state: _TenantState) -> None:
        for window, calls in ((self.minute_window, state.minute), (self.day_window, state.day)):
            while calls and calls[0] <= now - window:
                calls.popleft()
        while self._app_minute and self._app_minute[0] <= now - self.minute_window:
            self._app_minute.popleft()

    def acquire(self, tenant_id: str) -> Decision:
        """Count one call for the tenant, or refuse it. An allowed call holds a concurrency
        slot until `release`."""
        config = self.config
        now = self._clock()
        with self._lock:
            state = self._state(tenant_id)
            self._trim(now, state)
            if len(state.day) >= config.per_day:
                return Decision(False, "day", state.day[0] + self.day_window - now)
            if config.enabled:
                if len(self._app_minute) >= config.app_per_minute:
                    wait = self._app_minute[0] + self.minute_window - now
                    return Decision(False, "appminute", wait)
                if len(state.minute) >= config.per_minute:
                    return Decision(False, "minute", state.minute[0] + self.minute_window - now)
                if state.in_flight >= config.concurrent:
                    return Decision(False, "concurrent", 1.0 / config.time_scale)
                state.minute.append(now)
                state.day.append(now)
                self._app_minute.append(now)
            state.in_flight += 1
            return Decision(True)

    def release(self, tenant_id: str) -> None:
        with self._lock:
            state = self._state(tenant_id)
            state.in_flight = max(0, state.in_flight - 1)

    def headers(self, tenant_id: str | None) -> dict[str, str]:
        config = self.config
        now = self._clock()
        with self._lock:
            if tenant_id is None:
                minute_left, day_left = config.per_minute, config.per_day
            else:
                state = self._state(tenant_id)
                self._trim(now, state)
                minute_left = config.per_minute - len(state.minute)
                day_left = config.per_day - len(state.day)
            app_left = config.app_per_minute - len(self._app_minute)
        return {
            "X-DayLimit-Remaining": str(max(0, day_left)),
            "X-MinLimit-Remaining": str(max(0, minute_left)),
            "X-AppMinLimit-Remaining": str(max(0, app_left)),
        }

    def exhaust_day(self, tenant_id: str) -> None:
        """Use up the tenant's daily quota now (also when limits are switched off)."""
        self.spend_day(tenant_id, self.config.per_day)

    def spend_day(self, tenant_id: str, calls: int) -> None:
        """Count `calls` more of the tenant's daily quota as used now (calls made by other
        work), at most what is left."""
        now = self._clock()
        with self._lock:
            state = self._state(tenant_id)
            self._trim(now, state)
            state.day.extend([now] * max(0, min(calls, self.config.per_day - len(state.day))))

    def reset(self) -> None:
        with self._lock:
            self._tenants.clear()
            self._app_minute.clear()

    def retry_after_header(self, real_seconds: float) -> str:
        return format_retry_after(real_seconds, self.config.time_scale)


def format_retry_after(real_seconds: float, time_scale: float) -> str:
    if time_scale == 1:
        return str(max(1, math.ceil(real_seconds)))
    return f"{max(0.001, math.ceil(real_seconds * 1000) / 1000):.3f}"
