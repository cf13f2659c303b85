"""`xero-warehouse auth login|status|logout` and `xero-warehouse tenants`.

Output never shows a token: only where tokens are stored, when they expire and what they allow.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import logging
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.xero.auth import (
    LOGIN_HINT,
    ClientCredentials,
    PkceRequest,
    XeroAuth,
    XeroAuthError,
    auth_from_env,
    default_scopes,
    exchange_code,
    fingerprint,
    pkce_request,
    revoke,
    save_login,
)
from pipelines.xero.token_store import StoredToken, TokenStore, token_store_from_env

logger = logging.getLogger(__name__)

DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"
DEFAULT_API_URL = "https://api.xero.com"
LOGIN_TIMEOUT_SECONDS = 300.0


def api_url(override: str | None = None) -> str:
    return (override or setting("XERO_API_URL") or DEFAULT_API_URL).rstrip("/")


# --- the local callback server ---------------------------------------------------------------


class CallbackServer:
    """Receives the browser's redirect on 127.0.0.1 and hands over the query once."""

    def __init__(self, redirect_uri: str, port: int | None = None):
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
            raise ConfigurationError(
                "the redirect URI must be http://localhost:PORT/PATH or http://127.0.0.1:PORT/PATH"
                f" to be received here, not {redirect_uri}"
            )
        listen_port = (parts.port or 80) if port is None else port
        self.path = parts.path or "/"
        self.result: dict[str, str] | None = None
        self._done = threading.Event()
        handler = _handler_class(self)
        try:
            self._server = HTTPServer(("127.0.0.1", listen_port), handler)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on 127.0.0.1:{listen_port} for the login callback "
                f"({exc.strerror}); pass --port or --redirect-uri"
            ) from None
        actual = self._server.server_address[1]
        netloc = f"{parts.hostname}:{actual}"
        self.redirect_uri = urlunsplit(("http", netloc, self.path, "", ""))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def deliver(self, query: dict[str, str]) -> None:
        if not self._done.is_set():
            self.result = query
            self._done.set()

    def wait(self, timeout: float) -> dict[str, str]:
        if not self._done.wait(timeout):
            raise XeroAuthError(
                f"no answer from the browser within {int(timeout)} s; run the login again"
            )
        return self.result or {}


