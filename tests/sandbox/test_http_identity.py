"""The sandbox's identity service over real HTTP: authorization code with PKCE and state,
refresh-token rotation with its grace period, client credentials, revocation, connections."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from sandbox.identity import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

REDIRECT = "http://localhost:8765/callback"
SCOPE = "openid offline_access accounting.transactions.read accounting.settings.read"
AUTH = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


@pytest.fixture
def server(open_server):
    return open_server


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.identity_url, timeout=30) as client:
        yield client


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_query(challenge: str, state: str = "xyz-state", redirect: str = REDIRECT) -> dict:
    return {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": redirect,
        "scope": SCOPE,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _code(http, challenge: str, state: str = "xyz-state") -> tuple[str, dict]:
    answer = http.get(
        "/connect/authorize", params={**_authorize_query(challenge, state), "auto_approve": "true"}
    )
    assert answer.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    return query["code"], query


def _exchange(http, code: str, verifier: str, **extra) -> httpx.Response:
    return http.post(
        "/connect/token",
        auth=AUTH,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **extra,
        },
    )


def _refresh(http, token: str) -> httpx.Response:
    return http.post(
        "/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )


def _bearer(token: str, tenant_id: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if tenant_id:
        headers["xero-tenant-id"] = tenant_id
    return headers


def test_consent_page_approval_redirects_with_code_and_state(http):
    verifier, challenge = _pkce()
    page = http.get("/connect/authorize", params=_authorize_query(challenge))
    assert page.status_code == 200 and "Allow" in page.text
    consent = http.post(
        "/connect/authorize?" + urlencode(_authorize_query(challenge)), data={"approve": "1"}
    )
    assert consent.status_code == 302
    location = urlsplit(consent.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz-state"] and query["code"]
    tokens = _exchange(http, query["code"][0], verifier)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1800
    assert body["access_token"] and body["refresh_token"] and body["id_token"]


def test_pkce_verifier_must_match_and_a_code_works_once(http):
    verifier, challenge = _pkce()
    code, _ = _code(http, challenge)
    wrong = _exchange(http, code, _pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code, _ = _code(http, challenge)
    assert _exchange(http, code, verifier).status_code == 200
    again = _exchange(http, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_redirect_uri_must_be_registered_and_repeated(http):
    _, challenge = _pkce()
    stranger = http.get(
        "/connect/authorize",
        params={
            **_authorize_query(challenge, redirect="https://evil.example/callback"),
            "auto_approve": "true",
        },
    )
    assert stranger.status_code == 400 and "location" not in stranger.headers
    other_port = http.get(
        "/connect/authorize",
        params={
            **_authorize_query(challenge, redirect="http://localhost:50123/callback"),
            "auto_approve": "true",
        },
    )
    assert other_port.status_code == 302
    verifier, challenge = _pkce()
    code, _ = _code(http, challenge)
    mismatch = _exchange(http, code, verifier, redirect_uri="http://localhost:8765/other")
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "invalid_grant"


def test_client_authentication_by_basic_or_form_and_wrong_secret(http):
    verifier, challenge = _pkce()
    code, _ = _code(http, challenge)
    bad = http.post(
        "/connect/token",
        auth=(DEFAULT_CLIENT_ID, "wrong"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    form = http.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    assert form.status_code == 200
    unknown = http.post("/connect/token", data={"grant_type": "password"}, auth=AUTH)
    assert unknown.json()["error"] == "unsupported_grant_type"


def test_refresh_rotates_with_a_grace_period_then_invalid_grant(server, http):
    first = server.env["XERO_REFRESH_TOKEN"]
    rotated = _refresh(http, first)
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    replay = _refresh(http, first)
    assert replay.status_code == 200 and replay.json()["refresh_token"] == second
    server.sandbox.clock.freeze(server.sandbox.clock.now() + timedelta(minutes=31))
    late = _refresh(http, first)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    third = _refresh(http, second)
    assert third.status_code == 200 and third.json()["refresh_token"] not in (first, second)


def test_unused_refresh_token_expires_after_60_days(server, http):
    token = server.env["XERO_REFRESH_TOKEN"]
    server.sandbox.clock.freeze(server.sandbox.clock.now() + timedelta(days=61))
    answer = _refresh(http, token)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_access_tokens_follow_the_sandbox_clock(server, http):
    token = _refresh(http, server.env["XERO_REFRESH_TOKEN"]).json()["access_token"]
    tenant = server.sandbox.tenants[0].tenant_id
    assert http.get("/api.xro/2.0/Organisation", headers=_bearer(token, tenant)).status_code == 200
    server.sandbox.clock.freeze(server.sandbox.clock.now() + timedelta(seconds=1801))
    assert http.get("/api.xro/2.0/Organisation", headers=_bearer(token, tenant)).status_code == 401


def test_client_credentials_reach_one_tenant_without_the_tenant_header(server, http):
    answer = http.post("/connect/token", auth=AUTH, data={"grant_type": "client_credentials"})
    assert answer.status_code == 200
    body = answer.json()
    assert "refresh_token" not in body and body["expires_in"] == 1800
    token = body["access_token"]
    first, second = server.sandbox.tenants
    organisation = http.get("/api.xro/2.0/Organisation", headers=_bearer(token))
    assert organisation.status_code == 200
    assert organisation.json()["Organisations"][0]["Name"] == first.name
    other = http.get("/api.xro/2.0/Organisation", headers=_bearer(token, second.tenant_id))
    assert other.status_code == 403
    connections = http.get("/connections", headers=_bearer(token)).json()
    assert [c["tenantId"] for c in connections] == [first.tenant_id]


def test_connections_list_filter_and_disconnect(server, http):
    token = _refresh(http, server.env["XERO_REFRESH_TOKEN"]).json()["access_token"]
    connections = http.get("/connections", headers=_bearer(token))
    assert connections.status_code == 200
    listed = connections.json()
    assert {c["tenantId"] for c in listed} == {t.tenant_id for t in server.sandbox.tenants}
    assert all(
        c["tenantType"] == "ORGANISATION" and c["id"] and c["createdDateUtc"] for c in listed
    )
    event = listed[0]["authEventId"]
    assert len(
        http.get("/connections", params={"authEventId": event}, headers=_bearer(token)).json()
    ) == len(listed)
    assert (
        http.get(
            "/connections",
            params={"authEventId": "00000000-0000-0000-0000-000000000000"},
            headers=_bearer(token),
        ).json()
        == []
    )
    gone = listed[0]
    assert http.delete(f"/connections/{gone['id']}", headers=_bearer(token)).status_code == 204
    assert http.delete(f"/connections/{gone['id']}", headers=_bearer(token)).status_code == 404
    assert (
        http.get("/api.xro/2.0/Organisation", headers=_bearer(token, gone["tenantId"])).status_code
        == 403
    )
    assert http.get("/connections").status_code == 401


def test_revocation_ends_the_refresh_token_and_the_connections(server, http):
    refresh = server.env["XERO_REFRESH_TOKEN"]
    token = _refresh(http, refresh).json()
    revoked = http.post("/connect/revocation", auth=AUTH, data={"token": token["refresh_token"]})
    assert revoked.status_code == 200
    assert _refresh(http, token["refresh_token"]).json()["error"] == "invalid_grant"
    tenant = server.sandbox.tenants[0].tenant_id
    assert http.get(
        "/api.xro/2.0/Organisation", headers=_bearer(token["access_token"], tenant)
    ).status_code in (401, 403)


def test_scopes_decide_which_collections_a_token_reads(server, http):
    verifier, challenge = _pkce()
    query = {
        **_authorize_query(challenge),
        "scope": "offline_access accounting.transactions.read",
        "auto_approve": "true",
    }
    answer = http.get("/connect/authorize", params=query)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = _exchange(http, code, verifier).json()["access_token"]
    tenant = server.sandbox.tenants[0].tenant_id
    assert http.get("/api.xro/2.0/Invoices", headers=_bearer(token, tenant)).status_code == 200
    journals = http.get("/api.xro/2.0/Journals", headers=_bearer(token, tenant))
    assert journals.status_code == 401
    assert journals.json()["Detail"] == "AuthorizationUnsuccessful"
    assert http.get("/api.xro/2.0/Contacts", headers=_bearer(token, tenant)).status_code == 401
