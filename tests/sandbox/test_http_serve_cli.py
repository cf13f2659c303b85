"""`xero-warehouse sandbox serve` as a user runs it: it prints the environment that points
the tool at it, answers over HTTP, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import httpx

SERVE = "from pipelines.cli import main; main()"


def _read_until(process: subprocess.Popen, marker: str, timeout: float = 60) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if not ready:
            continue
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in the output: {lines}")


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
        lines = _read_until(process, "serving")
        exports = dict(
            line[len("export ") :].split("=", 1) for line in lines if line.startswith("export ")
        )
        assert set(exports) == {
            "XERO_API_URL",
            "XERO_IDENTITY_URL",
            "XERO_CLIENT_ID",
            "XERO_CLIENT_SECRET",
            "XERO_REFRESH_TOKEN",
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
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "sandbox stopped" in output
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
