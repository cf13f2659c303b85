"""The HTTP client for the Xero Accounting API, with the one retry policy of the project.

`XeroClient(auth, tenant_id).get("/Invoices", {"page": 1})` returns the parsed JSON envelope
(numbers as Decimal). Authorization comes from any `httpx.Auth` (`XeroAuth` refreshes the
access token before expiry and once on a 401). The base URL comes from `XERO_API_URL`, and the
pacing (see `limiter.py`) from `XERO_RATE_LIMIT_TIME_SCALE`, when a client is made.

What happens to a response (all of it in `XeroClient._request` and the methods it calls):

    200                      -> JSON parsed with Decimal; an unreadable body counts as a failure
    304                      -> {} (nothing changed since If-Modified-Since)
    429 minute/concurrent/appminute -> wait Retry-After, retry, for at most `max_throttle_wait`
                                seconds from the call's first 429 (XERO_RATE_LIMIT_MAX_WAIT)
    429 day                  -> XeroDailyLimitError (the tenant is stopped until Retry-After)
    5xx, timeout, connection error, unreadable body
                             -> capped exponential backoff with full jitter (at least a
                                5xx's Retry-After, up to the cap), at most
                                `max_attempts` attempts and `max_total_wait` seconds of
                                waiting, then XeroServerError
    401                      -> XeroAuthError (the auth has already refreshed once)
    403 / 404                -> XeroForbiddenError / XeroNotFoundError
    other 4xx                -> XeroError with Xero's message, never retried

Exceptions (all one line, never holding a token):

    XeroWarehouseError
     └── XeroError (.status_code)
          ├── XeroAuthError
          ├── XeroForbiddenError
          ├── XeroNotFoundError
          ├── XeroValidationError (.messages: one line per element of a rejected write)
          ├── XeroDailyLimitError (.retry_after_seconds, .resume_at, .resume_basis, .reserve)
          └── XeroServerError
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from pipelines.environment import setting
from pipelines.errors import ConfigurationError, XeroWarehouseError
from pipelines.xero.auth import XeroAuthError as CredentialsError
from pipelines.xero.limiter import (
    AppLimiter,
    RateLimits,
    TenantLimiter,
    env_number,
    shared_app_limiter,
    shared_tenant_limiter,
)
from pipelines.xero.settings import COLLECTIONS

__all__ = [
    "DEFAULT_API_URL",
    "RequestStats",
    "RetryPolicy",
    "XeroAuthError",
    "XeroClient",
    "XeroDailyLimitError",
    "XeroError",
    "XeroForbiddenError",
    "XeroNotFoundError",
    "XeroServerError",
    "XeroValidationError",
    "WRITE_METHODS",
    "api_url_from_env",
    "format_if_modified_since",
    "list_connections",
]

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.xero.com"
ACCOUNTING_PATH = "/api.xro/2.0"
LOGIN_HINT = "run `xero-warehouse auth login`"
WRITE_METHODS = ("PUT", "POST")
MAX_IDEMPOTENCY_KEY = 128  # characters Xero accepts in an Idempotency-Key


class XeroError(XeroWarehouseError):
    """Xero refused or failed a call; the message is one line fit for the user."""

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class XeroAuthError(XeroError, CredentialsError):
    """Missing, expired or revoked credentials (HTTP 401, or the token grant failed)."""


class XeroForbiddenError(XeroError):
    """The credentials are valid but may not read this (HTTP 403): scope, plan or tier."""


class XeroNotFoundError(XeroError):
    """No such record or endpoint (HTTP 404)."""


class XeroValidationError(XeroError):
    """Xero refused a write as invalid (HTTP 400): `messages` holds one line per element."""

    def __init__(self, message: str, messages: list[str]):
        super().__init__(message, status_code=400)
        self.messages = messages


class XeroServerError(XeroError):
    """Xero kept failing (5xx, timeouts, broken connections, unreadable bodies)."""


RETRY_AFTER_BASIS = "Xero's Retry-After"
MIDNIGHT_BASIS = "next UTC midnight, an estimate: Xero did not say"


class XeroDailyLimitError(XeroError):
    """The tenant's daily call quota is used up, or only `XERO_DAY_LIMIT_RESERVE` calls of it
    are left (`reserve` True). It can resume at `resume_at`: after Xero's Retry-After
    (`retry_after_seconds`) when Xero said, else at the next UTC midnight, an estimate;
    `resume_basis` says which."""

    def __init__(
        self, message: str, retry_after_seconds: float | None = None, reserve: bool = False
    ):
        super().__init__(message, status_code=429)
        self.retry_after_seconds = retry_after_seconds
        self.reserve = reserve
        self.resume_at, self.resume_basis = resume_time(retry_after_seconds)


def resume_time(retry_after_seconds: float | None) -> tuple[datetime, str]:
    """When a tenant stopped for the day can call again, and on what that rests."""
    now = datetime.now(UTC)
    if retry_after_seconds is not None and retry_after_seconds != float("inf"):
        return now + timedelta(seconds=retry_after_seconds), RETRY_AFTER_BASIS
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return midnight, MIDNIGHT_BASIS


def describe_resume(resume_at: datetime, basis: str) -> str:
    return f"can resume after {resume_at:%Y-%m-%d %H:%M} UTC ({basis})"


@dataclass(frozen=True)
class RetryPolicy:
    """Limits of the one retry policy. Delays are seconds of real time at time scale 1."""

    max_attempts: int = 6  # attempts of one call that fails with 5xx/timeouts/bad bodies
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_total_wait: float = 120.0  # seconds of backoff (not rate-limit waits) per call
    # seconds a call may spend on 429 minute/concurrent/appminute waits, from its first 429
    max_throttle_wait: float = 600.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The defaults, with `XERO_RATE_LIMIT_MAX_WAIT` (seconds) when set."""
        wait = env_number("XERO_RATE_LIMIT_MAX_WAIT", float, cls.max_throttle_wait)
        if wait <= 0:
            raise ConfigurationError(f"XERO_RATE_LIMIT_MAX_WAIT must be positive, got {wait:g}")
        return cls(max_throttle_wait=wait)

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(failures - 1))]."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(failures - 1, 0))
        return (rng or random).uniform(0.0, ceiling)

    def scaled(self, time_scale: float) -> RetryPolicy:
        return replace(
            self,
            base_delay=self.base_delay / time_scale,
            max_delay=self.max_delay / time_scale,
            max_total_wait=self.max_total_wait / time_scale,
            max_throttle_wait=self.max_throttle_wait / time_scale,
        )


