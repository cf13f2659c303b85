"""Serving the sandbox over real HTTP: `running_sandbox` (a background uvicorn thread, for
tests, the demo and benchmarks) and `xero-warehouse sandbox serve` (the CLI)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.app import TRANSPORT_KEY, RequestLog, Runtime, create_app
from sandbox.faults import Faults
from sandbox.identity import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Identity
from sandbox.limits import LimitConfig, Limiter

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT = 20.0


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol, handing the connection's transport to the app so injected
    faults can cut the connection."""

    def handle_events(self) -> None:
        super().handle_events()
        cycle = getattr(self, "cycle", None)
        if cycle is not None:
            cycle.scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport


@dataclass
class RunningSandbox:
    sandbox: object
    base_url: str
    runtime: Runtime

    @property
    def api_url(self) -> str:
        return self.base_url

    @property
    def identity_url(self) -> str:
        return self.base_url

    @property
    def faults(self) -> Faults:
        return self.runtime.faults

    @property
    def log(self) -> RequestLog:
        return self.runtime.log

    @property
    def identity(self) -> Identity:
        return self.runtime.identity

    @property
    def limiter(self) -> Limiter:
        return self.runtime.limiter

    @cached_property
    def env(self) -> dict[str, str]:
        """Environment that points the tool at this sandbox: the default client (every tenant
        connected) with a fresh refresh token; drop XERO_REFRESH_TOKEN to use the client
        credentials grant (one tenant) instead."""
        return sandbox_env(self.base_url, self.identity, self.limiter.config.time_scale)


def sandbox_env(base_url: str, identity: Identity, time_scale: float = 1.0) -> dict[str, str]:
    env = {
        "XERO_API_URL": base_url,
        "XERO_IDENTITY_URL": base_url,
        "XERO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "XERO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "XERO_REFRESH_TOKEN": identity.issue_refresh_token(DEFAULT_CLIENT_ID),
    }
    if time_scale != 1:
        # the client paces itself on Xero's windows; tell it they run faster here
        env["XERO_RATE_LIMIT_TIME_SCALE"] = f"{time_scale:g}"
    return env


def _config(app, *, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=_Protocol,
        ws="none",
        lifespan="off",
        loop="asyncio",
        access_log=False,
        log_level=log_level,
        timeout_keep_alive=30,
        log_config=None,
    )


@contextmanager
def running_sandbox(
    sb,
    *,
    time_scale: float = 1.0,
    limits: bool | LimitConfig = True,
    port: int = 0,
    daily_limit: int = 5000,
    host: str = "127.0.0.1",
) -> Iterator[RunningSandbox]:
    """Serve `sb` on host:port (0: a free port) in a background thread until the block ends.

    `limits`: True (Xero's limits, `daily_limit` a day), False (off; headers still sent) or a
    LimitConfig. `time_scale` speeds up the limit windows (60: a minute lasts one second).
    """
    app = create_app(sb, time_scale=time_scale, limits=limits, daily_limit=daily_limit)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"xero-sandbox-{bound_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.005)
    try:
        yield RunningSandbox(sb, f"http://{host}:{bound_port}", app.state.runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _scale(value: str) -> str | int:
    return int(value) if value.isdigit() else value


def serve_command(args) -> int:
    """`xero-warehouse sandbox serve`: build the organisations, print the environment that
    points the tool at them, serve until Ctrl-C."""
    from pipelines.environment import setting
    from pipelines.errors import ConfigurationError
    from sandbox.model import Sandbox
    from sandbox.webhooks import WebhookDeliveryError, start_sender

    scale = _scale(str(args.scale))
    if not isinstance(scale, int) and scale not in ("small", "medium", "large"):
        raise ConfigurationError(f"--scale must be small, medium, large or a row count: {scale}")
    started = time.perf_counter()
    sb = Sandbox(tenants=args.tenants, scale=scale, seed=args.seed)
    app = create_app(sb, time_scale=args.time_scale, limits=not args.no_limits)
    runtime: Runtime = app.state.runtime
    host, port = args.host, args.port
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    port = sock.getsockname()[1]
    base_url = f"http://{host}:{port}"
    print(
        f"Xero sandbox: {len(sb.tenants)} organisations, {sb.total_rows():,} records "
        f"(scale {scale}, seed {args.seed}), ready in {time.perf_counter() - started:.1f} s"
    )
    for tenant in sb.tenants:
        print(f"  {tenant.tenant_id}  {tenant.name} ({tenant.base_currency})")
    limits = runtime.limiter.config
    print(
        "rate limits: "
        + (
            "off"
            if not limits.enabled
            else f"{limits.per_minute}/min, {limits.per_day}/day, "
            f"{limits.concurrent} concurrent per tenant; time scale {limits.time_scale:g}"
        )
    )
    print("\n# point xero-warehouse at the sandbox:")
    for name, value in sandbox_env(base_url, runtime.identity, args.time_scale).items():
        print(f"export {name}={value}")
    print(f"\n# consent page: {base_url}/connect/authorize   control: {base_url}/_sandbox")
    try:
        receiver, key = setting("XERO_SANDBOX_WEBHOOK_URL"), setting("XERO_WEBHOOK_KEY")
        webhooks = start_sender(sb, base_url, receiver, key)
    except WebhookDeliveryError as exc:
        raise ConfigurationError(str(exc)) from None
    if webhooks is not None:
        print(f"# sending webhooks to {webhooks.url}")
    log_level = "info" if getattr(args, "verbose", False) else "warning"
    server = uvicorn.Server(_config(app, log_level=log_level))
    # Ctrl-C stops the server from the "serving" line on, also before uvicorn has put its own
    # handler in place (it puts this one back when it ends)
    signal.signal(signal.SIGINT, lambda *_: setattr(server, "should_exit", True))
    try:
        print("serving; press Ctrl-C to stop", flush=True)
        server.run(sockets=[sock])
    finally:
        sock.close()
    print("sandbox stopped")
    return 0
