"""OAuth against the sandbox's identity service over real HTTP: login with PKCE, refresh
rotation shared by processes, expiry mid-run, the grace period, revocation, tenants."""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from pipelines.cli import auth as auth_cli
from pipelines.errors import ConfigurationError
from pipelines.xero.auth import (
    ClientCredentials,
    XeroAuth,
    XeroAuthError,
    auth_from_env,
    exchange_code,
    pkce_request,
    request_token,
    save_login,
)
from pipelines.xero.token_store import (
    FileTokenStore,
    PostgresTokenStore,
    StoredToken,
    token_store_from_env,
)

sandbox_server_module = pytest.importorskip("sandbox.server")
running_sandbox = sandbox_server_module.running_sandbox


@pytest.fixture
def server(monkeypatch):
    from sandbox.model import Sandbox

    sb = Sandbox(tenants=2, scale="small", seed=42, anchor=date(2026, 10, 31))
    with running_sandbox(sb, limits=False) as srv:
        for name, value in srv.env.items():
            if name.startswith("XERO_") and name not in ("XERO_ACCESS_TOKEN", "XERO_REFRESH_TOKEN"):
                monkeypatch.setenv(name, value)
        yield srv


def _credentials() -> ClientCredentials:
    return ClientCredentials(os.environ["XERO_CLIENT_ID"], os.environ["XERO_CLIENT_SECRET"])


