"""`xero-warehouse sandbox serve` as a user runs it: it prints the environment that points
the tool at it, answers over HTTP, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import httpx

from pipelines.webhooks.receiver import running_receiver

SERVE = "from pipelines.cli import main; main()"


class _Output:
    """The process's output lines, read in a thread (so a buffered line is never left
    waiting behind a select())."""

    def __init__(self, process: subprocess.Popen):
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, marker: str, timeout: float = 60) -> list[str]:
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line)
            if marker in line:
                return seen
        raise AssertionError(f"no {marker!r} in the output: {seen}")


def test_serve_prints_exports_serves_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVE,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--tenants",
            "1",
            "--scale",
            "small",
            "--time-scale",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    try:
        output = _Output(process)
        lines = output.until("serving")
        exports = dict(
            line[len("export ") :].split("=", 1) for line in lines if line.startswith("export ")
        )
        assert set(exports) == {
            "XERO_API_URL",
            "XERO_IDENTITY_URL",
            "XERO_CLIENT_ID",
            "XERO_CLIENT_SECRET",
            "XERO_REFRESH_TOKEN",
            "XERO_RATE_LIMIT_TIME_SCALE",
        }
        info = httpx.get(f"{exports['XERO_API_URL']}/_sandbox", timeout=30).json()
        assert len(info["tenants"]) == 1 and info["limits"]["time_scale"] == 60
        token = httpx.post(
            f"{exports['XERO_IDENTITY_URL']}/connect/token",
            timeout=30,
            data={
                "grant_type": "refresh_token",
                "refresh_token": exports["XERO_REFRESH_TOKEN"],
                "client_id": exports["XERO_CLIENT_ID"],
                "client_secret": exports["XERO_CLIENT_SECRET"],
            },
        )
        assert token.status_code == 200
        organisation = httpx.get(
            f"{exports['XERO_API_URL']}/api.xro/2.0/Organisation",
            timeout=30,
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Accept": "application/json",
                "xero-tenant-id": info["tenants"][0]["tenant_id"],
            },
        )
        assert organisation.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "sandbox stopped" in output.until("sandbox stopped", timeout=10)[-1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_refuses_an_unknown_scale():
    answer = subprocess.run(
        [sys.executable, "-c", SERVE, "sandbox", "serve", "--scale", "huge"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 1
    assert "--scale" in answer.stderr


def test_serve_sends_webhooks_when_the_environment_names_a_receiver(tmp_path):
    key = "test-webhook-key-0123456789"
    with running_receiver(key, tmp_path / "events.db") as receiver:
        env = {**os.environ, "XERO_SANDBOX_WEBHOOK_URL": receiver.url, "XERO_WEBHOOK_KEY": key}
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "sandbox", "serve", "--port", "0", "--tenants", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            lines = _Output(process).until("serving")
            assert f"# sending webhooks to {receiver.url}" in lines
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
