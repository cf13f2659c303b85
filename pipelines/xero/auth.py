"""Xero OAuth 2.0 as an `httpx.Auth`: bearer tokens that stay valid for runs of any length.

Three ways in, chosen by `auth_from_env()`:
- `XERO_ACCESS_TOKEN`: a token used as it is (short runs; it dies after 30 minutes);
- `XERO_CLIENT_ID` + `XERO_CLIENT_SECRET` + a refresh token (from `xero-warehouse auth login`,
  or `XERO_REFRESH_TOKEN` to seed the store): the refresh grant, with every rotated refresh
  token written to the token store before the new access token is used;
- `XERO_CLIENT_ID` + `XERO_CLIENT_SECRET` only: client credentials (a custom connection).

Tokens are refreshed five minutes before they expire and once more when the API answers 401
(twice when the first new token was one another process had stored).
One `XeroAuth` may serve many threads and tenants at once.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import httpx

from pipelines.environment import setting
from pipelines.errors import XeroWarehouseError
from pipelines.xero.token_store import StoredToken, TokenStore, token_store_from_env

logger = logging.getLogger(__name__)

DEFAULT_IDENTITY_URL = "https://identity.xero.com"
REFRESH_MARGIN_SECONDS = 300.0
TOKEN_ATTEMPTS = 4  # a lost refresh response is retried with the same token (30-minute grace)
LOGIN_HINT = "run `xero-warehouse auth login`"


class XeroAuthError(XeroWarehouseError):
    """Xero refused our credentials, or none are configured. The message never holds a secret."""


class RefreshTokenRejected(XeroAuthError):
    """`invalid_grant` on a refresh: the token expired, was revoked or was used up."""


def identity_url(override: str | None = None) -> str:
    return (override or setting("XERO_IDENTITY_URL") or DEFAULT_IDENTITY_URL).rstrip("/")


def token_url(override: str | None = None) -> str:
    return f"{identity_url(override)}/connect/token"


@dataclass(frozen=True, repr=False)
class ClientCredentials:
    client_id: str
    client_secret: str | None = None

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "'***'"
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret={secret})"

    def apply(self, data: dict, headers: dict) -> None:
        """Client authentication at the token endpoint: HTTP Basic with a secret, the client id
        in the form without one (PKCE apps)."""
        if self.client_secret is None:
            data["client_id"] = self.client_id
        else:
            pair = f"{self.client_id}:{self.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- the token endpoint ----------------------------------------------------------------------


def request_token(
    credentials: ClientCredentials,
    data: dict,
    *,
    identity: str | None = None,
    retry_lost_response: bool = True,
) -> dict:
    """POST a grant to `/connect/token` and return the JSON body. Connection failures and 5xx
    are retried a few times with the same grant: a refresh token whose response was lost stays
    usable for 30 minutes. `invalid_grant` and other 4xx raise XeroAuthError at once."""
    url = token_url(identity)
    headers = {"Accept": "application/json"}
    form = dict(data)
    credentials.apply(form, headers)
    grant = form.get("grant_type", "?")
    attempts = TOKEN_ATTEMPTS if retry_lost_response else 1
    for attempt in range(1, attempts + 1):
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as http:
                response = http.post(url, data=form, headers=headers)
        except httpx.TransportError as exc:
            failure = f"{type(exc).__name__} reaching {url}"
        else:
            if response.status_code < 500:
                return _token_body(response, grant, url)
            failure = f"HTTP {response.status_code} from {url}"
        if attempt < attempts:
            logger.warning("token request (%s) failed: %s; retrying", grant, failure)
            time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
    raise XeroAuthError(f"could not get a Xero access token ({grant}): {failure}")


def _token_body(response: httpx.Response, grant: str, url: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if error == "invalid_grant" and grant == "refresh_token":
        raise RefreshTokenRejected(
            "Xero rejected the stored refresh token (expired after 60 days unused, revoked, "
            f"or already used); {LOGIN_HINT} to connect again"
        )
    if error == "invalid_client":
        raise XeroAuthError(
            "Xero rejected the client id or secret (invalid_client); check XERO_CLIENT_ID and "
            "XERO_CLIENT_SECRET against the app at developer.xero.com"
        )
    if error == "unauthorized_client" and grant == "client_credentials":
        raise XeroAuthError(
            "this Xero app may not use client credentials (unauthorized_client): only custom "
            f"connections can; for a web app, {LOGIN_HINT}"
        )
    if response.status_code == 200 or not isinstance(body, dict):
        raise XeroAuthError(
            f"could not get a Xero access token ({grant}): {url} answered HTTP "
            f"{response.status_code} with {_token_body_kind(response, body)}, not a token; "
            "is XERO_IDENTITY_URL right, or is a proxy answering?"
        )
    reason = error or f"HTTP {response.status_code}"
    raise XeroAuthError(f"Xero refused the token request ({grant}) at {url}: {reason}")


def _token_body_kind(response: httpx.Response, body: object) -> str:
    if isinstance(body, dict):
        return "JSON without an access_token"
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if "html" in content_type or response.content.lstrip()[:1] == b"<":
        return f"an HTML page ({len(response.content)} bytes)"
    return f"a body that is not a JSON object ({len(response.content)} bytes)"


def stored_from_response(
    client_id: str, body: dict, *, sent_at: float, previous: StoredToken | None = None
) -> StoredToken:
    """Expiry counts from when the request was sent, so it errs on the early side."""
    return StoredToken(
        client_id=client_id,
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=sent_at + float(body.get("expires_in") or 1800),
        scope=body.get("scope") or (previous.scope if previous else ""),
        seed_fingerprint=previous.seed_fingerprint if previous else None,
    )


# --- httpx.Auth ------------------------------------------------------------------------------


class XeroAuth(httpx.Auth):
    """Sets `Authorization: Bearer ...`, refreshing before expiry and once after a 401.

    mode "static": a fixed access token (never refreshed);
    mode "refresh": refresh grant against the token store (rotation persisted first);
    mode "client_credentials": a new token from the client id and secret when needed.
    """

    def __init__(
        self,
        mode: str,
        *,
        credentials: ClientCredentials | None = None,
        access_token: str | None = None,
        store: TokenStore | None = None,
        seed_refresh_token: str | None = None,
        identity_url: str | None = None,
        margin_seconds: float = REFRESH_MARGIN_SECONDS,
    ):
        if mode not in ("static", "refresh", "client_credentials"):
            raise ValueError(f"unknown auth mode {mode!r}")
        if mode != "static" and credentials is None:
            raise ValueError(f"{mode} needs client credentials")
        if mode == "refresh" and store is None:
            raise ValueError("refresh needs a token store")
        self.mode = mode
        self.credentials = credentials
        self.store = store
        self._seed = seed_refresh_token
        self._identity_url = identity_url
        self._margin = margin_seconds
        self._lock = threading.Lock()
        self._token: StoredToken | None = None
        if access_token is not None:
            self._token = StoredToken(client_id="", access_token=access_token, expires_at=None)
        self.refreshes = 0  # token grants made by this object (for status and tests)
        self._granted: str | None = None  # the access token of this object's last grant

    def __repr__(self) -> str:
        client = self.credentials.client_id if self.credentials else None
        return f"XeroAuth(mode={self.mode!r}, client_id={client!r}, store={self.store!r})"

    @property
    def can_refresh(self) -> bool:
        return self.mode != "static"

    # the 401 body tells an expired token from a missing scope (no refresh helps with that)
    requires_response_body = True

    # httpx calls this for every request (redirects and retries included)
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """On a 401, a new token and one retry. A token taken from the store (another
        process refreshed it) may have been ended as well: a 401 on it earns a refresh of our
        own; a 401 right after our own refresh is final."""
        token = self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        for _ in range(2):
            if response.status_code != 401 or not self.can_refresh:
                return
            if _refused_for_scope(response):
                return
            logger.info("Xero answered 401; getting a new access token and retrying")
            token = self.access_token(rejected=token)
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            if token == self._granted:
                return

    def access_token(self, rejected: str | None = None) -> str:
        """A usable access token; `rejected` is one the API just refused."""
        with self._lock:
            token = self._token
            if self.mode == "static":
                return token.access_token
            if (
                token is not None
                and token.access_token != rejected
                and not token.expires_within(self._margin)
            ):
                return token.access_token
            stale = rejected or (token.access_token if token else None)
            if self.mode == "client_credentials":
                self._token = self._client_credentials()
            else:
                self._token = self._refresh(stale)
            return self._token.access_token

    def current(self) -> StoredToken | None:
        """The token in hand or in the store (for `auth status`); never refreshes."""
        if self._token is not None or self.mode != "refresh":
            return self._token
        return self.store.load(self.credentials.client_id)

    def _client_credentials(self) -> StoredToken:
        sent_at = time.time()
        body = request_token(
            self.credentials, {"grant_type": "client_credentials"}, identity=self._identity_url
        )
        self.refreshes += 1
        token = stored_from_response(self.credentials.client_id, body, sent_at=sent_at)
        self._granted = token.access_token
        return token

    def _refresh(self, stale: str | None) -> StoredToken:
        client_id = self.credentials.client_id
        with self.store.transaction(client_id) as tx:
            stored = tx.current
            candidate = self._seeded(stored)
            if candidate is stored and self._usable(stored, stale):
                return stored  # another process (or thread) rotated it already
            if candidate is None or not candidate.refresh_token:
                raise XeroAuthError(
                    f"no Xero refresh token for client {client_id} in {self.store.location}; "
                    f"{LOGIN_HINT} (or set XERO_REFRESH_TOKEN)"
                )
            try:
                fresh = self._grant(candidate)
            except RefreshTokenRejected:
                if candidate is stored or stored is None or not stored.refresh_token:
                    raise
                # a stale XERO_REFRESH_TOKEN (e.g. from before `auth login`): keep the stored
                # token and remember the seed so it is not tried again
                logger.warning(
                    "XERO_REFRESH_TOKEN was already used or revoked; using the token in %s",
                    self.store.location,
                )
                stored = replace(stored, seed_fingerprint=candidate.seed_fingerprint)
                if self._usable(stored, stale):
                    tx.save(stored)
                    return stored
                fresh = self._grant(stored)
            tx.save(fresh)  # written (under the lock) before the new access token is used
            return fresh

    def _usable(self, token: StoredToken | None, stale: str | None) -> bool:
        return (
            token is not None
            and bool(token.access_token)
            and token.access_token != stale
            and not token.expires_within(self._margin)
        )

    def _grant(self, previous: StoredToken) -> StoredToken:
        sent_at = time.time()
        body = request_token(
            self.credentials,
            {"grant_type": "refresh_token", "refresh_token": previous.refresh_token},
            identity=self._identity_url,
        )
        fresh = stored_from_response(previous.client_id, body, sent_at=sent_at, previous=previous)
        self.refreshes += 1
        self._granted = fresh.access_token
        logger.info(
            "refreshed the Xero access token (valid for %d s)", int(fresh.expires_at - sent_at)
        )
        return fresh

    def _seeded(self, current: StoredToken | None) -> StoredToken | None:
        """XERO_REFRESH_TOKEN seeds an empty store; a different value than the one that seeded
        it replaces the stored token (the user authorised again), the same value is ignored
        (the store holds its rotated successor)."""
        if not self._seed:
            return current
        mark = fingerprint(self._seed)
        if current is not None and current.seed_fingerprint == mark:
            return current
        if current is not None and current.refresh_token == self._seed:
            return current
        return StoredToken(
            client_id=self.credentials.client_id,
            refresh_token=self._seed,
            seed_fingerprint=mark,
            scope=current.scope if current else "",
        )


def _refused_for_scope(response: httpx.Response) -> bool:
    """Xero answers 401 `AuthorizationUnsuccessful` to a valid token that lacks the scope or
    plan for an endpoint (e.g. Journals below the Advanced tier); expired or unknown tokens get
    `TokenExpired` / `AuthenticationUnsuccessful`."""
    if "insufficient_scope" in response.headers.get("www-authenticate", ""):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("Detail", "")).startswith(
        "AuthorizationUnsuccessful"
    )


def auth_from_env(identity_url: str | None = None) -> XeroAuth:
    """The XeroAuth the environment asks for (see the module docstring). Raises XeroAuthError
    when nothing usable is configured."""
    return build_auth(
        access_token=setting("XERO_ACCESS_TOKEN"),
        client_id=setting("XERO_CLIENT_ID"),
        client_secret=setting("XERO_CLIENT_SECRET"),
        refresh_token=setting("XERO_REFRESH_TOKEN"),
        identity_url=identity_url,
    )


def build_auth(
    *,
    access_token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    identity_url: str | None = None,
) -> XeroAuth:
    """The XeroAuth for these credentials: a static access token; else the refresh grant when a
    refresh token seeds the token store or the store holds one for the client; else client
    credentials. Raises XeroAuthError when nothing usable is given."""
    seed = refresh_token or None
    if access_token:
        return XeroAuth("static", access_token=access_token, identity_url=identity_url)
    if not client_id:
        raise XeroAuthError(
            "no Xero credentials: set XERO_CLIENT_ID and XERO_CLIENT_SECRET and "
            f"{LOGIN_HINT}, or set XERO_ACCESS_TOKEN for a short run"
        )
    credentials = ClientCredentials(client_id, client_secret or None)
    store = token_store_from_env()
    if seed or store.load(client_id) is not None:
        return XeroAuth(
            "refresh",
            credentials=credentials,
            store=store,
            seed_refresh_token=seed,
            identity_url=identity_url,
        )
    if not client_secret:
        raise XeroAuthError(
            f"no Xero token stored for client {client_id} in {store.location}; {LOGIN_HINT}"
        )
    return XeroAuth("client_credentials", credentials=credentials, identity_url=identity_url)


# --- authorization code with PKCE, revocation ------------------------------------------------

DEFAULT_AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
BASE_SCOPES = ("offline_access", "openid", "profile", "email")
# read scopes of the collections the source loads (broad scopes; apps created before March 2026)
BROAD_READ_SCOPES = (
    "accounting.transactions.read",
    "accounting.contacts.read",
    "accounting.settings.read",
    "accounting.journals.read",
    "accounting.budgets.read",
    "accounting.reports.read",
)
# the same reach with the granular scopes of apps created from March 2026
GRANULAR_READ_SCOPES = (
    "accounting.invoices.read",
    "accounting.payments.read",
    "accounting.banktransactions.read",
    "accounting.manualjournals.read",
    "accounting.classicexpenses.read",
    "accounting.contacts.read",
    "accounting.settings.read",
    "accounting.journals.read",
    "accounting.budgets.read",
    "accounting.reports.trialbalance.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.banksummary.read",
    "accounting.reports.aged.read",
)


def default_scopes(granular: bool = False) -> str:
    return " ".join(BASE_SCOPES + (GRANULAR_READ_SCOPES if granular else BROAD_READ_SCOPES))


def authorize_url() -> str:
    """`XERO_AUTHORIZE_URL`, else `$XERO_IDENTITY_URL/connect/authorize` when XERO_IDENTITY_URL
    is set (a local sandbox serves both), else Xero's login page."""
    explicit = setting("XERO_AUTHORIZE_URL")
    if explicit:
        return explicit
    if setting("XERO_IDENTITY_URL"):
        return f"{identity_url()}/connect/authorize"
    return DEFAULT_AUTHORIZE_URL