@dataclass(frozen=True)
class RequestStats:
    """Counters of one client: HTTP calls sent (each attempt), retries, 429s seen, the last
    remaining-quota headers, and calls per path (record IDs folded into `{id}`)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    min_remaining: int | None = None
    day_remaining: int | None = None
    app_min_remaining: int | None = None
    paths: Mapping[str, int] = field(default_factory=dict)


class _StatsRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = RequestStats()
        self._paths: dict[str, int] = {}

    def sent(self, path: str) -> None:
        key = _path_key(path)
        with self._lock:
            self._paths[key] = self._paths.get(key, 0) + 1
            self._stats = replace(self._stats, requests=self._stats.requests + 1)

    def retried(self, throttled: bool) -> None:
        with self._lock:
            self._stats = replace(
                self._stats,
                retries=self._stats.retries + 1,
                throttled=self._stats.throttled + int(throttled),
            )

    def throttled_final(self) -> None:
        with self._lock:
            self._stats = replace(self._stats, throttled=self._stats.throttled + 1)

    def remaining(self, minute: int | None, day: int | None, app: int | None) -> None:
        with self._lock:
            self._stats = replace(
                self._stats,
                min_remaining=minute if minute is not None else self._stats.min_remaining,
                day_remaining=day if day is not None else self._stats.day_remaining,
                app_min_remaining=app if app is not None else self._stats.app_min_remaining,
            )

    def snapshot(self) -> RequestStats:
        with self._lock:
            return replace(self._stats, paths=dict(self._paths))


_ID_SEGMENT = re.compile(r"/[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _path_key(path: str) -> str:
    return _ID_SEGMENT.sub("/{id}", path)


def api_url_from_env(api_url: str | None = None) -> str:
    """`api_url`, else `$XERO_API_URL`, else https://api.xero.com (without a trailing /)."""
    url = api_url or setting("XERO_API_URL") or DEFAULT_API_URL
    return url.rstrip("/")