def _handler_class(server: CallbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            if parts.path != server.path:
                self.send_error(404)
                return
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            ok = "code" in query and "error" not in query
            message = (
                "xero-warehouse is connected. You can close this tab."
                if ok
                else "Xero did not authorise xero-warehouse: "
                + html.escape(query.get("error", "no code in the answer"))
            )
            body = f"<html><body><p>{message}</p></body></html>".encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            server.deliver(query)

        def log_message(self, format: str, *args) -> None:  # the query holds the code
            pass

    return Handler


# --- login -----------------------------------------------------------------------------------


def login(
    credentials: ClientCredentials,
    store: TokenStore,
    *,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    port: int | None = None,
    scope: str | None = None,
    open_browser: bool = True,
    show_url: Callable[[str], None] = print,
    timeout: float = LOGIN_TIMEOUT_SECONDS,
    identity: str | None = None,
) -> StoredToken:
    """Authorization code with PKCE: prints (and opens) the authorize URL, waits for the
    redirect, checks `state`, exchanges the code and stores the tokens."""
    with CallbackServer(redirect_uri, port) as callback:
        request = pkce_request(
            credentials.client_id, callback.redirect_uri, scope or default_scopes()
        )
        show_url(request.url)
        if open_browser:
            with contextlib.suppress(Exception):  # no browser is fine: the URL is printed
                webbrowser.open(request.url, new=1)
        answer = callback.wait(timeout)
    token = _finish(credentials, request, answer, identity)
    seed = setting("XERO_REFRESH_TOKEN")
    if seed:  # the new login supersedes the seed in the environment
        token = replace(token, seed_fingerprint=fingerprint(seed))
    save_login(store, token)
    return token


def _finish(
    credentials: ClientCredentials,
    request: PkceRequest,
    answer: dict[str, str],
    identity: str | None,
) -> StoredToken:
    if answer.get("state") != request.state:
        raise XeroAuthError(
            "the login answer does not match this login (state differs); run the login again"
        )
    if "error" in answer:
        raise XeroAuthError(f"Xero did not authorise the app: {answer['error']}")
    if not answer.get("code"):
        raise XeroAuthError("the login answer holds no authorization code")
    return exchange_code(credentials, request, answer["code"], identity=identity)


def _credentials_from_env(require_secret: bool = False) -> ClientCredentials:
    client_id = setting("XERO_CLIENT_ID")
    secret = setting("XERO_CLIENT_SECRET") or None
    if not client_id:
        raise ConfigurationError(
            "set XERO_CLIENT_ID (and XERO_CLIENT_SECRET for a web app) from the app at "
            "developer.xero.com/app/manage"
        )
    if require_secret and secret is None:
        raise ConfigurationError("set XERO_CLIENT_SECRET")
    return ClientCredentials(client_id, secret)


def login_command(args: argparse.Namespace) -> int:
    credentials = _credentials_from_env()
    store = token_store_from_env()
    store.check_writable()  # now, not after the browser
    scope = (
        getattr(args, "scopes", None)
        or setting("XERO_SCOPES")
        or default_scopes(granular=bool(getattr(args, "granular_scopes", False)))
    )
    redirect_uri = (
        getattr(args, "redirect_uri", None)
        or setting("XERO_REDIRECT_URI")
        or (
            f"http://localhost:{args.port}/callback"
            if getattr(args, "port", None)
            else DEFAULT_REDIRECT_URI
        )
    )

    def show(url: str) -> None:
        print("Open this URL to connect xero-warehouse to Xero:\n")
        print(f"  {url}\n")
        print(f"Waiting for Xero to redirect to {redirect_uri} ...", flush=True)

    token = login(
        credentials,
        store,
        redirect_uri=redirect_uri,
        port=getattr(args, "port", None),
        scope=scope,
        open_browser=not getattr(args, "no_browser", False),
        show_url=show,
        timeout=float(getattr(args, "timeout", None) or LOGIN_TIMEOUT_SECONDS),
    )
    print(f"Connected. Tokens stored in {store.location}.")
    auth = XeroAuth("refresh", credentials=credentials, store=store)
    _print_connections(fetch_connections(auth))
    if not token.refresh_token:
        print(
            "warning: no refresh token was issued (is `offline_access` in the scopes?); "
            "runs will stop when the access token expires",
            file=sys.stderr,
        )
    return 0


# --- status and logout -----------------------------------------------------------------------


def status_command(args: argparse.Namespace) -> int:
    auth = auth_from_env()
    print(f"authentication:  {_describe_mode(auth)}")
    if auth.mode == "refresh":
        print(f"token store:     {auth.store.location}")
    connections = fetch_connections(auth)  # refreshes first when the token is due
    token = auth.current()
    if token is not None and token.expires_at is not None:
        print(f"access token:    expires {_when(token.expires_at)}")
    elif auth.mode == "static":
        print("access token:    from XERO_ACCESS_TOKEN (expiry unknown; 30 minutes from issue)")
    if token is not None and token.scope:
        print(f"scopes:          {token.scope}")
    print()
    _print_connections(connections)
    return 0


def _describe_mode(auth: XeroAuth) -> str:
    if auth.mode == "static":
        return "access token (XERO_ACCESS_TOKEN)"
    if auth.mode == "client_credentials":
        return f"client credentials (custom connection), client {auth.credentials.client_id}"
    return f"authorization code with refresh, client {auth.credentials.client_id}"


def logout_command(args: argparse.Namespace) -> int:
    credentials = _credentials_from_env()
    store = token_store_from_env()
    problem = None
    # under the store's lock: a store that cannot be written fails before the token is revoked
    with store.transaction(credentials.client_id) as tx:
        token = tx.current
        if token is None or not token.refresh_token:
            print(f"Nothing stored for client {credentials.client_id} in {store.location}.")
            return 0
        try:
            revoke(credentials, token.refresh_token)
        except XeroAuthError as exc:
            problem = str(exc)
        tx.delete()
    if problem:
        print(
            f"warning: {problem}; the local token was removed anyway. Disconnect the app at "
            "https://go.xero.com/Settings/ConnectedApps if it still shows.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Revoked the Xero token of client {credentials.client_id} and removed it from "
        f"{store.location}."
    )
    return 0


# --- tenants ---------------------------------------------------------------------------------


def fetch_connections(auth: httpx.Auth, api: str | None = None) -> list[dict]:
    """GET /connections: the organisations this token may read."""
    response = _call(auth, "GET", f"{api_url(api)}/connections")
    connections = response.json()
    if not isinstance(connections, list):
        raise XeroAuthError("unexpected answer from /connections (not a list)")
    return connections


def delete_connection(auth: httpx.Auth, connection_id: str, api: str | None = None) -> None:
    _call(auth, "DELETE", f"{api_url(api)}/connections/{connection_id}")


def _call(auth: httpx.Auth, method: str, url: str) -> httpx.Response:
    try:
        with httpx.Client(auth=auth, timeout=httpx.Timeout(30.0, connect=10.0)) as http:
            response = http.request(method, url, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        raise XeroAuthError(f"{type(exc).__name__} reaching {url}") from None
    if response.status_code == 401:
        raise XeroAuthError(f"Xero refused the access token at {url} (401); {LOGIN_HINT}")
    if response.status_code == 404 and method == "DELETE":
        raise ConfigurationError(f"no such connection: {url.rsplit('/', 1)[-1]}")
    if response.status_code >= 400:
        raise XeroAuthError(f"{method} {url} failed: HTTP {response.status_code}")
    return response


def tenants_command(args: argparse.Namespace) -> int:
    auth = auth_from_env()
    connections = fetch_connections(auth)
    target = getattr(args, "disconnect", None)
    if not target:
        _print_connections(connections)
        return 0
    connection = _find_connection(connections, target)
    label = f"{connection.get('tenantName')} ({connection.get('tenantId')})"
    if not getattr(args, "yes", False):
        if not sys.stdin.isatty():
            raise ConfigurationError(
                f"refusing to disconnect {label} without a terminal to confirm; pass --yes"
            )
        reply = input(f"Disconnect {label} from this app? Syncs of it will stop. [y/N] ")
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    delete_connection(auth, connection["id"])
    print(f"Disconnected {label}.")
    return 0


def _find_connection(connections: list[dict], target: str) -> dict:
    for connection in connections:
        if target in (connection.get("id"), connection.get("tenantId")):
            return connection
    named = [c for c in connections if c.get("tenantName") == target]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise ConfigurationError(f"several organisations are named {target!r}; use the tenant id")
    raise ConfigurationError(f"no connected organisation {target!r}; see `xero-warehouse tenants`")


def _print_connections(connections: list[dict]) -> None:
    if not connections:
        print("No organisations connected.")
        return
    rows = [("NAME", "TENANT ID", "TYPE", "CONNECTED SINCE")] + [
        (
            str(c.get("tenantName") or ""),
            str(c.get("tenantId") or ""),
            str(c.get("tenantType") or ""),
            _since(c.get("createdDateUtc")),
        )
        for c in sorted(connections, key=lambda c: str(c.get("tenantName") or "").lower())
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _since(value: str | None) -> str:
    if not value:
        return ""
    with contextlib.suppress(ValueError):
        parsed = datetime.fromisoformat(value.rstrip("Z")[:26])
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return value


def _when(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = int(epoch - time.time())
    if left <= 0:
        return f"{moment} (expired; refreshed on next use)"
    return f"{moment} (in {left // 60} min {left % 60} s)"
