"""The Xero webhook receiver: `POST /webhooks/xero`, an ASGI (Starlette) app.

Xero signs each payload with the app's webhook key (`x-xero-signature` = base64 of
HMAC-SHA256 over the raw body) and wants 200 with an empty body within 5 seconds, or 401
when the signature does not match; the same rule answers its intent-to-receive probe.
Events are committed to the event store before the 200, so an acknowledged event is never
lost; Xero retries anything not acknowledged, and the store drops the repeats.

Served by uvicorn with `DeadlineH11Protocol`: a connection that sends nothing is closed after
`IDLE_TIMEOUT_SECONDS`, and a request (headers and body) must arrive within
`REQUEST_TIMEOUT_SECONDS`, far less than Xero's 5 s to answer, so slow or idle connections
cannot pile up. A signed body nested deeper than `MAX_JSON_DEPTH` is refused with 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.webhooks.store import EventStore, parse_events

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/xero"
MAX_BODY_BYTES = 1024 * 1024  # Xero's batches are a few KiB; anything near this is not Xero
MAX_JSON_DEPTH = 32  # Xero's batches nest 3 deep
IDLE_TIMEOUT_SECONDS = 2.0  # a connection with no request coming in, new or kept alive
REQUEST_TIMEOUT_SECONDS = 3.0  # from a request's first byte to the end of its body


class _BodyTooLarge(Exception):
    pass


def signature_of(key: str, body: bytes) -> str:
    """Xero's `x-xero-signature` for a body: base64(HMAC-SHA256(key, body))."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(key: str, body: bytes, signature: str) -> bool:
    expected = signature_of(key, body).encode("ascii")
    # Header values arrive latin-1 decoded, so this round-trips any bytes sent.
    return hmac.compare_digest(expected, signature.strip().encode("latin-1"))


def webhook_key_from_env() -> str:
    key = setting("XERO_WEBHOOK_KEY")
    if not key:
        raise ConfigurationError(
            "XERO_WEBHOOK_KEY is not set: copy the webhooks key from your app in the "
            "Xero developer portal"
        )
    return key


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_webhook_app(
    key: str | None = None,
    store: EventStore | str | Path | None = None,
    *,
    path: str = WEBHOOK_PATH,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """The receiver as a Starlette app (mountable in another app). `key` defaults to
    XERO_WEBHOOK_KEY and `store` to the default event store, both read now."""
    key = key or webhook_key_from_env()
    events = store if isinstance(store, EventStore) else EventStore(store)

    async def receive(request: Request) -> Response:
        signature = request.headers.get("x-xero-signature")
        if not signature:
            logger.warning("rejected a webhook request without x-xero-signature")
            return Response(status_code=401)
        try:
            body = await _read_body(request, max_body_bytes)
        except _BodyTooLarge:
            logger.warning("rejected a webhook request over %d bytes", max_body_bytes)
            return Response(status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        if not signature_matches(key, body, signature):
            logger.warning("rejected a webhook request with a bad x-xero-signature")
            return Response(status_code=401)
        try:
            document = json.loads(body)
            if _nested_deeper_than(document, MAX_JSON_DEPTH):
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            batch = parse_events(document)
        except (ValueError, RecursionError) as exc:  # bad JSON or not a Xero batch
            reason = "JSON nested too deep" if isinstance(exc, RecursionError) else exc
            logger.warning("signed webhook payload is not a Xero event batch: %s", reason)
            return Response(status_code=400)
        try:
            new = await run_in_threadpool(events.add, batch)
        except sqlite3.Error as exc:
            # Not acknowledged: Xero sends the batch again.
            logger.error("could not store webhook events: %s", exc)
            return Response(status_code=503)
        if batch:
            logger.debug("stored %d new of %d webhook events", new, len(batch))
        return Response(status_code=200)

    app = Starlette(routes=[Route(path, receive, methods=["POST"])])
    app.state.event_store = events
    return app


def _nested_deeper_than(document: object, limit: int) -> bool:
    """Whether lists and dicts in `document` nest more than `limit` levels (no recursion)."""
    level = [document]
    for _ in range(limit + 1):
        level = [
            child
            for value in level
            if isinstance(value, (list, dict))
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return False
    return True


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with deadlines: `IDLE_TIMEOUT_SECONDS` for a new
    connection's first byte (uvicorn's keep-alive timeout covers the wait between requests),
    then `REQUEST_TIMEOUT_SECONDS` for the whole request. A connection past a deadline is
    closed."""

    _deadline = None  # asyncio.TimerHandle of the deadline running, if any
    _request_started = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._set_deadline(IDLE_TIMEOUT_SECONDS)

    def data_received(self, data: bytes) -> None:
        if not self._request_started:
            self._request_started = True
            self._set_deadline(REQUEST_TIMEOUT_SECONDS)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._request_started = False  # the request is complete: the app answers it
            self._set_deadline(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_deadline(None)
        super().connection_lost(exc)

    def _set_deadline(self, seconds: float | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None if seconds is None else self.loop.call_later(seconds, self._expire)

    def _expire(self) -> None:
        if not self.transport.is_closing():
            logger.warning("closed a webhook connection that was idle or too slow")
            self.transport.close()


UVICORN_DEADLINES = {"http": DeadlineH11Protocol, "timeout_keep_alive": IDLE_TIMEOUT_SECONDS}


def serve_command(args) -> int:
    """`xero-warehouse webhooks serve [--host] [--port]`."""

    key = webhook_key_from_env()
    events = EventStore()
    app = create_webhook_app(key, events)
    logger.info(
        "receiving Xero webhooks at http://%s:%d%s; events stored in %s",
        args.host,
        args.port,
        WEBHOOK_PATH,
        events.path,
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info",
                    **UVICORN_DEADLINES)  # fmt: skip
    finally:
        events.close()
    return 0


@dataclass(frozen=True)
class RunningReceiver:
    url: str  # full URL of the webhook endpoint
    port: int
    app: Starlette


@contextmanager
def serving(app, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """Serve an ASGI app with uvicorn in a background thread; yields the bound port
    (port 0: a free one)."""

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", **UVICORN_DEADLINES
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="webhook-receiver", daemon=True
    )
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.01)
    try:
        if not server.started:
            raise RuntimeError("the webhook receiver did not start")
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running_receiver(
    key: str,
    store: EventStore | str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[RunningReceiver]:
    """The receiver served by uvicorn in a background thread."""
    app = create_webhook_app(key, store)
    try:
        with serving(app, host=host, port=port) as bound_port:
            yield RunningReceiver(f"http://{host}:{bound_port}{WEBHOOK_PATH}", bound_port, app)
    finally:
        if not isinstance(store, EventStore):
            app.state.event_store.close()
