"""Xero's identity service in the sandbox: OAuth2 authorization code (+PKCE), refresh-token
rotation with a grace period, client credentials, revocation, and the /connections API.

Lifetimes follow Xero: access tokens 30 minutes, refresh tokens rotate on every use (the
previous one keeps working for 30 minutes and yields the same new token), unused refresh
tokens die after 60 days. Every expiry is measured on the sandbox clock.

Headless approval: `GET /connect/authorize?...&auto_approve=true` skips the consent page
and redirects straight to `redirect_uri` with `code` and `state` (the sandbox's only
departure from Xero's flow, for tests and scripts).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox import spec

ACCESS_TOKEN_SECONDS = 1800
REFRESH_GRACE = timedelta(minutes=30)
REFRESH_IDLE = timedelta(days=60)
CODE_LIFETIME = timedelta(minutes=5)
ISSUER = "https://identity.xero.com"

DEFAULT_CLIENT_ID = "SANDBOXCLIENT0000000000000000001"
DEFAULT_CLIENT_SECRET = "sandbox-secret-not-for-production-use-0000000001"
DEFAULT_REDIRECT_URIS = ("http://localhost:8765/callback", "http://127.0.0.1:8765/callback")
DEFAULT_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.reports.read",
        "accounting.attachments.read",
        "accounting.attachments",
        *spec.ALL_READ_SCOPES,
        "accounting.transactions",
        "accounting.contacts",
        "accounting.settings",
    }
)


class OAuthError(Exception):
    """An OAuth error answered as 400 {"error": code}."""

    def __init__(self, error: str, description: str = ""):
        super().__init__(error)
        self.error = error
        self.description = description


class AuthFailure(Exception):
    """A bearer token the API refuses (401)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str | None  # None: a public (PKCE-only) client
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    # the one organisation a client-credentials (custom connection) token reaches
    client_credentials_tenant: str | None = None


@dataclass
class Connection:
    id: str
    client_id: str
    tenant_id: str
    tenant_name: str
    auth_event_id: str
    created: datetime
    updated: datetime
    tenant_type: str = "ORGANISATION"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": self.tenant_type,
            "tenantName": self.tenant_name,
            "createdDateUtc": _identity_time(self.created),
            "updatedDateUtc": _identity_time(self.updated),
        }


@dataclass
class AccessGrant:
    token: str
    client_id: str
    scopes: frozenset[str]
    expires_at: datetime
    auth_event_id: str
    client_credentials_tenant: str | None = None
    revoked: bool = False


