"""The token stores: file and PostgreSQL, one interface, safe across processes."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from pipelines.errors import ConfigurationError
from pipelines.xero.auth import (
    ClientCredentials,
    XeroAuth,
    XeroAuthError,
    auth_from_env,
    pkce_request,
)
from pipelines.xero.token_store import (
    FileTokenStore,
    PostgresTokenStore,
    StoredToken,
    token_store_from_env,
)

SECRET = "s3cret-refresh-token-value"


def _stores(tmp_path, postgres_url=None):
    stores = [FileTokenStore(tmp_path / "state" / "tokens.json")]
    if postgres_url:
        stores.append(PostgresTokenStore(postgres_url))
    return stores


def test_file_store_round_trip_is_private_and_atomic(tmp_path):
    store = FileTokenStore(tmp_path / "state" / "tokens.json")
    assert store.load("app") is None
    with store.transaction("app") as tx:
        assert tx.current is None
        tx.save(StoredToken("app", "access", SECRET, 1e10, "openid"))
    with store.transaction("other") as tx:
        tx.save(StoredToken("other", "a2", "r2", 1e10))
    loaded = store.load("app")
    assert (loaded.access_token, loaded.refresh_token, loaded.scope) == ("access", SECRET, "openid")
    assert store.client_ids() == ["app", "other"]
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.path.with_name("tokens.json.lock")).st_mode) == 0o600
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "tokens.json",
        "tokens.json.lock",
    ]
    store.delete("app")
    assert store.load("app") is None
    assert store.load("other").refresh_token == "r2"


def test_a_failed_transaction_leaves_the_store_unchanged(tmp_path):
    store = FileTokenStore(tmp_path / "tokens.json")
    with store.transaction("app") as tx:
        tx.save(StoredToken("app", "a1", "r1", 1e10))
    with pytest.raises(RuntimeError), store.transaction("app") as tx:
        tx.save(StoredToken("app", "a2", "r2", 1e10))
        raise RuntimeError("refresh failed")
    assert store.load("app").refresh_token == "r1"


def test_unreadable_file_store_names_the_fix(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="auth login"):
        FileTokenStore(path).load("app")


def test_store_location_comes_from_the_environment(tmp_path, monkeypatch):
    assert token_store_from_env().location == str(tmp_path / "home" / "tokens.json")
    monkeypatch.setenv("XERO_TOKEN_STORE", str(tmp_path / "elsewhere.json"))
    assert token_store_from_env().location == str(tmp_path / "elsewhere.json")
    monkeypatch.setenv("XERO_TOKEN_STORE", "postgresql://u:pw@db.example:5433/warehouse?schema=s")
    store = token_store_from_env()
    assert isinstance(store, PostgresTokenStore)
    assert store.location == "postgresql://u:***@db.example:5433/warehouse"  # no password
    assert "pw" not in repr(store)
    monkeypatch.setenv("XERO_TOKEN_STORE", "redis://x")
    with pytest.raises(ConfigurationError):
        token_store_from_env()


@pytest.mark.postgres
def test_postgres_store_round_trip(postgres_url):
    store = PostgresTokenStore(postgres_url + "?schema=auth")
    assert store.load("app") is None
    with store.transaction("app") as tx:
        assert tx.current is None
        tx.save(StoredToken("app", "access", SECRET, 1e10, "openid"))
    loaded = store.load("app")
    assert (loaded.access_token, loaded.refresh_token, loaded.expires_at) == (
        "access",
        SECRET,
        1e10,
    )
    assert store.client_ids() == ["app"]
    store.delete("app")
    assert store.load("app") is None and store.client_ids() == []


def _increment(store, times):
    for _ in range(times):
        with store.transaction("app") as tx:
            count = int(tx.current.access_token) if tx.current else 0
            tx.save(StoredToken("app", str(count + 1), "r", 1e10))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["file", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_transactions_exclude_each_other_across_processes(backend, tmp_path, request):
    """A read-modify-write under the lock never loses an update, whatever the backend."""
    if backend == "file":
        store = FileTokenStore(tmp_path / "tokens.json")
    else:
        store = PostgresTokenStore(request.getfixturevalue("postgres_url"))
    store.load("app")  # create the table before the race
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_increment, args=(store, 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    _increment(store, 40)
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
    assert store.load("app").access_token == str(4 * 40)


def test_reprs_hold_no_secrets(tmp_path):
    token = StoredToken("app", "access-" + SECRET, SECRET, 1e10)
    credentials = ClientCredentials("app", "client-" + SECRET)
    auth = XeroAuth(
        "refresh",
        credentials=credentials,
        store=FileTokenStore(tmp_path / "t.json"),
        seed_refresh_token=SECRET,
    )
    static = XeroAuth("static", access_token=SECRET)
    request = pkce_request("app", "http://localhost:1/cb", "openid")
    for thing in (token, credentials, auth, static, request):
        assert SECRET not in repr(thing) and SECRET not in str(thing)
    assert request.code_verifier not in repr(request)


def test_auth_from_env_picks_the_grant(monkeypatch):
    with pytest.raises(XeroAuthError, match="auth login"):
        auth_from_env()
    monkeypatch.setenv("XERO_CLIENT_ID", "app")
    with pytest.raises(XeroAuthError, match="auth login"):
        auth_from_env()  # an id alone can do nothing without a stored token
    monkeypatch.setenv("XERO_CLIENT_SECRET", "secret")
    assert auth_from_env().mode == "client_credentials"
    with token_store_from_env().transaction("app") as tx:
        tx.save(StoredToken("app", "a", "r", 1e10))
    assert auth_from_env().mode == "refresh"  # a stored token wins over client credentials
    token_store_from_env().delete("app")
    monkeypatch.setenv("XERO_REFRESH_TOKEN", SECRET)
    assert auth_from_env().mode == "refresh"
    monkeypatch.setenv("XERO_ACCESS_TOKEN", SECRET)
    auth = auth_from_env()
    assert auth.mode == "static" and auth.access_token() == SECRET


def test_missing_refresh_token_error_says_what_to_run(monkeypatch):
    monkeypatch.setenv("XERO_CLIENT_ID", "app")
    with token_store_from_env().transaction("app") as tx:
        tx.save(StoredToken("app", "expired-access", None, 0))
    auth = auth_from_env()
    with pytest.raises(XeroAuthError, match=r"`xero-warehouse auth login`"):
        auth.access_token()