@dataclass(frozen=True, repr=False)
class PkceRequest:
    """One authorization attempt: the URL to open and what the callback must match."""

    url: str
    state: str
    code_verifier: str
    redirect_uri: str
    scope: str

    def __repr__(self) -> str:
        return f"PkceRequest(redirect_uri={self.redirect_uri!r}, scope={self.scope!r})"


def pkce_request(
    client_id: str, redirect_uri: str, scope: str, authorize: str | None = None
) -> PkceRequest:
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(32)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    base = authorize or authorize_url()
    return PkceRequest(
        f"{base}{'&' if '?' in base else '?'}{query}", state, verifier, redirect_uri, scope
    )


def exchange_code(
    credentials: ClientCredentials, request: PkceRequest, code: str, *, identity: str | None = None
) -> StoredToken:
    sent_at = time.time()
    body = request_token(
        credentials,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier,
        },
        identity=identity,
        retry_lost_response=False,  # a code is single-use
    )
    return stored_from_response(credentials.client_id, body, sent_at=sent_at)


def save_login(store: TokenStore, token: StoredToken) -> None:
    """Replace whatever the store held for this app with the token of a fresh login."""
    with store.transaction(token.client_id) as tx:
        tx.save(token)


def revoke(
    credentials: ClientCredentials, refresh_token: str, *, identity: str | None = None
) -> None:
    """POST /connect/revocation: the refresh token and the connections it granted end."""
    url = f"{identity_url(identity)}/connect/revocation"
    headers = {"Accept": "application/json"}
    form = {"token": refresh_token}
    credentials.apply(form, headers)
    try:
        with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as http:
            response = http.post(url, data=form, headers=headers)
    except httpx.TransportError as exc:
        raise XeroAuthError(
            f"could not revoke the token: {type(exc).__name__} reaching {url}"
        ) from None
    if response.status_code != 200:
        raise XeroAuthError(f"Xero refused to revoke the token: HTTP {response.status_code}")