@dataclass
class RefreshGrant:
    token: str
    family: str
    client_id: str
    scopes: frozenset[str]
    auth_event_id: str
    issued_at: datetime
    pkce: bool = False
    successor: str | None = None
    rotated_at: datetime | None = None
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    auth_event_id: str
    expires_at: datetime
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass
class Identity:
    """Clients, tokens and connections of one sandbox; all times on the sandbox clock."""

    sandbox: object
    clients: dict[str, RegisteredClient] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    access: dict[str, AccessGrant] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- set-up ---------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def register_client(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS,
        scopes: frozenset[str] = DEFAULT_SCOPES,
        client_credentials_tenant: str | None = None,
    ) -> RegisteredClient:
        client = RegisteredClient(
            client_id,
            client_secret,
            tuple(redirect_uris),
            frozenset(scopes),
            client_credentials_tenant,
        )
        self.clients[client_id] = client
        return client

    def register_default_client(self) -> RegisteredClient:
        """The client `srv.env` points at: every tenant connected, client credentials to the
        first tenant."""
        tenants = self.sandbox.tenants
        client = self.register_client(
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            client_credentials_tenant=tenants[0].tenant_id if tenants else None,
        )
        self.connect(client.client_id, [t.tenant_id for t in tenants])
        return client

    # -- connections ----------------------------------------------------------------------
    def connect(
        self, client_id: str, tenant_ids: list[str], auth_event_id: str | None = None
    ) -> str:
        """Connect tenants to a client (what approving the consent page does)."""
        auth_event_id = auth_event_id or str(uuid.uuid4())
        now = self.now()
        with self.lock:
            for tenant_id in tenant_ids:
                tenant = self.sandbox.tenant(tenant_id)
                if tenant is None:
                    continue
                existing = self._connection_for(client_id, tenant_id)
                if existing:
                    existing.auth_event_id = auth_event_id
                    existing.updated = now
                    continue
                connection_id = getattr(tenant, "connection_id", None)
                if not connection_id or connection_id in self.connections:
                    connection_id = str(uuid.uuid4())
                self.connections[connection_id] = Connection(
                    connection_id, client_id, tenant_id, tenant.name, auth_event_id, now, now
                )
        return auth_event_id

    def _connection_for(self, client_id: str, tenant_id: str) -> Connection | None:
        for connection in self.connections.values():
            if connection.client_id == client_id and connection.tenant_id == tenant_id:
                return connection
        return None

    def list_connections(
        self, grant: AccessGrant, auth_event_id: str | None = None
    ) -> list[Connection]:
        if grant.client_credentials_tenant:
            tenant = self.sandbox.tenant(grant.client_credentials_tenant)
            if tenant is None:
                return []
            now = self.now()
            return [
                Connection(
                    getattr(tenant, "connection_id", tenant.tenant_id),
                    grant.client_id,
                    tenant.tenant_id,
                    tenant.name,
                    grant.auth_event_id,
                    now,
                    now,
                )
            ]
        found = [c for c in self.connections.values() if c.client_id == grant.client_id]
        if auth_event_id:
            found = [c for c in found if c.auth_event_id == auth_event_id]
        return sorted(found, key=lambda c: (c.created, c.tenant_name))

    def disconnect(self, grant: AccessGrant, connection_id: str) -> bool:
        with self.lock:
            connection = self.connections.get(connection_id)
            if connection is None or connection.client_id != grant.client_id:
                return False
            del self.connections[connection_id]
            return True

    def tenant_allowed(self, grant: AccessGrant, tenant_id: str | None) -> str | None:
        """The tenant this call acts on, or None when the token may not reach it."""
        if grant.client_credentials_tenant:
            if tenant_id and tenant_id != grant.client_credentials_tenant:
                return None
            return grant.client_credentials_tenant
        if tenant_id and self._connection_for(grant.client_id, tenant_id):
            return tenant_id
        return None

    # -- client authentication ------------------------------------------------------------
    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, *, allow_public: bool = False
    ) -> RegisteredClient:
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client")
        if client_secret is None and (allow_public or client.client_secret is None):
            return client
        if (
            client.client_secret is None
            or client_secret is None
            or not secrets.compare_digest(client.client_secret, client_secret)
        ):
            raise OAuthError("invalid_client")
        return client

    # -- authorization code -----------------------------------------------------------------
    def check_authorize(self, params: dict) -> RegisteredClient:
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise OAuthError("unauthorized_client", "unknown client_id")
        if not redirect_uri_registered(client, params.get("redirect_uri", "")):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type")
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        unknown = requested_scopes(params) - client.scopes
        if unknown:
            raise OAuthError("invalid_scope", " ".join(sorted(unknown)))
        return client

    def approve(self, params: dict, tenant_ids: list[str] | None = None) -> str:
        """Approve an authorize request; returns the redirect URL with code and state."""
        client = self.check_authorize(params)
        if tenant_ids is None:
            tenant_ids = [t.tenant_id for t in self.sandbox.tenants]
        auth_event_id = self.connect(client.client_id, tenant_ids)
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = AuthCode(
                code,
                client.client_id,
                params["redirect_uri"],
                requested_scopes(params),
                auth_event_id,
                self.now() + CODE_LIFETIME,
                params.get("code_challenge") or None,
                params.get("code_challenge_method") or None,
            )
        query = {"code": code, "scope": " ".join(sorted(requested_scopes(params)))}
        if params.get("state") is not None:
            query["state"] = params["state"]
        query["session_state"] = secrets.token_urlsafe(16)
        separator = "&" if urlsplit(params["redirect_uri"]).query else "?"
        return f"{params['redirect_uri']}{separator}{urlencode(query)}"

    def exchange_code(self, form: dict, client_id: str | None, client_secret: str | None) -> dict:
        with self.lock:
            code = self.codes.pop(form.get("code", ""), None)
        if code is None or code.expires_at < self.now():
            raise OAuthError("invalid_grant")
        client = self.authenticate_client(
            client_id or code.client_id,
            client_secret,
            allow_public=code.code_challenge is not None,
        )
        if client.client_id != code.client_id:
            raise OAuthError("invalid_grant")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri mismatch")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier") or ""
            if not verifier or not pkce_matches(
                verifier, code.code_challenge, code.code_challenge_method
            ):
                raise OAuthError("invalid_grant", "code_verifier does not match")
        return self._issue(
            client, code.scopes, code.auth_event_id, pkce=code.code_challenge is not None
        )

    # -- refresh ------------------------------------------------------------------------------
    def refresh_grant(self, form: dict, client_id: str | None, client_secret: str | None) -> dict:
        now = self.now()
        with self.lock:
            grant = self.refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                raise OAuthError("invalid_grant")
            client = self.authenticate_client(
                client_id or grant.client_id, client_secret, allow_public=grant.pkce
            )
            if client.client_id != grant.client_id:
                raise OAuthError("invalid_grant")
            if grant.successor is None:
                if now - grant.issued_at > REFRESH_IDLE:
                    raise OAuthError("invalid_grant", "refresh token expired")
                return self._rotate(client, grant, now)
            # a rotated token: accepted during the grace period, answering with the
            # newest token of its family
            if now - grant.rotated_at > REFRESH_GRACE:
                raise OAuthError("invalid_grant")
            newest = grant
            while newest.successor is not None:
                newest = self.refresh[newest.successor]
            if newest.revoked:
                raise OAuthError("invalid_grant")
            return self._token_response(
                client, newest.scopes, newest.auth_event_id, refresh_token=newest.token
            )

    def _rotate(self, client: RegisteredClient, grant: RefreshGrant, now: datetime) -> dict:
        response = self._issue(
            client, grant.scopes, grant.auth_event_id, family=grant.family, pkce=grant.pkce
        )
        grant.successor = response["refresh_token"]
        grant.rotated_at = now
        return response

    # -- client credentials ---------------------------------------------------------------------
    def client_credentials(
        self, form: dict, client_id: str | None, client_secret: str | None
    ) -> dict:
        client = self.authenticate_client(client_id, client_secret)
        if client.client_secret is None or client.client_credentials_tenant is None:
            raise OAuthError("unauthorized_client")
        scopes = requested_scopes(form) or (
            client.scopes - {"offline_access", "openid", "profile", "email"}
        )
        if scopes - client.scopes:
            raise OAuthError("invalid_scope")
        return self._token_response(
            client,
            scopes - {"offline_access"},
            str(uuid.uuid4()),
            client_credentials_tenant=client.client_credentials_tenant,
        )

    # -- revocation ------------------------------------------------------------------------------
    def revoke(self, token: str, client: RegisteredClient) -> None:
        """Revoking a refresh token ends its family and removes the client's connections."""
        with self.lock:
            grant = self.refresh.get(token)
            if grant is not None and grant.client_id == client.client_id:
                for other in self.refresh.values():
                    if other.family == grant.family:
                        other.revoked = True
                for access in self.access.values():
                    if access.client_id == client.client_id and (
                        access.auth_event_id == grant.auth_event_id
                    ):
                        access.revoked = True
                for connection_id in [
                    c.id for c in self.connections.values() if c.client_id == client.client_id
                ]:
                    del self.connections[connection_id]
                return
            access = self.access.get(token)
            if access is not None and access.client_id == client.client_id:
                access.revoked = True

    # -- issuing ------------------------------------------------------------------------------
    def _issue(
        self,
        client: RegisteredClient,
        scopes: frozenset[str],
        auth_event_id: str,
        *,
        family: str | None = None,
        pkce: bool = False,
    ) -> dict:
        refresh_token = None
        if "offline_access" in scopes:
            refresh_token = secrets.token_hex(32)
            self.refresh[refresh_token] = RefreshGrant(
                refresh_token,
                family or refresh_token,
                client.client_id,
                scopes,
                auth_event_id,
                self.now(),
                pkce=pkce,
            )
        return self._token_response(client, scopes, auth_event_id, refresh_token=refresh_token)

    def _token_response(
        self,
        client: RegisteredClient,
        scopes: frozenset[str],
        auth_event_id: str,
        *,
        refresh_token: str | None = None,
        client_credentials_tenant: str | None = None,
    ) -> dict:
        now = self.now()
        expires = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        token = _jwt(
            {
                "nbf": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "iss": ISSUER,
                "aud": f"{ISSUER}/resources",
                "client_id": client.client_id,
                "sub": "sandbox-user",
                "auth_time": int(now.timestamp()),
                "xero_userid": "00000000-0000-0000-0000-000000000001",
                "global_session_id": secrets.token_hex(16),
                "jti": secrets.token_hex(16),
                "authentication_event_id": auth_event_id,
                "scope": sorted(scopes),
            }
        )
        with self.lock:
            self.access[token] = AccessGrant(
                token,
                client.client_id,
                frozenset(scopes),
                expires,
                auth_event_id,
                client_credentials_tenant,
            )
        body = {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
        }
        if "openid" in scopes:
            body["id_token"] = _jwt(
                {
                    "iss": ISSUER,
                    "aud": client.client_id,
                    "exp": int(expires.timestamp()),
                    "sub": "sandbox-user",
                    "email": "owner@sandbox.example",
                    "given_name": "Sandbox",
                    "family_name": "Owner",
                }
            )
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body

    def issue_refresh_token(self, client_id: str = DEFAULT_CLIENT_ID) -> str:
        """A refresh token for a client whose tenants are already connected (as if the user
        had just approved the consent page)."""
        client = self.clients[client_id]
        connection = next((c for c in self.connections.values() if c.client_id == client_id), None)
        auth_event_id = connection.auth_event_id if connection else str(uuid.uuid4())
        return self._issue(client, client.scopes, auth_event_id)["refresh_token"]

    # -- API side ------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> AccessGrant:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthFailure("AuthenticationUnsuccessful")
        grant = self.access.get(authorization[7:].strip())
        if grant is None or grant.revoked:
            raise AuthFailure("AuthenticationUnsuccessful")
        if grant.expires_at <= self.now():
            raise AuthFailure(
                f"TokenExpired: token expired at {grant.expires_at:%m/%d/%Y %H:%M:%S}"
            )
        return grant

    def expire_access_tokens(self, client_id: str | None = None) -> int:
        """Expire every live access token (of one client) as the clock would: the next call
        gets Xero's `TokenExpired` 401; refresh tokens keep working."""
        count = 0
        with self.lock:
            now = self.now()
            for grant in self.access.values():
                live = not grant.revoked and grant.expires_at > now
                if live and (client_id is None or grant.client_id == client_id):
                    grant.expires_at = now.replace(microsecond=0) - timedelta(seconds=1)
                    count += 1
        return count