def _approve_in_browser(url: str, tamper_state: bool = False) -> None:
    """What a user does: open the authorize URL, press Allow on the consent page, and let
    the browser follow Xero's redirect to the local callback."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "Allow" in page.text
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        consent = browser.post(url.split("?")[0], data={**query, "approve": "1"})
        assert consent.status_code == 302
        location = consent.headers["location"]
        if tamper_state:
            parts = urlsplit(location)
            answer = {k: v[0] for k, v in parse_qs(parts.query).items()}
            answer["state"] = "forged-" + answer["state"]
            location = urlunsplit(parts._replace(query=urlencode(answer)))
        browser.get(location)


def _login(store, tamper_state=False, scope=None) -> StoredToken:
    def show(url: str) -> None:
        threading.Thread(target=_approve_in_browser, args=(url, tamper_state), daemon=True).start()

    return auth_cli.login(
        _credentials(),
        store,
        redirect_uri="http://localhost:8765/callback",
        port=0,
        scope=scope,
        open_browser=False,
        show_url=show,
        timeout=60,
    )


def _tenant_ids(srv) -> set[str]:
    return {t.tenant_id for t in srv.sandbox.tenants}


# --- login -------------------------------------------------------------------------------------


def test_login_with_pkce_stores_a_token_that_reaches_every_tenant(server):
    store = token_store_from_env()
    token = _login(store)
    stored = store.load(os.environ["XERO_CLIENT_ID"])
    assert stored.refresh_token == token.refresh_token and stored.access_token
    assert "offline_access" in stored.scope and "accounting.transactions.read" in stored.scope
    connections = auth_cli.fetch_connections(auth_from_env())
    assert {c["tenantId"] for c in connections} == _tenant_ids(server)


def test_login_rejects_a_tampered_state(server):
    store = token_store_from_env()
    with pytest.raises(XeroAuthError, match="state"):
        _login(store, tamper_state=True)
    assert store.load(os.environ["XERO_CLIENT_ID"]) is None


def test_code_exchange_rejects_a_wrong_pkce_verifier(server):
    credentials = _credentials()
    request = pkce_request(
        credentials.client_id,
        "http://localhost:8765/callback",
        "offline_access accounting.transactions.read",
    )
    with httpx.Client(timeout=30) as browser:
        answer = browser.get(request.url + "&auto_approve=true")
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    forged = pkce_request(credentials.client_id, request.redirect_uri, request.scope)
    wrong = type(request)(
        request.url, request.state, forged.code_verifier, request.redirect_uri, request.scope
    )
    with pytest.raises(XeroAuthError, match="invalid_grant"):
        exchange_code(credentials, wrong, code)


def test_login_cli_needs_a_client_id(server, monkeypatch):
    monkeypatch.delenv("XERO_CLIENT_ID")
    with pytest.raises(ConfigurationError, match="XERO_CLIENT_ID"):
        auth_cli.login_command(argparse.Namespace())


# --- refresh -----------------------------------------------------------------------------------


def _seed(server, store) -> str:
    """A logged-in store, as `auth login` leaves it."""
    token = _login(store)
    return token.refresh_token


def test_access_token_expiry_in_the_middle_of_a_long_run(server):
    store = token_store_from_env()
    _seed(server, store)
    auth = auth_from_env()
    tenant = server.sandbox.tenants[0].tenant_id
    statuses = []
    with httpx.Client(auth=auth, base_url=server.api_url, timeout=30) as http:
        for call in range(120):
            if call in (40, 80):
                server.sandbox.clock.advance(seconds=31 * 60)  # the access token has died
            response = http.get(
                "/api.xro/2.0/Organisation",
                headers={"xero-tenant-id": tenant, "Accept": "application/json"},
            )
            statuses.append(response.status_code)
    assert statuses == [200] * 120
    assert auth.refreshes == 2


def test_refresh_token_seeded_from_the_environment_then_rotated_in_the_store(server, monkeypatch):
    seed = server.identity.issue_refresh_token()
    monkeypatch.setenv("XERO_REFRESH_TOKEN", seed)
    first = auth_from_env()
    assert first.mode == "refresh"
    first.access_token()
    rotated = token_store_from_env().load(os.environ["XERO_CLIENT_ID"]).refresh_token
    assert rotated and rotated != seed
    # a later run with the same (now used) seed in its environment keeps the rotated token
    server.sandbox.clock.advance(seconds=31 * 60)
    # (the seed itself is past its grace period now: using it would fail)
    second = auth_from_env()
    second.access_token(rejected=second.access_token())
    assert second.refreshes == 1
    # the user authorises again and gives a new seed: it replaces the stored token
    fresh_seed = server.identity.issue_refresh_token()
    monkeypatch.setenv("XERO_REFRESH_TOKEN", fresh_seed)
    third = auth_from_env()
    third.access_token()
    stored = token_store_from_env().load(os.environ["XERO_CLIENT_ID"])
    assert stored.refresh_token not in (seed, rotated, fresh_seed)


def test_a_lost_refresh_response_is_recovered_within_the_grace_period(server):
    store = token_store_from_env()
    refresh_token = _seed(server, store)
    client_id = os.environ["XERO_CLIENT_ID"]
    with store.transaction(client_id) as tx:  # the access token is due
        tx.save(StoredToken(client_id, "old", refresh_token, 0.0, tx.current.scope))
    # the refresh reached Xero, which rotated the token, but the answer never came back
    request_token(_credentials(), {"grant_type": "refresh_token", "refresh_token": refresh_token})
    server.sandbox.clock.advance(seconds=20 * 60)
    auth = auth_from_env()
    assert len(auth_cli.fetch_connections(auth)) == len(server.sandbox.tenants)
    assert store.load(client_id).refresh_token != refresh_token


def test_after_the_grace_period_a_lost_rotation_asks_for_a_new_login(server):
    store = token_store_from_env()
    refresh_token = _seed(server, store)
    client_id = os.environ["XERO_CLIENT_ID"]
    with store.transaction(client_id) as tx:
        tx.save(StoredToken(client_id, "old", refresh_token, 0.0, tx.current.scope))
    request_token(_credentials(), {"grant_type": "refresh_token", "refresh_token": refresh_token})
    server.sandbox.clock.advance(seconds=31 * 60)
    with pytest.raises(XeroAuthError) as caught:
        auth_from_env().access_token()
    message = str(caught.value)
    assert "`xero-warehouse auth login`" in message
    assert refresh_token not in message and os.environ["XERO_CLIENT_SECRET"] not in message


def _rotate_in_a_process(rounds: int, barrier, results) -> None:
    """One worker of the race: every round all workers force a refresh at the same moment."""
    auth = auth_from_env()
    obtained, errors = [], []
    for _ in range(rounds):
        barrier.wait()
        try:
            held = auth.access_token()
            before = auth.refreshes
            token = auth.access_token(rejected=held)
            if auth.refreshes > before:
                rotated = auth.current().refresh_token
                obtained.append(hashlib.sha256(rotated.encode()).hexdigest())
            with httpx.Client(timeout=30) as http:
                reply = http.get(
                    os.environ["XERO_API_URL"].rstrip("/") + "/connections",
                    headers={"Authorization": f"Bearer {token}"},
                )
            if reply.status_code != 200:
                errors.append(f"HTTP {reply.status_code}")
        except Exception as exc:  # reported to the parent, which fails the test
            errors.append(f"{type(exc).__name__}: {exc}")
    results.put((obtained, errors))


def _race(server, rounds=50, workers=2, login=True):
    store = token_store_from_env()
    if login:
        _seed(server, store)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_rotate_in_a_process, args=(rounds, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    errors = [error for _, found in reports for error in found]
    assert errors == []
    obtained = [fingerprint for found, _ in reports for fingerprint in found]
    # every refresh rotated a token nobody else had used: no refresh token went to two
    # processes, so no rotation was lost or wasted
    assert len(obtained) == len(set(obtained))
    assert len(obtained) >= rounds
    # and the stored token is the living end of the chain
    auth = auth_from_env()
    token = auth.access_token(rejected=auth.access_token())
    assert auth.refreshes == 1 and token
    assert len(auth_cli.fetch_connections(auth)) == len(server.sandbox.tenants)


@pytest.mark.slow
def test_two_processes_rotating_one_file_store_never_lose_the_token(server):
    assert isinstance(token_store_from_env(), FileTokenStore)
    _race(server)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_rotating_one_postgres_store_never_lose_the_token(
    server, postgres_url, monkeypatch
):
    monkeypatch.setenv("XERO_TOKEN_STORE", postgres_url)
    assert isinstance(token_store_from_env(), PostgresTokenStore)
    _race(server)


def test_threads_sharing_one_auth_refresh_once(server):
    store = token_store_from_env()
    _seed(server, store)
    server.sandbox.clock.advance(seconds=31 * 60)
    auth = auth_from_env()
    stale = store.load(os.environ["XERO_CLIENT_ID"]).access_token
    tokens = []
    threads = [
        threading.Thread(target=lambda: tokens.append(auth.access_token(rejected=stale)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and stale not in tokens
    assert auth.refreshes == 1


# --- other grants ------------------------------------------------------------------------------


def test_client_credentials_reach_the_one_organisation(server):
    auth = auth_from_env()
    assert auth.mode == "client_credentials"
    connections = auth_cli.fetch_connections(auth)
    assert len(connections) == 1
    server.sandbox.clock.advance(seconds=31 * 60)
    assert len(auth_cli.fetch_connections(auth)) == 1  # a new token after expiry
    assert auth.refreshes == 2


def test_a_plain_access_token_works_until_it_expires(server, monkeypatch):
    body = request_token(_credentials(), {"grant_type": "client_credentials"})
    monkeypatch.setenv("XERO_ACCESS_TOKEN", body["access_token"])
    auth = auth_from_env()
    assert auth.mode == "static"
    assert len(auth_cli.fetch_connections(auth)) == 1
    server.sandbox.clock.advance(seconds=31 * 60)
    with pytest.raises(XeroAuthError, match="401"):
        auth_cli.fetch_connections(auth)


def test_wrong_client_secret_is_reported_without_the_secret(server, monkeypatch):
    monkeypatch.setenv("XERO_CLIENT_SECRET", "not-the-secret-value")
    with pytest.raises(XeroAuthError, match="invalid_client") as caught:
        auth_from_env().access_token()
    assert "not-the-secret-value" not in str(caught.value)


# --- status, logout, tenants -------------------------------------------------------------------


def test_status_shows_expiry_scopes_and_tenants_but_no_token(server, capsys):
    store = token_store_from_env()
    token = _login(store)
    capsys.readouterr()
    assert auth_cli.status_command(argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert store.location in out and "expires" in out and "accounting.settings.read" in out
    for tenant in server.sandbox.tenants:
        assert tenant.tenant_id in out and tenant.name in out
    current = store.load(os.environ["XERO_CLIENT_ID"])
    for secret in (
        token.access_token,
        token.refresh_token,
        current.access_token,
        current.refresh_token,
        os.environ["XERO_CLIENT_SECRET"],
    ):
        assert secret not in out


def test_logout_revokes_and_clears_the_store(server, capsys):
    store = token_store_from_env()
    token = _login(store)
    access = store.load(os.environ["XERO_CLIENT_ID"]).access_token
    assert auth_cli.logout_command(argparse.Namespace()) == 0
    assert "Revoked" in capsys.readouterr().out
    assert store.load(os.environ["XERO_CLIENT_ID"]) is None
    with httpx.Client(timeout=30) as http:
        reply = http.get(
            server.api_url + "/connections", headers={"Authorization": f"Bearer {access}"}
        )
    assert reply.status_code == 401
    with pytest.raises(XeroAuthError, match="auth login"):
        request_token(
            _credentials(), {"grant_type": "refresh_token", "refresh_token": token.refresh_token}
        )


def test_tenants_lists_and_disconnects_with_confirmation(server, capsys, monkeypatch):
    _login(token_store_from_env())
    capsys.readouterr()
    assert auth_cli.tenants_command(argparse.Namespace(disconnect=None, yes=False)) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["NAME", "TENANT", "ID", "TYPE", "CONNECTED", "SINCE"]
    first, second = server.sandbox.tenants[:2]
    assert first.name in out and second.tenant_id in out and "ORGANISATION" in out
    # no terminal and no --yes: refuse
    with pytest.raises(ConfigurationError, match="--yes"):
        auth_cli.tenants_command(argparse.Namespace(disconnect=first.tenant_id, yes=False))
    assert auth_cli.tenants_command(argparse.Namespace(disconnect=first.tenant_id, yes=True)) == 0
    remaining = auth_cli.fetch_connections(auth_from_env())
    assert [c["tenantId"] for c in remaining] == [second.tenant_id]
    with pytest.raises(ConfigurationError, match="no connected organisation"):
        auth_cli.tenants_command(argparse.Namespace(disconnect=first.tenant_id, yes=True))


def test_a_second_store_instance_sees_a_login_saved_by_the_first(server, tmp_path):
    store = FileTokenStore(tmp_path / "shared" / "tokens.json")
    token = _login(store)
    again = FileTokenStore(tmp_path / "shared" / "tokens.json")
    auth = XeroAuth("refresh", credentials=_credentials(), store=again)
    assert auth.access_token() == token.access_token
    save_login(again, StoredToken(token.client_id, "a", "r", 1e10))
    assert store.load(token.client_id).refresh_token == "r"


class _LossyIdentityProxy:
    """Forwards token requests to the sandbox and throws away the first `drop` answers after
    Xero has acted on them: the network failure the 30-minute grace exists for."""

    def __init__(self, upstream: str, drop: int):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.drop = drop

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "accept")
                }
                reply = httpx.post(upstream + self.path, content=body, headers=headers)
                if proxy.drop > 0:
                    proxy.drop -= 1
                    self.close_connection = True
                    return  # Xero answered; the answer never arrives
                self.send_response(reply.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def test_a_refresh_whose_answer_is_lost_is_retried_with_the_same_token(server, monkeypatch):
    store = token_store_from_env()
    refresh_token = _seed(server, store)
    client_id = os.environ["XERO_CLIENT_ID"]
    proxy = _LossyIdentityProxy(server.identity_url, drop=1)
    try:
        monkeypatch.setenv("XERO_IDENTITY_URL", proxy.url)
        auth = auth_from_env()
        token = auth.access_token(rejected=auth.access_token())
    finally:
        proxy.close()
    assert proxy.drop == 0 and auth.refreshes == 1
    stored = store.load(client_id)
    assert stored.access_token == token and stored.refresh_token != refresh_token
    with httpx.Client(timeout=30) as http:
        reply = http.get(
            server.api_url + "/connections", headers={"Authorization": f"Bearer {token}"}
        )
    assert reply.status_code == 200


def test_granular_scopes_preset_reads_transactions(server):
    from pipelines.xero.auth import GRANULAR_READ_SCOPES, default_scopes

    granular_client = server.identity.register_client(
        "GRANULARCLIENT000000000000000001",
        "granular-secret",
        scopes=frozenset(default_scopes(granular=True).split()),
    )
    assert "accounting.transactions.read" not in granular_client.scopes
    assert "accounting.invoices.read" in GRANULAR_READ_SCOPES
    os.environ["XERO_CLIENT_ID"] = granular_client.client_id
    os.environ["XERO_CLIENT_SECRET"] = granular_client.client_secret
    _login(token_store_from_env(), scope=default_scopes(granular=True))
    auth = auth_from_env()
    tenant = server.sandbox.tenants[0].tenant_id
    with httpx.Client(auth=auth, base_url=server.api_url, timeout=30) as http:
        for path in ("/Invoices", "/Payments", "/BankTransactions", "/Contacts", "/Accounts"):
            reply = http.get(
                "/api.xro/2.0" + path,
                headers={"xero-tenant-id": tenant, "Accept": "application/json"},
            )
            assert reply.status_code == 200, path


def test_no_token_or_secret_reaches_the_logs(server, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    store = token_store_from_env()
    client_id = os.environ["XERO_CLIENT_ID"]
    secrets_seen = {os.environ["XERO_CLIENT_SECRET"]}
    token = _login(store)
    secrets_seen.update({token.access_token, token.refresh_token})
    auth = auth_from_env()
    tenant = server.sandbox.tenants[0].tenant_id
    with httpx.Client(auth=auth, base_url=server.api_url, timeout=30) as http:
        for call in range(6):
            if call == 3:
                server.sandbox.clock.advance(seconds=31 * 60)
            http.get(
                "/api.xro/2.0/Organisation",
                headers={"xero-tenant-id": tenant, "Accept": "application/json"},
            )
            stored = store.load(client_id)
            secrets_seen.update({stored.access_token, stored.refresh_token})
    assert auth.refreshes == 1
    server.sandbox.clock.advance(seconds=31 * 60)
    with store.transaction(client_id) as tx:
        tx.save(StoredToken(client_id, "gone", "no-such-refresh-token", 0.0))
    with pytest.raises(XeroAuthError) as caught:
        auth_from_env().access_token()
    text = caplog.text + str(caught.value) + repr(caught.value)
    assert "refreshed the Xero access token" in caplog.text
    for secret in secrets_seen - {client_id}:
        if len(secret) > 12:
            assert secret not in text
    assert "no-such-refresh-token" not in text


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_console_script(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        **kwargs,
    )


def _console_script() -> str:
    return str(Path(sys.executable).with_name("xero-warehouse"))


@pytest.mark.slow
def test_the_commands_end_to_end_in_their_own_processes(server):
    login = subprocess.Popen(
        [_console_script(), "auth", "login", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    url = None
    for line in login.stdout:
        if line.strip().startswith("http"):
            url = line.strip()
            break
    assert url and "code_challenge_method=S256" in url
    _approve_in_browser(url)
    out, err = login.communicate(timeout=120)
    assert login.returncode == 0, err
    assert "Connected" in out and server.sandbox.tenants[0].name in out

    status = _cli("auth", "status")
    assert status.returncode == 0, status.stderr
    assert "expires" in status.stdout and "tokens.json" in status.stdout
    stored = token_store_from_env().load(os.environ["XERO_CLIENT_ID"])
    for secret in (stored.access_token, stored.refresh_token, os.environ["XERO_CLIENT_SECRET"]):
        assert secret not in status.stdout + status.stderr

    tenants = _cli("tenants")
    assert tenants.returncode == 0 and server.sandbox.tenants[1].tenant_id in tenants.stdout
    target = server.sandbox.tenants[1].tenant_id
    refused = _cli("tenants", "--disconnect", target)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = _cli("tenants", "--disconnect", target, "--yes")
    assert done.returncode == 0 and "Disconnected" in done.stdout

    logout = _cli("auth", "logout")
    assert logout.returncode == 0 and "Revoked" in logout.stdout
    after = _cli("auth", "status")
    assert after.returncode == 0 and "client credentials" in after.stdout


def _used_up_refresh_token(server) -> str:
    token = server.identity.issue_refresh_token()
    request_token(_credentials(), {"grant_type": "refresh_token", "refresh_token": token})
    return token


def test_a_stale_refresh_token_in_the_environment_does_not_override_a_login(
    server, monkeypatch, caplog
):
    _login(token_store_from_env())
    monkeypatch.setenv("XERO_REFRESH_TOKEN", _used_up_refresh_token(server))
    server.sandbox.clock.advance(seconds=31 * 60)  # past the seed's grace period
    auth = auth_from_env()
    token = auth.access_token(rejected=auth.access_token())
    assert auth.refreshes == 1 and "already used" in caplog.text
    assert len(auth_cli.fetch_connections(auth)) == len(server.sandbox.tenants)
    caplog.clear()
    again = auth_from_env()  # the seed is remembered as stale: not tried a second time
    again.access_token(rejected=token)
    assert again.refreshes == 1 and "already used" not in caplog.text


def test_a_login_supersedes_the_refresh_token_in_the_environment(server, monkeypatch, caplog):
    monkeypatch.setenv("XERO_REFRESH_TOKEN", _used_up_refresh_token(server))
    _login(token_store_from_env())
    server.sandbox.clock.advance(seconds=31 * 60)
    auth = auth_from_env()
    auth.access_token(rejected=auth.access_token())
    assert auth.refreshes == 1 and "already used" not in caplog.text


def test_a_401_for_a_missing_scope_does_not_rotate_the_token(server):
    """Journals below the Advanced tier (or without its scope) answer 401
    AuthorizationUnsuccessful: refreshing cannot help, so the answer goes straight back."""
    scopes = "offline_access accounting.transactions.read accounting.settings.read"
    narrow = server.identity.register_client(
        "NARROWCLIENT0000000000000000001", "narrow-secret", scopes=frozenset(scopes.split())
    )
    os.environ["XERO_CLIENT_ID"] = narrow.client_id
    os.environ["XERO_CLIENT_SECRET"] = narrow.client_secret
    _login(token_store_from_env(), scope=scopes)
    auth = auth_from_env()
    headers = {"xero-tenant-id": server.sandbox.tenants[0].tenant_id, "Accept": "application/json"}
    with httpx.Client(auth=auth, base_url=server.api_url + "/api.xro/2.0", timeout=30) as http:
        assert http.get("/Journals", headers=headers).status_code == 401
        assert http.get("/Invoices", headers=headers).status_code == 200
    assert auth.refreshes == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["file", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_first_runs_of_several_workers_share_one_seed_from_the_environment(
    server, monkeypatch, backend, request
):
    """A fresh deployment: every worker starts at once with only XERO_REFRESH_TOKEN."""
    if backend == "postgres":
        monkeypatch.setenv("XERO_TOKEN_STORE", request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("XERO_REFRESH_TOKEN", server.identity.issue_refresh_token())
    _race(server, rounds=5, workers=3, login=False)