def format_if_modified_since(moment: datetime) -> str:
    """The HTTP date form (RFC 9110 / RFC 1123, UTC, whole seconds) of an aware datetime,
    e.g. `Sat, 21 Nov 2026 09:16:10 GMT`. Seconds are truncated: Xero compares `>=` to the
    second, so rounding down never skips a record."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("If-Modified-Since needs an aware datetime (UTC), got a naive one")
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def user_agent() -> str:
    try:
        return f"xero-warehouse/{version('xero-warehouse')}"
    except PackageNotFoundError:
        return "xero-warehouse/0"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number (fractions allowed) or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(seconds, 0.0)


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def xero_message(response: httpx.Response) -> str:
    """Xero's own explanation from an error body, as one short line."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("Message", "Detail", "Title", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                parts.append(body[key])
                break
        for element in body.get("Elements") or []:
            for error in (element or {}).get("ValidationErrors") or []:
                if isinstance(error, dict) and error.get("Message"):
                    parts.append(str(error["Message"]))
    elif response.content and response.headers.get("content-type", "").startswith("text/"):
        parts.append(response.text)
    text = " ".join(" ".join(parts).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def validation_messages(response: httpx.Response) -> list[str]:
    """One line per rejected element of a 400 validation answer (empty for other bodies)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return []
    if not isinstance(body, dict) or body.get("Type") != "ValidationException":
        return []
    return element_errors(body.get("Elements") or []) or [str(body.get("Message") or "")]


def element_errors(elements: list) -> list[str]:
    """`element N: message; message` for each element carrying ValidationErrors."""
    lines = []
    for number, element in enumerate(elements, start=1):
        errors = (element or {}).get("ValidationErrors") or []
        texts = [" ".join(str(e.get("Message", "")).split()) for e in errors if isinstance(e, dict)]
        if texts:
            lines.append(f"element {number}: {'; '.join(texts)}")
    return lines


def encode_json(body: Any) -> bytes:
    """JSON for a write; Decimals go out as numbers without passing through a float's error."""

    def number(value: Any) -> Any:
        if isinstance(value, Decimal):
            as_float = float(value)
            return as_float if Decimal(repr(as_float)) == value else str(value)
        raise TypeError(f"cannot send a {type(value).__name__} to Xero")

    return json.dumps(body, default=number).encode()


class _Retry(Exception):
    """A failed attempt the policy may retry after backoff."""

    def __init__(
        self, reason: str, status_code: int | None = None, retry_after: float | None = None
    ):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


@functools.cache
def _tls_context():
    """One TLS context for every client of the process: building one (loading the CA
    bundle) takes milliseconds, and a run over hundreds of tenants makes a client each."""
    return httpx.create_ssl_context()


def shared_transport(keep_alive: int) -> httpx.HTTPTransport:
    """One connection pool for the clients of many tenants (Xero is one host): the tenants of
    a run reuse each other's connections instead of each opening its own. Close it once every
    client using it is done."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=keep_alive)
    return httpx.HTTPTransport(verify=_tls_context(), limits=limits)


class XeroClient:
    """Reads one tenant of the Xero Accounting API.

    Thread-safe: `get_concurrently` and callers' own threads may share one client. All
    clients of one tenant (and API URL) in a process share that tenant's limiter, and all
    clients share the app-wide limiter.
    """

    def __init__(
        self,
        auth: httpx.Auth,
        tenant_id: str | None,
        *,
        api_url: str | None = None,
        app_limiter: AppLimiter | None = None,
        max_in_flight: int = 5,
        limits: RateLimits | None = None,
        tenant_limiter: TenantLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ):
        self.tenant_id = tenant_id
        self.api_url = api_url_from_env(api_url)
        self.limits = limits or RateLimits.from_env(max_in_flight=max_in_flight)
        self.retry = (retry or RetryPolicy.from_env()).scaled(self.limits.time_scale)
        self._tenant_limiter = tenant_limiter or shared_tenant_limiter(
            self.api_url, tenant_id, self.limits
        )
        self._app_limiter = app_limiter or shared_app_limiter(self.limits)
        self._accounting_path = httpx.URL(self.api_url).path.rstrip("/") + ACCOUNTING_PATH
        self._stats = _StatsRecorder()
        self._rng = rng or random.Random()
        headers = {"Accept": "application/json", "User-Agent": user_agent()}
        if tenant_id:
            headers["xero-tenant-id"] = tenant_id
        self._http = httpx.Client(
            base_url=self.api_url + ACCOUNTING_PATH,
            auth=auth,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            transport=transport,
            verify=_tls_context(),
        )

    # public API

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
    ) -> dict:
        """GET `path` (relative to /api.xro/2.0, e.g. "/Invoices") and return the envelope."""
        headers = {}
        if modified_since is not None:
            headers["If-Modified-Since"] = format_if_modified_since(modified_since)
        body = self._request(path, params, headers)
        if not isinstance(body, dict):
            raise XeroError(f"Xero returned a {type(body).__name__} for GET {path}, not an object")
        _check_records(path, body)
        return body

    def get_concurrently(
        self, calls: Iterable[tuple[str, Mapping[str, Any] | None, datetime | None]]
    ) -> Iterator[dict]:
        """Run `get(path, params, modified_since=...)` for each call, up to `max_in_flight` at
        once, yielding the envelopes in call order. At most twice `max_in_flight` results are
        held at any time; the first error is raised in call order and cancels the rest."""
        workers = self.limits.max_in_flight
        pending: deque[Future[dict]] = deque()
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xero")
        try:
            for path, params, since in calls:
                pending.append(executor.submit(self.get, path, params, modified_since=since))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        raw: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Any Accounting API call: `path` below /api.xro/2.0 ("/Invoices/{id}"), or
        "/connections", or a full URL. Auth, tenant header, limiter and the retry policy are
        those of `get`. A PUT/POST carries an Idempotency-Key (a new one unless given), kept
        across its retries; a 4xx is never retried. `json` (or raw `content`) is the body;
        `raw` returns the body's bytes (attachments, PDFs). Returns the parsed JSON, {} for
        a 204. `headers` are added (e.g. the `contentType` an attachment download needs)."""
        method = method.upper()
        headers = dict(headers or {})
        if method in WRITE_METHODS:
            key = idempotency_key or str(uuid.uuid4())
            if len(key) > MAX_IDEMPOTENCY_KEY:
                raise XeroError(
                    f"an Idempotency-Key holds at most {MAX_IDEMPOTENCY_KEY} characters"
                )
            headers["Idempotency-Key"] = key
        if json is not None:
            content = encode_json(json)
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if path.startswith(("http://", "https://")) or path.lower() == "/connections":
            path = path if path.startswith("http") else self.api_url + path
        return self._request(path, params, headers, method=method, content=content, raw=raw)

    @property
    def auth(self) -> httpx.Auth:
        return self._http.auth

    @property
    def stats(self) -> RequestStats:
        return self._stats.snapshot()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # the one retry policy

    def _request(
        self,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict,
        *,
        method: str = "GET",
        content: bytes | None = None,
        raw: bool = False,
    ) -> Any:
        """One call under the retry policy. A write (PUT/POST) is only ever retried with the
        Idempotency-Key already in `headers`, so Xero never processes it twice."""
        failures = 0
        waited = 0.0
        throttled_since: float | None = None
        while True:
            self._check_daily_block()
            try:
                return self._attempt(url, params, headers, method, content, raw)
            except _Retry as failure:
                if failure.status_code == 429:
                    if throttled_since is None:
                        throttled_since = time.monotonic()
                    self._check_throttle_budget(
                        method, url, throttled_since, failure.retry_after or 0.0
                    )
                    self._stats.retried(throttled=True)
                    continue
                failures += 1
                delay = self.retry.backoff(failures, self._rng)
                if failure.retry_after is not None:  # a 503 that says when to come back
                    delay = max(delay, min(failure.retry_after, self.retry.max_delay))
                out_of_time = waited + delay > self.retry.max_total_wait
                if failures >= self.retry.max_attempts or out_of_time:
                    raise XeroServerError(
                        f"Xero kept failing on {method} {url}{self._for_tenant()}: "
                        f"{failure.reason} "
                        f"(gave up after {failures} attempts)",
                        status_code=failure.status_code,
                    ) from None
                logger.warning(
                    "%s %s failed (%s); retry %d in %.2fs",
                    method,
                    url,
                    failure.reason,
                    failures,
                    delay,
                )
                self._stats.retried(throttled=False)
                waited += delay
                time.sleep(delay)

    def _check_throttle_budget(self, method: str, url: str, since: float, wait: float) -> None:
        """Give up when the next 429 wait would end past the call's rate-limit budget."""
        elapsed = time.monotonic() - since
        if elapsed + wait <= self.retry.max_throttle_wait:
            return
        self._stats.throttled_final()
        raise XeroError(
            f"Xero kept rate-limiting {method} {url}{self._for_tenant()} for {elapsed:.0f} s; gave "
            f"up at the limit of {self.retry.max_throttle_wait:.0f} s (XERO_RATE_LIMIT_MAX_WAIT)",
            status_code=429,
        )

    def _attempt(
        self,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict,
        method: str = "GET",
        content: bytes | None = None,
        raw: bool = False,
    ) -> Any:
        request = self._http.build_request(
            method, url, params=params, headers=headers, content=content
        )
        path = request.url.path.removeprefix(self._accounting_path)
        with self._tenant_limiter.slot(self._app_limiter):
            self._stats.sent(path)
            started = time.monotonic()
            try:
                response = self._http.send(request)
            except CredentialsError as exc:
                if isinstance(exc, XeroAuthError):
                    raise
                raise XeroAuthError(str(exc)) from None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise XeroError(f"cannot call Xero at {self.api_url}: {exc}") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                logger.debug(
                    "%s %s -> %s after %.3fs",
                    method,
                    path,
                    type(exc).__name__,
                    time.monotonic() - started,
                )
                raise _Retry(_describe_exception(exc)) from None
        logger.debug(
            "%s %s -> %d in %.3fs",
            method,
            request.url.raw_path.decode("ascii", "replace"),
            response.status_code,
            time.monotonic() - started,
        )
        self._observe(response)
        return self._handle(f"{method} {url}", response, raw)

    def _handle(self, call: str, response: httpx.Response, raw: bool = False) -> Any:
        status = response.status_code
        if status == 200 and raw:
            return response.content
        if status == 204:
            return {}
        if status == 200:
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError:
                raise _Retry(_unreadable_body(response)) from None
        if status == 304:
            return {}
        if status == 429:
            self._throttled(call, response)
        if status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _Retry(f"HTTP {status}", status_code=status, retry_after=retry_after)
        detail = xero_message(response)
        where = f"{call}{self._for_tenant()}"
        suffix = f": {detail}" if detail else ""
        if status == 401:
            raise XeroAuthError(
                f"Xero rejected the credentials (401 on {where}){suffix}; {LOGIN_HINT}", status
            )
        if status == 403:
            raise XeroForbiddenError(
                f"Xero refused access (403 on {where}){suffix}; check the app's scopes, the "
                f"organisation's connection and the plan",
                status,
            )
        if status == 404:
            raise XeroNotFoundError(f"not found (404 on {where}){suffix}", status)
        messages = validation_messages(response)
        if status == 400 and messages:
            raise XeroValidationError(f"Xero rejected {where}: {'; '.join(messages)}", messages)
        raise XeroError(f"Xero rejected {where} with {status}{suffix}", status)

    def _throttled(self, call: str, response: httpx.Response) -> None:
        """429: stop on the daily limit; otherwise pause as long as Xero says and retry."""
        problem = response.headers.get("X-Rate-Limit-Problem", "").strip().lower()
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if problem == "day":
            self._stats.throttled_final()
            self._tenant_limiter.block_day(retry_after)
            raise self._daily_error(retry_after)
        wait = retry_after if retry_after is not None else self.limits.window_seconds
        # Another process on this tenant (or app) woke up at the same moment: spread the
        # retries over a few call slots so both do not race for every slot that frees up.
        slot = self.limits.window_seconds / self.limits.per_minute
        wait += self._rng.uniform(0.0, slot * self.limits.max_in_flight)
        if problem in ("appminute", "app-minute", "app"):
            self._app_limiter.pause(wait)
        elif problem != "concurrent":
            self._tenant_limiter.pause(wait)
        logger.info(
            "Xero rate limit (%s) on %s%s: waiting %.2fs",
            problem or "unspecified",
            call,
            self._for_tenant(),
            wait,
        )
        if problem == "concurrent":
            time.sleep(wait)
            wait = 0.0  # already waited
        raise _Retry(f"HTTP 429 {problem}", status_code=429, retry_after=wait)

    def _observe(self, response: httpx.Response) -> None:
        minute = _header_int(response, "X-MinLimit-Remaining")
        day = _header_int(response, "X-DayLimit-Remaining")
        app = _header_int(response, "X-AppMinLimit-Remaining")
        self._stats.remaining(minute, day, app)
        if response.status_code == 429:
            return  # Retry-After says when to go on; the headers would only say "0 left"
        self._tenant_limiter.observe(minute, day)
        self._app_limiter.observe(app)

    def _check_daily_block(self) -> None:
        blocked_for = self._tenant_limiter.day_blocked_for()
        if blocked_for is not None:
            raise self._daily_error(None if blocked_for == float("inf") else blocked_for)
        if not self._tenant_limiter.take_day_call():
            reserve = self.limits.day_reserve
            resume = describe_resume(*resume_time(None))
            raise XeroDailyLimitError(
                f"stopped{self._for_tenant()} with {reserve} or fewer of today's "
                f"{self.limits.day_limit} Xero API calls left, kept in reserve by "
                f"XERO_DAY_LIMIT_RESERVE; {resume}",
                reserve=True,
            )

    def _daily_error(self, retry_after: float | None) -> XeroDailyLimitError:
        resume = describe_resume(*resume_time(retry_after))
        return XeroDailyLimitError(
            f"Xero's daily API limit{self._for_tenant()} is used up; {resume}", retry_after
        )

    def _for_tenant(self) -> str:
        return f" for tenant {self.tenant_id}" if self.tenant_id else ""


@functools.cache
def _envelopes_by_path() -> dict[str, str]:
    return {c.path.lower(): c.envelope for c in COLLECTIONS}


def _check_records(path: str, body: dict) -> None:
    """A collection's envelope must hold a list of records (or nothing) under its key."""
    base = path.split("?", 1)[0].rstrip("/").lower()
    envelopes = _envelopes_by_path()
    key = envelopes.get(base) or envelopes.get(base.rsplit("/", 1)[0])  # also GET {path}/{id}
    records = body.get(key) if key else None
    if records is None or (isinstance(records, list) and all(isinstance(r, dict) for r in records)):
        return
    raise XeroError(
        f"Xero's answer to GET {path} holds {_kind(records)} under {key!r}, not a list of "
        "records; is XERO_API_URL right, or is a proxy rewriting answers?"
    )


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list of " + ", ".join(sorted({type(v).__name__ for v in value}))
    return f"a {type(value).__name__}"


def _unreadable_body(response: httpx.Response) -> str:
    """Why a 200 body could not be parsed, naming an HTML page (a proxy, a login or error
    page, a wrong URL) as such."""
    size = len(response.content)
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    if "html" in kind or response.content.lstrip()[:1] == b"<":
        return (
            f"an HTML page ({kind or 'no content type'}, {size} bytes) where JSON was "
            "expected; is XERO_API_URL right, or is a proxy answering?"
        )
    return f"unreadable JSON body ({size} bytes)"


def _describe_exception(exc: Exception) -> str:
    name = type(exc).__name__
    detail = " ".join(str(exc).split())[:200]
    return f"{name}: {detail}" if detail else name


def list_connections(auth: httpx.Auth, api_url: str | None = None) -> list[dict]:
    """The tenants the credentials may read: GET $XERO_API_URL/connections."""
    with XeroClient(auth, None, api_url=api_url) as client:
        body = client._request(client.api_url + "/connections", None, {})
    if not isinstance(body, list):
        raise XeroError("Xero's /connections did not return a list")
    return body