# -- helpers ---------------------------------------------------------------------------------------
def requested_scopes(params: dict) -> frozenset[str]:
    return frozenset((params.get("scope") or "").split())


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if method == "plain":
        return secrets.compare_digest(verifier, challenge)
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(expected, challenge)


def redirect_uri_registered(client: RegisteredClient, uri: str) -> bool:
    """Exact match; a loopback URI (localhost/127.0.0.1) may differ only in its port."""
    if uri in client.redirect_uris:
        return True
    asked = urlsplit(uri)
    if asked.hostname not in ("localhost", "127.0.0.1"):
        return False
    for registered in map(urlsplit, client.redirect_uris):
        if (registered.scheme, registered.hostname, registered.path) == (
            asked.scheme,
            asked.hostname,
            asked.path,
        ):
            return True
    return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(payload: dict) -> str:
    header = _b64(json.dumps({"alg": "RS256", "kid": "sandbox", "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{header}.{body}.{_b64(secrets.token_bytes(64))}"


def _identity_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def _client_auth(request: Request, form: dict) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            client_id, _, client_secret = decoded.partition(":")
            return client_id, client_secret
        except (ValueError, UnicodeDecodeError):
            return None, None
    return form.get("client_id"), form.get("client_secret")


async def read_form(request: Request) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body as name -> values."""
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


def _oauth_error(exc: OAuthError) -> JSONResponse:
    body = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    return JSONResponse(body, status_code=400)


# -- HTTP ------------------------------------------------------------------------------------------
_CONSENT = """<!doctype html><html><head><title>Xero sandbox: authorise</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Allow {client} to access your organisations?</h1>
<p>Scopes: <code>{scopes}</code></p>
<form method="post">{hidden}<ul>{tenants}</ul>
<button type="submit" name="approve" value="1">Allow access</button>
<button type="submit" name="deny" value="1">Cancel</button></form></body></html>"""


def routes(identity: Identity) -> list[Route]:
    async def authorize(request: Request) -> Response:
        if request.method == "POST":
            form = await read_form(request)
            params = {k: v[0] for k, v in form.items()}
            params.update({k: v for k, v in request.query_params.items() if k not in params})
        else:
            params = dict(request.query_params)
        try:
            client = identity.check_authorize(params)
        except OAuthError as exc:
            return HTMLResponse(
                f"<h1>Authorisation error</h1><p>{html.escape(exc.error)}: "
                f"{html.escape(exc.description)}</p>",
                status_code=400,
            )
        if request.method == "POST" and "deny" in params:
            query = {"error": "access_denied"}
            if params.get("state") is not None:
                query["state"] = params["state"]
            return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", 302)
        if request.method == "POST" or params.get("auto_approve", "").lower() in ("true", "1"):
            chosen = None
            if request.method == "POST":
                chosen = form.get("tenant") or None
            return RedirectResponse(identity.approve(params, chosen), 302)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        tenants = "".join(
            f'<li><label><input type="checkbox" name="tenant" value="{t.tenant_id}" checked> '
            f"{html.escape(t.name)}</label></li>"
            for t in identity.sandbox.tenants
        )
        return HTMLResponse(
            _CONSENT.format(
                client=html.escape(client.client_id),
                scopes=html.escape(" ".join(sorted(requested_scopes(params)))),
                hidden=hidden,
                tenants=tenants,
            )
        )

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in (await read_form(request)).items()}
        client_id, client_secret = _client_auth(request, form)
        grant_type = form.get("grant_type")
        try:
            if grant_type == "authorization_code":
                body = identity.exchange_code(form, client_id, client_secret)
            elif grant_type == "refresh_token":
                body = identity.refresh_grant(form, client_id, client_secret)
            elif grant_type == "client_credentials":
                body = identity.client_credentials(form, client_id, client_secret)
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as exc:
            return _oauth_error(exc)
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def revocation(request: Request) -> Response:
        form = {k: v[0] for k, v in (await read_form(request)).items()}
        client_id, client_secret = _client_auth(request, form)
        try:
            client = identity.authenticate_client(client_id, client_secret)
        except OAuthError as exc:
            return _oauth_error(exc)
        identity.revoke(form.get("token", ""), client)
        return Response(status_code=200)

    async def connections(request: Request) -> Response:
        try:
            grant = identity.authenticate(request.headers.get("authorization"))
        except AuthFailure as exc:
            return unauthorized(exc.detail)
        found = identity.list_connections(grant, request.query_params.get("authEventId"))
        return JSONResponse([c.as_json() for c in found])

    async def delete_connection(request: Request) -> Response:
        try:
            grant = identity.authenticate(request.headers.get("authorization"))
        except AuthFailure as exc:
            return unauthorized(exc.detail)
        if not identity.disconnect(grant, request.path_params["id"]):
            return Response(status_code=404)
        return Response(status_code=204)

    return [
        Route("/connect/authorize", authorize, methods=["GET", "POST"]),
        Route("/identity/connect/authorize", authorize, methods=["GET", "POST"]),
        Route("/connect/token", token, methods=["POST"]),
        Route("/connect/revocation", revocation, methods=["POST"]),
        Route("/connections", connections, methods=["GET"]),
        Route("/Connections", connections, methods=["GET"]),
        Route("/connections/{id}", delete_connection, methods=["DELETE"]),
        Route("/Connections/{id}", delete_connection, methods=["DELETE"]),
    ]


def unauthorized(detail: str) -> JSONResponse:
    """Xero's 401 body (RFC 7807 problem details)."""
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return JSONResponse(problem(401, "Unauthorized", detail), status_code=401, headers=headers)


def problem(status: int, title: str, detail: str) -> dict:
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
