"""Webhook fixtures: an event store, the receiver in-process or as its own process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipelines.webhooks.receiver import WEBHOOK_PATH, running_receiver
from pipelines.webhooks.store import EventStore

KEY = "test-webhook-key-0123456789"


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "events.sqlite3") as events:
        yield events


@pytest.fixture
def receiver(store):
    with running_receiver(KEY, store) as running:
        yield running


class ReceiverProcess:
    """`xero-warehouse webhooks serve` as a separate process that can be killed outright."""

    def __init__(self, store_path: Path):
        self.store_path = store_path
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = str(Path(sys.executable).parent / "xero-warehouse")
        env = os.environ | {"XERO_WEBHOOK_KEY": KEY, "XERO_WEBHOOK_STORE": str(self.store_path)}
        self.process = subprocess.Popen(
            [command, "webhooks", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(600):
            try:  # any answer means it is listening (an unsigned probe gets 401)
                httpx.post(self.url, content=b"{}", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("the webhook receiver process did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def receiver_process(tmp_path):
    running = ReceiverProcess(tmp_path / "events.sqlite3")
    yield running
    running.kill()
