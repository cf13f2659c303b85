"""Injectable failures for the Accounting API, by count or probability,
optionally limited to one tenant and/or a path. The identity endpoints (/connect/token,
/connect/revocation, /connections) only see faults whose `path` names them, and only the
kinds "status", "latency" and "reset".

Kinds:
- "status": answer `status` (default 503) with a short body instead of the real response.
- "latency": hold the request `seconds` before answering (keeps its concurrency slot).
- "reset": close the connection without a complete response.
- "truncate": send a broken body: mode "short" (Content-Length larger than the bytes sent,
  then close) or "cut" (a complete HTTP response whose JSON is cut in half).
- "expire_token": end every live access token, so this call (and later ones) get 401 until
  the client refreshes.
- "day_quota": use up the tenant's daily quota; this and later calls get 429 "day".
- "drop_response": handle the request (a write is committed), then close the connection
  without sending the answer: a lost response.
- "rate_limit": a 429 storm: answer 429 with X-Rate-Limit-Problem `problem` (default
  "minute") and Retry-After `seconds` (Xero seconds, shown on the limiter's time scale).
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass, fields

KINDS = (
    "status",
    "latency",
    "reset",
    "truncate",
    "expire_token",
    "day_quota",
    "rate_limit",
    "drop_response",
)
IDENTITY_KINDS = ("status", "latency", "reset")


@dataclass
class Fault:
    kind: str
    count: int | None = 1  # how many times it fires; None: until removed
    probability: float = 1.0  # chance that a matching request triggers it
    after: int = 0  # let this many matching requests through first
    tenant_id: str | None = None
    path: str | None = None  # case-insensitive prefix of the path below /api.xro/2.0
    status: int = 503
    seconds: float = 1.0
    problem: str = "minute"
    mode: str = "short"
    id: int = 0
    fired: int = 0
    seen: int = 0

    def as_json(self) -> dict:
        return asdict(self)

    def matches(self, tenant_id: str | None, path: str, identity: bool = False) -> bool:
        if identity and (not self.path or self.kind not in IDENTITY_KINDS):
            return False
        if self.tenant_id and self.tenant_id != tenant_id:
            return False
        return not self.path or path.lower().startswith(self.path.lower())

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


class Faults:
    """The active faults of one running sandbox."""

    def __init__(self, seed: int = 0):
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, kind: str, **options) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        known = {f.name for f in fields(Fault)} - {"kind", "id", "fired", "seen"}
        unknown = set(options) - known
        if unknown:
            raise ValueError(f"unknown fault options: {', '.join(sorted(unknown))}")
        fault = Fault(kind, **options)
        with self._lock:
            fault.id = next(self._ids)
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def fire(self, tenant_id: str | None, path: str, identity: bool = False) -> list[Fault]:
        """The faults this request triggers (their counters advance)."""
        triggered = []
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(tenant_id, path, identity):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.fired += 1
                triggered.append(fault)
            self._faults = [f for f in self._faults if not f.exhausted]
        return triggered
