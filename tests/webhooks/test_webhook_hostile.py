"""The receiver against hostile clients over real sockets: validly signed bodies nested too
deep, and connections that are idle or trickle their headers or body."""

from __future__ import annotations

import json
import socket

from test_webhook_receiver import KEY, event, payload, post

from pipelines.webhooks.receiver import REQUEST_TIMEOUT_SECONDS, signature_of

# How long a test waits for the server to close a connection: several times the deadlines,
# so a loaded machine does not fail the test; the server's limits are 2 s and 3 s.
PATIENCE_SECONDS = 30.0


def _connect(receiver) -> socket.socket:
    return socket.create_connection(("127.0.0.1", receiver.port), timeout=PATIENCE_SECONDS)


def _closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes (True) or PATIENCE_SECONDS pass in silence (False)."""
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def _trickle(sock: socket.socket, data: bytes, interval: float) -> bool:
    """Send `data` a byte at a time; True when the server closed the connection first."""
    sock.settimeout(interval)
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue  # nothing to read yet: the connection is still open
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def _request_head(body_length: int, signature: str = "x") -> bytes:
    return (
        "POST /webhooks/xero HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nx-xero-signature: {signature}\r\n"
        f"Content-Length: {body_length}\r\n\r\n"
    ).encode()


def test_signed_bodies_nested_too_deep_are_400_and_store_nothing(receiver, store, caplog):
    too_deep = [
        b"[" * 200_000 + b"]" * 200_000,  # beyond Python's recursion limit
        json.dumps({"events": [event()], "x": json.loads("[" * 40 + "]" * 40)}).encode(),
        ('{"events": [' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "]}").encode(),
    ]
    for body in too_deep:
        assert post(receiver.url, body).status_code == 400
    assert store.events() == []
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    assert post(receiver.url, payload([event()])).status_code == 200


def test_an_idle_connection_is_closed(receiver):
    with _connect(receiver) as sock:
        assert _closed_by_server(sock)


def test_headers_trickled_slower_than_the_deadline_are_cut_off(receiver):
    head = _request_head(2)
    interval = 2 * REQUEST_TIMEOUT_SECONDS / len(head)  # the whole head would take 2 deadlines
    with _connect(receiver) as sock:
        assert _trickle(sock, head, interval)


def test_a_body_trickled_slower_than_the_deadline_is_cut_off(receiver, store):
    body = payload([event()])
    with _connect(receiver) as sock:
        sock.sendall(_request_head(len(body), signature_of(KEY, body)))
        assert _trickle(sock, body, 2 * REQUEST_TIMEOUT_SECONDS / len(body))
    assert store.events() == []


def test_a_kept_alive_connection_is_closed_once_idle(receiver, store):
    body = payload([event()])
    with _connect(receiver) as sock:
        sock.sendall(_request_head(len(body), signature_of(KEY, body)) + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        assert _closed_by_server(sock)
    assert len(store.events()) == 1


def test_a_prompt_request_on_a_fresh_connection_is_answered(receiver, store):
    body = payload([event()])
    with _connect(receiver) as sock:
        sock.sendall(_request_head(len(body), signature_of(KEY, body)))
        sock.sendall(body)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    assert len(store.events()) == 1
