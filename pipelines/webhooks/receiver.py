"""The Xero webhook receiver: `POST /webhooks/xero`, an ASGI (Starlette) app.

Xero signs each payload with the app's webhook key (`x-xero-signature` = base64 of
HMAC-SHA256 over the raw body) and wants 200 with an empty body within 5 seconds, or 401
when the signature does not match; the same rule answers its intent-to-receive probe.
Events are committed to the event store before the 200, so an acknowledged event is never
lost; Xero retries anything not acknowledged, and the store drops the repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.errors import ConfigurationError
from pipelines.webhooks.store import EventStore, parse_events

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/xero"
MAX_BODY_BYTES = 1024 * 1024  # Xero's batches are a few KiB; anything near this is not Xero


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
    key = os.environ.get("XERO_WEBHOOK_KEY", "").strip()
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
            batch = parse_events(json.loads(body))
        except ValueError as exc:  # bad JSON or not a Xero batch (InvalidPayload)
            logger.warning("signed webhook payload is not a Xero event batch: %s", exc)
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


def serve_command(args) -> int:
    """`xero-warehouse webhooks serve [--host] [--port]`."""
    import uvicorn

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
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")
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
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
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
