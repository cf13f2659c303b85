"""What the client says when something that is not Xero answers: an HTML page (a proxy, a
login or error page, a wrong URL) where JSON was expected, from the API or the token URL, and
an envelope whose records are not a list. A real HTTP server on a free loopback port plays the
broken upstream."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.xero.auth import ClientCredentials, XeroAuth, XeroAuthError, request_token
from pipelines.xero.client import RetryPolicy, XeroClient, XeroError, XeroServerError

HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
TENANT = "177dc528-ec08-402b-a7b8-a168e8235d1b"


@contextmanager
def upstream(status: int, content_type: str, body: bytes) -> Iterator[str]:
    """Answers every GET and POST with the same response; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _get(path: str, status: int, content_type: str, body: bytes) -> dict:
    """GET `path` from the broken upstream with a static token and two attempts."""
    with (
        upstream(status, content_type, body) as url,
        XeroClient(
            XeroAuth("static", access_token="token-x"),
            TENANT,
            api_url=url,
            retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01),
        ) as client,
    ):
        return client.get(path)


def test_an_html_page_for_an_api_call_is_named_as_such():
    with pytest.raises(XeroServerError) as raised:
        _get("/Invoices", 200, "text/html; charset=utf-8", HTML)
    message = str(raised.value)
    assert f"an HTML page (text/html, {len(HTML)} bytes) where JSON was expected" in message
    assert "XERO_API_URL" in message and "\n" not in message


def test_truncated_json_is_still_unreadable_json():
    with pytest.raises(XeroServerError, match="unreadable JSON"):
        _get("/Invoices", 200, "application/json", b'{"Invoices": [{"InvoiceID": ')


@pytest.mark.parametrize(
    ("path", "envelope", "expected"),
    [
        ("/Invoices", {"Invoices": "not a list"}, "holds a str under 'Invoices'"),
        ("/Contacts/abc", {"Contacts": {"ContactID": "x"}}, "holds a dict under 'Contacts'"),
        ("/Organisation", {"Organisations": ["x", 1]}, "a list of int, str under 'Organisations'"),
    ],
)
def test_a_wrong_typed_envelope_is_one_clear_line(path, envelope, expected):
    with pytest.raises(XeroError) as raised:
        _get(path, 200, "application/json", json.dumps(envelope).encode())
    message = str(raised.value)
    assert expected in message and "not a list of records" in message
    assert f"GET {path}" in message and "\n" not in message


def test_a_valid_envelope_passes():
    envelope = {"Status": "OK", "Invoices": [{"InvoiceID": "x"}], "pagination": {"page": 1}}
    answer = _get("/Invoices", 200, "application/json", json.dumps(envelope).encode())
    assert answer["Invoices"] == [{"InvoiceID": "x"}]


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (200, "text/html", HTML, f"answered HTTP 200 with an HTML page ({len(HTML)} bytes)"),
        (200, "application/json", b'{"token": "x"}', "HTTP 200 with JSON without an access_token"),
        (403, "text/html", HTML, "answered HTTP 403 with an HTML page"),
    ],
)
def test_something_else_than_a_token_from_the_token_url(status, content_type, body, expected):
    with upstream(status, content_type, body) as url, pytest.raises(XeroAuthError) as raised:
        request_token(
            ClientCredentials("app", "client-secret-value"),
            {"grant_type": "refresh_token", "refresh_token": "refresh-token-value"},
            identity=url,
        )
    message = str(raised.value)
    assert expected in message and "XERO_IDENTITY_URL" in message and "\n" not in message
    assert "client-secret-value" not in message and "refresh-token-value" not in message
